"""Applying batches to the entity master: a first load inserts without lookups, and an entity that
another source made already is merged, never skipped, whichever path the batch takes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from connectors.base import SourceRecord
from hub.rosters.apply import apply_entities
from hub.rosters.models import Entity, EntitySource
from vocabulary.uscc import check_char

NOW = datetime(2026, 12, 1, 8, 0, 0)


def uscc(n: int) -> str:
    body = f"91370102MA{n:07d}"
    return body + check_char(body)


def record(code: str, name: str, **extra: object) -> SourceRecord:
    fields = {
        "uscc": code,
        "scheme_id": None,
        "name": name,
        "district": "370102",
        "status": "active",
        "categories": [],
        **extra,
    }
    return SourceRecord(code, fields, f'{{"uscc": "{code}", "name": "{name}"}}')


def test_a_first_load_inserts_every_entity(db) -> None:  # type: ignore[no-untyped-def]
    codes = [uscc(i) for i in range(300)]
    with db.unit_of_work() as s:
        counts = apply_entities(s, "samr", 1, [record(c, f"企业{i}") for i, c in enumerate(codes)], NOW)
    assert (counts.inserted, counts.updated) == (300, 0)
    with db.unit_of_work() as s:
        rows = {e.entity_id: e for e in s.scalars(select(Entity))}
        assert sorted(rows) == sorted(codes)
        assert rows[codes[7]].name == "企业7" and rows[codes[7]].sources == ["samr"]
        assert s.query(EntitySource).count() == 300


def test_an_entity_another_source_made_is_merged_in_a_batch_new_to_this_source(db) -> None:  # type: ignore[no-untyped-def]
    shared, fresh = uscc(1), [uscc(i) for i in range(2, 40)]
    with db.unit_of_work() as s:
        apply_entities(s, "edu", 1, [record(shared, "济南明湖学校", legal_rep="王芳", categories=["school"])], NOW)
    with db.unit_of_work() as s:  # every record is new to samr, one of the entities is not new to the hub
        batch = [record(c, f"企业{c[-4:]}") for c in fresh] + [
            record(shared, "济南明湖学校有限公司", categories=["hotel"])
        ]
        counts = apply_entities(s, "samr", 2, batch, NOW)
    assert counts.inserted == 39
    with db.unit_of_work() as s:
        row = s.scalars(select(Entity).where(Entity.entity_id == shared)).one()
        assert row.sources == ["edu", "samr"] and row.categories == ["hotel", "school"]
        assert row.name == "济南明湖学校有限公司" and row.legal_rep == "王芳"
        assert s.query(Entity).count() == 39  # 38 new ones and the shared one
        assert s.query(EntitySource).count() == 40  # one from edu, 39 from samr


def test_a_snapshot_deactivates_an_entity_only_when_no_source_still_names_it(db) -> None:  # type: ignore[no-untyped-def]
    from hub.rosters.apply import deactivate_missing_entities

    both, edu_only, kept = uscc(1), uscc(2), uscc(3)
    with db.unit_of_work() as s:  # samr keys its records by the entity id, edu by its own school code
        apply_entities(s, "samr", 1, [record(both, "济南明湖学校")], NOW)
        school = [
            SourceRecord(code, {**record(eid, name).fields}, "{}")
            for code, eid, name in (
                ("3137000001", both, "济南明湖学校"),
                ("3137000002", edu_only, "济南泉城小学"),
                ("3137000003", kept, "济南历山中学"),
            )
        ]
        apply_entities(s, "edu", 2, school, NOW, snapshot=True)
    with db.unit_of_work() as s:  # the next edu snapshot lists only the third school
        apply_entities(s, "edu", 3, school[2:], NOW, snapshot=True)
        assert deactivate_missing_entities(s, "edu", 3, NOW) == 2
    with db.unit_of_work() as s:
        active = {e.entity_id: e.active for e in s.scalars(select(Entity))}
    assert active == {both: True, edu_only: False, kept: True}


def test_claims_of_unchanged_records_are_held_to_the_stored_digest(db) -> None:  # type: ignore[no-untyped-def]
    """A record sent as unchanged (key and digest, from the fetching side's lookup) writes nothing, leaves
    the quarantine if it was held there, and fails the merge loudly when the master holds another version."""
    import pytest

    from hub.rosters.models import QuarantineRecord
    from hub.rosters.stage import BrokenClaim, EntityStage

    codes = [uscc(i) for i in range(5)]
    with db.unit_of_work() as s:
        apply_entities(s, "samr", 1, [record(c, f"企业{i}") for i, c in enumerate(codes)], NOW)
        s.add(
            QuarantineRecord(source="samr", record_key=codes[0], reason="name: is required", raw="{}", received_at=NOW)
        )
    with db.unit_of_work() as s:
        digests = {k: d for k, d in s.execute(select(EntitySource.record_key, EntitySource.digest))}
    with db.unit_of_work() as s:
        stage = EntityStage("samr", 2)
        stage.add_rows(s, [], [(c, digests[c]) for c in codes], [], NOW)
        assert stage.merge(s, NOW) == {"inserted": 0, "updated": 0, "unchanged": 5}
        assert s.query(QuarantineRecord).count() == 0
        assert s.query(EntitySource).filter(EntitySource.run_id == 2).count() == 0
    with db.unit_of_work() as s:
        stage = EntityStage("samr", 3)
        stage.add_rows(s, [], [(codes[1], digests[codes[1]]), (codes[2], "0" * 64)], [], NOW)
        with pytest.raises(BrokenClaim, match=codes[2]):
            stage.merge(s, NOW)
