"""The streamed freeze writes, page by page and piece by piece, exactly the files the whole-roster reading
of the same database gives, and publishes their digests."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hub.draw import jdp
from hub.results.history import RESULTS_HISTORY
from hub.rosters.models import Entity, Inspector
from hub.tasks import freeze as streamed
from hub.tasks import gather
from hub.tasks import services as lifecycle
from hub.tasks.models import FrozenChunk, JointTask
from hub.tasks.plan import build_pool, build_roster
from hub.tasks.spec import parse_task_spec
from tests.web import scenario as sc

TODAY = date(2026, 11, 20)
IDS = ("EDU:37010%05d", "91370102MA%07dX", "12370000%09dA")  # three id schemes interleave in byte order


def _many(db, n: int) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        for i in range(n):
            district = ("370102", "370103")[i % 2]
            s.add(
                Entity(
                    entity_id=IDS[i % 3] % i,
                    name=f"学校{i}",
                    entity_type="school",
                    district=district,
                    categories=["school"],
                    status="active",
                    active=True,
                    sources=["edu"],
                    abnormal_list=i % 7 == 0,
                )
            )
        for i in range(40):
            agency = sc.AGENCIES[i % 2]
            s.add(
                Inspector(
                    inspector_id=f"{agency}-{100 + i:03d}",
                    name=f"检查员{i}",
                    agency=agency,
                    cert_no=f"X{i}",
                    cert_valid_until=date(2030, 1, 1),
                    expertise=["school"],
                    home_districts=["370105"],
                    capacity=200,
                    active=True,
                )
            )


def test_streamed_freeze_writes_the_files_of_the_whole_reading_in_pieces(db, settings, monkeypatch):
    scen = sc.committed_task(db, settings, "JT-2026-0900")
    _many(db, 1200)
    monkeypatch.setattr(gather, "PAGE", 97)  # many pages, cut anywhere
    monkeypatch.setattr(streamed, "CHUNK_BYTES", 1000)  # many stored pieces
    lifecycle.freeze(db, settings, scen.task_id, "t", TODAY, history=RESULTS_HISTORY)
    with db.unit_of_work() as s:
        task = s.get(JointTask, scen.task_id)
        spec = parse_task_spec(task.spec)
        whole_roster = jdp.format_roster(build_roster(spec, gather.entity_facts(s, spec, RESULTS_HISTORY), TODAY))
        whole_pool = jdp.format_pool(
            build_pool(spec, gather.inspector_facts(s, spec, RESULTS_HISTORY), spec.window.start)
        )
        pieces = s.scalar(
            select(func.count())
            .select_from(FrozenChunk)
            .where(FrozenChunk.task_id == task.id, FrozenChunk.kind == "roster")
        )
        digests, sizes = (task.roster_digest, task.pool_digest), (task.roster_size, task.pool_size)
    from hub.draw.publication import frozen_files

    roster, pool = frozen_files(db, scen.task_id)
    assert roster == whole_roster and pool == whole_pool
    assert digests == (jdp.hexdigest(roster, "sha256"), jdp.hexdigest(pool, "sha256"))
    assert sizes == (1204, 50) and pieces > 10
    assert [e.entity_id for e in jdp.parse_roster(roster)] == sorted(
        (e.entity_id for e in jdp.parse_roster(roster)), key=str.encode
    )


def test_writer_cuts_pieces_at_line_ends_and_hashes_every_byte(monkeypatch):
    monkeypatch.setattr(streamed, "CHUNK_BYTES", 10)
    stored: list[bytes] = []
    out = streamed.FrozenFileWriter("sm3", lambda seq, data: stored.append(data))
    lines = [b"E%d\ts\t1\t-\n" % i for i in range(25)]
    for line in lines:
        out.write(line)
    assert out.close() == jdp.hexdigest(b"".join(lines), "sm3")
    assert b"".join(stored) == b"".join(lines) and all(piece.endswith(b"\n") for piece in stored)


@pytest.mark.parametrize("kind", ["entity", "inspector"])
def test_pages_come_in_byte_order_whatever_the_ids(db, settings, kind):  # type: ignore[no-untyped-def]
    sc.add_rosters(db)
    _many(db, 300)
    spec = parse_task_spec(sc.task_spec("JT-2026-0901"))
    with db.unit_of_work() as s:
        pages = list(
            gather.entity_pages(s, spec, None, 7) if kind == "entity" else gather.inspector_pages(s, spec, None, 7)
        )
    ids = [(row.entity_id if kind == "entity" else row.inspector_id).encode() for page in pages for row in page]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) and len(pages) > 3
