# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API key helpers of huc_api_key and huc_api_key_info: times, views, key files. Private to this collection.

Times are counted on the API's clock (the Date header of its last answer), so a skewed controller
clock never makes a key look fresher or older than the API thinks it is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import tempfile
from datetime import datetime, timedelta, timezone

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import to_snake
from ansible_collections.hostupcloud.cloud.plugins.module_utils._key_delivery import directory_problem

KEY_FIELDS = ("id", "name", "prefix", "permissions", "status", "expires_at", "created_at", "last_used_at")
DIFF_FIELDS = ("id", "name", "prefix", "permissions", "status", "expires_at")
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DAY = 86400.0


def parse_time(text):
    """An aware UTC datetime from an ISO 8601 date or date-time; no offset means UTC. ValueError if unreadable."""
    value = str(text).strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def format_time(moment):
    return moment.astimezone(timezone.utc).strftime(ISO_FORMAT)


def normalize_time(text):
    """The API form (2027-01-31T00:00:00Z) of an ISO 8601 date or date-time; None stays None."""
    return None if text in (None, "") else format_time(parse_time(text))


def normalize_permissions(permissions):
    """Write implies read, as the API stores it."""
    return ["read", "write"] if "write" in (permissions or []) else ["read"]


def api_now(client):
    """The API's clock from the Date header of its last answer; the local clock only if it sent none."""
    now = client.server_time
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


def days_left(key, now):
    """Days until an API key object expires (negative once expired); None when it never does."""
    if not key.get("expiresAt"):
        return None
    return (parse_time(key["expiresAt"]) - now).total_seconds() / DAY


def same_lifetime(key, now):
    """An expiry as far from now as the key's was from its creation; None for a key without expiry."""
    if not key.get("expiresAt") or not key.get("createdAt"):
        return None
    return format_time(now + (parse_time(key["expiresAt"]) - parse_time(key["createdAt"])))


def key_view(key):
    """The result form of an API key object: the documented fields in snake_case, never a secret."""
    if key is None:
        return None
    snake = to_snake(key)
    return dict((field, snake.get(field)) for field in KEY_FIELDS)


def diff_view(key):
    """What a diff shows of a key: its identity and managed fields, no times of use, never a secret."""
    view = key_view(key)
    return dict((field, view[field]) for field in DIFF_FIELDS) if view else None


def fixed_changes(key, name, permissions, expires_at):
    """How the wished name, permissions and expiry (None: not wished) differ from a key, as text; "" if not."""
    have = {"name": key.get("name"), "permissions": normalize_permissions(key.get("permissions")),
            "expires_at": normalize_time(key.get("expiresAt"))}
    wanted = {"name": name, "permissions": normalize_permissions(permissions) if permissions else None,
              "expires_at": expires_at}
    return "; ".join("%s from %r to %r" % (option, have[option], value)
                     for option, value in sorted(wanted.items()) if value is not None and value != have[option])


def new_key_body(old, name, permissions, expires_at, expires_in_days, now):
    """The create body of a key replacing old ({} for none); unset options fall back to old's settings.

    A replacement without an expiry wish gets the lifetime of the key it replaces, counted from now.
    """
    body = {"name": name or old.get("name"), "permissions": normalize_permissions(permissions or old.get("permissions"))}
    if expires_at or expires_in_days:
        body["expiresAt"] = expires_at or format_time(now + timedelta(days=expires_in_days))
    elif old.get("expiresAt"):
        body["expiresAt"] = same_lifetime(old, now)
    return body


def path_problem(path):
    """None when key_file path names a file in its own directory that is not a symlink, else the reason.

    A symlink is never followed (nor replaced): it could lead the secret anywhere. A path with a ".."
    component leaves the directory it names on the way, so it is refused too, as is a path naming no file.
    """
    name = os.path.basename(path)
    if name in ("", ".", ".."):
        return "%s does not name a file" % path
    if ".." in path.replace(os.sep, "/").split("/"):
        return "%s leaves its directory (a .. component); give the path without it" % path
    if os.path.islink(path):
        return "%s is a symlink, which is never followed; give the path of the file itself" % path
    return None


def check_writable(path):
    """None when a file can be written at path, else the reason."""
    return path_problem(path) or directory_problem(path) or ("%s is a directory" % path if os.path.isdir(path) else None)


def write_secret_file(path, secret):
    """Write secret to path atomically with mode 0600: a new temporary file beside it (O_EXCL, never through a
    symlink), then a rename, which replaces path itself and never follows it. OSError when path is a symlink."""
    problem = path_problem(path)
    if problem:
        raise OSError(errno.ELOOP, problem)
    path = os.path.abspath(path)
    handle, tmp_path = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w") as stream:
            stream.write(secret)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def key_file_state(path, key):
    """What key_file holds of the key: missing, empty (a placeholder), match (its secret), other, or unknown."""
    if not os.path.lexists(path):
        return "missing"
    try:  # never through a symlink (check_writable refuses one before anything is issued)
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(handle) as stream:
            content = stream.read(256).strip()
    except (OSError, UnicodeDecodeError):
        return "unknown"
    if not content:
        return "empty"
    prefix = key.get("prefix")
    return "match" if prefix and content.startswith(prefix) else "other"


def oldest_key(keys, candidates):
    """Of candidates (keys of the list keys), the one created first: the oldest createdAt, then the first listed.

    createdAt has whole seconds; the API lists keys in the order they were created (below the second),
    so of keys created within one second the first listed is the oldest, for every run that lists them.
    The id breaks a tie that is left.
    """
    position = dict((id(key), index) for index, key in enumerate(keys))

    def order(key):
        try:
            created = format_time(parse_time(key.get("createdAt")))
        except (TypeError, ValueError, IndexError):
            created = "~"  # unreadable: after every real time
        return created, position.get(id(key), len(keys)), str(key.get("id"))

    return min(candidates, key=order)


def rivals_of(new, keys, known_ids):
    """The active keys of new's name in keys that were not there before (known_ids) and are not new."""
    return [key for key in keys if all((key.get("name") == new.get("name"), key.get("status") == "active",
                                        key.get("id") not in known_ids, key.get("id") != new.get("id")))]


# -- the rotation ----------------------------------------------------------------------------------

# What a task asks for, its options checked: expires_at in the API's form, key_id None without id.
