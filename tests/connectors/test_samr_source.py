"""samr-rest: paging, incremental runs from the high-water mark, resuming a killed run."""

from __future__ import annotations

import time

import pytest

from connectors.base import FatalError, MalformedResponse
from connectors.samr_rest import categories_for
from connectors.sandboxes.samr import SamrSandbox


def _all_usccs(server: SamrSandbox) -> list[str]:
    return [server.entity(i)["uscc"] for i in range(server.count)]


def test_full_sync_pages_through_every_entity_in_order(samr: SamrSandbox, source_for) -> None:
    batches = list(source_for("samr-rest", samr, page_size=100).batches({}))
    assert len(batches) == 10
    records = [r for b in batches for r in b.records]
    assert [r.key for r in records] == _all_usccs(samr)
    stamps = [r.fields["updated_at"] for r in records]
    assert stamps == sorted(stamps)
    assert all(b.bookmark and b.bookmark["cursor"] for b in batches[:-1])
    assert batches[-1].bookmark == {
        "updated_since": batches[0].bookmark["run_high_water"],
        "cursor": None,
        "run_since": None,
        "run_high_water": None,
    }


def test_items_map_to_canonical_fields(samr: SamrSandbox, source_for) -> None:
    source = source_for("samr-rest", samr, page_size=10, categories={"H61": "hotel", "Q85": "eldercare"})
    record = next(iter(source.batches({}))).records[0]
    item = samr.entity(0)
    assert record.key == item["uscc"]
    assert record.fields["scheme_id"] is None
    assert {k: record.fields[k] for k in item} == item
    assert record.error is None and '"uscc"' in record.raw


def test_incremental_sync_picks_up_touched_entities_only(samr: SamrSandbox, source_for) -> None:
    source = source_for("samr-rest", samr)
    state = list(source.batches({}))[-1].bookmark
    touched = samr.touch(5) + samr.touch(indices=[3], changes={"status": "revoked"})
    batches = list(source.batches(state))
    got = {r.key: r for b in batches for r in b.records}
    assert sorted(got) == sorted(touched)
    assert got[samr.entity(3)["uscc"]].fields["status"] == "revoked"
    # and nothing new afterwards but what the overlap re-sends (the same touched entities)
    again = {r.key for b in source.batches(batches[-1].bookmark) for r in b.records}
    assert again <= set(touched)


def test_new_run_starts_from_high_water_less_overlap(samr: SamrSandbox, source_for) -> None:
    state = list(source_for("samr-rest", samr).batches({}))[-1].bookmark
    touched = samr.touch(2)
    time.sleep(1.1)  # the next run's server_time is strictly after the touch
    state = list(source_for("samr-rest", samr).batches(state))[-1].bookmark
    with_overlap = source_for("samr-rest", samr, overlap_seconds=300)
    without = source_for("samr-rest", samr, overlap_seconds=0)
    assert sorted(r.key for b in with_overlap.batches(state) for r in b.records) == sorted(touched)
    assert [r.key for b in without.batches(state) for r in b.records] == []


def test_full_run_ignores_the_high_water_mark(samr: SamrSandbox, source_for) -> None:
    source = source_for("samr-rest", samr)
    state = list(source.batches({}))[-1].bookmark
    assert sum(len(b.records) for b in source.batches(state, full=True)) == samr.count


def test_killed_run_resumes_from_its_last_bookmark(samr: SamrSandbox, source_for) -> None:
    first = source_for("samr-rest", samr, page_size=70)
    run = first.batches({})
    done = [next(run) for _ in range(4)]
    run.close()  # the process died here; the hub stored done[-1].bookmark with those records
    stored = done[-1].bookmark
    assert stored["cursor"]
    rest = list(source_for("samr-rest", samr, page_size=70).batches(stored))
    got = [r.key for b in done + rest for r in b.records]
    assert got == _all_usccs(samr)  # every entity exactly once
    assert rest[-1].bookmark["updated_since"] == stored["run_high_water"]
    assert rest[-1].bookmark["cursor"] is None


def test_malformed_page_fails_naming_page_and_cursor(samr: SamrSandbox, source_for) -> None:
    samr.malformed_from = 2  # set before the run: page 2 is asked for ahead, while page 1 is still being read
    run = source_for("samr-rest", samr, page_size=100).batches({})
    next(run)
    with pytest.raises(MalformedResponse, match=r"page 2 \(cursor \S+\)"):
        next(run)


def test_both_kinds_of_malformed_page_are_refused(samr: SamrSandbox, source_for) -> None:
    samr.set_faults({"malformed": 1.0, "seed": 5})
    messages = set()
    for _ in range(8):
        with pytest.raises(MalformedResponse) as caught:
            list(source_for("samr-rest", samr).batches({}))
        messages.add("not valid JSON" in str(caught.value))
        assert "page 1" in str(caught.value)
    assert messages == {True, False}  # a non-JSON page and a JSON page without items


def test_item_of_unreadable_shape_becomes_error_record(samr: SamrSandbox, source_for) -> None:
    samr.inject(["not", "an", "object"], {"name": "济南无代码有限公司"}, {"uscc": 91370102})
    records = next(iter(source_for("samr-rest", samr, page_size=5).batches({}))).records
    errors = [r.error for r in records if r.error]
    assert len(records) == 8
    assert errors[0] == "item is a JSON list, not an object"
    assert errors[1:] == ["field 'uscc' is missing or not a string"] * 2


def test_limit_over_1000_is_refused_by_the_registry(samr: SamrSandbox, source_for) -> None:
    http = source_for("samr-rest", samr).http
    with pytest.raises(FatalError, match="400"):
        http.get(samr.url + "/api/v1/entities", params=[("limit", "1001")])
    with pytest.raises(FatalError, match="page_size"):
        source_for("samr-rest", samr, page_size=1001)


def test_longest_industry_prefix_wins() -> None:
    table = {"H61": "hotel", "H6110": "star-hotel", "Q85": "eldercare"}
    assert categories_for("H6110", table) == ["star-hotel"]
    assert categories_for("H6121", table) == ["hotel"]
    assert categories_for("F5212", table) == []
    assert categories_for(None, table) == []


def test_the_next_page_is_requested_while_this_one_is_being_applied(samr: SamrSandbox, source_for) -> None:
    """The source never waits for the hub: page 2 is asked for as soon as page 1's cursor is known."""
    batches = source_for("samr-rest", samr, page_size=100).batches({})
    first = next(batches)
    assert len(first.records) == 100
    deadline = time.monotonic() + 10
    while samr.stats["requests"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert samr.stats["requests"] >= 2, "page 2 should be on its way before the consumer asks for it"
    assert samr.stats["requests"] <= 3, "at most two pages ahead"
    rest = list(batches)
    assert [r.key for b in [first, *rest] for r in b.records] == _all_usccs(samr)
    assert samr.stats["requests"] == 10, "every guessed cursor was right: no request wasted"


def test_a_consumer_that_stops_early_leaves_no_request_behind(samr: SamrSandbox, source_for) -> None:
    batches = source_for("samr-rest", samr, page_size=100).batches({})
    next(batches)
    batches.close()  # e.g. the sync failed applying page 1
    time.sleep(0.3)
    assert samr.stats["requests"] <= 3
