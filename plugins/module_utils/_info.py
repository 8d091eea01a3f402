# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Info modules: one listing (or one GET by id), filtered. Private to this collection.

An info module declares its resource and its filters; it runs no create, update or delete.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import looks_like_id, snake_to_camel
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import ID, PROJECT, HucModule, Option
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import References
from ansible_collections.hostupcloud.cloud.plugins.module_utils._selectors import parse_selector


def equals(api_field):
    return lambda obj, value: obj.get(api_field) == value


def name_or_id(obj, value):
    return value in (obj.get("name"), obj.get("id"))


def has_labels(obj, wanted):
    labels = obj.get("labels") or {}
    return all(labels.get(key) == value for key, value in wanted.items())


def selected(obj, selector):
    return selector.matches(obj.get("labels"))


class Filter(Option):
    """An option of an info module that keeps the objects it matches.

    match(obj, value) says whether an API object matches (default: its field of the option's
    camelCase name equals value); ref: the option names a resource of that kind, which match gets
    as an id (a name costs the one listing of its kind, and one naming nothing gives an empty
    result); server: also sent as a query parameter; wire: sent as the query parameter of this name with
    the value as given (and still applied here, so an API that ignores it gives the right set too);
    normalize: the value as compared (it may raise HucApiError naming the option).
    """

    def __init__(self, name, type="str", match=None, ref=None, server=False, normalize=None, wire=None, **spec):
        super(Filter, self).__init__(name, type, **spec)
        self.match = match or equals(snake_to_camel(name))
        self.ref = ref
        self.server = server or bool(wire)
        self.normalize = normalize
        self.wire = wire


def label_selector_filter():
    """label_selector: parsed before any request, sent as labelSelector=, applied to what comes back."""
    return Filter("label_selector", match=selected, normalize=parse_selector, wire="labelSelector")


class HucInfoModule(HucModule):
    """Declare resource (a Reference), filters and by_id (whether the module takes id, read with one GET; a kind
    the API has no GET of one for may declare Filter("id") instead, which filters the listing)."""

    filters = ()
    by_id = True

    @classmethod
    def declared_options(cls):
        options = [PROJECT] if cls.resource.in_project else []
        return tuple(options + ([ID] if cls.by_id else []) + list(cls.filters) + list(cls.options))

    def run(self):
        refs = References(self.client, self.params.get("project"))
        # Every value normalized (and refused) before the first request a reference may cost.
        wanted = dict((item.name, item.normalize(self.params[item.name]) if item.normalize else self.params[item.name])
                      for item in self.filters if self.params.get(item.name) is not None)
        for item in self.filters:
            if item.ref and item.name in wanted and not looks_like_id(wanted[item.name]):
                # A filter naming something that does not exist matches nothing: an empty result, not a failure.
                wanted[item.name] = (refs.find(item.ref, wanted[item.name], required=False) or {}).get("id")
                if wanted[item.name] is None:
                    return self.set_result([])
        if self.by_id and self.params.get("id"):
            found = [obj for obj in [self.client.get_or_none(self.item_path(self.params["id"]))]
                     if obj is not None]
        else:
            query = dict((item.wire, self.params[item.name]) if item.wire else (item.name, wanted[item.name])
                         for item in self.filters if item.server and item.name in wanted)
            found = (refs.in_project(self.resource.path, query) if self.resource.in_project
                     else self.client.list(self.resource.path, query))
        found = [obj for obj in found if all(item.match(obj, wanted[item.name]) for item in self.filters
                                             if item.name in wanted)]
        self.set_result([self.view(obj) for obj in found])
