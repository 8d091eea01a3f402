#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_volume
short_description: Create, grow, attach, detach and delete HostUpCloud volumes
version_added: 0.2.0
description:
  - Makes sure a storage volume exists with at least the given size, attached to an instance or detached, or does
    not exist.
  - A volume is identified by O(project) and O(name), or by O(id).
  - A volume lives on one node and can only be attached to an instance of its own project on that node; this is
    checked before any request that changes something, and the failure names both nodes.
  - Only the options you set are compared. A run that finds nothing to change costs one request when O(project),
    O(node) and O(instance) are given by id (or not at all); each of them given by name costs one listing more.
    Attaching an existing volume to an existing instance costs three requests.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the volume. Required unless O(id) is given (it is not checked then).
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  name:
    description:
      - Name of the volume, unique in its project; 1 to 63 characters of C(a-z), C(0-9) and C(-), starting
        with a letter.
      - Volumes cannot be renamed; with O(id), a different O(name) fails before anything is changed.
    type: str
  id:
    description:
      - Id of an existing volume, instead of O(project) and O(name). A volume cannot be created with an id.
    type: str
  size_gb:
    description:
      - Size in GB, 1 to 10240. Required to create a volume.
      - The size can only grow; a smaller value than the volume has fails before anything is changed.
    type: int
  node:
    description:
      - Name or id of the node to create the volume on; see M(hostupcloud.cloud.huc_node_info).
      - Required to create a volume unless O(instance) is given; then the volume is created on the node of the
        instance, and a O(node) given as well must be that node, or the task fails before creating anything.
      - Only used at creation (a different value on an existing volume gives a warning; a volume never changes node).
      - On an existing volume the node is compared only when that costs no request. An id always is (a different one
        gives the warning), a name only if the run has listed the nodes already. Otherwise a name is not looked up,
        neither to warn nor to report an unknown name, because the listing could change nothing but the warning;
        give the node's id to have it always checked.
    type: str
  instance:
    description:
      - Name or id of the instance, in the same project and on the same node, to attach the volume to. An unknown
        instance, or one on another node, fails before anything is changed.
      - A volume attached to another instance is moved (detached, then attached) only with O(force=true).
      - V(null) (set explicitly) detaches the volume, like O(state=detached).
      - Not set, the attachment is left as it is. Ignored with O(state=absent).
    type: str
  protection:
    description:
      - Protection of the volume against deletion. Only the flags given are compared and changed. A new volume has it
        off.
      - A protected volume's O(state=absent) fails before anything is changed (in check mode too, and O(force) does not
        lift it); lift it first with O(protection.delete=false) in a task with O(state=present).
    type: dict
    version_added: 1.1.0
    suboptions:
      delete:
        description:
          - Refuse to delete the volume (the API answers a delete C(409)).
        type: bool
  state:
    description:
      - V(present) creates the volume or grows it in place, and attaches or detaches it as O(instance) says.
      - V(detached) does the same, but makes sure the volume is attached to no instance; O(instance) cannot be
        given with it.
      - V(absent) deletes the volume and the data on it. A volume that is attached is deleted only with
        O(force=true) (it is detached first).
    type: str
    choices: [present, detached, absent]
    default: present
  force:
    description:
      - Allow moving a volume attached to another instance to O(instance) (it is detached, then attached), and
        deleting one that is attached (O(state=absent)).
      - Without it, both fail and nothing is changed.
    type: bool
    default: false
notes:
  - Volumes are C(available) as soon as they are created, and attaching or detaching one takes effect at once, so
    there is no C(wait) option; a task returns once the API has made the change.
  - The creation is sent with an C(Idempotency-Key), and the volume is looked up by name before any retry, so a lost
    answer never creates two volumes.
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
attributes:
  diff_mode:
    description: Shows the name, size, node and instance of the volume before and after, and its protection when O(protection) is set.
    support: full
seealso:
  - module: hostupcloud.cloud.huc_volume_info
  - module: hostupcloud.cloud.huc_instance
"""

EXAMPLES = r"""
- name: Create a 50 GB volume on the node of web-1 and attach it to web-1
  hostupcloud.cloud.huc_volume:
    api_key: "{{ vault_huc_api_key }}"
    project: production
    name: web-1-data
    size_gb: 50
    instance: web-1
  register: data

- name: Show where it is attached
  ansible.builtin.debug:
    msg: "{{ data.volume.instance_id }}"

- name: Create a detached volume on a node (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_volume:
    project: production
    name: scratch
    size_gb: 10
    node: fra1-n1

- name: Grow it to 100 GB (sizes only grow)
  hostupcloud.cloud.huc_volume:
    project: production
    name: web-1-data
    size_gb: 100

- name: Move it from web-1 to web-2, on the same node
  hostupcloud.cloud.huc_volume:
    project: production
    name: web-1-data
    instance: web-2
    force: true

- name: Detach it, keep it and its data
  hostupcloud.cloud.huc_volume:
    project: production
    name: web-1-data
    state: detached

- name: Detach a volume found by id (an explicit null does the same as state detached)
  hostupcloud.cloud.huc_volume:
    id: 4a7c9e2b-3d5f-4b8a-9c1e-7f2d6b0a8e45
    instance: null

- name: Delete it, detaching it first if it is attached
  hostupcloud.cloud.huc_volume:
    project: production
    name: web-1-data
    state: absent
    force: true
"""

RETURN = r"""
volume:
  description:
    - The volume after the task; in check mode, the volume as it would be (the fields the API assigns to a new one,
      RV(volume.id) and RV(volume.created_at), are V(null)).
    - After O(state=absent), the volume as it was found before it was deleted, with RV(volume.status) V(deleting);
      V(null) when there was none.
  returned: always
  type: dict
  contains:
    id:
      description: Volume id.
      type: str
      returned: always
      sample: 4a7c9e2b-3d5f-4b8a-9c1e-7f2d6b0a8e45
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Volume name.
      type: str
      returned: always
      sample: web-1-data
    size_gb:
      description: Size in GB.
      type: int
      returned: always
      sample: 50
    node_id:
      description: Id of its node; it can only be attached to instances on this node.
      type: str
      returned: always
      sample: 3b1e6f0a-2c4d-4e8f-9a0b-1c2d3e4f5a6b
    instance_id:
      description: Id of the instance it is attached to; V(null) when it is detached.
      type: str
      returned: always
      sample: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
    status:
      description:
        - V(available) (attached to no instance) or V(attached); V(deleting) after O(state=absent).
      type: str
      returned: always
      sample: attached
    protection:
      description: Its protection flag C(delete); V(null) when the API does not say.
      type: dict
      returned: always
      sample: {delete: true}
      version_added: 1.1.0
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._endpoints import Attachment
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import between, resource_name
from ansible_collections.hostupcloud.cloud.plugins.module_utils._protection import Protection
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule


class HucVolume(HucResourceModule):
    """Attach, detach, move and delete-while-attached come from the Attachment endpoint; a volume adds its size."""

    result_key = "volume"
    resource = REFERENCES["volume"]
    fields = (
        Field("name", identity=True, check=resource_name),
        Field("size_gb", "int", update=True, required=True, check=between(1, 10240), grow_only="volume_shrink"),
        Field("node", api="nodeId", ref="node", required="node (or instance)", existing="the volume is on node id %s"),
        Field("instance", api="instanceId", via=Attachment(statuses=("attached", "available"))),
        Protection("delete"),
    )
    states = ("present", "detached", "absent")
    diff_fields = ("name", "size_gb", "node_id", "instance_id")
    diff_if_set = ("protection",)
    predicted = "available"
    defaults = {"instanceId": None, "protection": {"delete": False}}
    renamable = False


def main():
    HucVolume.main()


if __name__ == "__main__":
    main()
