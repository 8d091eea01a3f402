#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_snapshot
short_description: Create and delete snapshots of HostUpCloud instances
version_added: 1.1.0
description:
  - Makes sure a named snapshot of an instance's disk exists, or does not exist.
  - A snapshot is identified by O(project) and O(name), or by O(id). It keeps the disk of its source instance as it
    was when the snapshot was taken, with its OS template and size, also after the instance is deleted; a new
    instance can be made from it (the C(snapshot) option of M(hostupcloud.cloud.huc_instance)).
  - A snapshot cannot be changed once it exists. A run that finds the snapshot costs one request when O(project)
    is given by id (one more when it is given by name).
  - The creation is sent with an C(Idempotency-Key), and the snapshot is looked up by name before any retry, so a
    lost answer never creates two snapshots.
  - "The API routes of snapshots are not on the provider's public pages: they are [assumed] (see the collection's
    API contract)."
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the snapshot and of its instance. Required unless O(id) is given (it is not
        checked then).
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  name:
    description:
      - Name of the snapshot, unique in its project; 1 to 63 characters of C(a-z), C(0-9) and C(-), starting with a
        letter.
      - Snapshots cannot be renamed; with O(id), a different O(name) fails before anything is changed.
    type: str
  id:
    description:
      - Id of an existing snapshot, instead of O(project) and O(name). A snapshot cannot be created with an id.
    type: str
  instance:
    description:
      - Name or id of the instance to take the snapshot of, in the same project. Required to create a snapshot.
      - An instance that is being provisioned, rebuilt or deleted fails the task before anything is changed.
      - A snapshot of an instance that is not stopped is crash-consistent (the disk as after a power loss) and the
        task warns; see O(stop_first).
      - Only used at creation (a different value on an existing snapshot gives a warning). It is compared only when
        that costs no request (an id always is).
    type: str
  labels:
    description:
      - Labels (string keys to string values) of a new snapshot.
      - Only used at creation, since the API cannot change a snapshot; different labels on an existing snapshot give
        a warning.
    type: dict
  stop_first:
    description:
      - Stop the instance before the snapshot is taken, so that its disk is consistent, and start it again once the
        snapshot is C(available) if it was running.
      - The instance is shut down gracefully (powered off after O(shutdown_timeout) seconds if the guest ignores it),
        like the resize of M(hostupcloud.cloud.huc_instance) with O(hostupcloud.cloud.huc_instance#module:allow_restart).
        It is started again also when the API refuses the snapshot. If the snapshot enters C(error) or the wait for
        it times out, or the run is killed, the instance is left stopped with a record of its power state, which
        the next run of this task (one request more, only with O(stop_first)) or of M(hostupcloud.cloud.huc_instance)
        on the instance puts back.
      - Setting it is the consent to the stop; it waits for the snapshot even with O(wait=false).
      - Without it, the snapshot of a running instance is taken while it runs, with a warning.
      - Only used at creation; an existing snapshot never stops its instance.
    type: bool
    default: false
  shutdown_timeout:
    description:
      - Seconds the graceful shutdown of O(stop_first) may take before the hard power-off.
    type: int
    default: 120
  state:
    description:
      - V(present) creates the snapshot if there is none of this name.
      - V(absent) deletes it. Its instance, and instances made from it, are not changed.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until a new snapshot is C(available), or until one being made is (a rerun). A deletion is done once the
        API has answered, so it never waits.
    type: bool
    default: true
  wait_timeout:
    description:
      - The most seconds the task waits, in all, for the status changes it waits for (with O(stop_first), the stop,
        the snapshot and the start within this one budget).
      - The first poll comes when the snapshot is expected to be done (3 seconds after the create) or when the API
        says with C(Retry-After); later polls double their interval up to 30 seconds, unless the API gives a
        C(Retry-After) again.
      - A snapshot that enters C(error) fails the task at once; a task still waiting when the time is up fails.
    type: int
    default: 600
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
attributes:
  diff_mode:
    description: Shows the name, source instance and labels of the snapshot before and after.
    support: full
seealso:
  - module: hostupcloud.cloud.huc_snapshot_info
  - module: hostupcloud.cloud.huc_instance
  - module: hostupcloud.cloud.huc_backup_info
"""

EXAMPLES = r"""
- name: Snapshot web-1 before an upgrade, stopping it for a consistent disk, and wait until it is available
  hostupcloud.cloud.huc_snapshot:
    api_key: "{{ vault_huc_api_key }}"
    project: production
    name: web-1-before-upgrade
    instance: web-1
    stop_first: true
    labels:
      reason: upgrade
  register: snap

- name: Show its size
  ansible.builtin.debug:
    msg: "{{ snap.snapshot.size_gb }} GB of {{ snap.snapshot.os_template }}"

- name: Snapshot a running instance without stopping it (crash-consistent; API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_snapshot:
    project: production
    name: db-1-nightly
    instance: db-1
    wait: false

- name: Delete a snapshot
  hostupcloud.cloud.huc_snapshot:
    project: production
    name: web-1-before-upgrade
    state: absent

- name: Delete a snapshot found by id
  hostupcloud.cloud.huc_snapshot:
    id: 5c1d7e2a-9b3f-4e6a-8d0c-2f4b6a8c0e1d
    state: absent
"""

RETURN = r"""
snapshot:
  description:
    - The snapshot after the task; in check mode, the snapshot as it would be (the fields the API assigns to a new
      one, RV(snapshot.id) and RV(snapshot.created_at), are V(null)).
    - After O(state=absent), the snapshot as it was found before it was deleted, with RV(snapshot.status)
      V(deleting); V(null) when there was none.
  returned: always
  type: dict
  contains:
    id:
      description: Snapshot id.
      type: str
      returned: always
      sample: 5c1d7e2a-9b3f-4e6a-8d0c-2f4b6a8c0e1d
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Snapshot name.
      type: str
      returned: always
      sample: web-1-before-upgrade
    instance_id:
      description: Id of the instance it was taken of (kept after that instance is deleted).
      type: str
      returned: always
      sample: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
    os_template:
      description: The OS template of the instance when the snapshot was taken.
      type: str
      returned: always
      sample: Ubuntu 24.04
    size_gb:
      description: Size in GB, the disk size of the instance when the snapshot was taken.
      type: int
      returned: always
      sample: 40
    status:
      description:
        - V(creating), V(available) or V(error); V(deleting) after O(state=absent).
      type: str
      returned: always
      sample: available
    labels:
      description: Labels.
      type: dict
      returned: always
      sample: {reason: upgrade}
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import resource_name, string_labels
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import Option, WaitSchedule
from ansible_collections.hostupcloud.cloud.plugins.module_utils._power import RESTORE_SOURCE, power_cycle
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule

# The source statuses the API refuses a snapshot in (409 invalid_state): refused here before any write.
BUSY = ("provisioning", "rebuilding", "deleting")


class HucSnapshot(HucResourceModule):
    """A snapshot is made once and never changed: find, create (optionally with its instance stopped), delete."""

    result_key = "snapshot"
    resource = REFERENCES["snapshot"]
    fields = (
        Field("name", identity=True, check=resource_name),
        Field("instance", api="instanceId", ref="instance", required=True, existing="the snapshot is of instance id %s"),
        Field("labels", "dict", check=string_labels),
        RESTORE_SOURCE,
    )
    options = (Option("stop_first", "bool", default=False), Option("shutdown_timeout", "int", default=120))
    diff_fields = ("name", "instance_id", "labels")
    settled = "available"
    predicted = "creating"
    wait_timeout = 600
    # The API's snapshot takes about as long as a provisioning; a DELETE answers 204, done.
    create_wait, delete_wait = WaitSchedule("a snapshot to be available", 3.0), None
    defaults = {"labels": {}}
    renamable = False

    def source(self, plan):
        """The instance to take the snapshot of (its listing or GET is made once per run)."""
        return self.refs.get("instance", plan.inputs["instance"], called="instance")

    def refuse(self, plan):
        super(HucSnapshot, self).refuse(plan)
        if plan.current is not None:
            return
        source = self.source(plan)
        if source.get("status") in BUSY:
            self.fail("cannot take a snapshot of instance %s: it is %s; run again once it is running or stopped"
                      % (source.get("name"), source["status"]), code="invalid_state")
        if source.get("status") != "stopped" and not plan.inputs["stop_first"]:
            self.module.warn("instance %s is %s: snapshot %s is crash-consistent (its disk as after a power loss); set "
                             "stop_first: true to stop the instance for it and start it again after"
                             % (source.get("name"), source.get("status"), plan.inputs["name"]))

    def predict(self, plan, obj):
        obj = super(HucSnapshot, self).predict(plan, obj)
        if plan.current is None:  # what the API copies from the source
            source = self.source(plan)
            status = self.settled if plan.inputs["stop_first"] else obj["status"]  # stop_first always waits
            return dict(obj, osTemplate=source.get("osTemplate"), sizeGb=source.get("diskGb"), status=status)
        if obj.get("status") == self.predicted and plan.inputs["wait"] and not self.check_mode:
            # A rerun while the snapshot is still being made waits for it, as wait promises.
            return self.wait_status(obj, self.settled, schedule=self.create_wait)
        return obj

    def apply(self, plan):
        if plan.current is not None or not plan.inputs["stop_first"]:
            return super(HucSnapshot, self).apply(plan)
        made = []

        def snapshot(stopped):  # the instance starts again only once the snapshot is complete
            obj = super(HucSnapshot, self).apply(plan)
            if obj is not None and obj.get("status") != self.settled:
                obj = self.wait_status(obj, self.settled, schedule=self.create_wait)
            made.append(obj)
            return stopped

        power_cycle(self, self.refs, self.source(plan), snapshot, shutdown_timeout=plan.inputs["shutdown_timeout"])
        return made[0]


def main():
    HucSnapshot.main()


if __name__ == "__main__":
    main()
