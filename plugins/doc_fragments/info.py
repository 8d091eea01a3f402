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
