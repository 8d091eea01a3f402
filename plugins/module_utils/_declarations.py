# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a resource module declares, and what one run of it hands from step to step. Private.

Field: an option and the API field it maps to; Endpoint: a field written through its own
endpoint; Inputs: the options of one run; Plan: what the run found and decided.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import snake_to_camel
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import Option

# An endpoint's value when the task leaves the field as it is.
NOT_SET = object()


class Field(Option):
    """One option of a resource module, declared once: its Ansible spec and the API field it maps to.

    api: the API field (default: the camelCase of the option; False: the option maps to none).
    create: sent at creation; update: also compared and changed later; neither identity nor update:
    creation-only, a different value on an existing resource warns (existing: how it says the value
    it has). required: needed to create (a string: how the failure names it). ref: the option names
    other resources of that kind (resolved to ids; called: how a failure names them). check: a limit (_limits.py), checked before any
    request, per item for a list of references. clear: what an explicit null sends. identity: the
    option finds the resource, so it is not compared; by id it renames. read: how the value to
    compare is read from an API object when it differs from what is sent. normalize: the form the
    API stores a value in (per item of a list). compare: what of the value is compared with read.
    grow_only: a smaller value is refused (the failure code). purge / key: a set-valued field;
    without the purge option true, what the task gives is added to what the resource has (key:
    what makes two items the same). replace: a change needs the resource deleted and made anew
    (only with force). via: an Endpoint the field is written through instead of the body.
    argument: false for what the API holds but no option sets (the endpoint alone decides).
    """

    def __init__(self, name, type="str", api=None, create=True, update=False, required=False, ref=None,
                 check=None, clear=None, called=None, existing=None, identity=False, read=None, normalize=None,
                 compare=None, grow_only=None, purge=None, key=None, replace=False, via=None, argument=True, **spec):
        super(Field, self).__init__(name, type, **spec)
        self.argument = argument
        self.option = name
        self.api = snake_to_camel(name) if api is None else api
        self.many = type == "list"
        self.create = create and via is None
        self.update = update
        self.required = required
        self.ref = ref
        self.check = check
        self.clear = clear
        self.called = called
        self.existing = existing
        self.identity = identity
        self.read = read
        self.normalize = normalize
        self.compare = compare
        self.grow_only = grow_only
        self.purge = purge
        self.key = key
        self.replace = replace
        self.via = via
        if via is not None:
            via.field = self  # at declaration, once: an endpoint serves one field

    def problem(self, value):
        """What is wrong with value (per item of a list of references), None when it is within the limits."""
        if self.check is None or value is None:
            return None
        return next((text for text in map(self.check, value if self.many and self.ref else [value]) if text), None)

    def current(self, obj):
        """The value of this field in an API object, as it compares with what is sent."""
        return self.read(obj) if self.read else obj.get(self.api)

    def differs(self, obj, value):
        return self.current(obj) != (self.compare(value) if self.compare else value)

    def merged(self, have, wanted, purge):
        """A set-valued field after the task: wanted (purge), else have plus what wanted adds; have when equal."""
        key = self.key or (lambda item: item)
        have = list(have or [])
        known = set(key(item) for item in have)
        result = list(wanted) if purge else have + [item for item in wanted if key(item) not in known]
        return have if set(key(item) for item in result) == known and len(result) == len(have) else result

    @property
    def creation_only(self):
        return self.create and not self.update and not self.identity and self.api


class Inputs(dict):
    """The options of one run (option -> value) and which of them the task set, even to null.

    problems (API field -> what is wrong) are found while reading them, reported with every other
    limit (names: how the failure names such a field when not by its option).
    """

    def __init__(self, values, explicit, problems=None, names=None):
        super(Inputs, self).__init__(values)
        self.explicit = frozenset(explicit)
        self.problems = problems or {}
        self.names = names or {}

    def cleared(self, option):
        """The task set option to null (null can mean "clear", "detach")."""
        return self.get(option) is None and option in self.explicit


class Plan:
    """What one run found and decided, handed from step to step (find -> plan -> predict | apply).

    current: the object found (None: it is to be made); listing: the project's objects when the
    find listed them all; body: what a create sends; changes: API field -> value to PATCH;
    writes: API field -> value written through the field's endpoint (after the create, or the PATCH);
    leftovers: objects of this kind that a stopped run left behind for this one, to be deleted.
    """

    def __init__(self, inputs, current=None, listing=None, leftovers=()):
        self.inputs = inputs
        self.current = current
        self.listing = listing
        self.leftovers = list(leftovers)
        self.body = {}
        self.changes = {}
        self.writes = {}

    @property
    def changed(self):
        return self.current is None or bool(self.changes or self.writes or self.leftovers)


class Endpoint:
    """A field written through its own endpoint (attach, reverse DNS, ...) after the object exists.

    forced: the module has the force option for it; blocks_delete(module, obj) says what must be
    undone before a delete (only with force, which then undoes it: undo(module, obj));
    force_to_delete says how. derives(field, inputs): the endpoint's option gives field its value
    at creation, from create_body(module, inputs, body).
    """

    field = None
    forced = False
    force_to_delete = None

    def check(self, inputs):
        """A problem with the options, before any request (None: none)."""
        return None

    def value(self, module, inputs, current):
        """The value to have after the run; NOT_SET when the task leaves the field as it is."""
        raise NotImplementedError

    def differs(self, current, value):
        return self.field.current(current) != value

    def refuse(self, module, obj, value, inputs):
        """Fail before any write when value cannot be written to obj (the object found, or the one to be made)."""

    def predict(self, obj, value):
        return dict(obj, **{self.field.api: value})

    def write(self, module, obj, value):
        raise NotImplementedError

    def blocks_delete(self, module, obj):
        return None

    def undo(self, module, obj):
        """Undo what blocks a delete (no request when nothing does); returns obj as it then is."""
        return obj

    def derives(self, field, inputs):
        return False

    def create_body(self, module, inputs, body):
        return {}
