"""Pages the hub holds unchanged (issue 14): a paged source's page whose every record was stored from it is
registered whole, and a later run that fetches the same page again counts it unchanged without reading its
records. The database keeps a registration exact: whatever changes one of its records removes it."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from connectors.http import RetryPolicy, SignedSession
from connectors.sandboxes.samr import SamrSandbox
from hub.connections import build_source, connector_settings
from hub.rosters.known import KnownDigests
from hub.rosters.models import Entity, EntitySource, SyncPage
from hub.rosters.stage import BrokenClaim, EntityStage
from hub.rosters.sync import run_sync

APP_ID, SECRET = "hub-370100", "sync-pages-secret"
FAST = RetryPolicy(attempts=12, base_delay=0.001, max_delay=0.01, max_retry_after=0.01)
CATEGORIES = {"H61": "hotel", "Q85": "eldercare", "P83": "school"}


def _settings(make_settings, url: str, categories: dict | None = None):  # type: ignore[no-untyped-def]
    body = {
        "kind": "samr-rest",
        "url": url,
        "app_id": APP_ID,
        "app_secret_env": "HUB_T_SECRET",
        "page_size": 100,
        "categories": categories or CATEGORIES,
        "commit_every": 300,
    }
    return make_settings({"sources": {"samr": body}}, env={"HUB_T_SECRET": SECRET})


def _sync(db, settings, full: bool = True):  # type: ignore[no-untyped-def]
    http = SignedSession(connector_settings(settings.sources["samr"]), FAST, sleep=lambda s: None)
    return run_sync(db, settings, "samr", http=http, full=full)


def _batches(db, settings) -> list:  # type: ignore[no-untyped-def]
    """The source's batches of a full pull as a sync's fetching side sees them (pages held unchanged come
    without records)."""
    source = build_source(settings.sources["samr"])
    known = KnownDigests(db.url, "samr", 300, 6)
    source.known_page = known.page_unchanged
    try:
        return list(source.batches({}, full=True))
    finally:
        known.close()


def _registered(db) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(SyncPage)) or 0


@pytest.fixture
def samr():  # type: ignore[no-untyped-def]
    server = SamrSandbox({APP_ID: SECRET}, entities=1000, seed=11, invalid_share=0.0).start()
    yield server
    server.stop()


def test_an_unchanged_roster_is_recognised_page_by_page_without_reading_a_record(make_settings, db, samr):  # type: ignore[no-untyped-def]
    settings = _settings(make_settings, samr.url)
    first = _sync(db, settings)
    assert (first.inserted, first.unchanged) == (1000, 0)
    assert _registered(db) == 10  # every page of 100, each record pointing at its page
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(EntitySource).where(EntitySource.page.is_(None))) == 0

    batches = _batches(db, settings)
    assert [(len(b.records), b.unchanged) for b in batches] == [(0, 100)] * 10  # no record made at all

    again = _sync(db, settings)
    assert (again.fetched, again.inserted, again.updated, again.unchanged) == (1000, 0, 0, 1000)
    with db.unit_of_work() as s:  # nothing written: every link still from the first run
        assert {r for (r,) in s.execute(select(EntitySource.run_id))} == {first.id}
    assert _registered(db) == 10


def test_a_changed_record_is_read_and_its_page_registered_again(make_settings, db, samr):  # type: ignore[no-untyped-def]
    """A touched entity moves to the end of the listing (it is ordered by update time): every page from its
    old place on holds other items than before, so each is read record by record, its unchanged records
    pointed at it, and registered; the run after that recognises every page again."""
    settings = _settings(make_settings, samr.url)
    _sync(db, settings)
    touched = samr.touch(indices=[550], changes={"address": "济南市历下区泉城路1号"})
    batches = _batches(db, settings)
    assert [b.unchanged for b in batches[:5]] == [100] * 5  # the pages before it: unchanged
    assert all(b.unchanged == 0 and len(b.records) == 100 for b in batches[5:])

    run = _sync(db, settings)
    assert (run.updated, run.unchanged, run.inserted) == (1, 999, 0)
    with db.unit_of_work() as s:
        assert s.scalar(select(Entity.address).where(Entity.entity_id == touched[0])) == "济南市历下区泉城路1号"
    assert _registered(db) == 10
    assert [b.unchanged for b in _batches(db, settings)] == [100] * 10
    assert _sync(db, settings).unchanged == 1000


def test_other_options_make_other_pages(make_settings, db, samr):  # type: ignore[no-untyped-def]
    """The categories are part of a page's fingerprint: mapping an industry to another category reads every
    page again, and the records whose categories change are updated."""
    _sync(db, _settings(make_settings, samr.url))
    with db.unit_of_work() as s:
        hotels = s.scalar(select(func.count()).select_from(Entity).where(Entity.industry.like("H61%"))) or 0
    assert hotels > 0
    settings = _settings(make_settings, samr.url, {**CATEGORIES, "H61": "lodging"})
    assert all(b.unchanged == 0 for b in _batches(db, settings))
    run = _sync(db, settings)
    assert (run.updated, run.unchanged) == (hotels, 1000 - hotels)
    assert [b.unchanged for b in _batches(db, settings)] == [100] * 10


def test_a_page_with_an_invalid_record_is_never_registered(make_settings, db):  # type: ignore[no-untyped-def]
    server = SamrSandbox({APP_ID: SECRET}, entities=1000, seed=12, invalid_share=0.05).start()
    try:
        settings = _settings(make_settings, server.url)
        first = _sync(db, settings)
        assert first.quarantined > 0
        invalid_pages = {i // 100 for i in range(1000) if server.entity(i)["uscc"] in _quarantined(db)}
        assert _registered(db) == 10 - len(invalid_pages)
        again = _sync(db, settings)
        assert (again.unchanged, again.quarantined) == (first.inserted, first.quarantined)
    finally:
        server.stop()


def _quarantined(db) -> set[str]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return {k for (k,) in s.execute(text("SELECT record_key FROM quarantine"))}


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE entity_sources SET digest = 'other' WHERE record_key = :k",
        "UPDATE entity_sources SET active = FALSE WHERE record_key = :k",
        "UPDATE entity_sources SET page = NULL WHERE record_key = :k",
        "DELETE FROM entity_sources WHERE record_key = :k",
        "INSERT INTO quarantine (source, record_key, reason, raw, received_at) VALUES ('samr', :k, 'bad', '{}', :t)",
    ],
    ids=["changed", "inactive", "moved", "deleted", "quarantined"],
)
def test_whatever_changes_a_record_of_a_page_unregisters_the_page(make_settings, db, samr, change: str):  # type: ignore[no-untyped-def]
    settings = _settings(make_settings, samr.url)
    _sync(db, settings)
    key = samr.entity(250)["uscc"]  # on the third page
    with db.unit_of_work() as s:
        page = s.scalar(select(EntitySource.page).where(EntitySource.record_key == key))
        s.execute(text(change), {"k": key, "t": datetime(2026, 12, 1)})
    with db.unit_of_work() as s:
        assert s.get(SyncPage, ("samr", page)) is None
    assert _registered(db) == 9
    assert [b.unchanged for b in _batches(db, settings)] == [100, 100, 0] + [100] * 7
    run = _sync(db, settings)  # the page is read again, and what was changed by hand is put right
    assert run.unchanged + run.updated + run.inserted == 1000 and run.unchanged >= 999
    assert _registered(db) == 10


def test_stamping_a_record_as_seen_keeps_its_page(make_settings, db, samr):  # type: ignore[no-untyped-def]
    _sync(db, _settings(make_settings, samr.url))
    with db.unit_of_work() as s:
        s.execute(text("UPDATE entity_sources SET run_id = 99, seen_at = :t"), {"t": datetime(2026, 12, 2)})
    assert _registered(db) == 10


def test_a_page_is_not_claimed_after_one_of_its_keys_was_read_elsewhere_in_the_run(make_settings, db, samr):  # type: ignore[no-untyped-def]
    _sync(db, _settings(make_settings, samr.url))
    with db.unit_of_work() as s:
        fp, key = s.execute(select(EntitySource.page, EntitySource.record_key).limit(1)).one()
        keys = list(s.scalars(select(EntitySource.record_key).where(EntitySource.page == fp)))
    assert key in keys
    known = KnownDigests(db.url, "samr", 10, 1)
    try:
        known.read([key])
        assert not known.page_unchanged(fp, keys)
    finally:
        known.close()
    known = KnownDigests(db.url, "samr", 10, 1)
    try:
        assert known.page_unchanged(fp, keys)
        assert not known.page_unchanged(fp, keys)  # the same page twice in a run: read the second time
        assert not known.page_unchanged(b"\0" * 16, keys)  # never registered
    finally:
        known.close()


def test_the_applying_side_refuses_a_page_no_longer_registered(make_settings, db, samr):  # type: ignore[no-untyped-def]
    _sync(db, _settings(make_settings, samr.url))
    with db.unit_of_work() as s:
        fp = s.scalar(select(SyncPage.fp).limit(1))
        stage = EntityStage("samr", run_id=1)
        assert stage.add_rows(s, [], [], [], datetime(2026, 12, 3), unchanged_page=(fp, 100)) == {"unchanged": 100}
        s.execute(text("DELETE FROM sync_pages WHERE fp = :fp"), {"fp": fp})
        with pytest.raises(BrokenClaim, match="page"):
            stage.add_rows(s, [], [], [], datetime(2026, 12, 3), unchanged_page=(fp, 100))
