#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: huc_firewall
short_description: Create, change and delete HostUpCloud firewalls
version_added: 0.2.0
description:
  - Makes sure a firewall exists with the given inbound rules, applied to the given instances, or does not exist.
  - A firewall is identified by O(project) and O(name), or by O(id). With O(id), a different O(name) renames it.
  - A firewall allows inbound traffic that matches one of its rules and nothing else; an instance can have several
    firewalls, and then what any of them allows is allowed.
  - The firewall API is not published by the provider; this module follows the API the collection assumes
    (C(/api/firewalls), see the collection's API contract).
  - Every rule is checked before any request. A run that finds nothing to change costs one request when O(project)
    and O(instances) are given by id (or not at all); instances given by name cost one listing more.
author:
  - HostUpCloud collection maintainers (@hostupcloud)
options:
  project:
    description:
      - Name or id of the project of the firewall. Required unless O(id) is given (it is not checked then).
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  name:
    description:
      - Name of the firewall, unique in its project; 1 to 63 characters of C(a-z), C(0-9) and C(-), starting with
        a letter.
    type: str
  id:
    description:
      - Id of an existing firewall, instead of O(project) and O(name). A firewall cannot be created with an id.
    type: str
  rules:
    description:
      - Inbound allow rules. Two rules are the same rule when their protocol, port and set of sources are the same;
        the order of rules and of sources never makes a difference.
      - With O(purge_rules=true) these are all the rules the firewall has (an empty list allows nothing in); with
        O(purge_rules=false) they are added to the rules it has.
      - Not set, the rules are left as they are (a new firewall has none).
    type: list
    elements: dict
    suboptions:
      protocol:
        description: V(tcp), V(udp) or V(icmp).
        type: str
        required: true
      port:
        description:
          - A port (V(22)) or a range of ports as a string (V("8000-8100")), each 1 to 65535, the lower one first.
          - Not set, the rule covers every port. Not allowed with O(rules[].protocol=icmp).
        type: raw
      sources:
        description:
          - The IPv4 and IPv6 networks the traffic may come from, 1 to 50 of them, such as V(10.0.0.0/8), or
            V(0.0.0.0/0) and V(::/0) for anywhere.
          - A bare address is that address alone (V(203.0.113.7) is V(203.0.113.7/32)). A CIDR with host bits set
            (V(10.0.0.1/8)) is refused, naming the network that was probably meant.
        type: list
        elements: str
        required: true
  purge_rules:
    description:
      - V(true) makes O(rules) the whole set of rules, removing any other; V(false) only adds those missing.
    type: bool
    default: true
  instances:
    description:
      - Names or ids of instances of the project the firewall applies to. Names cost one listing of the instances.
      - They are added to the instances the firewall applies to; others are removed only with
        O(purge_instances=true).
      - Not set, the instances are left as they are.
    type: list
    elements: str
  purge_instances:
    description:
      - V(true) makes O(instances) the whole set of instances the firewall applies to, removing it from any other
        (an empty list removes it from all); V(false) only adds it where it is missing, so that no instance loses
        its firewall by accident.
    type: bool
    default: false
  state:
    description:
      - V(present) creates the firewall or changes it; V(absent) deletes it (the instances it applied to lose its
        rules at once).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Changes take effect at once, so there is no C(wait) option.
  - The creation is sent with an C(Idempotency-Key), and the firewall is looked up by name before any retry, so a
    lost answer never creates two firewalls.
extends_documentation_fragment:
  - hostupcloud.cloud.api
  - hostupcloud.cloud.api.ATTRIBUTES
attributes:
  diff_mode:
    description: Shows the name, the rules (one line each, so the rules added and removed stand out) and the
      instance ids before and after.
    support: full
seealso:
  - module: hostupcloud.cloud.huc_firewall_info
  - module: hostupcloud.cloud.huc_private_network
"""

EXAMPLES = r"""
- name: A firewall for the web servers
  hostupcloud.cloud.huc_firewall:
    api_key: "{{ vault_huc_api_key }}"
    project: production
    name: web
    rules:
      - protocol: tcp
        port: 22
        sources: [10.0.0.0/8]
      - protocol: tcp
        port: 443
        sources: [0.0.0.0/0, "::/0"]
      - protocol: udp
        port: "60000-61000"
        sources: [203.0.113.7]
      - protocol: icmp
        sources: [0.0.0.0/0]
    instances: [web-1, web-2]

- name: Add one rule, keep the others (API options from module_defaults)
  module_defaults:
    group/hostupcloud.cloud.huc:
      api_key: "{{ vault_huc_api_key }}"
  hostupcloud.cloud.huc_firewall:
    project: production
    name: web
    purge_rules: false
    rules:
      - protocol: tcp
        port: 9100
        sources: [10.1.0.0/16]

- name: Apply it to exactly these instances
  hostupcloud.cloud.huc_firewall:
    project: production
    name: web
    instances: [web-1, web-3]
    purge_instances: true

- name: Delete it
  hostupcloud.cloud.huc_firewall:
    project: production
    name: web
    state: absent
"""

RETURN = r"""
firewall:
  description:
    - The firewall after the task; in check mode, the firewall as it would be (the fields the API assigns to a new
      one, RV(firewall.id) and RV(firewall.created_at), are V(null)).
    - After O(state=absent), the firewall as it was found before it was deleted; V(null) when there was none.
  returned: always
  type: dict
  contains:
    id:
      description: Firewall id.
      type: str
      returned: always
      sample: 5b2d8f1a-9c3e-4a7b-8d6f-0e1c2b3a4d5e
    project_id:
      description: Id of its project.
      type: str
      returned: always
      sample: 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
    name:
      description: Firewall name.
      type: str
      returned: always
      sample: web
    rules:
      description: The inbound allow rules, in the order the API keeps them.
      type: list
      elements: dict
      returned: always
      contains:
        protocol:
          description: V(tcp), V(udp) or V(icmp).
          type: str
          returned: always
          sample: tcp
        port:
          description: The port (V("22")) or range (V("8000-8100")) as a string; V(null) for every port and for icmp.
          type: str
          returned: always
          sample: "22"
        sources:
          description: The networks it allows traffic from, as CIDRs.
          type: list
          elements: str
          returned: always
          sample: [10.0.0.0/8]
    instance_ids:
      description: Ids of the instances it applies to.
      type: list
      elements: str
      returned: always
      sample: [0f9d3c1e-6a2b-4c8d-9e7f-1a2b3c4d5e6f]
    created_at:
      description: Creation time (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2026-11-26T10:00:00Z"
"""

from ansible_collections.hostupcloud.cloud.plugins.module_utils._limits import check_rules, resource_name
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import Option
from ansible_collections.hostupcloud.cloud.plugins.module_utils._network import canonical_rule, rule_key, rule_line
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import REFERENCES
from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._resource import HucResourceModule

RULE_OPTIONS = dict(
    protocol=dict(type="str", required=True),
    port=dict(type="raw"),
    sources=dict(type="list", elements="str", required=True),
)


class HucFirewall(HucResourceModule):
    """Rules and instances are sets: compared whatever their order, replaced or added to (purge_*)."""

    result_key = "firewall"
    resource = REFERENCES["firewall"]
    fields = (
        Field("name", identity=True, check=resource_name),
        Field("rules", "list", elements="dict", options=RULE_OPTIONS, update=True, check=check_rules,
              normalize=canonical_rule, purge="purge_rules", key=rule_key),
        Field("instances", "list", elements="str", api="instanceIds", ref="instance", update=True,
              purge="purge_instances"),
    )
    options = (Option("purge_rules", "bool", default=True), Option("purge_instances", "bool", default=False))
    diff_fields = ("name", "rules", "instance_ids")
    diff_format = {"rules": lambda obj: sorted(rule_line(rule) for rule in obj.get("rules") or []),
                   "instance_ids": lambda obj: sorted(obj.get("instanceIds") or [])}
    defaults = {"rules": [], "instanceIds": []}


def main():
    HucFirewall.main()


if __name__ == "__main__":
    main()
