# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an instance's disk is written from (an OS template, a snapshot, a backup), and its rebuild. Private.

Rebuild is the endpoint of huc_instance's os_template: at creation it puts osTemplate or snapshotId in
the POST; on an existing instance a different source is a POST {item}/rebuild, refused before any write
without allow_rebuild or while protection.rebuild stays on. What the instance was made from is compared
through snapshotId and backupId, never through osTemplate alone: an instance made from a snapshot reports
the snapshot's template, and must not be rebuilt for it (the bug of hetzner.hcloud #580).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import NOT_SET, Endpoint, Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import PROVISION, Option

# The options that say what the disk is written from, one at a time (option -> API field of the rebuild body).
SOURCES = (("os_template", "osTemplate"), ("snapshot", "snapshotId"), ("backup", "backupId"))
OPTIONS = (Option("snapshot"), Option("backup"), Option("allow_rebuild", "bool", default=False))


class Source(dict):
    """A rebuild body, and what the run knows of it: created (the create's POST writes it: never a rebuild of
    the instance just made), waited (the run waits for running), template (the OS template it brings)."""

    def __init__(self, body, created=False, waited=True):
        super(Source, self).__init__(body)
        self.created = created
        self.waited = waited
        self.template = body.get("osTemplate")


def describe(source):
    """A source as a message names it."""
    key, value = next(iter(source.items()))
    return {"osTemplate": "OS template %s", "snapshotId": "snapshot %s", "backupId": "backup %s"}[key] % value


def made_from(obj):
    """What obj's disk was last written from, as a rebuild body."""
    for key in ("backupId", "snapshotId"):
        if obj.get(key):
            return {key: obj[key]}
    return {"osTemplate": obj.get("osTemplate")}


class Rebuild(Endpoint):
    """The source of an instance's disk: at creation in the POST, later POST {item}/rebuild and a wait."""

    def check(self, inputs):
        given = [option for option, _key in SOURCES if inputs.get(option) is not None]
        if len(given) > 1:
            return "os_template, snapshot and backup are mutually exclusive (the disk is written from one): got %s" % (
                ", ".join(given))
        return None

    def wanted(self, module, inputs):
        for option, key in SOURCES:
            if inputs.get(option) is not None:
                value = module.refs.id("snapshot", inputs[option]) if option == "snapshot" else inputs[option]
                return {key: value}
        return None

    def value(self, module, inputs, current):
        wanted = self.wanted(module, inputs)
        if current is None and wanted and "backupId" in wanted:
            module.fail("backup %s restores an existing instance, and instance %s does not exist; give os_template or "
                        "snapshot to create it" % (inputs["backup"], inputs.get("name")), code="not_found")
        if wanted is None:
            return NOT_SET
        if current is not None and "osTemplate" in wanted and not inputs.get("allow_rebuild") and self.differs(current, wanted):
            # Before 1.1.0 a different os_template on an existing instance was ignored with a warning; it still is
            # (SemVer), saying how to rebuild. A snapshot or backup, new options, is refused in refuse().
            module.module.warn("instance %s was made from %s; os_template %s was ignored: it applies at creation, or with "
                               "allow_rebuild: true, which rebuilds the instance from it (wiping its disk)"
                               % (module.name_of(current), describe(made_from(current)), inputs["os_template"]))
            return NOT_SET
        return Source(wanted, created=current is None, waited=bool(inputs.get("wait")))

    def derives(self, field, inputs):
        # a backup given for an instance to be made fails in value(), naming the backup
        return field is self.field and (inputs.get("snapshot") or inputs.get("backup")) is not None

    def differs(self, current, value):
        have = made_from(current)  # ids compare as text: an API with numeric ids answers 7 where the task gave "7"
        return set(have) != set(value) or any(str(have[key]) != str(value[key]) for key in value)

    def create_body(self, module, inputs, body):
        return dict(self.wanted(module, inputs))

    def refuse(self, module, obj, value, inputs):
        if value.created:
            if module.check_mode and "snapshotId" in value:  # the template the snapshot brings, as the real run says
                value.template = module.refs.get("snapshot", value["snapshotId"], called="snapshot").get("osTemplate")
            return
        name, source = module.name_of(obj), describe(value)
        if not inputs.get("allow_rebuild"):
            module.fail("instance %s was made from %s; rebuilding it from %s wipes its disk: set allow_rebuild: true to "
                        "let the module rebuild it" % (name, describe(made_from(obj)), source), code="rebuild_not_allowed")
        lifted = (inputs.get("protection") or {}).get("rebuild") is False
        if (obj.get("protection") or {}).get("rebuild") and not lifted:
            module.fail("instance %s is protected against rebuild (protection.rebuild is true): set protection: "
                        "{rebuild: false} (in this task or before it) to lift it" % name, code="protected",
                        details={"protection.rebuild": "is true"})
        if obj.get("status") not in ("running", "stopped"):
            module.fail("cannot rebuild instance %s: it is %s (a rebuild needs it running or stopped)"
                        % (name, obj.get("status")), code="invalid_state")
        if "snapshotId" in value:  # one GET: an unknown snapshot fails here, before any write
            value.template = module.refs.get("snapshot", value["snapshotId"], called="snapshot").get("osTemplate")
        if "backupId" in value:
            backups = module.client.list(module.item_path(obj, "/backups"))
            if not any(str(backup.get("id")) == str(value["backupId"]) for backup in backups):
                module.fail("backup %s is not a backup of instance %s; its backups: %s" % (
                    value["backupId"], name, ", ".join(str(backup.get("id")) for backup in backups) or "none"),
                    code="not_found")

    def predict(self, obj, value):
        obj = dict(obj, snapshotId=value.get("snapshotId"), backupId=value.get("backupId"),
                   osTemplate=value.template or obj.get("osTemplate"))
        return obj if value.created else dict(obj, status="running" if value.waited else "rebuilding")

    def write(self, module, obj, value):
        if value.created:
            return obj
        obj = module.act(obj, "rebuild", dict(value)) or obj
        if module.params.get("wait"):
            obj = module.wait_status(obj, "running", schedule=PROVISION)
        return obj


# huc_instance's os_template: written at creation (or a snapshot instead), rebuilt later (snapshot and backup
# are options of the module, read by the endpoint).
OS_TEMPLATE = Field("os_template", api="osTemplate", required="os_template (or snapshot)", via=Rebuild())


def rebuildable(fields):
    """fields with os_template written through Rebuild (huc_instance); huc_fleet's items keep the plain one."""
    return tuple(OS_TEMPLATE if field.option == "os_template" else field for field in fields)
