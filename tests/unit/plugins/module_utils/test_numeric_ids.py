"""An API whose ids are numbers (the emulator's numeric-ids variant): the client resolves and sends them."""

from types import SimpleNamespace

from ansible_collections.hostupcloud.cloud.plugins.module_utils._declarations import Field
from ansible_collections.hostupcloud.cloud.plugins.module_utils._endpoints import Attachment, Members
from ansible_collections.hostupcloud.cloud.plugins.module_utils._module import path_safe_id
from ansible_collections.hostupcloud.cloud.plugins.module_utils._references import pick

UUID = "7d3c2a4e-0b1f-4c55-9a51-2f6a1c0e8b90"


def test_pick_matches_a_numeric_id_given_as_text():
    items = [{"id": 7, "name": "web-1"}, {"id": 12, "name": "web-2"}]
    assert pick("instance", items, "7")["name"] == "web-1"
    assert pick("instance", items, 12)["name"] == "web-2"
    assert pick("instance", items, "web-2")["id"] == 12
    assert pick("instance", [{"id": None, "name": "None"}], "None")["name"] == "None"  # a missing id is no match


def test_an_id_option_may_be_a_uuid_or_a_positive_integer_and_nothing_else():
    assert path_safe_id(UUID) and path_safe_id("7") and path_safe_id(7) and path_safe_id("1234567890")
    for value in ("0", "-1", "07", "1.5", "7\n", "7/..", "../instances", "web-1", "", "１"):
        assert not path_safe_id(value), value


def test_the_allocated_for_label_is_a_string_when_ids_are_numbers():
    endpoint = Attachment(delete_verb="release", mark="hostupcloud.cloud/allocated-for")
    Field("instance", api="instanceId", via=endpoint)
    module = SimpleNamespace(refs=SimpleNamespace(get=lambda kind, value: {"id": 7, "nodeId": 3}))
    assert endpoint.create_body(module, {"instance": "7"}, {}) == {
        "labels": {"hostupcloud.cloud/allocated-for": "7"}, "nodeId": 3}


def test_numeric_ids_in_messages():
    assert Members("purge_instances").blocks_delete(None, {"attachments": [{"instanceId": 7, "ip": "10.0.0.2"}]}) == "has 1 instances attached (7)"
