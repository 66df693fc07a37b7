"""How one source's record folds into the entity master (hub/rosters/merge.py)."""

from __future__ import annotations

from datetime import date

from hub.rosters.merge import merge_entity

SAMR = {
    "uscc": "91370102MA3C4EXQ8L",
    "name": "济南明湖大酒店",
    "district": "370102",
    "industry": "H6110",
    "status": "active",
    "established": "2015-03-09",
    "abnormal_list": False,
    "legal_rep": "",
    "categories": ["hotel"],
}


def test_a_new_entity_gets_the_defaults_and_the_source_values() -> None:
    row = merge_entity(None, "91370102MA3C4EXQ8L", "samr", SAMR, blank={"phone": None, "created_at": None})
    assert row["entity_id"] == "91370102MA3C4EXQ8L"
    assert row["name"] == "济南明湖大酒店" and row["district"] == "370102"
    assert row["established"] == date(2015, 3, 9)
    assert row["categories"] == ["hotel"] and row["sources"] == ["samr"]
    assert row["serious_violation"] is False and row["complaints"] == 0 and row["active"] is True
    assert "legal_rep" not in row  # an empty value says nothing
    assert row["phone"] is None and row["created_at"] is None  # the blank columns stay


def test_a_second_source_fills_in_and_accumulates_without_erasing() -> None:
    first = merge_entity(None, "91370102MA3C4EXQ8L", "samr", SAMR)
    edu = {
        "name": "济南明湖学校",
        "legal_rep": "王芳",
        "district": "",
        "categories": ["school", "hotel"],
        "status": None,
    }
    row = merge_entity(first, "91370102MA3C4EXQ8L", "edu", edu)
    assert row["name"] == "济南明湖学校" and row["legal_rep"] == "王芳"
    assert row["district"] == "370102" and row["status"] == "active"  # empty or missing: kept
    assert row["categories"] == ["hotel", "school"] and row["sources"] == ["edu", "samr"]
    assert first["sources"] == ["samr"], "the stored row is not changed in place"
    again = merge_entity(row, "91370102MA3C4EXQ8L", "samr", {"categories": []})
    assert again["sources"] == ["edu", "samr"] and again["categories"] == ["hotel", "school"]


def test_an_existing_row_without_lists_is_handled() -> None:
    row = merge_entity(
        {"entity_id": "EDU:1", "categories": None, "sources": None},
        "EDU:1",
        "edu",
        {"categories": None, "established": None},
    )
    assert row["categories"] == [] and row["sources"] == ["edu"] and "established" not in row
