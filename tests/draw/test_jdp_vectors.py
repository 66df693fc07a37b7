"""§6: the JDP-2 and JDP-1 worked examples reproduce exactly, and verify() notices any single change."""

from __future__ import annotations

import copy
import json

import pytest

from hub.draw import jdp
from tests.draw import vectors


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", vectors.NAMES)
def test_vector_reproduces_record_exactly(name: str, workers: int) -> None:
    v = vectors.load(name)
    record = jdp.draw(v.plan, v.roster, v.pool, v.commitments, v.reveals, v.entropy, workers=workers)
    assert list(record) == list(v.record)  # members in the record's order
    for member in ("plan_digest", "roster_digest", "pool_digest", "seed", "strata", "selections"):
        assert record[member] == v.record[member], member
    written = json.dumps(record, ensure_ascii=False, indent=1) + "\n"
    assert written == vectors.path(name, "record.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", vectors.NAMES)
def test_vector_reproduces_when_the_roster_is_cut_into_many_pieces(
    name: str, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = vectors.load(name)
    for piece_bytes in (1, 40, 97, 300):  # pieces pass on bounds to later ones: must not change the result
        monkeypatch.setattr(jdp, "_CHUNK_BYTES", piece_bytes)
        assert jdp.draw(v.plan, v.roster, v.pool, v.commitments, v.reveals, v.entropy, workers=workers) == v.record
    lines = v.roster.splitlines(keepends=True)
    for piece_bytes in (1, 97):  # disorder is found across piece boundaries (1: every line is a piece) too
        monkeypatch.setattr(jdp, "_CHUNK_BYTES", piece_bytes)
        for at in range(1, len(lines)):
            swapped = b"".join([*lines[: at - 1], lines[at], lines[at - 1], *lines[at + 1 :]])
            with pytest.raises(jdp.JDPError, match=f"roster line {at + 1}: entity_id .* out of byte order"):
                jdp.draw(v.plan, swapped, v.pool, v.commitments, v.reveals, v.entropy, workers=workers)


@pytest.mark.parametrize("name", vectors.NAMES)
def test_seed_and_commitments_follow_section_2(name: str) -> None:
    v = vectors.load(name)
    h = v.plan["hash"]
    protocol = v.record["protocol"]
    assert protocol == ("JDP-2" if name in vectors.JDP2_NAMES else "JDP-1")
    for party, secret in v.reveals.items():
        assert jdp.commitment(party, secret, h, protocol) == v.commitments[party]
        other = "JDP-1" if protocol == "JDP-2" else "JDP-2"
        assert jdp.commitment(party, secret, h, other) != v.commitments[party]  # the label is part of it
    seed = jdp.compute_seed(
        v.record["plan_digest"], v.record["roster_digest"], v.record["pool_digest"], v.reveals, v.entropy, h, protocol
    )
    assert seed.hex() == v.record["seed"]
    assert jdp.hexdigest(jdp.canonical_plan(v.plan), h) == v.record["plan_digest"]


@pytest.mark.parametrize("name", vectors.NAMES)
def test_verify_accepts_the_published_record(name: str) -> None:
    v = vectors.load(name)
    assert jdp.verify(v.record, v.roster, v.pool) == []
    assert jdp.verify(v.record, v.roster, v.pool, workers=2) == []


@pytest.mark.parametrize("name", vectors.NAMES)
def test_verify_rejects_every_single_flipped_roster_byte(name: str) -> None:
    v = vectors.load(name)
    for at in range(len(v.roster)):
        tampered = v.roster[:at] + bytes([v.roster[at] ^ 0x01]) + v.roster[at + 1 :]
        assert jdp.verify(v.record, tampered, v.pool), f"roster byte {at} flipped, still verified"


@pytest.mark.parametrize("name", vectors.NAMES)
def test_verify_rejects_every_single_flipped_pool_byte(name: str) -> None:
    v = vectors.load(name)
    for at in range(len(v.pool)):
        tampered = v.pool[:at] + bytes([v.pool[at] ^ 0x20]) + v.pool[at + 1 :]
        assert jdp.verify(v.record, v.roster, tampered), f"pool byte {at} flipped, still verified"


def _other_hex(text: str, at: int) -> str:
    return text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1 :]


def _swap(items: list, i: int) -> None:
    items[i], items[i + 1] = items[i + 1], items[i]


def _record_edits(record: dict) -> list[tuple[str, object]]:
    """(description, edit function) for every selection field, digest, seed digit and the other members."""
    edits: list[tuple[str, object]] = []
    selections = record["selections"]
    for i in range(len(selections)):
        other = selections[(i + 1) % len(selections)]
        edits += [
            (f"selections[{i}].entity_id", lambda r, i=i, o=other: r["selections"][i].update(entity_id=o["entity_id"])),
            (f"selections[{i}].stratum", lambda r, i=i: r["selections"][i].update(stratum="370199|x")),
            (f"selections[{i}].team", lambda r, i=i: r["selections"][i]["team"].reverse()),
            (f"selections[{i}].team member", lambda r, i=i: r["selections"][i]["team"].__setitem__(0, "HEALTH-99999")),
            (f"selections[{i}].team extra", lambda r, i=i: r["selections"][i]["team"].append("SAMR-99999")),
            (f"selections[{i}] dropped", lambda r, i=i: r["selections"].pop(i)),
            (f"selections[{i}] doubled", lambda r, i=i: r["selections"].insert(i, copy.deepcopy(r["selections"][i]))),
        ]
        for at in range(16):
            edits.append(
                (
                    f"selections[{i}].key digit {at}",
                    lambda r, i=i, at=at: r["selections"][i].update(key=_other_hex(r["selections"][i]["key"], at)),
                )
            )
        if i + 1 < len(selections):
            edits.append((f"selections[{i}] swapped with next", lambda r, i=i: _swap(r["selections"], i)))
    for member in ("seed", "plan_digest", "roster_digest", "pool_digest"):
        for at in range(0, 64, 3):
            edits.append((f"{member} digit {at}", lambda r, m=member, at=at: r.update({m: _other_hex(r[m], at)})))
    for party in record["reveals"]:
        edits.append((f"reveals.{party}", lambda r, p=party: r["reveals"].update({p: _other_hex(r["reveals"][p], 5)})))
        edits.append(
            (
                f"commitments.{party}",
                lambda r, p=party: r["commitments"].update({p: _other_hex(r["commitments"][p], 7)}),
            )
        )
    stratum = next(iter(record["strata"]))
    edits += [
        ("roster_size", lambda r: r.update(roster_size=r["roster_size"] + 1)),
        ("pool_size", lambda r: r.update(pool_size=r["pool_size"] - 1)),
        ("strata", lambda r: r["strata"].update({stratum: r["strata"][stratum] + 1})),
        ("entropy", lambda r: r.update(entropy=r["entropy"] + " ")),
        ("plan quota", lambda r: r["plan"]["quotas"].update({stratum: 0})),
        ("plan title", lambda r: r["plan"].update(title="changed")),
        ("protocol", lambda r: r.update(protocol="JDP-1" if r["protocol"] == "JDP-2" else "JDP-2")),
        ("plan protocol", lambda r: r["plan"].update(protocol="JDP-1" if r["protocol"] == "JDP-2" else "JDP-2")),
        ("selections removed", lambda r: r.update(selections=[])),
    ]
    return edits


@pytest.mark.parametrize("name", vectors.NAMES)
def test_verify_rejects_every_single_changed_record_field(name: str) -> None:
    v = vectors.load(name)
    edits = _record_edits(v.record)
    assert len(edits) > 300
    for description, edit in edits:
        record = copy.deepcopy(v.record)
        edit(record)  # type: ignore[operator]
        assert record != v.record, description
        assert jdp.verify(record, v.roster, v.pool), f"{description} changed, still verified"


@pytest.mark.parametrize("name", vectors.NAMES)
def test_plain_reading_gives_the_published_record(name: str) -> None:
    v = vectors.load(name)
    assert jdp.draw(v.plan, v.roster, v.pool, v.commitments, v.reveals, v.entropy, plain=True) == v.record
    assert jdp.verify(v.record, v.roster, v.pool, plain=True) == []


@pytest.mark.parametrize("where", ["record", "plan"])
@pytest.mark.parametrize("name", vectors.NAMES)
def test_a_record_of_another_protocol_is_refused_naming_it(name: str, where: str) -> None:
    v = vectors.load(name)
    record = copy.deepcopy(v.record)
    (record if where == "record" else record["plan"])["protocol"] = "JDP-3"
    with pytest.raises(jdp.UnknownProtocol, match="'JDP-3'"):
        jdp.verify(record, v.roster, v.pool)
    with pytest.raises(jdp.UnknownProtocol, match="'JDP-3'"):
        jdp.draw(dict(v.plan, protocol="JDP-3"), v.roster, v.pool, v.commitments, v.reveals, v.entropy)


def test_verify_ignores_extra_top_level_members() -> None:
    v = vectors.load("v-public")
    record = dict(v.record, signed_at="2026-11-20T15:00:00+08:00", hub_version="1.0")
    assert jdp.verify(record, v.roster, v.pool) == []


def test_reveal_that_does_not_match_its_commitment_is_refused_naming_the_party() -> None:
    v = vectors.load("v-public")
    reveals = dict(v.reveals, SAMR=_other_hex(v.reveals["SAMR"], 0))
    with pytest.raises(jdp.JDPError, match="SAMR"):
        jdp.draw(v.plan, v.roster, v.pool, v.commitments, reveals, v.entropy)


def test_party_that_committed_but_did_not_reveal_is_refused() -> None:
    v = vectors.load("v-public")
    reveals = {p: s for p, s in v.reveals.items() if p != "HEALTH"}
    with pytest.raises(jdp.JDPError, match="HEALTH"):
        jdp.draw(v.plan, v.roster, v.pool, v.commitments, reveals, v.entropy)


def test_progress_reports_reach_the_total() -> None:
    v = vectors.load("v-public")
    calls: list[tuple[int, int]] = []
    jdp.draw(v.plan, v.roster, v.pool, v.commitments, v.reveals, v.entropy, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
