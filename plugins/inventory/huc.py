# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: huc
short_description: HostUpCloud instances as an Ansible inventory
version_added: 0.1.0
description:
  - Lists every instance of the chosen HostUpCloud projects and adds each as a host.
  - Reads a YAML file named C(huc.yml) or C(huc.yaml), or whose name ends in C(.huc.yml) or C(.huc.yaml).
  - "Requests: the project list (skipped when every entry of O(projects) is an id), the node list once,
    and one list request per 100 instances of each project (at least one per project). Never a
    request per host, and none at all on a cache hit (O(cache))."
  - C(429 Too Many Requests) answers are waited out like in the modules (see O(rate_limit_timeout)).
  - "Host variables, named with O(hostvars_prefix) and O(hostvars_suffix) (by default C(huc_id)):
    C(id), C(name), C(project_id), C(project) (the project name), C(node_id), C(node) (the node name),
    C(os_template), C(vcpus), C(memory_mb), C(disk_gb), C(status), C(ipv4), C(ipv6) and
    C(ipv6_prefix) (both V(null) without IPv6), C(labels) (a dict), C(protection) (a dict of C(delete) and
    C(rebuild); V(null) when the API does not say; since 1.1.0) and C(created_at); plus
    C(ansible_host), see O(connect_with); C(floating_ips), C(volumes) and C(private_ips) with
    O(attachments)."
  - "Groups: C(huc) (every host), C(huc_project_<project name>), C(huc_status_<status>) and
    C(huc_node_<node name>); every character other than an ASCII letter, digit or underscore
    becomes an underscore, so C(project-01) gives C(huc_project_project_01). Groups made by
    O(groups) and O(keyed_groups) are sanitised the same way."
author:
  - HostUpCloud collection maintainers (@hostupcloud)
extends_documentation_fragment:
  - constructed
  - inventory_cache
requirements:
  - requests >= 2.31
options:
  plugin:
    description: The name of this plugin; marks the file as a P(hostupcloud.cloud.huc#inventory) source.
    type: str
    required: true
    choices: [hostupcloud.cloud.huc]
  api_key:
    description:
      - The HostUpCloud API key (C(huc_) followed by the secret). The C(read) permission is enough.
      - May be a Jinja template, for example C("{{ vault_huc_api_key }}") with the variable given as an
        extra var, or a lookup. The result is never shown in output or error messages.
      - Required, here or in the environment.
    type: str
    aliases: [api_token]
    env:
      - name: HUC_API_KEY
  api_url:
    description:
      - Base URL of the HostUpCloud Console API. Plain C(http://) is allowed for loopback addresses
        only, such as the emulator in C(tests/emulator).
    type: str
    default: https://console.hostupcloud.com/api
    env:
      - name: HUC_API_URL
  api_timeout:
    description:
      - Seconds to wait for one HTTP answer.
    type: int
    default: 30
    env:
      - name: HUC_API_TIMEOUT
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url). Disable it only for a trusted test endpoint.
    type: bool
    default: true
  api_retries:
    description:
      - How many times a list request that failed with 500, 502, 503, 504, a timeout or a dropped connection
        is sent again, with exponential backoff and jitter.
    type: int
    default: 5
  rate_limit_timeout:
    description:
      - The API allows 60 requests a minute per key. C(429 Too Many Requests) answers are waited out
        (for as long as C(Retry-After) says, else until C(X-RateLimit-Reset), else with backoff) for at
        most this many seconds in total; then the inventory fails.
    type: int
    default: 300
  rate_limit:
    description:
      - Requests a minute the API allows this key; V(0) turns pacing off.
      - Every module run, inventory run and fork of this controller that uses the key takes its
        requests from one shared budget of this size, so they queue instead of running into
        C(429) answers; see the collection guide.
    type: int
    default: 60
    env:
      - name: HUC_RATE_LIMIT
    version_added: 0.2.0
  rate_limit_shared:
    description:
      - Share the budget of O(rate_limit) with the other processes of this controller through a
        state file under E(HUC_RATE_LIMIT_DIR) (default C($XDG_RUNTIME_DIR/hostupcloud), else a
        per-user directory in the temporary directory). V(false) paces this run alone.
    type: bool
    default: true
    env:
      - name: HUC_RATE_LIMIT_SHARED
    version_added: 0.2.0
  projects:
    description:
      - The projects whose instances are listed, each by name or id. Default is every project the key can see.
      - When every entry is an id, the project list is not requested, and the project id also stands
        in for the project name (host variable C(project) and the C(huc_project_*) group).
    type: list
    elements: str
    default: []
  status:
    description:
      - Only instances in one of these states. Default is every state.
      - With one state the API filters (fewer pages); several are filtered here.
    type: list
    elements: str
    choices: [provisioning, running, stopping, stopped, starting, rebooting, rebuilding, deleting, error]
    default: []
  label_selector:
    description:
      - Only instances whose labels match this selector, written as in Kubernetes and hcloud.
      - "Terms joined by commas, all of which must hold: V(key=value) (or V(key==value)), V(key!=value), V(key) (the
        label is set), V(!key) (it is not), V(key in (a,b\\)), V(key notin (a,b\\)). V(key!=value) and
        V(key notin (a,b\\)) also match instances without the label."
      - Sent to the API as C(labelSelector) with each project's instance listing (no more requests, and fewer
        pages when the API applies it) and applied again to what it returns.
      - A selector with bad syntax fails the inventory, naming the bad term, before any request.
    type: str
    version_added: 1.1.0
  filters:
    description:
      - Jinja expressions over the host variables this plugin sets (with prefix and suffix, and
        C(ansible_host)); a host is kept only when every expression is true.
      - An expression that fails is false for that host, with a warning, or fails the inventory with O(strict).
    type: list
    elements: str
    default: []
  hostname:
    description:
      - A Jinja template over the same variables as O(filters) giving the inventory hostname.
        Default is the instance name.
      - When several instances get the same hostname (the same instance name in two projects), each
        becomes C(<hostname>_<project name>), or C(<hostname>_<instance id>) if that is not
        distinct either, and a warning names them.
    type: str
  connect_with:
    description:
      - Where C(ansible_host) comes from; the first of these the instance has is used.
      - V(private) is the first address the instance has in a private network (in the order the networks were
        created); it costs the one networks listing per project of O(attachments=[private_networks]), which
        it reads even when O(attachments) does not name it.
      - Without any of them, C(ansible_host) is not set.
    type: list
    elements: str
    choices: [ipv4, ipv6, name, private]
    default: [ipv4, ipv6]
  attachments:
    description:
      - Also set host variables for what is attached to each instance, read with one list request
        per project for each kind named here (per 100 of them), never one per host. A project whose
        instance listing is empty costs no attachment listing.
      - V(floating_ips) sets C(floating_ips), the addresses of the floating IPs attached to the
        instance; V(volumes) sets C(volumes), a list of C(id), C(name) and C(size_gb) of its attached
        volumes. Both are empty lists for an instance with none; neither is set unless named here.
      - V(private_networks) sets C(private_ips), a list of C(network) (its name) and C(ip), the instance's
        addresses in the private networks of its project; an empty list for an instance attached to none.
    type: list
    elements: str
    choices: [floating_ips, volumes, private_networks]
    default: []
    version_added: 0.2.0
  hostvars_prefix:
    description: Put before the name of every host variable this plugin sets, except C(ansible_host).
    type: str
    default: huc_
  hostvars_suffix:
    description: Put after the name of every host variable this plugin sets, except C(ansible_host).
    type: str
    default: ""
"""

EXAMPLES = r"""
# huc.yml: every instance the key can see; HUC_API_KEY (and HUC_API_URL) from the environment.
plugin: hostupcloud.cloud.huc

---
# production.huc.yml: two projects, running instances only, the key from a vault variable
# (ansible-inventory -i production.huc.yml -e @vault.yml --graph), cached for 10 minutes.
plugin: hostupcloud.cloud.huc
api_key: "{{ vault_huc_api_key }}"
projects:
  - production
  - 7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90
status: [running]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
cache_timeout: 600

---
# Groups by label (role_web, env_prod), a composed variable, a conditional group, only the
# bigger instances, hostnames qualified by project, connection by IPv6 first.
plugin: hostupcloud.cloud.huc
connect_with: [ipv6, ipv4]
hostname: "{{ huc_name }}.{{ huc_project }}"
filters:
  - huc_vcpus >= 2
  - huc_labels.env | default('') != 'test'
keyed_groups:
  - key: huc_labels
    separator: "_"
    leading_separator: false
  - key: huc_os_template
    prefix: os
compose:
  ansible_user: "'root' if huc_os_template is search('Debian') else 'ubuntu'"
groups:
  large: huc_memory_mb >= 4096

---
# Plain variable names (id, name, ...) and the key through a lookup.
plugin: hostupcloud.cloud.huc
api_key: "{{ lookup('ansible.builtin.file', '~/.config/huc/key') }}"
hostvars_prefix: ""
strict: true

---
# web.huc.yml: only the web and cache servers that are not being retired, selected by labels.
plugin: hostupcloud.cloud.huc
projects: [production]
label_selector: "role in (web,cache), !retired"
"""

import hashlib
import json
import os
import re

from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError, HucClient, looks_like_id, to_snake
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import References
from ansible_collections.hostupcloud.cloud.plugins.module_utils._selectors import parse_selector

# API data must never be templated, and `ansible-inventory --list --export` (what AWX imports) shows
# every string marked unsafe as {"__ansible_unsafe": ...}. So only a string that could be a template
# is marked (see protect()); the others are plain strings, which templating leaves as they are.
try:  # ansible-core 2.19+: a string a plugin sets is untrusted (never templated) unless trusted
    from ansible.template import trust_as_template
    wrap_var = None
except ImportError:  # ansible-core 2.17 and 2.18: a plain string is templated unless wrapped
    from ansible.utils.unsafe_proxy import wrap_var
    trust_as_template = None

# The standard API options (HucClient.from_options), each read from the inventory option of its name.
API_OPTIONS = ("api_key", "api_url", "api_timeout", "validate_certs", "api_retries", "rate_limit_timeout", "rate_limit",
               "rate_limit_shared")
# The host variables, in this order, each named prefix + field + suffix.
HOST_FIELDS = ("id", "name", "project_id", "project", "node_id", "node", "os_template", "vcpus", "memory_mb",
               "disk_gb", "status", "ipv4", "ipv6", "ipv6_prefix", "labels", "protection", "created_at")
# attachments option: kind -> (API list, the host variable's view of one item).
ATTACHMENTS = {
    "floating_ips": ("/floating-ips", lambda item: item.get("address")),
    "volumes": ("/volumes", lambda item: {"id": item.get("id"), "name": item.get("name"), "size_gb": item.get("sizeGb")}),
    # a private network lists the instances attached to it, each with its address
    "private_networks": ("/networks", lambda item: [
        (attached.get("instanceId"), {"network": item.get("name"), "ip": attached.get("ip")})
        for attached in item.get("attachments") or []]),
}
# attachments option: kind -> the host variable, where it is not the kind's name
ATTACHMENT_VARIABLES = {"private_networks": "private_ips"}
UNSAFE_GROUP_CHARS = re.compile(r"[^A-Za-z0-9_]")
UNSAFE_HOST_CHARS = re.compile(r"[^A-Za-z0-9_.-]")
# What makes a string a possible template: Jinja's start delimiters, and the "#jinja2:" header that
# ansible-core 2.19 takes as the start of a template (it can change the delimiters).
TEMPLATE_MARKERS = ("{{", "{%", "{#", "#jinja2:")


def could_be_template(text):
    return any(marker in text for marker in TEMPLATE_MARKERS)


def protect(value):
    """value (API data, nested dicts and lists too) as an inventory variable that is never templated.

    A string that could be a template stays unsafe: wrapped with wrap_var on ansible-core 2.17/2.18,
    left untrusted (the default for what a plugin sets) on 2.19+. Any other string is set plain
    (trusted on 2.19+, where untrusted strings are exported as unsafe): it has nothing to template.
    """
    if isinstance(value, str):
        text = str.__str__(value)  # a plain str: neither AnsibleUnsafeText nor tagged (so untrusted on 2.19+)
        if could_be_template(text):
            return wrap_var(text) if wrap_var else text
        return trust_as_template(text) if trust_as_template else text
    if isinstance(value, dict):
        # keys are never templated; on 2.17/2.18 wrap_var wrapped them too, so do that for templates
        return dict((wrap_var(key) if wrap_var and isinstance(key, str) and could_be_template(key) else key, protect(item))
                    for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [protect(item) for item in value]
    return value


def safe_group_name(name):
    """A valid Ansible group name: other characters than ASCII letters, digits, _ become _."""
    text = UNSAFE_GROUP_CHARS.sub("_", str(name))
    return "_" + text if not text or text[0].isdigit() else text


def connect_address(record, connect_with):
    """The first of ipv4, ipv6, name, private (in the order given) the instance has, or None."""
    for source in connect_with:
        if source == "private":
            first = (record.get("private_ips") or [{}])[0]
            if first.get("ip"):
                return first["ip"]
            continue
        if record.get(source):
            return record[source]
    return None


def host_record(instance, project, node_names):
    """The host variables (unprefixed) of one API instance; the cache holds these.

    The instance's fields in snake_case (ipv6 and ipv6_prefix null without IPv6), with the project
    and node named, and labels always a dict.
    """
    snake = to_snake(instance)
    record = dict((field, snake.get(field)) for field in HOST_FIELDS)
    record.update(project_id=project["id"], project=project["name"], labels=dict(record["labels"] or {}),
                  node=node_names.get(record["node_id"], record["node_id"]))
    return record


def distinct_hostnames(wanted):
    """Final hostnames for a list of (hostname, record), and the collisions as {hostname: [final names]}.

    Every host of a shared hostname is renamed (none wins by list order): hostname_<project name>,
    or hostname_<instance id> when the project names do not tell them apart.
    """
    counts = {}
    for name, _record in wanted:
        counts[name] = counts.get(name, 0) + 1
    taken = set(counts)
    by_project = {}
    for name, record in wanted:
        if counts[name] > 1:
            by_project.setdefault(name, []).append("%s_%s" % (name, UNSAFE_HOST_CHARS.sub("_", record["project"])))
    final, collisions = [], {}
    for name, record in wanted:
        if counts[name] == 1:
            final.append(name)
            continue
        candidates = by_project[name]
        if len(set(candidates)) == len(candidates) and not taken.intersection(candidates):
            new = candidates[len(collisions.get(name, []))]
        else:
            new = "%s_%s" % (name, record["id"])
        final.append(new)
        collisions.setdefault(name, []).append(new)
    return final, collisions


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "hostupcloud.cloud.huc"
    _sanitize_group_name = staticmethod(safe_group_name)

    def __init__(self):
        super(InventoryModule, self).__init__()
        self._failed_templates = set()

    def verify_file(self, path):
        name = os.path.basename(path)
        return super(InventoryModule, self).verify_file(path) and (
            name in ("huc.yml", "huc.yaml") or name.endswith((".huc.yml", ".huc.yaml")))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self._cache_key(path)
        use_cache = self.get_option("cache") and cache
        refresh = self.get_option("cache") and not cache
        records = None
        if use_cache:
            try:
                records = self._cache[cache_key]
            except KeyError:
                refresh = True
        if records is None:
            records = self._fetch()
        if refresh:
            self._cache[cache_key] = records
        self._populate(records)

    def _cache_key(self, path):
        """The file's cache key, made distinct by what decides the listing (never the key)."""
        listing = [self.get_option("api_url"), self.get_option("projects"), self._server_status(),
                   self._attachment_kinds()] + ([self.get_option("label_selector")] if self.get_option("label_selector") else [])
        return "%s_%s" % (self.get_cache_key(path),
                          hashlib.sha256(json.dumps(listing).encode("utf-8")).hexdigest()[:8])

    def _server_status(self):
        status = self.get_option("status") or []
        return status[0] if len(status) == 1 else None

    # -- reading the API ----------------------------------------------------------------------

    def _fetch(self):
        self.templar.available_variables = self._vars or {}
        options = dict((name, self.get_option(name)) for name in API_OPTIONS)
        try:
            selector = parse_selector(self.get_option("label_selector")) if self.get_option("label_selector") else None
            options["api_key"] = self.templar.template(options["api_key"])
            client = HucClient.from_options(options, user_agent_extra="ansible-inventory/%s" % self.NAME,
                                            warn=self.display.warning)
            projects = self._projects(client)
            nodes = dict((node.get("id"), node.get("name")) for node in client.list("/nodes"))
            query = {"status": self._server_status()} if self._server_status() else {}
            if selector:
                query["labelSelector"] = selector.text
            records = []
            for project in projects:
                instances = client.list("/instances", dict(query, projectId=project["id"]))
                instances = selector.select(instances) if selector else instances
                # no instance listed, no host to attach anything to: the attachment listings are skipped
                attached = self._attachments(client, project["id"]) if instances else {}
                for instance in instances:
                    record = host_record(instance, project, nodes)
                    for kind, by_instance in attached.items():
                        record[ATTACHMENT_VARIABLES.get(kind, kind)] = by_instance.get(instance.get("id"), [])
                    records.append(record)
            return records
        except HucApiError as error:
            raise AnsibleError("%s inventory: %s" % (self.NAME, error.describe({"projectId": "projects"}))) from None

    def _attachments(self, client, project_id):
        """{kind: {instance id: [what is attached]}} for the kinds the attachments option names."""
        found = {}
        for kind in self._attachment_kinds():
            path, view = ATTACHMENTS[kind]
            by_instance = found.setdefault(kind, {})
            for item in client.list(path, {"projectId": project_id}):
                # (instance id, value) pairs: a network has several instances, the others one
                pairs = view(item) if kind == "private_networks" else [(item.get("instanceId"), view(item))]
                for instance_id, value in pairs:
                    if instance_id:
                        by_instance.setdefault(instance_id, []).append(value)
        return found

    def _attachment_kinds(self):
        """The kinds to read: those of attachments, and private networks for connect_with private."""
        kinds = sorted(self.get_option("attachments") or [])
        if "private" in (self.get_option("connect_with") or []) and "private_networks" not in kinds:
            kinds.append("private_networks")
        return kinds

    def _projects(self, client):
        """[{id, name}] of the chosen projects: one project listing unless every entry is an id."""
        wanted = list(dict.fromkeys(self.get_option("projects") or []))
        if wanted and all(looks_like_id(value) for value in wanted):
            return [{"id": value, "name": value} for value in wanted]
        refs = References(client)
        if not wanted:
            return refs.listing("project")
        try:
            return [refs.find("project", value) for value in wanted]
        except HucApiError as error:
            raise AnsibleError("%s inventory: projects: %s" % (self.NAME, error))

    # -- building the inventory ---------------------------------------------------------------

    def _populate(self, records):
        prefix, suffix = self.get_option("hostvars_prefix") or "", self.get_option("hostvars_suffix") or ""
        status = self.get_option("status") or []
        strict = self.get_option("strict")
        self._failed_templates = set()
        kept = []
        for record in records:
            if status and record.get("status") not in status:
                continue
            fields = HOST_FIELDS + tuple(ATTACHMENT_VARIABLES.get(kind, kind) for kind in ATTACHMENTS
                                         if kind in (self.get_option("attachments") or []))
            # protected here already: filters, hostname, compose and groups must not template API data either
            variables = protect(dict((prefix + field + suffix, record.get(field)) for field in fields))
            address = connect_address(record, self.get_option("connect_with"))
            if address:
                variables["ansible_host"] = protect(address)
            else:
                self.display.vvv("%s: instance %s has none of connect_with %s; ansible_host not set"
                                 % (self.NAME, record.get("name"), self.get_option("connect_with")))
            if self._kept(record, variables, strict):
                kept.append((self._hostname(record, variables, strict), record, variables))
        names, collisions = distinct_hostnames([(name, record) for name, record, _variables in kept])
        for name, renamed in sorted(collisions.items()):
            self.display.warning("%s inventory: %d instances have the hostname %r; they are named %s"
                                 % (self.NAME, len(renamed), name, ", ".join(renamed)))
        self.inventory.add_group("huc")
        for name, (_wanted, record, variables) in zip(names, kept):
            self._add_host(name, record, variables, strict)

    def _add_host(self, name, record, variables, strict):
        self.inventory.add_host(name, group="huc")
        for key, value in variables.items():
            self.inventory.set_variable(name, key, value)  # protect()ed by _populate
        for kind in ("project", "status", "node"):
            group = self.inventory.add_group(safe_group_name("huc_%s_%s" % (kind, record.get(kind))))
            self.inventory.add_child(group, name)
        self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)

    def _kept(self, record, variables, strict):
        for expression in self.get_option("filters"):
            try:
                value = self._compose(expression, variables)
            except Exception as error:  # pylint: disable=broad-except  # any template error
                self._template_failed("filters", expression, record, error, strict, "those hosts are left out")
                return False
            if not (boolean(value, strict=False) if isinstance(value, str) else bool(value)):
                return False
        return True

    def _hostname(self, record, variables, strict):
        template = self.get_option("hostname")
        if not template:
            return record.get("name")
        self.templar.available_variables = variables
        try:
            return str(self.templar.template(template))
        except Exception as error:  # pylint: disable=broad-except  # any template error
            self._template_failed("hostname", template, record, error, strict, "those hosts keep their instance name")
            return record.get("name")

    def _template_failed(self, option, template, record, error, strict, outcome):
        """With strict the inventory fails; else one warning per template, not one per host."""
        message = "%s inventory: %s: %r failed for %s: %s" % (self.NAME, option, template, record.get("name"), error)
        if strict:
            raise AnsibleError(message) from None
        if (option, template) not in self._failed_templates:
            self._failed_templates.add((option, template))
            self.display.warning("%s (%s)" % (message, outcome))
