"""README.md as a new user reads it, and the user guide Galaxy shows.

- The Quick start playbook, taken verbatim from the README, against an emulator of this checkout (default stage).
- The README's Installation and Quick start commands, verbatim, from the built tarball in a fresh venv
  (marked `readme`: slow, it pip-installs; `make readme` runs it, the default pytest run deselects it).
- docs/guide.md is what tools/guide_md.py makes of docs/docsite/rst/guide.rst (the guide's one source).
"""

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.emulator.harness import Emulator
from tests.functional.playbook import ANSIBLE_BIN, BIN, ROOT, base_env, run_command

README = os.path.join(ROOT, "README.md")
QUICK_START_TASKS = ["Add my SSH key to the project", "Create it (or leave it as it is)", "Show its address", "Stop it for the night"]
CHANGED_FIRST = {"Add my SSH key to the project", "Create it (or leave it as it is)", "Stop it for the night"}
COLLECTION_DIR = "~/.ansible/collections/ansible_collections/hostupcloud/cloud"


def readme():
    with open(README) as handle:
        return handle.read()


def section(text, title):
    """The body of the markdown section (## or deeper) whose heading is title, up to the next heading of its level or above."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading and heading.group(2).strip().lower() == title.lower():
            level = len(heading.group(1))
            body = []
            in_fence = False
            for following in lines[index + 1:]:
                if following.lstrip().startswith("```"):
                    in_fence = not in_fence
                deeper = re.match(r"^(#{1,6})\s", following)
                if not in_fence and deeper and len(deeper.group(1)) <= level:
                    break
                body.append(following)
            return "".join(body)
    raise AssertionError("README.md has no section %r" % title)


def code_blocks(markdown, language):
    """The fenced code blocks of a language, verbatim, in order."""
    return [match.group(1) for match in re.finditer(r"^```%s[ \t]*\n(.*?)^```[ \t]*$" % re.escape(language), markdown, re.M | re.S)]


def quick_start_file(name):
    """The yaml block of the Quick start section whose first line is `# name`, exactly as the README prints it."""
    blocks = [block for block in code_blocks(section(readme(), "Quick start"), "yaml") if block.startswith("# %s\n" % name)]
    assert len(blocks) == 1, "the Quick start section of README.md has no (or several) ```yaml block starting # %s" % name
    return blocks[0]


def quick_start_playbook():
    return quick_start_file("quick-start.yml")


def write_quick_start(directory):
    """The Quick start's files, as the README tells the user to save them."""
    for name in ("hosts.yml", "quick-start.yml"):
        (directory / name).write_text(quick_start_file(name))


def quick_start_commands():
    """The Quick start's bash blocks: (start the emulator, run the playbook), verbatim."""
    blocks = code_blocks(section(readme(), "Quick start"), "bash")
    assert len(blocks) >= 2, blocks
    start, run = blocks[0], blocks[1]
    assert "python3 -m tests.emulator" in start and "--seed-projects production" in start, start
    assert "ansible-playbook -i hosts.yml quick-start.yml" in run and "HUC_API_KEY" in run and "HUC_API_URL" in run, run
    return start, run


def installation_commands():
    """The Installation section's bash blocks but the one that installs from Galaxy (no Galaxy in tests)."""
    blocks = code_blocks(section(readme(), "Installation"), "bash")
    galaxy = [block for block in blocks if re.search(r"collection install hostupcloud\.cloud\s*$", block, re.M)]
    assert len(galaxy) == 1, blocks
    return [block for block in blocks if block not in galaxy]


def test_the_readme_is_for_users_first():
    """The order of the issue: what it does, Requirements, Installation, Quick start, ..., then From a checkout
    with the two commands; links absolute (Galaxy shows the README, where relative links are dead)."""
    text = readme()
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == ["Requirements", "Installation", "Quick start", "Using it against the real API for the first time", "Modules",
                        "Dynamic inventory", "Roles", "Playbooks", "Support", "Changelog", "License", "From a checkout"]
    checkout = section(text, "From a checkout")
    assert "make demo" in checkout and "make test" in checkout
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert links and [link for link in links if not link.startswith("https://")] == []
    assert "https://github.com/hostupcloud/ansible-collection-cloud/blob/main/docs/dev/developing.md" in links
    for link in links:
        prefix = "https://github.com/hostupcloud/ansible-collection-cloud/blob/main/"
        if link.startswith(prefix):
            assert os.path.exists(os.path.join(ROOT, link[len(prefix):])), link
    # The key never on a command line (shell history, `ansible-inventory --list` printing extra vars).
    assert "vault_huc_api_key" not in quick_start_playbook()
    for block in code_blocks(text, "bash"):
        assert "-e @" not in block and not re.search(r"HUC_API_KEY=[\"']?huc_", block), block


def test_the_readme_lists_every_module():
    modules = {name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.startswith("huc_") and name.endswith(".py")}
    listed = set(re.findall(r"^\| `hostupcloud\.cloud\.(huc_\w+)` \|", section(readme(), "Modules"), re.M))
    assert listed == modules


def test_the_playbook_is_taken_verbatim():
    playbook = quick_start_playbook()
    assert "```yaml\n" + playbook + "```" in readme()
    plays = yaml.safe_load(playbook)
    assert isinstance(plays, list) and plays[0]["hosts"] == "localhost"
    assert "module_defaults" not in plays[0], "the key comes from the environment (module_defaults would win over it)"
    assert [task["name"] for task in plays[0]["tasks"]] == QUICK_START_TASKS


def test_the_readme_playbooks_exist():
    """The README lists every playbook of playbooks/, by FQCN where its name can be one (no hyphen), else by path."""
    text = section(readme(), "Playbooks")
    by_fqcn = set(re.findall(r"`hostupcloud\.cloud\.([\w-]+)`", text))
    by_path = set(re.findall(r"`playbooks/([\w-]+)\.yml`", text))
    assert {name for name in by_fqcn if not re.match(r"^[a-z_][a-z0-9_]*$", name)} == set()
    assert by_fqcn | by_path == {name[:-4] for name in os.listdir(os.path.join(ROOT, "playbooks")) if name.endswith(".yml")}
    assert {name for name in by_path if re.match(r"^[a-z_][a-z0-9_]*$", name)} == set()


def ssh_key(home):
    """~/.ssh/id_ed25519(.pub) in home, as the Quick start expects a user to have."""
    ssh = os.path.join(str(home), ".ssh")
    os.makedirs(ssh, mode=0o700, exist_ok=True)
    if not os.path.exists(os.path.join(ssh, "id_ed25519.pub")):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "quick-start", "-f", os.path.join(ssh, "id_ed25519")],
                       check=True, capture_output=True)
    with open(os.path.join(ssh, "id_ed25519.pub")) as handle:
        return handle.read().strip()


def assert_quick_start_state(emulator, public_key):
    """What the emulator holds after the Quick start: the SSH key and web-1, stopped, in production, with the key."""
    state = emulator.state()
    production = emulator.project("production")
    keys = [key for key in state["sshKeys"] if key["name"] == "my-key"]
    assert len(keys) == 1 and keys[0]["projectId"] == production["id"]
    assert keys[0]["publicKey"].split()[:2] == public_key.split()[:2]
    node = [node for node in state["nodes"] if node["name"] == "fra1-n1"][0]
    instances = [inst for inst in state["instances"] if inst["name"] == "web-1"]
    assert len(instances) == 1
    web = instances[0]
    assert web["projectId"] == production["id"] and web["nodeId"] == node["id"]
    assert (web["osTemplate"], web["vcpus"], web["memoryMb"], web["diskGb"]) == ("Ubuntu 24.04", 2, 4096, 40)
    assert web["labels"] == {"role": "web"} and web["sshKeyIds"] == [keys[0]["id"]]
    assert web["status"] == "stopped"
    # Nothing landed in the default project.
    assert [inst for inst in state["instances"] if inst["projectId"] != production["id"]] == []
    return state


def warnings_in(output):
    return [line for line in output.splitlines() if "WARNING" in line or "DEPRECATION" in line]


def test_quick_start_runs_as_written(emulator_factory, tmp_path):
    """The playbook on this checkout, the key and URL from the environment as the README exports them."""
    emulator = emulator_factory(seed_projects="production", provision_seconds=1, transition_seconds=1)
    write_quick_start(tmp_path)
    home = tmp_path / "home"
    public_key = ssh_key(home)
    env = {"HOME": str(home)}
    command = [os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "hosts.yml", "quick-start.yml"]

    first = run_command(command, emulator=emulator, env=env, workdir=str(tmp_path))
    assert first.rc == 0, first
    assert {name for name in QUICK_START_TASKS if first.status(name) == "changed"} == CHANGED_FIRST
    assert warnings_in(first.output) == [], first
    assert emulator.write_key not in first.output
    assert {entry["keyPrefix"] for entry in emulator.requests()} == {emulator.write_key[:8]}
    state = assert_quick_start_state(emulator, public_key)

    # "or leave it as it is": a second run changes nothing and sends no write request.
    emulator.clear_requests()
    second = run_command(command, emulator=emulator, env=env, workdir=str(tmp_path))
    assert second.rc == 0, second
    assert [name for name in QUICK_START_TASKS if second.status(name) == "changed"] == []
    assert warnings_in(second.output) == [], second
    assert [entry for entry in emulator.requests() if entry["method"] != "GET"] == []
    assert emulator.state()["instances"] == state["instances"]


def test_quick_start_with_vault_as_the_readme_shows_it(emulator_factory, tmp_path):
    """The README's Vault variant: its play with the Quick start's tasks; the vault's key wins over HUC_API_KEY."""
    emulator = emulator_factory(seed_projects="production", provision_seconds=1, transition_seconds=1)
    blocks = [block for block in code_blocks(section(readme(), "Quick start"), "yaml") if not block.startswith("# ")]
    assert len(blocks) == 1, blocks
    play = yaml.safe_load(blocks[0])
    assert play[0]["vars_files"] == ["vault.yml"] and play[0]["tasks"] == []
    play[0]["tasks"] = yaml.safe_load(quick_start_playbook())[0]["tasks"]
    write_quick_start(tmp_path)
    (tmp_path / "quick-start.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    password = tmp_path / "vault-password"
    password.write_text("correct horse battery staple\n")
    vault_key = emulator.create_key(name="quick-start", permissions=["read", "write"])["key"]
    (tmp_path / "vault.yml").write_text(yaml.safe_dump({"vault_huc_api_key": vault_key}))
    subprocess.run([os.path.join(ANSIBLE_BIN, "ansible-vault"), "encrypt", "--vault-password-file", str(password), "vault.yml"],
                   cwd=str(tmp_path), env=base_env(), check=True, capture_output=True)
    assert vault_key not in (tmp_path / "vault.yml").read_text()
    home = tmp_path / "home"
    public_key = ssh_key(home)

    run = run_command([os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "hosts.yml", "quick-start.yml",
                       "--vault-password-file", str(password)],
                      emulator=emulator, env={"HOME": str(home)}, workdir=str(tmp_path))
    assert run.rc == 0, run
    assert warnings_in(run.output) == [], run
    assert vault_key not in run.output and emulator.write_key not in run.output
    assert {entry["keyPrefix"] for entry in emulator.requests()} == {vault_key[:8]}
    assert_quick_start_state(emulator, public_key)


def load_guide_tool():
    spec = importlib.util.spec_from_file_location("guide_md", os.path.join(ROOT, "tools", "guide_md.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_user_guide_galaxy_shows_is_generated_from_the_rst():
    """docs/guide.md (Galaxy's Documentation tab shows docs/*.md) is exactly what guide.rst gives: make guide."""
    tool = load_guide_tool()
    with open(os.path.join(ROOT, tool.SOURCE)) as handle:
        wanted = tool.render(handle.read())
    with open(os.path.join(ROOT, tool.TARGET)) as handle:
        assert handle.read() == wanted, "docs/guide.md differs from docs/docsite/rst/guide.rst: run make guide"
    # Only user documentation at the top of docs/: developer documents live in docs/dev/.
    assert sorted(name for name in os.listdir(os.path.join(ROOT, "docs")) if name.endswith(".md")) == ["guide.md"]


def test_the_guide_converter_refuses_what_it_does_not_know():
    tool = load_guide_tool()
    for text in ("Title\n=====\n\n.. note::\n   careful\n", "A :ref:`label` here.\n", "Para\n\n.. code-block:: cobol\n\n   x\n"):
        with pytest.raises(tool.GuideError):
            tool.render(text)
    assert tool.render("Top\n===\n\nSee `Other part`_ and ``x``.\n\nOther part\n----------\n\n* one\n  two\n#. three\n") == (
        tool.HEADER + "# Top\n\nSee [Other part](#other-part) and `x`.\n\n## Other part\n\n- one\n  two\n1. three\n")


# -- The README verbatim, from the built tarball, in a fresh venv (make readme) -------------------------------


def pins():
    with open(os.path.join(ROOT, "constraints-dev.txt")) as handle:
        return dict(line.strip().split("==") for line in handle if "==" in line and not line.startswith("#"))


def user_env(home, venv):
    """A new user's shell: the fresh venv first on PATH, a home of its own, nothing of this checkout or of the tests.
    pip may reach PyPI, pinned to constraints-dev.txt (what the rest of the tests run on); Galaxy is unreachable."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUC_", "ANSIBLE_", "PYTHON", "VIRTUAL_ENV"))}  # PIP_*: how this machine reaches PyPI
    env.update({
        "HOME": str(home),
        "PATH": os.pathsep.join([os.path.join(str(venv), "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "PIP_CONSTRAINT": os.path.join(ROOT, "constraints-dev.txt"),
        # The new home has no pip cache: share the real one, or every run downloads the same wheels again.
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "pip"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        # Any attempt to reach Galaxy fails at once instead of going out.
        "ANSIBLE_GALAXY_SERVER": "http://127.0.0.1:9/",
        "ANSIBLE_NOCOLOR": "1",
    })
    return env


def bash(script, cwd, env, timeout=900):
    """A README block as the user would paste it into bash (errors stop it)."""
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, "README block failed (rc %d):\n%s\n--- stdout\n%s\n--- stderr\n%s" % (
        proc.returncode, script, proc.stdout[-6000:], proc.stderr[-6000:])
    return proc


@pytest.mark.readme
def test_readme_verbatim_from_the_tarball_in_a_fresh_venv(tmp_path):
    """Build the tarball; a fresh venv with ansible-core; then, verbatim, the README's Installation (from the tarball,
    the requirements), the Quick start (the emulator from the installed collection, the playbook, twice) and the
    Playbooks commands (by FQCN), with no warning, and the emulator holds what they made."""
    dist, home, work, venv = (tmp_path / name for name in ("dist", "home", "work", "venv"))
    for path in (dist, home, work):
        path.mkdir()
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist), ROOT],
                   env=base_env(), check=True, capture_output=True)
    built = [name for name in os.listdir(str(dist)) if name.endswith(".tar.gz")]
    assert len(built) == 1, built
    # The README names a release tarball: the one built here, under that name, is what the user has downloaded.
    blocks = installation_commands()
    named = re.findall(r"\b(hostupcloud-cloud-[\w.+-]+\.tar\.gz)\b", "\n".join(blocks))
    assert len(named) == 1, blocks
    shutil.copy(os.path.join(str(dist), built[0]), str(work / named[0]))

    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    env = user_env(home, venv)
    bash("python3 -m pip install --quiet ansible-core==%s" % pins()["ansible-core"], work, env)
    public_key = ssh_key(home)

    # Installation, verbatim: into ~/.ansible/collections of the new home, then requests into the venv.
    for block in blocks:
        bash(block, work, env)
    collection = home / ".ansible" / "collections" / "ansible_collections" / "hostupcloud" / "cloud"
    with open(str(collection / "MANIFEST.json")) as handle:
        assert json.load(handle)["collection_info"]["version"] == built[0][len("hostupcloud-cloud-"):-len(".tar.gz")]
    assert subprocess.run([str(venv / "bin" / "python"), "-c", "import requests"], env=env, check=False).returncode == 0

    # Quick start, verbatim: the emulator in the background as a terminal of its own, then the playbook.
    start, run = quick_start_commands()
    bootstrap = home / "huc-emulator.json"
    log = (tmp_path / "emulator.log").open("w")
    emulator_shell = subprocess.Popen(["bash", "-euo", "pipefail", "-c", start], cwd=str(work), env=env, stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600  # it pip-installs FastAPI first
        while not bootstrap.exists():
            assert emulator_shell.poll() is None, (tmp_path / "emulator.log").read_text()
            assert time.monotonic() < deadline, "no %s after 600 s:\n%s" % (bootstrap, (tmp_path / "emulator.log").read_text())
            time.sleep(0.2)
        emulator = Emulator()
        emulator.bootstrap = json.loads(bootstrap.read_text())
        # The installed copy's emulator runs, not this checkout's.
        if os.path.exists("/proc/%d/cwd" % emulator.bootstrap["pid"]):
            assert os.path.realpath("/proc/%d/cwd" % emulator.bootstrap["pid"]) == os.path.realpath(str(collection))

        write_quick_start(work)
        first = bash(run, work, env)
        output = first.stdout + first.stderr
        assert warnings_in(output) == [], output
        assert re.search(r"^localhost\s+: ok=4 +changed=3 +unreachable=0 +failed=0", output, re.M), output
        assert emulator.write_key not in output
        state = assert_quick_start_state(emulator, public_key)

        emulator.clear_requests()
        second = bash(run, work, env)
        output = second.stdout + second.stderr
        assert warnings_in(output) == [], output
        assert re.search(r"^localhost\s+: ok=4 +changed=0 +unreachable=0 +failed=0", output, re.M), output
        assert [entry for entry in emulator.requests() if entry["method"] != "GET"] == []
        assert emulator.state()["instances"] == state["instances"]

        # Playbooks, verbatim, by FQCN from the installed collection (the URL and key as the Quick start exported them),
        # on the emulator's initial state (the fleet has a web-1 of its own).
        emulator.reset()
        playbooks = code_blocks(section(readme(), "Playbooks"), "bash")
        assert len(playbooks) == 1 and "ansible-playbook -i hosts.yml hostupcloud.cloud.provision" in playbooks[0], playbooks
        exports = "\n".join(line for line in run.splitlines() if line.startswith("export "))
        provision = bash(exports + "\n" + playbooks[0], work, env)
        output = provision.stdout + provision.stderr
        # The example fleet gives no ssh_keys (the README says so): only that warning, once, naming the instances.
        assert [line for line in warnings_in(output) if "created with no SSH key" not in line] == [], output
        assert len([line for line in warnings_in(output) if "created with no SSH key" in line]) == 1, output
        with open(os.path.join(ROOT, "playbooks", "vars", "fleet.yml")) as handle:
            fleet = {item["name"] for item in yaml.safe_load(handle)["instances_list"]}
        production = emulator.project("production")["id"]
        assert fleet <= {inst["name"] for inst in emulator.state()["instances"] if inst["projectId"] == production}
    finally:
        os.killpg(emulator_shell.pid, signal.SIGTERM)
        emulator_shell.wait(timeout=30)
        log.close()
