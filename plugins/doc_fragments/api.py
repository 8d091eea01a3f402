# -*- coding: utf-8 -*-
# Copyright: HostUpCloud collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """Options every hostupcloud.cloud module shares, and their common attributes."""

    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - The HostUpCloud API key, C(huc_) followed by the secret, sent as a Bearer token.
      - Create it in the console under Settings, API Keys. A key with the C(read) permission is
        enough for info modules; modules that change anything need C(write).
      - Never shown in output, diffs or error messages (masked as C(huc_abcd…)).
      - If not set, the value of the E(HUC_API_KEY) environment variable is used.
    type: str
    required: true
    aliases: [api_token]
  api_url:
    description:
      - Base URL of the HostUpCloud Console API.
      - Plain C(http://) is refused except for loopback addresses, such as the emulator in C(tests/emulator).
      - If not set, the value of the E(HUC_API_URL) environment variable is used.
    type: str
    default: https://console.hostupcloud.com/api
  api_timeout:
    description:
      - Seconds to wait for one HTTP answer.
      - If not set, the value of the E(HUC_API_TIMEOUT) environment variable is used.
    type: int
    default: 30
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate. Only disable it for a trusted test endpoint.
    type: bool
    default: true
  api_retries:
    description:
      - How many times a request that failed with 500, 502, 503, 504, a timeout or a dropped connection
        is retried, with exponential backoff and jitter.
      - Reads, updates and deletes are retried. A create is retried only because it carries an
        C(Idempotency-Key), so the API runs it at most once, and the module first looks the new
        resource up by name, so a flaky network never creates it twice.
    type: int
    default: 5
  rate_limit_timeout:
    description:
      - The API allows 60 requests a minute per key and answers C(429 Too Many Requests) past that.
      - A task waits out 429 answers (as long as C(Retry-After) says, else until C(X-RateLimit-Reset),
        else with exponential backoff) for at most this many seconds in total, then fails. Queueing
        for the shared budget of O(rate_limit) is not counted, as that queue always moves.
    type: int
    default: 300
  rate_limit:
    description:
      - Requests a minute the API allows this key; V(0) turns pacing off.
      - Every module run, inventory run and fork of this controller that uses the key takes its
        requests from one shared budget of this size (a token comes back a minute after its
        request was answered, like the API's own window), so forks queue instead of running into C(429) answers.
        The API's C(Retry-After) and C(X-RateLimit-Remaining)/C(X-RateLimit-Reset) headers slow it
        down further, so several controllers sharing a key also settle without C(429) storms.
      - If not set, the value of the E(HUC_RATE_LIMIT) environment variable is used.
    type: int
    default: 60
    version_added: 0.2.0
  rate_limit_shared:
    description:
      - Share the budget of O(rate_limit) with the other processes of this controller, through a
        small state file per key (named by a hash of the key, never the key) under
        E(HUC_RATE_LIMIT_DIR), by default C($XDG_RUNTIME_DIR/hostupcloud) or else a per-user
        directory in the temporary directory. A missing directory is created with mode C(0700).
        A directory that cannot be written, is a symlink, is not the user's own or is writable by
        others, or a state file that is not a regular file of the user's, falls back to pacing
        this task alone, with a warning.
      - V(false) paces this task alone.
      - If not set, the value of the E(HUC_RATE_LIMIT_SHARED) environment variable is used.
    type: bool
    default: true
    version_added: 0.2.0
requirements:
  - requests >= 2.31
notes:
  - Requests are the scarcest resource of the HostUpCloud API (60 a minute per key); every module
    makes the fewest requests it can, and none in check mode beyond the reads it needs.
"""

    ATTRIBUTES = r"""
attributes:
  action_group:
    description: Use C(group/hostupcloud.cloud.huc) in C(module_defaults) to set the API options once.
    support: full
    membership:
      - hostupcloud.cloud.huc
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
"""

    # Info modules only read: nothing to diff.
    INFO_MODULE = r"""
attributes:
  diff_mode:
    description: Returns nothing to diff; it changes nothing.
    support: N/A
"""
