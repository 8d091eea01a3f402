# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """The options that wait for instances to answer on SSH (plugins/module_utils/_reachable.py)."""

    DOCUMENTATION = r"""
options:
  wait_for:
    description:
      - What the task waits for once the API reports the instance V(running).
      - V(none) returns then. V(ssh) also waits, from the controller, until TCP port O(ssh_port) of the address chosen
        by O(wait_address) answers with an SSH banner (C(SSH-2.0-...)), so that the instance can be logged into.
        Several instances are probed at once. Probes cost no API request.
      - The SSH wait is inside the task's one O(wait_timeout). An instance that does not answer in time fails the task,
        naming its address and port; so does one that is not running and not on its way there (for example stopped).
      - It needs O(wait=true). Not done in check mode.
      - SSH answering does not mean cloud-init has finished; see the guide for the pattern that waits for that too
        (M(ansible.builtin.wait_for_connection), then C(cloud-init status --wait) on the new hosts).
    type: str
    choices: [none, ssh]
    default: none
    version_added: 1.1.0
  ssh_port:
    description:
      - The TCP port O(wait_for=ssh) probes.
    type: int
    default: 22
    version_added: 1.1.0
  wait_address:
    description:
      - Which address O(wait_for=ssh) probes; the first of these the instance has is used, as the inventory
        plugin's C(connect_with) chooses C(ansible_host).
      - V(ipv4) and V(ipv6) are the instance's public addresses, V(private) its first address in a private network
        (in the order the networks were created), V(floating_ip) the first floating IP attached to it.
      - V(private) and V(floating_ip) cost one listing of the project's private networks or floating IPs each, only
        when named; V(ipv4) and V(ipv6) none.
    type: list
    elements: str
    choices: [ipv4, ipv6, private, floating_ip]
    default: [ipv4, ipv6]
    version_added: 1.1.0
"""
