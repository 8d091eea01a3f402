"""Make emulator time pass with the module's requests, not with the wall clock.

With long transitions (say 30 s) and Clockwork(step=30), a status a test set up holds until the
module has seen it, and completes right after: each API request the module makes is followed by
a clock advance of `step` seconds. Tests of waits become deterministic without sleeping.

The emulator does the advancing itself (its clockStepSeconds setting), right after it has answered
each /api request and before the client can send the next one, so there is no thread and no race.
"""


class Clockwork:
    def __init__(self, emulator, step):
        self.emulator = emulator
        self.step = step
        self.advances = 0
        self._seen = None

    def __enter__(self):
        self._seen = len(self.emulator.requests())
        self.emulator.config(clockStepSeconds=self.step)
        return self

    def __exit__(self, *exc_info):
        self.emulator.config(clockStepSeconds=0)
        # every /api request made inside the block advanced the clock once
        self.advances = len(self.emulator.requests()) - self._seen
