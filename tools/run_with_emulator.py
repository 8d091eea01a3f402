#!/usr/bin/env python
"""Start the emulator on a free port, run a command against it, stop the emulator (always).

The command gets HUC_API_URL, HUC_API_KEY (read+write), HUC_READ_KEY, HUC_PROJECT (the seeded
project id) and HUC_EMULATOR_URL (for the /_emulator control endpoints) in its environment, and
ANSIBLE_COLLECTIONS_PATH pointing at this checkout unless it is already set.
Usage: tools/run_with_emulator.py [--provision-seconds N ...emulator options] -- COMMAND...
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.emulator.harness import Emulator  # noqa: E402  pylint: disable=wrong-import-position
from tests.functional.playbook import collections_path  # noqa: E402  pylint: disable=wrong-import-position


def main(argv):
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    emulator_args, command = argv[:split], argv[split + 1:]
    emulator = Emulator(extra_args=emulator_args).start()
    try:
        env = dict(os.environ,
                   HUC_API_URL=emulator.api_url,
                   HUC_API_KEY=emulator.write_key,
                   HUC_READ_KEY=emulator.read_key,
                   HUC_PROJECT=emulator.project_id,
                   HUC_EMULATOR_URL=emulator.base_url)
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", collections_path())
        print("emulator: %s (project %s)" % (emulator.api_url, emulator.project_id), flush=True)
        return subprocess.call(command, cwd=ROOT, env=env)
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
