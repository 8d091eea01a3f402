"""The client's stated tolerances (docs/dev/api-contract.md, "How the client stays tolerant"), proven: the
every-module playbook of test_return_docs.py passes against an emulator that breaks one assumption of the
contract (a variant, tests/emulator/variants.py), for every variant the document calls tolerated.

References are given as the API answered them (the instance's id, a number under numeric-ids), the node
and the project by name, which works under every variant.
"""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.faultkit import SCALED_ENV, SCALED_LIMIT
from tests.functional.playbook import run_playbook
from tests.functional.test_return_docs import every_module_tasks

TOLERATED = ["bare-lists", "bare-objects", "no-rate-headers", "other-pagination", "per-page-25", "numeric-ids", "plain-errors",
             "offset-timestamps"]
# Each run of the every-module playbook costs ~12 CPU-seconds, so the variants run in groups of ones that touch
# different parts of an answer and cannot hide each other: list shape / object envelope / timestamps; where the
# pagination is / ids / errors; page size / rate headers. (bare-lists would hide both pagination variants, so it
# shares a group with neither.) A failure names its group; rerun it with one variant to tell which.
GROUPS = [["bare-lists", "bare-objects", "offset-timestamps"], ["other-pagination", "numeric-ids", "plain-errors"],
          ["per-page-25", "no-rate-headers"]]


def test_the_groups_hold_every_tolerated_variant_once():
    assert sorted(sum(GROUPS, [])) == sorted(TOLERATED)


@pytest.mark.heavy
@pytest.mark.parametrize("variants", GROUPS, ids="+".join)
def test_every_module_under_a_variant(emulator_factory, tmp_path, variants):
    # The playbook sends ~60 requests in seconds: in a 60 s window the shared budget rightly waits the window
    # out (52 s idle, measured), which this test is not about (test_rate_budget is). The fault tests' scaled
    # limit, in the emulator and the budget alike, keeps those waits short.
    emulator = emulator_factory(variants=variants, **SCALED_LIMIT)
    assert emulator.bootstrap["variants"] == variants
    ids = make_instances(emulator, ["doc-1"])
    tasks = every_module_tasks(emulator.node_name, emulator.os_template, ids["doc-1"], tmp_path / "api_key.json")
    run = run_playbook(tasks, emulator=emulator, env=dict(SCALED_ENV, HUC_PROJECT=emulator.project_name))
    assert run.rc == 0 and "Traceback" not in run.output, run
    assert [record["task"] for record in run.records if record["status"] == "failed"] == [], run
    assert len(run.records) == len(tasks)


@pytest.mark.parametrize("variant, listed, requests", [
    (None, 120, 2),                  # pages of 100
    ("bare-lists", 120, 1),          # one bare array holds them all
    ("per-page-25", 120, 5),         # the cap is followed through totalPages
    ("other-pagination", 120, 2),    # the pagination object is followed under meta too
])
def test_long_listings_under_the_pagination_variants(emulator_factory, variant, listed, requests):
    """What the tolerance of each pagination variant amounts to, on a listing longer than one page."""
    from tests.functional.test_client import client_for
    emulator = emulator_factory(variants=[variant] if variant else [], seed_instances=120)
    client, _clock = client_for(emulator)
    emulator.clear_requests()
    assert len(client.list("/instances", {"projectId": emulator.project_id})) == listed
    assert len(emulator.requests()) == requests


def test_plain_errors_keep_their_status_for_the_client(emulator_factory):
    """Every decision of the client is on the status (404 gone, 409 converge, 4xx fail), never on the error code."""
    from ansible_collections.hostupcloud.cloud.plugins.module_utils._client import HucApiError
    from tests.functional.test_client import client_for
    emulator = emulator_factory(variants=["plain-errors"])
    client, _clock = client_for(emulator)
    assert client.get_or_none("/projects/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12) is None
    with pytest.raises(HucApiError) as failed:
        client.post("/ssh-keys", {"projectId": emulator.project_id, "name": "k"})
    assert failed.value.status == 422 and "422 Unprocessable Entity" in str(failed.value)
    with pytest.raises(HucApiError) as failed:
        client_for(emulator, key="huc_" + "x" * 40)[0].list("/projects")
    assert failed.value.status == 401


def test_no_rate_headers_a_429_is_still_waited_out(emulator_factory):
    from tests.functional.test_client import client_for
    emulator = emulator_factory(variants=["no-rate-headers"], rate_limit=2)
    client, clock = client_for(emulator)
    for _attempt in range(3):
        assert client.list("/projects")[0]["name"] == "default"
    assert [entry["status"] for entry in emulator.requests()] == [200, 200, 429, 200] and clock.slept
