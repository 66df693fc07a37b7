"""The audit's digest of a draw record read from its JSON text (hub.audit.state.text_digest): the same hex as
the digest of the parsed value, whatever the text's layout (SQLite keeps json.dumps' text, PostgreSQL's jsonb
gives its keys in its own order with ", " and ": "), a few items at a time."""

from __future__ import annotations

import json

import pytest

from hub.audit import state

RECORD = {
    "protocol": "JDP-2",
    "plan": {"quotas": {"370101|食品": 2, "370102|s1": 1}, "team": [{"agency": "A", "size": 1, "expertise": []}]},
    "strata": {"370101|食品": 3, "370102|s1": 2},
    "selections": [
        {"entity_id": f"9137{i:014d}", "stratum": "370101|食品", "key": f"{i:016x}", "team": ["A-1", "B-\u00e9"]}
        for i in range(7)
    ],
    "empty": [],
    "nothing": {},
    "nested": [[1, [2.5, None]], {"b": True, "a": False}],
    "text": 'quote " backslash \\ tab \t',
    "drawn_at": "2026-12-03T19:00:00Z",
}


def _layouts(value: object) -> list[str]:
    return [
        json.dumps(value),  # SQLAlchemy's JSON on SQLite
        json.dumps(value, ensure_ascii=False, indent=1),
        json.dumps(value, separators=(",", ":"), sort_keys=True),
        # jsonb's text: keys shorter first, ", " and ": "
        json.dumps(
            {k: value[k] for k in sorted(value, key=lambda k: (len(k.encode()), k.encode()))}
            if isinstance(value, dict)
            else value
        ),
        " \n" + json.dumps(value, indent="\t") + "\r\n",
    ]


@pytest.mark.parametrize("batch", [1, 2, 3, 6, 7, 10_000])
def test_a_records_text_digest_is_the_digest_of_its_value(batch, monkeypatch):
    monkeypatch.setattr(state, "_BATCH", batch)
    expected = state.digest(RECORD)
    for text in _layouts(RECORD):
        assert state.text_digest(text) == expected


@pytest.mark.parametrize("value", [[], {}, [[]], [{}], 3, "s", None, [1, 2, 3], {"a": [1, [2, [3]]]}])
def test_any_json_value_gives_the_digest_of_its_value(value, monkeypatch):
    monkeypatch.setattr(state, "_BATCH", 2)
    for text in _layouts(value):
        assert state.text_digest(text) == state.digest(value)


def test_a_repeated_member_keeps_its_last_value_as_json_loads_does():
    text = '{"a": 1, "b": [1, 2], "a": 2}'
    assert state.text_digest(text) == state.digest(json.loads(text)) == state.digest({"a": 2, "b": [1, 2]})


def test_a_changed_selection_changes_the_digest():
    changed = json.loads(json.dumps(RECORD))
    changed["selections"][5]["team"][1] = "B-2"
    assert state.text_digest(json.dumps(changed)) != state.digest(RECORD)


@pytest.mark.parametrize("text", ['{"a": 1', '{"a" 1}', "[1, 2", "[1 2]", '{"a": 1} x', "{1: 2}"])
def test_broken_text_is_refused(text):
    with pytest.raises(ValueError):
        state.text_digest(text)
