"""The generated city: valid codes where meant, defects where meant, any entity by index."""

from __future__ import annotations

import time
from datetime import date

from connectors.sandboxes import data
from connectors.sandboxes.samr import SamrSandbox
from vocabulary.uscc import uscc_problem


def test_entities_are_deterministic_and_computable_by_index() -> None:
    assert data.samr_entity(9, 777_777) == data.samr_entity(9, 777_777)
    assert data.samr_entity(9, 1) != data.samr_entity(10, 1)


def test_valid_entities_carry_valid_codes_and_real_districts() -> None:
    items = [data.samr_entity(4, i) for i in range(3000)]
    assert all(uscc_problem(e["uscc"]) is None for e in items)
    assert {e["district"] for e in items} == set(data.DISTRICTS)
    assert all(e["uscc"][2:8] == e["district"] for e in items)
    assert all(e["address"].startswith("济南市" + data.DISTRICTS[e["district"]]) for e in items)
    assert len({e["uscc"] for e in items}) == 3000
    by_type = {e["entity_type"]: e["uscc"][:2] for e in items}
    assert by_type == data.ENTITY_TYPES
    prefixes = {e["industry"][:3] for e in items}
    assert {"H61", "H62", "Q85", "P83"} <= prefixes


def test_invalid_share_spoils_about_that_share() -> None:
    items = [data.samr_entity(4, i, invalid_share=0.1) for i in range(5000)]
    clean = [data.samr_entity(4, i) for i in range(5000)]
    spoiled = sum(a != b for a, b in zip(items, clean))
    assert 350 < spoiled < 650
    assert any(uscc_problem(e["uscc"]) for e in items)


def test_a_page_deep_in_a_million_entities_is_served_without_the_rest() -> None:
    server = SamrSandbox({"a": "b"}, entities=1_000_000, seed=1)
    server.server_close()
    since = int(data.EPOCH.timestamp()) + 990_000 * data.STEP_SECONDS
    started = time.perf_counter()
    items, last = server.page(since, None, 1000)
    assert time.perf_counter() - started < 1.0
    assert items[0] == data.samr_entity(1, 990_000) and len(items) == 1000 and last


def test_inspectors_have_expired_and_valid_certificates_and_known_tags() -> None:
    officers = [data.inspector(1, agency, n) for agency in data.AGENCIES for n in range(1, 41)]
    tags = {"food", "school", "fire", "water", "disinfection", "hotel", "eldercare"}
    assert all(set(o["expertise"]) <= tags for o in officers)
    ends = [date.fromisoformat(o["cert_valid_until"]) for o in officers]
    assert any(d < data.CERT_REFERENCE for d in ends) and any(d > data.CERT_REFERENCE for d in ends)
    assert officers[0]["id"] == "HEALTH-00001"
    assert all(set(o["home_districts"]) <= set(data.DISTRICTS) for o in officers)


def test_schools_have_ten_digit_codes_and_some_lack_uscc() -> None:
    schools = [data.school(1, i) for i in range(300)]
    assert all(len(s["code"]) == 10 and s["code"].isdigit() for s in schools)
    assert len({s["code"] for s in schools}) == 300
    with_uscc = [s for s in schools if s["uscc"]]
    assert 0 < len(with_uscc) < 300
    assert all(uscc_problem(s["uscc"]) is None for s in with_uscc)


def _listing(server: SamrSandbox, since: int | None, limit: int) -> list[str]:
    out, after = [], None
    while True:
        items, after = server.page(since, after, limit)
        out += [item["uscc"] for item in items]
        if after is None:
            return out


def test_samr_listing_is_ordered_by_updated_at_then_uscc_through_touches() -> None:
    server = SamrSandbox({"a": "b"}, entities=300, seed=8)
    server.server_close()
    server.touch(40)
    server.touch(indices=[5, 6, 7])  # touched twice: listed once, at its latest time
    server.add(4)
    expected = sorted(
        (data.parse_rfc3339(e["updated_at"]).timestamp(), e["uscc"])
        for e in (server.entity(i) for i in range(server.count))
    )
    assert _listing(server, None, 7) == [uscc for _, uscc in expected]
    since = int(expected[150][0])
    assert _listing(server, since, 13) == [uscc for ts, uscc in expected if ts >= since]
