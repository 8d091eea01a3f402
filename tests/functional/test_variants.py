"""The client's stated tolerances (docs/dev/api-contract.md, "How the client stays tolerant"), proven: the
every-module playbook of test_return_docs.py passes against an emulator that breaks one assumption of the
contract (a variant, tests/emulator/variants.py), for every variant the document calls tolerated.

References are given as the API answered them (the instance's id, a number under numeric-ids), the node
and the project by name, which works under every variant. The playbook's lists fit one page, which is
all that other-pagination is tolerated for.
"""

import pytest

from tests.emulator.harness import make_instances
from tests.functional.playbook import run_playbook
from tests.functional.test_return_docs import every_module_tasks

TOLERATED = ["bare-lists", "bare-objects", "no-rate-headers", "other-pagination", "per-page-25", "numeric-ids", "plain-errors",
             "offset-timestamps"]


@pytest.mark.heavy
@pytest.mark.parametrize("variant", TOLERATED)
def test_every_module_under_a_variant(emulator_factory, tmp_path, variant):
    emulator = emulator_factory(variants=[variant])
    assert emulator.bootstrap["variants"] == [variant]
    ids = make_instances(emulator, ["doc-1"])
    tasks = every_module_tasks(emulator.node_name, emulator.os_template, ids["doc-1"], tmp_path / "api_key.json")
    run = run_playbook(tasks, emulator=emulator, env={"HUC_PROJECT": emulator.project_name})
    assert run.rc == 0 and "Traceback" not in run.output, run
    assert [record["task"] for record in run.records if record["status"] == "failed"] == [], run
    assert len(run.records) == len(tasks)


@pytest.mark.parametrize("variant, listed, requests", [
    (None, 120, 2),                  # pages of 100
    ("bare-lists", 120, 1),          # one bare array holds them all
    ("per-page-25", 120, 5),         # the cap is followed through totalPages
    ("other-pagination", 100, 1),    # no pagination object it knows: the first page is taken as all (the documented limit)
])
def test_long_listings_under_the_pagination_variants(emulator_factory, variant, listed, requests):
    """What the tolerance of each pagination variant amounts to, on a listing longer than one page."""
    from tests.functional.test_client import client_for
    emulator = emulator_factory(variants=[variant] if variant else [], seed_instances=120)
    client, _clock = client_for(emulator)
    emulator.clear_requests()
    assert len(client.list("/instances", {"projectId": emulator.project_id})) == listed
    assert len(emulator.requests()) == requests
