# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection version, for the User-Agent. Private to this collection.

galaxy.yml is the release source of truth; tests/unit/plugins/module_utils/test_client.py fails when they differ.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COLLECTION_VERSION = "1.1.0"
