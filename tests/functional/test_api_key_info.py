"""huc_api_key_info through ansible-playbook: keys without secrets, expiry computed on the API's clock."""

from datetime import datetime, timedelta

MODULE = "hostupcloud.cloud.huc_api_key_info"
DAY = 86400
FIELDS = {"id", "name", "prefix", "permissions", "status", "expires_at", "created_at", "last_used_at", "expired",
          "expires_in_days"}


def info(title, **options):
    return {"name": title, MODULE: options}


def test_lists_keys_without_secrets_in_one_request(play, emulator):
    ci = emulator.create_key(name="ci", permissions=["write"], expiresAt="2099-01-01T00:00:00Z")
    emulator.create_key(name="ci", permissions=["read"], status="revoked")
    emulator.clear_requests()
    run = play([info("all"), info("named", name="ci"), info("nothing", name="nope")],
               key=emulator.read_key, args=["--check", "-vvvv"])
    assert run.rc == 0, run
    keys = run.task("all")["api_keys"]
    assert [key["name"] for key in keys] == ["bootstrap-write", "bootstrap-read", "ci", "ci"]
    assert all(set(key) == FIELDS for key in keys)
    assert keys[2] == dict(keys[2], id=ci["id"], prefix=ci["prefix"], permissions=["read", "write"], status="active",
                           expires_at="2099-01-01T00:00:00Z", expired=False, last_used_at=None)
    assert keys[3]["status"] == "revoked" and keys[3]["expires_at"] is None and keys[3]["expires_in_days"] is None
    assert [key["name"] for key in run.task("named")["api_keys"]] == ["ci", "ci"]
    assert run.task("nothing")["api_keys"] == []
    assert ci["key"] not in run.output and emulator.read_key not in run.output
    assert [(r["method"], r["path"], r["keyPrefix"]) for r in emulator.requests()] == [
        ("GET", "/api/api-keys", emulator.read_key[:8])] * 3


def advance(emulator, seconds):
    """A task moving the emulator's clock (as emulator.advance does) between two tasks of one playbook."""
    return {"name": "advance %s s" % seconds, "ansible.builtin.uri": {
        "url": emulator.base_url + "/_emulator/clock", "method": "POST", "body_format": "json",
        "body": {"advanceSeconds": seconds}}}


def test_expiry_is_counted_on_the_api_clock(play, emulator):
    """The emulator clock moves, the controller's does not: the days follow the API's Date header."""
    now = datetime.strptime(emulator.clock()["now"], "%Y-%m-%dT%H:%M:%SZ")
    past = (now - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    emulator.create_key(name="gone", permissions=["read"], expiresAt=past)
    run = play([{"name": "issue", "hostupcloud.cloud.huc_api_key": {"name": "ten", "expires_in_days": 10}},
                info("now", name="ten"), info("gone", name="gone"),
                advance(emulator, 3.5 * DAY), info("later", name="ten"),
                advance(emulator, 7 * DAY), info("expired", name="ten")])
    assert run.rc == 0, run
    assert 9.99 <= run.task("now")["api_keys"][0]["expires_in_days"] <= 10
    gone = run.task("gone")["api_keys"][0]
    assert gone["expired"] is True and gone["status"] == "active" and -0.26 <= gone["expires_in_days"] <= -0.24

    later = run.task("later")["api_keys"][0]
    assert 6.49 <= later["expires_in_days"] <= 6.5 and later["expired"] is False
    expired = run.task("expired")["api_keys"][0]
    assert expired["expired"] is True and -0.51 <= expired["expires_in_days"] <= -0.49
