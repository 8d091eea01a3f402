"""The modules run under the Python HUC_PYTHON_INTERPRETER names (else this pytest's own).

make test-pythons runs this file (with test_return_docs.py's playbook of every module) with the
module interpreter set to a Python 3.8 venv and then a Python 3.13 venv; make test-max with the
ansible-core 2.21 venv's.
The proof is the command ansible itself logs at -vvv for every module it executes:
EXEC /bin/sh -c '<interpreter> .../AnsiballZ_<module>.py && sleep 0'.
"""

import re
import subprocess

from tests.functional.playbook import PYTHON_INTERPRETER, run_playbook

EXEC = re.compile(r"EXEC /bin/sh -c '(?P<python>\S+) \S*/AnsiballZ_(?P<module>\w+)\.py")


def test_modules_run_under_the_interpreter(emulator_factory):
    emulator = emulator_factory(provision_seconds=0.5, transition_seconds=0.5)
    version = subprocess.run([PYTHON_INTERPRETER, "-c", "import sys, requests; print(sys.version.split()[0], requests.__version__)"],
                             capture_output=True, text=True, check=True).stdout.split()
    run = run_playbook([
        {"name": "create", "register": "out", "hostupcloud.cloud.huc_instance": {
            "project": emulator.project_id, "name": "py-1", "node": emulator.node_name,
            "os_template": emulator.os_template, "vcpus": 1, "memory_mb": 1024, "disk_gb": 20}},
        {"name": "list", "register": "out", "hostupcloud.cloud.huc_instance_info": {"project": emulator.project_id}},
    ], emulator=emulator, args=["-vvv"])
    assert run.rc == 0, run

    # The modules did their work (so they imported requests there) ...
    assert run.task("create")["changed"] is True
    assert [i["name"] for i in run.task("list")["instances"]] == ["py-1"]
    assert [i["name"] for i in emulator.state()["instances"]] == ["py-1"]
    # ... and ansible executed each of them with that interpreter, and with no other.
    executed = [match.groupdict() for match in EXEC.finditer(run.output)]
    assert [e["module"] for e in executed] == ["huc_instance", "huc_instance_info"], run
    assert {e["python"] for e in executed} == {PYTHON_INTERPRETER}, (executed, version)
    print("modules ran under %s (Python %s, requests %s)" % (PYTHON_INTERPRETER, version[0], version[1]))
