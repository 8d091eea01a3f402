# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""References to other resources, by name or id, with the fewest requests. Private to this collection.

Used by modules and by the inventory plugin alike: it needs only a HucClient and raises
HucApiError (it imports nothing of AnsibleModule).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError, item_path, looks_like_id


def pick(kind, items, value, required=False, name_key="name"):
    """The one item whose id, else name, is value; None when absent and not required.

    An ambiguous name, or no match when required, raises HucApiError listing what is known.
    """
    # Ids compare as text: an API with numeric ids answers 7 where the task gave "7".
    found = [item for item in items if item.get("id") is not None and str(item.get("id")) == str(value)] or [
        item for item in items if item.get(name_key) == value]
    if len(found) > 1:
        raise HucApiError("%s name %r is ambiguous: it matches %s; give the id instead"
                          % (kind, value, ", ".join(str(item.get("id")) for item in found)), code="ambiguous")
    if not found and required:
        known = ", ".join(sorted(str(item.get(name_key)) for item in items)[:20]) or "none"
        raise HucApiError("%s %r not found (by id or name); known: %s" % (kind, value, known), code="not_found")
    return found[0] if found else None


class Reference:
    """One kind of resource: its path, whether it lives in a project, the field that names it, and
    the fields every module returns of it (snake_case of the API object, in this order)."""

    def __init__(self, kind, path, fields, in_project=True, name_key="name"):
        self.kind = kind
        self.path = path
        self.fields = fields
        self.in_project = in_project
        self.name_key = name_key


INSTANCE_FIELDS = ("id", "project_id", "name", "node_id", "os_template", "snapshot_id", "backup_id", "vcpus",
                   "memory_mb", "disk_gb", "status", "ipv4", "ipv6", "ipv6_prefix", "reverse_dns", "ssh_key_ids",
                   "labels", "backups", "protection", "created_at", "updated_at")
REFERENCES = dict(
    project=Reference("project", "/projects", ("id", "name", "created_at"), in_project=False),
    node=Reference("node", "/nodes", ("id", "name", "location", "status", "available_vcpus", "available_memory_mb",
                                      "available_disk_gb"), in_project=False),
    os_template=Reference("OS template", "/os-templates", ("name", "family", "version"), in_project=False),
    instance=Reference("instance", "/instances", INSTANCE_FIELDS),
    ssh_key=Reference("SSH key", "/ssh-keys", ("id", "project_id", "name", "public_key", "fingerprint", "created_at")),
    volume=Reference("volume", "/volumes", ("id", "project_id", "name", "size_gb", "node_id", "instance_id", "status",
                                            "protection", "created_at")),
    floating_ip=Reference("floating IP", "/floating-ips", ("id", "project_id", "address", "node_id", "instance_id",
                                                           "reverse_dns", "protection", "created_at"), name_key="address"),
    firewall=Reference("firewall", "/firewalls", ("id", "project_id", "name", "rules", "instance_ids", "created_at")),
    private_network=Reference("private network", "/networks", ("id", "project_id", "name", "cidr", "attachments",
                                                               "created_at")),
    snapshot=Reference("snapshot", "/snapshots", ("id", "project_id", "name", "instance_id", "os_template", "size_gb",
                                                  "status", "labels", "created_at")),
)


class References:
    """Resolves names and ids for one run against one project; each listing is made at most once.

    A UUID-shaped value is taken as an id without a request (the API validates it where it is
    used); a project id that the API answers 404 for is looked up as a name once (in_project()).
    project is the name or id of the project of the run (None: none given).
    """

    def __init__(self, client, project=None):
        self.client = client
        self.project = project
        self._lists = {}
        self._objects = {}
        self._project_id = None

    def listing(self, kind, project_id=None):
        ref = REFERENCES[kind]
        key = (kind, project_id if ref.in_project else None)
        if key not in self._lists:
            if ref.in_project:
                self._lists[key] = self.in_project(ref.path)
            else:
                self._lists[key] = self.client.list(ref.path)
        return self._lists[key]

    def listed(self, kind):
        """The listing of kind if this run has made it already, else None (never a request)."""
        return self._lists.get((kind, None))

    def find(self, kind, value, required=True, called=None):
        """The object of kind named or numbered value (one listing, cached)."""
        ref = REFERENCES[kind]
        return pick(called or ref.kind, self.listing(kind), value, required, ref.name_key)

    def id(self, kind, value, called=None):
        """The id of the kind named or numbered value: no request for an id."""
        if kind == "project":
            return self.project_id(value)
        return value if looks_like_id(value) else self.find(kind, value, called=called)["id"]

    def get(self, kind, value, called=None):
        """The object of kind named or numbered value: a UUID costs one GET (none if the kind is listed
        already), a name the one listing. An unknown one fails naming it."""
        ref = REFERENCES[kind]
        if not looks_like_id(value) or any(key[0] == kind for key in self._lists):
            return self.find(kind, value, called=called)
        if value not in self._objects:
            found = self.client.get_or_none(item_path(ref.path, value))
            if found is None:
                raise HucApiError("%s %r not found (by id or name)" % (called or ref.kind, value), code="not_found")
            self._objects[value] = found
        return self._objects[value]

    def ids(self, kind, values, called=None):
        """Ids of several references: no request if all are ids, else one listing."""
        if all(looks_like_id(value) for value in values):
            return list(values)
        return [self.find(kind, value, called=called)["id"] for value in values]

    # -- projects: every project-scoped listing goes through here ------------------------------

    def project_id(self, value=None, verify=False):
        """The id of the run's project (or of value), by id or name; UUID-shaped is taken as is."""
        own = value is None or value == self.project
        value = self.project if value is None else value
        if not value:
            raise HucApiError("project is required: give its name or id, or set HUC_PROJECT", code="missing_project")
        if own and self._project_id and not verify:
            return self._project_id
        if looks_like_id(value) and not verify:
            project_id = value
        else:
            project_id = self.find("project", value)["id"]
        if own:
            self._project_id = project_id
        return project_id

    def in_project(self, path, params=None):
        """List the run's project's resources; a UUID-shaped project that is really a name is looked up."""
        query = dict(params or {}, projectId=self.project_id())
        try:
            return self.client.list(path, query)
        except HucApiError as error:
            if error.status != 404 or not looks_like_id(self.project):
                raise
        query["projectId"] = self.project_id(verify=True)
        return self.client.list(path, query)
