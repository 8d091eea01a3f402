"""Unit tests of the rotation of huc_api_key (_api_keys.Rotation) with a fake client: its steps, their requests."""

import os
import stat
from datetime import datetime, timezone

import pytest

from ansible_collections.hostupcloud.cloud.plugins.module_utils._rotation import Refusal, Rotation, Wish
from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=timezone.utc)


class FakeClient:
    """API keys in a list; records (method, path, the key used) of every request."""

    def __init__(self, keys=(), fail=None):
        self.keys = [dict(key) for key in keys]
        self.calls = []
        self.fail = dict(fail or {})
        self.server_time = NOW
        self.key = "task"
        self.serial = 0

    def with_key(self, secret):
        other = FakeClient()
        other.__dict__.update(self.__dict__)
        other.key = secret
        other.record = self.record
        return other

    def record(self, method, path, key):
        self.calls.append((method, path, key))
        error = self.fail.pop((method, path), None)
        if error:
            raise error

    def list(self, path):
        self.record("GET", path, self.key)
        return [dict(key) for key in self.keys]

    def post(self, path, body=None, idempotent=False):
        assert idempotent
        self.record("POST", path, self.key)
        if path == "/api-keys":
            self.serial += 1
            secret = "huc_%04dsecret%030d" % (self.serial, self.serial)
            key = dict(body, id="new-%d" % self.serial, prefix=secret[:8], status="active",
                       createdAt="2026-11-26T10:00:0%dZ" % self.serial, lastUsedAt=None)
            self.keys.append(key)
            return dict(key, key=secret)
        key_id, action = path.split("/")[2:4]
        key = next(key for key in self.keys if key["id"] == key_id)
        key["status"] = "revoked" if action == "revoke" else "active"
        return dict(key)

    def delete(self, path):
        self.record("DELETE", path, self.key)
        self.keys = [key for key in self.keys if "/api-keys/%s" % key["id"] != path]


def wish(**options):
    values = dict(key_id=None, name="ci", permissions=None, expires_at=None, expires_in_days=None, state="present",
                  rotate="never", rotate_before_expiry_days=None, old_key="delete", key_file=None)
    values.update(options)
    return Wish(**values)


def used(key_id="old", name="ci", **fields):
    return dict(dict(id=key_id, name=name, prefix="huc_old0", permissions=["read"], status="active",
                     createdAt="2026-01-01T00:00:00Z", lastUsedAt="2026-11-01T00:00:00Z", expiresAt=None), **fields)


def rotation(client, check_mode=False):
    warnings = []
    return Rotation(client, check_mode, warnings.append), warnings


def test_a_rotation_delivers_through_the_drop_and_keeps_no_step_state(tmp_path):
    client = FakeClient([used()])
    run, warnings = rotation(client)
    drop = str(tmp_path / "drop")
    outcome = run.run(wish(rotate="always"), drop)
    with open(drop) as stream:
        secret = stream.read()
    assert outcome.delivered and outcome.secret == secret and secret.startswith("huc_0001")
    assert stat.S_IMODE(os.stat(drop).st_mode) == 0o600
    assert outcome.changed and outcome.replaced_key_id == "old" and outcome.key["id"] == "new-1"
    assert outcome.before["id"] == "old" and outcome.after["id"] == "new-1" and not warnings
    # list, create, list again with the new key, delete the old key
    assert client.calls == [("GET", "/api-keys", "task"), ("POST", "/api-keys", "task"), ("GET", "/api-keys", secret),
                            ("DELETE", "/api-keys/old", "task")]
    assert sorted(vars(run)) == ["check_mode", "client", "warn"]


def test_without_a_drop_the_secret_is_for_the_result_and_key_file_keeps_it_out(tmp_path):
    outcome = rotation(FakeClient())[0].run(wish())
    assert outcome.secret.startswith("huc_") and not outcome.delivered and outcome.replaced_key_id is None
    key_file = tmp_path / "ci.key"
    outcome = rotation(FakeClient())[0].run(wish(key_file=str(key_file)), str(tmp_path / "drop"))
    assert outcome.secret is None and not outcome.delivered and key_file.read_text().startswith("huc_")
    assert not (tmp_path / "drop").exists()


def test_a_drop_that_cannot_be_created_fails_before_anything_is_issued(tmp_path):
    drop = tmp_path / "drop"
    drop.symlink_to(tmp_path / "elsewhere")
    client = FakeClient()
    with pytest.raises(HucApiError) as caught:
        rotation(client)[0].run(wish(), str(drop))
    assert "no key was issued" in str(caught.value) and caught.value.code == "key_delivery"
    assert client.calls == [("GET", "/api-keys", "task")] and not (tmp_path / "elsewhere").exists()


def test_a_secret_that_cannot_be_handed_over_deletes_the_new_key_again(tmp_path, monkeypatch):
    from ansible_collections.hostupcloud.cloud.plugins.module_utils import _rotation

    def refuse(_path, _secret):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_rotation, "write_delivery_file", refuse)
    client = FakeClient([used()])
    with pytest.raises(HucApiError) as caught:
        rotation(client)[0].run(wish(rotate="always"), str(tmp_path / "drop"))
    assert "the new key was deleted again and the old one kept" in str(caught.value)
    assert [key["id"] for key in client.keys] == ["old"] and client.calls[-1][:2] == ("DELETE", "/api-keys/new-1")


def test_check_mode_predicts_and_issues_nothing(tmp_path):
    client = FakeClient([used()])
    outcome = rotation(client, check_mode=True)[0].run(wish(rotate="always", expires_in_days=10), str(tmp_path / "d"))
    assert outcome.changed and outcome.key["id"] is None and outcome.key["expiresAt"] == "2026-12-06T10:00:00Z"
    assert outcome.secret is None and client.calls == [("GET", "/api-keys", "task")] and not os.listdir(str(tmp_path))


def test_select_and_decide_take_their_inputs_and_return_their_outputs():
    run, warnings = rotation(FakeClient())
    revoked = used("r1", status="revoked", createdAt="2025-01-01T00:00:00Z")
    active = used("a1")
    assert Rotation.select([revoked, active, used("x", name="other")], None, "ci") == (active, [revoked])
    assert Rotation.select([revoked], None, "ci") == (revoked, [])
    assert Rotation.select([active], "nope", None) == (None, [])
    with pytest.raises(Refusal) as caught:
        Rotation.select([active, used("a2")], None, "ci")
    assert "2 active API keys are named 'ci'" in caught.value.msg

    assert run.decide(active, wish(state="absent"), NOW) == ("delete", None)
    assert run.decide(None, wish(), NOW) == ("issue", None)
    assert run.decide(active, wish(state="revoked"), NOW) == ("revoke", active)
    assert run.decide(active, wish(), NOW) == ("enable", active)
    assert run.decide(active, wish(permissions=["write"], rotate="on_change"), NOW) == ("issue", active)
    soon = used(expiresAt="2026-12-01T00:00:00Z")
    assert run.decide(soon, wish(rotate_before_expiry_days=7), NOW) == ("issue", soon)
    assert run.decide(soon, wish(rotate_before_expiry_days=3), NOW) == ("enable", soon) and not warnings
    with pytest.raises(Refusal) as caught:
        run.decide(active, wish(permissions=["write"]), NOW)
    assert "cannot change permissions from ['read'] to ['read', 'write']" in caught.value.msg
    with pytest.raises(Refusal) as caught:
        run.decide(used(lastUsedAt=None), wish(), NOW)
    assert caught.value.code == "secret_never_delivered" and caught.value.result["api_key"]["id"] == "old"
    with pytest.raises(Refusal) as caught:
        run.decide(None, wish(state="revoked"), NOW)
    assert caught.value.msg == "no API key named 'ci' to revoke"


def test_converge_keeps_an_older_rival_and_deletes_its_own_key():
    client = FakeClient()
    run, warnings = rotation(client)
    rival = used("rival", createdAt="2026-11-26T09:59:59Z", lastUsedAt=None)
    new = dict(used("mine", createdAt="2026-11-26T10:00:00Z", lastUsedAt=None))
    client.keys = [rival, new]
    kept, ours = run.converge(new, "huc_mine", known_ids=set(), key_file=True)
    assert kept["id"] == "rival" and not ours and [key["id"] for key in client.keys] == ["rival"]
    assert "key_file was not written" in warnings[0]
    client.keys = [rival, new]
    assert run.converge(new, "huc_mine", known_ids={"rival"}) == (new, True)


def test_retire_warns_instead_of_failing_and_a_gone_key_is_retired():
    client = FakeClient([used()], fail={("DELETE", "/api-keys/old"): HucApiError("boom", status=503)})
    run, warnings = rotation(client)
    run.retire(used(), "delete")
    assert warnings == ["the new key was issued, but the old key old could not be deleted: boom"]
    client.fail[("POST", "/api-keys/old/revoke")] = HucApiError("gone", status=404)
    run.retire(used(), "revoke")
    run.retire(used(status="revoked"), "revoke")  # revoked already: no request
    assert len(warnings) == 1 and client.calls[-1] == ("POST", "/api-keys/old/revoke", "task")


def test_a_rotation_killed_after_the_issue_leaves_an_orphan_the_next_run_deletes(tmp_path):
    """Issue 23: the replacement was issued, never used and its secret is nowhere; key_file holds the old key."""
    key_file = tmp_path / "ci.key"
    key_file.write_text("huc_old0" + "x" * 36)
    orphan = used("orphan", prefix="huc_orph", createdAt="2026-11-26T09:00:00Z", lastUsedAt=None)
    client = FakeClient([used(expiresAt="2026-11-28T00:00:00Z"), orphan])
    run, warnings = rotation(client)
    outcome = run.run(wish(key_file=str(key_file), rotate_before_expiry_days=7, old_key="revoke"))
    assert outcome.changed and outcome.replaced_key_id == "old" and outcome.key["id"] == "new-1"
    assert [(key["id"], key["status"]) for key in client.keys] == [("old", "revoked"), ("new-1", "active")]
    assert ("DELETE", "/api-keys/orphan", "task") in client.calls and "was issued by a run that was stopped" in warnings[0]
    assert key_file.read_text().startswith("huc_0001")


def test_leftovers_never_touch_a_used_key_a_held_key_or_keys_without_key_file(tmp_path):
    key_file = tmp_path / "ci.key"
    key_file.write_text("huc_old0" + "x" * 36)
    old, orphan = used(), used("orphan", prefix="huc_orph", createdAt="2026-11-26T09:00:00Z", lastUsedAt=None)
    assert Rotation.leftovers([old, orphan], wish(key_file=str(key_file))) == ([orphan], [])
    assert Rotation.leftovers([old, orphan], wish()) == ([], [])  # no key_file: fails as several active keys
    assert Rotation.leftovers([old, orphan], wish(key_file=str(key_file), key_id="old")) == ([], [])
    younger_used = dict(orphan, lastUsedAt="2026-11-26T09:30:00Z")
    assert Rotation.leftovers([old, younger_used], wish(key_file=str(key_file))) == ([], [])
    # key_file holds the newer key: the older, used one was replaced by a run stopped before it retired it.
    key_file.write_text("huc_orph" + "x" * 36)
    assert Rotation.leftovers([old, younger_used], wish(key_file=str(key_file))) == ([], [old])
    client = FakeClient([old, younger_used])
    outcome = rotation(client)[0].run(wish(key_file=str(key_file), old_key="keep"))
    assert not outcome.changed and outcome.replaced_key_id == "old" and outcome.key["id"] == "orphan"
    assert client.calls == [("GET", "/api-keys", "task")]
    outcome = rotation(client)[0].run(wish(key_file=str(key_file), old_key="revoke"))
    assert outcome.changed and outcome.replaced_key_id == "old" and client.keys[0]["status"] == "revoked"
    # An empty key_file (the secret kept elsewhere): the one used key is the task's own.
    key_file.write_text("")
    assert Rotation.leftovers([old, orphan], wish(key_file=str(key_file))) == ([orphan], [])


def test_a_symlink_or_a_path_that_leaves_its_directory_is_never_written(tmp_path):
    outside = tmp_path / "outside"
    (tmp_path / "keys").mkdir()
    link = tmp_path / "keys" / "ci.key"
    link.symlink_to(outside)
    for key_file, what in ((link, "is a symlink"), (tmp_path / "keys" / ".." / "escaped.key", "leaves its directory")):
        client = FakeClient()
        with pytest.raises(HucApiError) as caught:
            rotation(client)[0].run(wish(key_file=str(key_file)))
        assert what in str(caught.value) and caught.value.code == "key_file" and len(client.calls) == 1
    assert not outside.exists() and not (tmp_path / "escaped.key").exists() and os.path.islink(str(link))
