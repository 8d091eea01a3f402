# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Protection against deletion (and an instance's rebuild): the option, and the refusals. Private.

The API refuses a DELETE of a resource with protection.delete (409 protected); the modules refuse it
themselves, before any write and in check mode alike, saying how to lift it. huc_fleet's prune and the
instances role's prune skip a protected instance with a warning.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field


def given(value):
    """The flags the task gives (a flag left out, null, is left as it is)."""
    return dict((flag, on) for flag, on in value.items() if on is not None)


class Protection(Field):
    """protection: {flag: bool}; only the flags the task gives are compared and changed, the others are kept (a new
    resource has them off: a create sends every flag, as the API fills them in)."""

    def __init__(self, *flags):
        super(Protection, self).__init__("protection", "dict", update=True, normalize=given, purge="protection",
                                         options=dict((flag, {"type": "bool"}) for flag in flags))
        self.off = dict((flag, False) for flag in flags)

    def merged(self, have, wanted, purge):
        return dict(have or self.off, **wanted)


def delete_protected(obj):
    """Whether obj (an API object) is protected against deletion."""
    return bool((obj.get("protection") or {}).get("delete"))


def refuse_delete(module, obj):
    """Fail before any write (check mode too) when obj is protected against deletion."""
    if obj is not None and delete_protected(obj):
        module.fail("%s %s is protected against deletion (protection.delete is true): lift it first with a task that "
                    "sets protection: {delete: false} (state: present), then delete it"
                    % (module.kind, module.name_of(obj)), code="protected", details={"protection.delete": "is true"})


def unprotected(module, doomed, what):
    """The objects of doomed that may be deleted; a warning names the protected ones, which are kept."""
    kept = [obj for obj in doomed if delete_protected(obj)]
    if kept:
        module.module.warn("%s skipped %s protected against deletion (protection.delete): %s; lift it with "
                           "protection: {delete: false} to let them go" % (
                               what, "this instance" if len(kept) == 1 else "these instances",
                               ", ".join(sorted(str(module.name_of(obj)) for obj in kept))))
    return [obj for obj in doomed if not delete_protected(obj)]
