"""Make emulator time pass with the module's requests, not with the wall clock.

With long transitions (say 30 s) and Clockwork(step=30), a status a test set up holds until the
module has seen it, and completes right after: each API request the module makes is followed by
a clock advance of `step` seconds. Tests of waits become deterministic without sleeping.
"""

import threading
import time


class Clockwork:
    def __init__(self, emulator, step):
        self.emulator = emulator
        self.step = step
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.advances = 0

    def _run(self):
        seen = len(self.emulator.requests())
        while not self._stop.is_set():
            count = len(self.emulator.requests())
            if count > seen:
                seen = count
                self.emulator.advance(self.step)
                self.advances += 1
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(5)
