#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_private_network
short_description: Create and delete HostUpCloud private networks and attach instances to them
version_added: 0.2.0
description:
  - Makes sure a private network exists with the given range, with the given instances attached, or does not exist.
  - A private network is identified by O(project) and O(name), or by O(id).
  - Each attached instance gets the next free address of the network; the first host address is the gateway.
  - The private network API is not published by the provider; this module follows the API the collection assumes
    (C(/api/networks), see the collection's API contract).
  - O(cidr) is checked before any request, and a range that overlaps another network of the project is refused
    before anything is created (the one listing that finds the network shows the others).
  - A run that finds nothing to change costs one request when O(project) and O(instances) are given by id (or not
    at all); instances given by name cost one listing more. Each instance attached or detached costs one request.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the network. Required unless O(id) is given (it is not checked then).
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  name:
    description:
      - Name of the network, unique in its project; 1 to 63 characters of C(a-z), C(0-9) and C(-), starting with
        a letter.
      - Networks cannot be renamed; with O(id), a different O(name) fails before anything is changed.
    type: str
  id:
    description:
      - Id of an existing network, instead of O(project) and O(name). A network cannot be created with an id.
    type: str
  cidr:
    description:
      - The IPv4 range of the network, such as V(10.10.0.0/24), inside V(10.0.0.0/8), V(172.16.0.0/12) or
        V(192.168.0.0/16), with a prefix length from 16 to 29 and no host bits set. It must not overlap another
        network of the project.
      - Required to create a network. Only used at creation (a different value on an existing network gives a
        warning; a network never changes its range).
    type: str
  instances:
    description:
      - Names or ids of instances of the project to attach to the network; those not attached yet are attached.
      - Instances attached but not named here stay attached unless O(purge_instances=true).
      - Not set, the attachments are left as they are.
    type: list
    elements: str
  purge_instances:
    description:
      - V(true) detaches every instance not named in O(instances) (an empty list detaches all); V(false) never
        detaches anything, so that no instance loses its private address by accident.
    type: bool
    default: false
  state:
    description:
      - V(present) creates the network and attaches (and, with O(purge_instances=true), detaches) instances.
      - V(absent) deletes the network. A network with instances attached is deleted only with O(force=true)
        (they are detached first).
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Allow deleting a network that has instances attached (O(state=absent)); they are detached first.
    type: bool
    default: false
notes:
  - Attaching and detaching take effect at once, so there is no C(wait) option.
  - The creation is sent with an C(Idempotency-Key), and the network is looked up by name before any retry, so a
    lost answer never creates two networks.
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
attributes:
  diff_mode:
    description: Shows the name, range and ids of the attached instances before and after.
    support: full
seealso:
  - module: hostupcloud.cloud.huc_private_network_info
  - module: hostupcloud.cloud.huc_firewall
"""

EXAMPLES = r"""
- name: A private network for the backends, with two instances attached
  hostupcloud.cloud.huc_private_network:
    api_key: "{{ vault_huc_api_key }}"
    project: production
    name: backend
    cidr: 10.10.0.0/24
    instances: [web-1, db-1]
  register: backend

- name: Show the private addresses
  ansible.builtin.debug:
    msg: "{{ backend.private_network.attachments | map(attribute='ip') | list }}"

- name: Attach exactly these instances (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_private_network:
    project: production
    name: backend
    instances: [web-2, db-1]
    purge_instances: true

- name: Delete it, detaching what is attached
  hostupcloud.cloud.huc_private_network:
    project: production
    name: backend
    state: absent
    force: true
"""

RETURN = r"""
private_network:
  description:
    - The network after the task; in check mode, the network as it would be (the fields the API assigns,
      RV(private_network.id), RV(private_network.created_at) and the address of an instance not attached yet, are
      V(null)).
    - After O(state=absent), the network as it was found before it was deleted; V(null) when there was none.
  returned: always
  type: dict
  contains:
    id:
      description: Network id.
      type: str
      returned: always
      sample: 2c4e6a8b-1d3f-4a5b-9c7d-8e0f1a2b3c4d
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Network name.
      type: str
      returned: always
      sample: backend
    cidr:
      description: Its IPv4 range.
      type: str
      returned: always
      sample: 10.10.0.0/24
    attachments:
      description: The instances attached, in the order they were attached, with their addresses.
      type: list
      elements: dict
      returned: always
      contains:
        instance_id:
          description: Id of the instance.
          type: str
          returned: always
          sample: 0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f
        ip:
          description: Its address in the network; V(null) in check mode for an instance not attached yet.
          type: str
          returned: always
          sample: 10.10.0.2
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._endpoints import Members, attached_ids
from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import check_private_cidr, resource_name
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import Option
from ansible_collections.hostupcloud.cloud.plugins.module_utils._network import canonical_cidr, overlaps
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule


class HucPrivateNetwork(HucResourceModule):
    """Attachments are actions (attach, detach) on the network; the one listing that finds it checks overlaps."""

    result_key = "private_network"
    resource = REFERENCES["private_network"]
    fields = (
        Field("name", identity=True, check=resource_name),
        Field("cidr", required=True, check=check_private_cidr, normalize=canonical_cidr, existing="the network has cidr %s"),
        Field("instances", "list", elements="str", api="attachments", via=Members("purge_instances")),
    )
    options = (Option("purge_instances", "bool", default=False),)
    diff_fields = ("name", "cidr", "instance_ids")
    diff_format = {"instance_ids": lambda obj: sorted(attached_ids(obj))}
    defaults = {"attachments": []}
    renamable = False
    listed = True

    def inputs(self):
        """cidr in its canonical form from the start, so the check, the comparison (and its warning), the POST and
        the overlap check all see the one value (" 10.10.0.0/24 " is 10.10.0.0/24)."""
        inputs = super(HucPrivateNetwork, self).inputs()
        if inputs.get("cidr") is not None:
            inputs["cidr"] = canonical_cidr(inputs["cidr"])
        return inputs

    def refuse(self, plan):
        cidr = plan.inputs.get("cidr")
        for other in (plan.listing or []) if plan.current is None and cidr else []:
            if other.get("cidr") and overlaps(cidr, other["cidr"]):
                self.fail("cidr %s overlaps private network %s (%s) of this project; choose a range that does not"
                          % (cidr, other.get("name"), other["cidr"]), code="cidr_overlap",
                          details={"cidr": "overlaps network %s (%s)" % (other.get("name"), other["cidr"])})
        super(HucPrivateNetwork, self).refuse(plan)


def main():
    HucPrivateNetwork.main()


if __name__ == "__main__":
    main()
