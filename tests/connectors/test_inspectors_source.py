"""inspectors-rest: the full roster as one complete snapshot."""

from __future__ import annotations

import pytest

from connectors.base import MalformedResponse
from connectors.sandboxes.inspectors import InspectorsSandbox

FIELDS = {
    "inspector_id",
    "name",
    "agency",
    "cert_no",
    "cert_valid_until",
    "expertise",
    "home_districts",
    "active",
    "capacity",
    "conflicts",
}


def test_full_list_is_one_complete_snapshot(inspectors: InspectorsSandbox, source_for) -> None:
    [batch] = list(source_for("inspectors-rest", inspectors).batches({}))
    assert batch.complete_snapshot
    assert [r.key for r in batch.records] == [f"HEALTH-{n:05d}" for n in range(1, 13)] + [
        f"EDU-{n:05d}" for n in range(1, 6)
    ]
    first = batch.records[0].fields
    assert set(first) == FIELDS
    item = inspectors.items[0]
    assert (first["name"], first["cert_no"], first["expertise"]) == (item["name"], item["cert_no"], item["expertise"])
    assert all(r.fields["capacity"] == 30 for r in batch.records)


def test_default_capacity_comes_from_config(inspectors: InspectorsSandbox, source_for) -> None:
    [batch] = list(source_for("inspectors-rest", inspectors, default_capacity=12).batches({}))
    assert {r.fields["capacity"] for r in batch.records} == {12}


def test_malformed_list_fails_the_run(inspectors: InspectorsSandbox, source_for) -> None:
    inspectors.set_faults({"malformed": 1.0})
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        list(source_for("inspectors-rest", inspectors).batches({}))


def test_item_with_unreadable_shape_becomes_error(inspectors: InspectorsSandbox, source_for) -> None:
    inspectors.items.extend([{"id": "HEALTH-09999", "expertise": "food"}, {"name": "无编号"}])
    [batch] = list(source_for("inspectors-rest", inspectors).batches({}))
    errors = {r.key: r.error for r in batch.records if r.error}
    assert errors == {
        "HEALTH-09999": "field 'expertise' is not a list",
        "item 18": "item 18: field 'id' is missing or not a string",
    }
