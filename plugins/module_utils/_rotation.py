# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rotation of huc_api_key, as one object. Private to this collection.

Rotation is one run of huc_api_key, step by step: select the key meant, decide what to do with it,
issue a new key, converge with a run that issued one of the same name at once, deliver the new
secret (key_file, the action plugin's hand-over file of _key_delivery.py, or the result) and retire
the key it replaces.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.hostupcloud.cloud.plugins.module_utils._api_keys import (
    api_now, check_writable, days_left, diff_view, fixed_changes, key_file_state, key_view, new_key_body, oldest_key,
    rivals_of, write_secret_file)
from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError
from ansible_collections.hostupcloud.cloud.plugins.module_utils._key_delivery import delivery_problem, write_delivery_file

Wish = namedtuple("Wish", ["key_id", "name", "permissions", "expires_at", "expires_in_days", "state", "rotate",
                           "rotate_before_expiry_days", "old_key", "key_file"])

# What a run did: key (an API key object, or None) after the run, whether that changed anything, the
# diff views before and after, the id of the key a new one replaced, the new secret unless it went
# into key_file, and whether it was handed over to the action plugin (else it goes into the result).
Outcome = namedtuple("Outcome", ["key", "changed", "before", "after", "replaced_key_id", "secret", "delivered"])


class Refusal(Exception):
    """A wish a run must not carry out as it stands: msg says why and what to do, code and details are for
    machines, result holds further fields of the failed result."""

    def __init__(self, msg, code="module_error", details=None, **result):
        super(Refusal, self).__init__(msg)
        self.msg = msg
        self.code = code
        self.details = details
        self.result = result


class Rotation:
    """One run of huc_api_key: select -> decide -> issue -> converge -> deliver -> retire.

    Each step takes what it works on as arguments and returns what it found or did; the object itself
    holds only what every step shares (the client, check mode, where warnings go), never a step's
    result. run() chains the steps. Every request is the client's, so a no-op costs one request (the
    list), an issue three (the list, the create, the list again), plus one to retire a replaced key.
    """

    def __init__(self, client, check_mode, warn):
        self.client = client
        self.check_mode = check_mode
        self.warn = warn

    def run(self, wish, drop=None):
        """Carry out wish: an Outcome, or Refusal (HucApiError for the API's refusals).

        drop is the file the action plugin asked a new secret to be handed over in (None: it did not ask).
        """
        keys = self.client.list("/api-keys")
        orphans, superseded = self.leftovers(keys, wish)
        left = [key for key in keys if key not in orphans and key not in superseded]
        current, others = self.select(left, wish.key_id, wish.name)
        now = api_now(self.client)
        before = diff_view(current)
        action, subject = self.decide(current, wish, now)
        if action == "delete":
            self.delete(([current] if current else []) + others)
            return Outcome(current, current is not None, before, None, None, None, False)
        cleaned = self.clean_up(orphans)
        if action in ("revoke", "enable"):
            key, changed = self.set_status(subject, action)
            # The rotation that issued current was interrupted before it retired the key current replaced.
            retired = self.retire_all(superseded, wish.old_key)
            replaced_key_id = superseded[-1]["id"] if superseded else None
            return Outcome(key, changed or cleaned or retired, before, diff_view(key), replaced_key_id, None, False)
        old = subject
        replaced_key_id = old["id"] if old else None
        body = new_key_body(old or {}, wish.name, wish.permissions, wish.expires_at, wish.expires_in_days, now)
        if self.check_mode:
            new = dict(body, id=None, prefix=None, status="active", createdAt=None)
            return Outcome(new, True, before, diff_view(new), replaced_key_id, None, False)
        new, secret = self.issue(body, wish.key_file, drop)
        # Keys listed before the create are not rivals of the new key (see converge).
        kept, ours = self.converge(new, secret, set(key.get("id") for key in keys), bool(wish.key_file))
        if not ours:  # another run's key keeps the name; ours is deleted again, old is that run's to retire
            return Outcome(kept, cleaned, before, diff_view(kept), None, None, False)
        delivered = self.deliver(kept, secret, wish.key_file, drop)
        self.retire_all(([old] if old else []) + superseded, wish.old_key)
        return Outcome(kept, True, before, diff_view(kept), replaced_key_id, None if wish.key_file else secret,
                       delivered)

    @staticmethod
    def leftovers(keys, wish):
        """What an interrupted rotation left among the active keys of wish's name: (orphans, superseded).

        Only for a task with a key_file (its place for the secret), by name, when several active keys have
        the name and one of them is the task's own: the one whose secret key_file holds, or, with an empty
        key_file (a secret kept elsewhere), the only one that has been used. Orphans are the active keys
        created after it that nobody has used: a run issued them and was stopped before the secret was
        stored anywhere (key_file would hold it, and the issuing run uses a new key before it stores the
        secret), so nobody can use them. Superseded are the used active keys created before the one
        key_file holds: a run stored a new secret and was stopped before it retired the key it replaced.
        Anything else (a used key created after the task's own, a never used older one) is left as it is,
        and several active keys then fail as ever. Nothing is ever found without key_file or with id.
        """
        if wish.key_id or not wish.key_file or wish.state != "present":
            return [], []
        active = [key for key in keys if key.get("name") == wish.name and key.get("status") == "active"]
        if len(active) < 2:
            return [], []
        held = [key_file_state(wish.key_file, key) for key in active]
        if held.count("match") == 1:
            own = active[held.index("match")]
        elif set(held) == set(["empty"]) and len([key for key in active if key.get("lastUsedAt")]) == 1:
            own = next(key for key in active if key.get("lastUsedAt"))
        else:
            return [], []
        younger = [key for key in active if key is not own and oldest_key(keys, [own, key]) is own]
        older = [key for key in active if key is not own and key not in younger]
        if any(key.get("lastUsedAt") for key in younger) or not all(key.get("lastUsedAt") for key in older):
            return [], []
        if older and held.count("match") != 1:
            return [], []
        return younger, sorted(older, key=lambda key: key.get("createdAt") or "")

    def clean_up(self, orphans):
        """Delete the orphans of an interrupted rotation (none in check mode), each with a warning; True if any."""
        for key in orphans:
            self.warn("API key %r (%s, prefix %s, created %s) was issued by a run that was stopped before it stored the "
                      "secret: it has never been used and key_file does not hold it, so nobody can use it; it %s deleted"
                      % (key.get("name"), key["id"], key.get("prefix"), key.get("createdAt"),
                         "would be" if self.check_mode else "was"))
            if not self.check_mode:
                self.delete_key(key["id"])
        return bool(orphans)

    def retire_all(self, keys, how):
        """Retire each key as how says (none with "keep", none in check mode); True if there were any to retire."""
        if how == "keep" or not keys:
            return False
        if not self.check_mode:
            for key in keys:
                self.retire(key, how)
        return True

    @staticmethod
    def select(keys, key_id, name):
        """(the key meant or None, the other keys of its name); Refusal when several active keys have the name.

        Keys replaced with old_key=revoke keep their name, so among keys of one name the single active
        one is meant, or the newest when all are revoked.
        """
        if key_id:
            return next((key for key in keys if key.get("id") == key_id), None), []
        named = sorted((key for key in keys if key.get("name") == name), key=lambda key: key.get("createdAt") or "")
        active = [key for key in named if key.get("status") == "active"]
        if len(active) > 1:
            raise Refusal("%d active API keys are named %r: %s; set id to choose one" % (
                len(active), name, ", ".join("%s (prefix %s)" % (key.get("id"), key.get("prefix")) for key in named)))
        chosen = active[0] if active else (named[-1] if named else None)
        return chosen, [key for key in named if key is not chosen]

    def decide(self, current, wish, now):
        """What to do, as (action, subject): ("delete", None), ("revoke", current), ("enable", current) or
        ("issue", the key to replace or None). Warns about what stays as it is; Refusal for what must not."""
        if wish.state == "absent":
            return "delete", None
        if current is None:
            if wish.state == "revoked" or wish.key_id:
                what = "with id %s" % wish.key_id if wish.key_id else "named %r" % wish.name
                raise Refusal("no API key %s%s" % (
                    what, " to revoke" if wish.state == "revoked" else "; only name (without id) issues a key"))
            return "issue", None
        if wish.state == "revoked":
            return "revoke", current
        changes = fixed_changes(current, wish.name if wish.key_id else None, wish.permissions, wish.expires_at)
        if changes and wish.rotate == "never":
            raise Refusal("API key %r (%s) cannot change %s: the name, permissions and expiry of a key are fixed when "
                          "it is issued; set rotate=on_change to replace it with a new key"
                          % (current["name"], current["id"], changes))
        left = days_left(current, now)
        soon = wish.rotate_before_expiry_days
        if wish.rotate == "always" or changes or (soon is not None and left is not None and left <= soon):
            return "issue", current
        expired = left is not None and left <= 0
        if expired:
            self.warn("API key %r expired at %s; set rotate_before_expiry_days or rotate=always to replace it"
                      % (current["name"], current["expiresAt"]))
        held = key_file_state(wish.key_file, current) if wish.key_file else None
        if held == "missing":
            # Nobody can put the secret there again: a new key, its secret into key_file, replaces it.
            self.warn("key_file %s does not exist and the secret of API key %r (%s) cannot be shown again, "
                      "so a new key replaces it" % (wish.key_file, current["name"], current["id"]))
            return "issue", current
        if held == "other":
            self.warn("key_file %s holds the secret of another key, not of API key %r (%s, prefix %s); run once "
                      "with rotate=always to issue a new key into it"
                      % (wish.key_file, current["name"], current["id"], current.get("prefix")))
        if held in (None, "empty", "other") and not wish.key_id and not expired and not current.get("lastUsedAt"):
            # Never used, not even once by the task that issued it: nobody can have its secret.
            why = "no key_file is set" if held is None else "key_file %s %s" % (
                wish.key_file, "is empty" if held == "empty" else "holds another secret")
            raise Refusal("API key %r (%s, prefix %s, created %s) has never been used, and this task does not have its "
                          "secret (%s): it looks like a key whose secret never arrived (an attempt to issue it lost the "
                          "API's answer), so nobody can use it. Run once with rotate=always to replace it by a new key "
                          "(or state=absent to delete it); if you do hold its secret, use it once and run again"
                          % (current["name"], current["id"], current.get("prefix"), current.get("createdAt"), why),
                          code="secret_never_delivered", details={"id": current["id"], "prefix": current.get("prefix")},
                          api_key=key_view(current))
        return "enable", current

    def delete(self, keys):
        """Delete keys (none in check mode); a key gone already (a lost answer, a retry) is done."""
        if not self.check_mode:
            for key in keys:
                self.delete_key(key["id"])

    def set_status(self, key, action):
        """Revoke or enable key ("revoke", "enable"): (the key after, whether that changed it)."""
        status = "revoked" if action == "revoke" else "active"
        if key["status"] == status:
            return key, False
        if self.check_mode:
            return dict(key, status=status), True
        return self.client.post("/api-keys/%s/%s" % (key["id"], action), idempotent=True), True

    def issue(self, body, key_file, drop):
        """Create the key of body: (the key object, its secret).

        Where the secret is to go (key_file, else the hand-over file drop) is checked first, so a secret
        that could not be stored fails before anything is issued. The Idempotency-Key makes a retried
        create return the first answer, secret included; a lookup by name cannot (names repeat and lists
        hold no secrets), so none is made.
        """
        if key_file:
            problem = check_writable(key_file)
            if problem:
                raise HucApiError("key_file: cannot write %s: %s; no key was issued" % (key_file, problem), code="key_file")
        elif drop:
            problem = delivery_problem(drop)
            if problem:
                raise HucApiError("cannot hand a new secret over to the action plugin: %s; no key was issued" % problem,
                                  code="key_delivery")
        try:
            new = self.client.post("/api-keys", body, idempotent=True)
        except HucApiError as error:
            if error.code == "network_error" or (error.status or 0) >= 500:
                error.api_message += ("; the API may have issued the key all the same, its secret lost on the way: "
                                      "a rerun finds such a key (never used) and replaces it, or says how to")
                error.args = (error.describe(),)
            raise
        return new, new.pop("key", None)

    def converge(self, new, secret, known_ids, key_file=False):
        """(the key that keeps the name once new is issued, whether it is new): new, or an older rival.

        Two runs issuing one name at once both find no key and both create one. Each lists the keys again
        (with its new key, which marks that key used: its secret has arrived), and of the active keys of
        the name that were not there before (known_ids), the oldest stays (createdAt, then the API's list
        order, which is the order of creation within a second, then id). A run whose key is not that one
        deletes its own; a run whose key it is leaves the others alone (their runs delete their own). The
        run that created a key later always sees the earlier key, so one key stays however the re-lists
        interleave.
        """
        try:
            keys, refused = self.relist(secret)
        except HucApiError as error:
            self.warn("API key %r (%s) was issued, but the keys could not be listed again to check that no other run "
                      "issued one of this name at the same time: %s" % (new.get("name"), new["id"], error.describe()))
            return new, True
        mine = next((key for key in keys if key.get("id") == new["id"]), None)
        if mine is None:  # not listed (yet): nothing to compare it with
            if refused == "invalid_api_key":  # the API does not know the new key any more
                raise HucApiError("API key %r (%s) was issued, but it was deleted again before its secret was stored "
                                  "(another run took it for the leftover of an interrupted rotation); nothing was "
                                  "stored and the old key is kept: run again" % (new.get("name"), new["id"]),
                                  code="key_deleted")
            return new, True
        rivals = rivals_of(new, keys, known_ids)
        kept = oldest_key(keys, [mine] + rivals)
        if kept is mine:
            return mine, True
        try:
            self.delete_key(new["id"])
        except HucApiError as error:  # keep our key and its secret: better two keys than one nobody has
            self.warn("another run issued API key %r (%s) at the same time, and the key this task issued (%s) could "
                      "not be deleted again: %s; %d active keys now have this name"
                      % (kept.get("name"), kept["id"], new["id"], error.describe(), len(rivals) + 1))
            return mine, True
        self.warn("another run issued API key %r at the same time (%s, prefix %s, created %s): it keeps the name, and "
                  "the key this task issued (%s, created %s) was deleted again. This task has no secret for the key that "
                  "stays%s" % (kept.get("name"), kept["id"], kept.get("prefix"), kept.get("createdAt"), new["id"],
                               new.get("createdAt"), "; key_file was not written" if key_file else ""))
        return kept, False

    def relist(self, secret):
        """(the key list, None), read with the new key itself when it can (setting its last use), else with the
        task's key: (the key list, the error code the new key got)."""
        refused = None
        if secret:
            try:
                return self.client.with_key(secret).list("/api-keys"), None
            except HucApiError as error:
                refused = error.code  # the new key cannot list (already expired, say): the task's own key can
        return self.client.list("/api-keys"), refused

    def deliver(self, new, secret, key_file, drop):
        """Store the secret of the key new in key_file when set, else in the action plugin's hand-over file
        drop when it asked; True when drop holds it (else the secret is for the result).

        When the secret cannot be stored, new is deleted again (the old key is kept) and the run fails.
        """
        if key_file:
            store, where = write_secret_file, "key_file: cannot write %s" % key_file
        elif secret and drop:
            store, where = write_delivery_file, "cannot hand the new secret over to the action plugin in %s" % drop
        else:
            return False
        try:
            store(key_file or drop, secret)
        except OSError as error:
            self.delete_key(new["id"])
            raise HucApiError("%s: %s; the new key was deleted again and the old one kept"
                              % (where, error.strerror or type(error).__name__), code="key_file" if key_file else "key_delivery")
        return not key_file

    def retire(self, old, how):
        """Delete the replaced key old, or revoke it (how="revoke") unless it is revoked already; a key gone already
        is retired. An error only warns: the new key stands and its secret is not lost."""
        try:
            if how == "delete":
                self.delete_key(old["id"])
            elif old.get("status") != "revoked":
                try:
                    self.client.post("/api-keys/%s/revoke" % old["id"], idempotent=True)
                except HucApiError as error:
                    if error.status != 404:
                        raise
        except HucApiError as error:
            self.warn("the new key was issued, but the old key %s could not be %sd: %s" % (old["id"], how, error.describe()))

    def delete_key(self, key_id):
        """Delete a key; a 404 means it is gone already (a retried DELETE whose first answer was lost, or someone else's)."""
        try:
            self.client.delete("/api-keys/%s" % key_id)
        except HucApiError as error:
            if error.status != 404:
                raise
