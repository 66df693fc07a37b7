"""Transient upstream failures (5xx, 429, dropped connections) are retried until every record arrives."""

from __future__ import annotations

import pytest

from connectors.base import TransientError
from connectors.http import RetryPolicy
from connectors.sandboxes.edu import EduSandbox
from connectors.sandboxes.inspectors import InspectorsSandbox
from connectors.sandboxes.samr import SamrSandbox

FAULTS = {"error_5xx": 0.2, "too_many": 0.15, "retry_after": 0, "drop": 0.15, "seed": 3}


def test_samr_sync_reaches_every_entity_through_faults(samr: SamrSandbox, source_for) -> None:
    samr.set_faults(FAULTS)
    source = source_for("samr-rest", samr, page_size=50)
    got = [r.key for b in source.batches({}) for r in b.records]
    assert sorted(got) == sorted(samr.entity(i)["uscc"] for i in range(samr.count))
    assert samr.stats["faults"] > 0
    assert source.http.retries == samr.stats["faults"]


def test_edu_and_inspectors_survive_faults(edu: EduSandbox, inspectors: InspectorsSandbox, source_for) -> None:
    for server in (edu, inspectors):
        server.set_faults(FAULTS | {"seed": 11})
    edu_source = source_for("edu-xml", edu.url + "/feeds/schools.xml")
    roster = source_for("inspectors-rest", inspectors)
    for _ in range(5):
        assert sum(len(b.records) for b in edu_source.batches({})) == 250
        assert sum(len(b.records) for b in roster.batches({})) == 17
    assert edu.stats["faults"] + inspectors.stats["faults"] > 0


def test_persistent_5xx_gives_up_as_transient(samr: SamrSandbox, source_for) -> None:
    samr.set_faults({"error_5xx": 1.0})
    source = source_for("samr-rest", samr, policy=RetryPolicy(attempts=3, base_delay=0.001))
    with pytest.raises(TransientError, match="HTTP 5"):
        list(source.batches({}))
    assert samr.stats["requests"] == 3


def test_429_waits_as_long_as_retry_after_says(samr: SamrSandbox, source_for) -> None:
    samr.set_faults({"too_many": 1.0, "retry_after": 7})
    slept: list[float] = []
    source = source_for("samr-rest", samr, policy=RetryPolicy(attempts=3), sleep=slept.append)
    with pytest.raises(TransientError, match="429"):
        list(source.batches({}))
    assert slept == [7.0, 7.0]
