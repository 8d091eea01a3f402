"""README.md's Quick start runs as written: its playbook, taken verbatim from the README, against the emulator."""

import os
import re
import subprocess

import yaml

from tests.functional.playbook import ANSIBLE_BIN, ROOT, base_env, run_command

README = os.path.join(ROOT, "README.md")


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


def quick_start_playbook():
    """The first yaml block of the Quick start section, exactly as the README prints it."""
    with open(README) as handle:
        blocks = code_blocks(section(handle.read(), "Quick start"), "yaml")
    assert blocks, "the Quick start section of README.md has no ```yaml block"
    return blocks[0]


def test_the_playbook_is_taken_verbatim():
    playbook = quick_start_playbook()
    with open(README) as handle:
        assert "```yaml\n" + playbook + "```" in handle.read()
    plays = yaml.safe_load(playbook)
    assert isinstance(plays, list) and plays[0]["hosts"] == "localhost"
    assert [task["name"] for task in plays[0]["tasks"]] == ["Create it (or leave it as it is)", "Stop it for the night"]


def run_quick_start(emulator, workdir, vault_password):
    """ansible-playbook on the README's playbook: the key in a vault file (vault_huc_api_key, as the playbook
    expects it), the URL in HUC_API_URL (the README: credentials come from module_defaults or the environment)."""
    command = [os.path.join(ANSIBLE_BIN, "ansible-playbook"), "quick-start.yml",
               "-e", "@vault.yml", "--vault-password-file", str(vault_password)]
    return run_command(command, emulator=emulator, workdir=str(workdir))


def test_quick_start_runs_as_written(emulator_factory, tmp_path):
    emulator = emulator_factory(seed_projects="production", provision_seconds=1, transition_seconds=1)
    (tmp_path / "quick-start.yml").write_text(quick_start_playbook())
    password = tmp_path / "vault-password"
    password.write_text("correct horse battery staple\n")
    # The vault holds a key of its own, so the request log shows that the playbook's module_defaults are in effect.
    vault_key = emulator.create_key(name="quick-start", permissions=["read", "write"])["key"]
    (tmp_path / "vault.yml").write_text(yaml.safe_dump({"vault_huc_api_key": vault_key}))
    subprocess.run([os.path.join(ANSIBLE_BIN, "ansible-vault"), "encrypt", "--vault-password-file", str(password), "vault.yml"],
                   cwd=str(tmp_path), env=base_env(), check=True, capture_output=True)
    assert vault_key not in (tmp_path / "vault.yml").read_text()

    first = run_quick_start(emulator, tmp_path, password)
    assert first.rc == 0, first
    assert first.status("Create it (or leave it as it is)") == "changed"
    assert first.status("Stop it for the night") == "changed"
    assert vault_key not in first.output and emulator.write_key not in first.output
    assert {entry["keyPrefix"] for entry in emulator.requests()} == {vault_key[:8]}

    state = emulator.state()
    production = emulator.project("production")
    node = [node for node in state["nodes"] if node["name"] == "fra1-n1"][0]
    instances = [inst for inst in state["instances"] if inst["name"] == "web-1"]
    assert len(instances) == 1
    web = instances[0]
    assert web["projectId"] == production["id"] and web["nodeId"] == node["id"]
    assert (web["osTemplate"], web["vcpus"], web["memoryMb"], web["diskGb"]) == ("Ubuntu 24.04", 2, 4096, 40)
    assert web["labels"] == {"role": "web"}
    assert web["status"] == "stopped"
    # Nothing landed in the default project.
    assert [inst for inst in state["instances"] if inst["projectId"] != production["id"]] == []

    # "or leave it as it is": a second run changes nothing and sends no write request.
    emulator.clear_requests()
    second = run_quick_start(emulator, tmp_path, password)
    assert second.rc == 0, second
    assert second.status("Create it (or leave it as it is)") == "ok"
    assert second.status("Stop it for the night") == "ok"
    assert [entry for entry in emulator.requests() if entry["method"] != "GET"] == []
    assert emulator.state()["instances"] == state["instances"]
