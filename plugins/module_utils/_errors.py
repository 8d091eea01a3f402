# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error of the collection's API client, with secrets masked. Private to this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

KEY_PATTERN = re.compile(r"huc_[A-Za-z0-9]{4}[A-Za-z0-9_\-]*")


def mask_secrets(text):
    """Replace every API key in text by its first characters, e.g. ``huc_abcd…``."""
    if not text:
        return text
    return KEY_PATTERN.sub(lambda m: m.group(0)[:8] + u"\u2026", str(text))


def camel_to_snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class HucApiError(Exception):
    """Any failure talking to the API: an error answer, a network problem or a refused setting."""

    def __init__(self, message, status=None, code=None, details=None, method=None, path=None):
        self.status = status
        self.code = code
        self.api_message = mask_secrets(message)
        self.details = details or {}
        self.method = method
        self.path = path
        super(HucApiError, self).__init__(self.describe())

    def describe(self, field_names=None):
        """A readable message in user terms; field_names maps API fields to option names."""
        field_names = field_names or {}
        where = " (%s %s)" % (self.method, self.path) if self.method else ""
        if self.code == "invalid_api_key":
            text = "the API key was not accepted (invalid_api_key): check api_key or HUC_API_KEY"
        elif self.code == "api_key_revoked":
            text = "the API key has been revoked (api_key_revoked): re-enable it or use another key"
        elif self.code == "api_key_expired":
            text = "the API key has expired (api_key_expired): issue a new key"
        elif self.status == 403:
            text = "this API key has the Read permission only; this task needs Write (forbidden)"
        elif self.status == 404:
            text = "not found: %s" % self.api_message
        elif self.details and isinstance(self.details, dict) and self.status in (400, 422):
            fields = "; ".join(
                "%s: %s" % (field_names.get(k, camel_to_snake(k)), v) for k, v in sorted(self.details.items()))
            text = "invalid input (%s): %s" % (self.code or self.status, fields)
        else:
            text = self.api_message
            # Codes the API sent are worth showing; our own (no status) are said by the text.
            if self.code and self.status is not None and self.code not in text:
                text = "%s (%s)" % (text, self.code)
        return mask_secrets(text + where)

    def failure(self):
        return {"status": self.status, "code": self.code, "message": self.api_message, "details": self.details}
