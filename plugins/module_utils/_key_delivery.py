# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hand-over of a newly issued API key secret from huc_api_key to its action plugin. Private to this collection.

The module's raw output is printed as it is with ANSIBLE_DEBUG, before the action plugin can mark it
no_log, so a new secret must not travel in it. Instead the action plugin names a file in the task's
own remote temporary directory (DELIVERY_ENV in the module's environment), the module creates that
file, mode 0600, with the secret in it and says so in its result (DELIVERED_FIELD), and the action
plugin fetches it through the connection and removes it. No cryptography: file permissions do the job.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

DELIVERY_ENV = "HUC_API_KEY_DELIVERY"
DELIVERED_FIELD = "_huc_key_delivered"
DELIVERY_FILE = "huc_api_key_secret"


def delivery_path(environ=None):
    """The file the action plugin asked the secret to be handed over in; None when run without it."""
    return (os.environ if environ is None else environ).get(DELIVERY_ENV) or None


def directory_problem(path):
    """None when a file can be made at path (its directory exists and is writable), else the reason."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(directory):
        return "directory %s does not exist" % directory
    if not os.access(directory, os.W_OK | os.X_OK):
        return "directory %s is not writable" % directory
    return None


def delivery_problem(path):
    """None when write_delivery_file can create path, else the reason."""
    return directory_problem(path) or ("%s exists already" % path if os.path.lexists(path) else None)


def write_delivery_file(path, secret):
    """Create path as a new file, mode 0600, holding exactly secret.

    Never opens anything that is there already: O_EXCL refuses an existing file or symlink (a dangling
    one too) and O_NOFOLLOW makes sure no symlink is followed; OSError then. When the module runs as
    root (become) in a directory that belongs to another user (the connection's, who fetches the file),
    the file is handed to that user. A file that could not be written whole is removed again.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    handle = os.open(path, flags, 0o600)
    try:
        os.fchmod(handle, 0o600)
        owner = os.stat(os.path.dirname(path) or ".").st_uid
        if os.geteuid() == 0 and owner != 0:
            os.fchown(handle, owner, -1)
        data = secret.encode("utf-8")
        while data:
            data = data[os.write(handle, data):]
    except BaseException:
        os.close(handle)
        os.unlink(path)
        raise
    os.close(handle)
