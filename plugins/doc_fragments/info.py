# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """Options every info module of a project's resources shares (project, id), and name where it filters by one."""

    DOCUMENTATION = r"""
options:
  project:
    description:
      - Name or id of the project whose resources are listed. Required unless O(id) is given.
      - If not set, the value of the E(HUC_PROJECT) environment variable is used.
    type: str
  id:
    description:
      - Return only the resource with this id (one request); an empty list when there is none.
    type: str
"""

    NAME = r"""
options:
  name:
    description:
      - Return only the resource with this exact name (sent to the API as a filter, and checked again here).
    type: str
"""

    LABEL_SELECTOR = r"""
options:
  label_selector:
    description:
      - Return only the resources whose labels match this selector, written as in Kubernetes and hcloud.
      - "Terms joined by commas, all of which must hold: V(key=value) (or V(key==value)), V(key!=value), V(key) (the
        label is set), V(!key) (it is not), V(key in (a,b\\)), V(key notin (a,b\\)). V(key!=value) and V(key notin (a,b\\))
        also match resources without the label."
      - "Keys and values contain no whitespace, commas, parentheses, C(=), C(!), C(<) or C(>); keys are at most 63 characters, values
        at most 255."
      - Sent to the API as C(labelSelector) and applied again to what it returns, so the result is the same
        when the API ignores it; the request count does not change.
      - A selector with bad syntax fails the task, naming the bad term, before any request.
    type: str
    version_added: 1.1.0
"""
