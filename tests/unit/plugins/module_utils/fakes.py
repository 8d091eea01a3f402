"""What the unit tests of module_utils share: an AnsibleModule stand-in whose failures raise, and a clock."""


class Failed(Exception):
    """fail_json of FakeModule: the result it would have failed with is .result."""

    def __init__(self, **kwargs):
        super(Failed, self).__init__(kwargs.get("msg"))
        self.result = kwargs


class FakeModule:
    def __init__(self, params, check_mode=False, diff=False):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self._name = "fake"
        self.warnings = []

    def fail_json(self, **kwargs):
        raise Failed(**kwargs)

    def warn(self, text):
        self.warnings.append(text)


class FakeClock:
    """The client's clock in a test: time passes only when the wait sleeps."""

    def __init__(self, now=1000.0):
        self.time = now

    def now(self):
        return self.time

    def sleep(self, seconds):
        self.time += seconds
