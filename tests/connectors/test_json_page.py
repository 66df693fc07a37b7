"""Reading a JSON page of items while keeping each item's text as the source sent it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import MalformedResponse
from connectors.http import json_with_items, json_with_items_as_sent

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8,
)
layouts = st.sampled_from(
    [{}, {"separators": (",", ":")}, {"indent": 2}, {"ensure_ascii": False}, {"indent": "\t", "ensure_ascii": False}]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=5), st.dictionaries(st.text(max_size=5), values, max_size=3), layouts, st.booleans())
def test_items_and_their_text_match_a_plain_parse(items: list, extra: dict, layout: dict, items_first: bool) -> None:
    page = {"items": items, **extra} if items_first else {**extra, "items": items}
    content = json.dumps(page, **layout).encode("utf-8")
    body, raws = json_with_items_as_sent(content, "page 1")
    assert body == json.loads(content)
    assert len(raws) == len(body["items"])
    assert [json.loads(raw) for raw in raws] == body["items"]


def test_item_text_is_exactly_what_was_sent() -> None:
    content = '{"server_time": "2026-12-01T00:00:00+08:00", "items": [ {"uscc":"9137","name":"济南\\u5e02"} ,\n{"b": [1, 2]}]}'
    body, raws = json_with_items_as_sent(content.encode(), "page 1")
    assert raws == ['{"uscc":"9137","name":"济南\\u5e02"}', '{"b": [1, 2]}']
    assert body["items"][0]["name"] == "济南市"


@pytest.mark.parametrize(
    "content",
    [
        b'{"items": [1, 2,]}',
        b'{"items": [1 2]}',
        b'{"items": [1], }',
        b'{"items": [1]} x',
        b'{"items": 5}',
        b"[1, 2]",
        b'{"items": [1], "items": null}',
        b'\xef\xbb\xbf{"items": [1]}',
        b'{"items": [1]',
        b'{"items": ["a\xff"]}',
        b'{1: 2, "items": []}',
        b"",
    ],
)
def test_an_unusual_page_reads_exactly_as_the_plain_reader_does(content: bytes) -> None:
    try:
        expected = json_with_items(content, "page 7")
    except MalformedResponse as exc:
        with pytest.raises(MalformedResponse, match="page 7") as caught:
            json_with_items_as_sent(content, "page 7")
        assert str(caught.value) == str(exc)
        return
    body, raws = json_with_items_as_sent(content, "page 7")
    assert body == expected
    assert [json.loads(raw) for raw in raws] == body["items"]


braces = st.sampled_from(["}, {", "{", "}", '"}, {"', "}, {}, {"])
flat_items = st.lists(st.dictionaries(st.text(max_size=4), st.one_of(scalars, braces), max_size=4), max_size=6)


@settings(max_examples=300, deadline=None)
@given(flat_items, st.sampled_from(["", "c", "}, {"]), st.sampled_from([{}, {"ensure_ascii": False}]))
def test_flat_items_split_fast_read_exactly_as_sent(items: list, cursor: str, layout: dict) -> None:
    """The common layout (flat objects, ", " between them) is split by string methods; braces inside
    strings, in an item or elsewhere in the page, send it the careful way: the texts are exact either way."""
    content = json.dumps({"items": items, "next_cursor": cursor, "server_time": "t"}, **layout).encode()
    body, raws = json_with_items_as_sent(content, "page 1")
    assert body["items"] == items
    assert raws == [json.dumps(item, **layout) for item in items]


def _flat(text: str) -> list[str] | None:
    """The fast split's answer for ``text``: the items' texts, or None where it declines."""
    from connectors.http import JsonPage, _split_flat

    page = JsonPage(text.encode(), "page 1")
    return None if page.fingerprint(b"") is None else _split_flat(text, len(page.items))


def test_the_fast_split_declines_what_it_cannot_prove() -> None:
    assert _flat('{"items": [{"a": 1}, {"b": 2}], "x": 1}') == ['{"a": 1}', '{"b": 2}']
    assert _flat('{"items": [{"a": 1},{"b": 2}]}') is None  # another separator
    assert _flat('{"items": [{"a": "}, {"}, {"b": 2}]}') is None  # a brace in a string
    assert _flat('{"items": [{"a": {"c": 1}}, {"b": 2}]}') is None  # an object in an item
    assert _flat('{"items": [1, {"b": "{}"}]}') is None  # an item that is not an object


def _page(items: list, **extra: object) -> bytes:
    return json.dumps({"items": items, "next_cursor": "c1", "server_time": "t0", **extra}, ensure_ascii=False).encode()


def test_a_page_fingerprint_covers_its_items_and_nothing_else() -> None:
    from connectors.http import JsonPage

    items = [{"uscc": "9137A", "name": "济南甲"}, {"uscc": "9137B", "name": "济南乙"}]
    fp = JsonPage(_page(items), "page 1").fingerprint(b"salt")
    assert fp is not None and len(fp) == 16
    # the page's time and cursor are not its items
    assert JsonPage(_page(items, server_time="t9", next_cursor="c9"), "page 1").fingerprint(b"salt") == fp
    # any change to an item, to their order or to the salt (the options that map them) is another page
    changed = [{"uscc": "9137A", "name": "济南丙"}, items[1]]
    assert JsonPage(_page(changed), "page 1").fingerprint(b"salt") != fp
    assert JsonPage(_page(items[::-1]), "page 1").fingerprint(b"salt") != fp
    assert JsonPage(_page(items[:1]), "page 1").fingerprint(b"salt") != fp
    assert JsonPage(_page(items), "page 1").fingerprint(b"other") != fp


@pytest.mark.parametrize(
    "items",
    [
        [],  # nothing to recognise
        [{"a": {"b": 1}}],  # an object in an item
        [{"a": "{"}],  # a brace in a string
        [1, {"a": 2}],  # an item that is not an object
    ],
)
def test_a_page_whose_items_cannot_be_found_at_a_glance_has_no_fingerprint(items: list) -> None:
    from connectors.http import JsonPage

    page = JsonPage(_page(items), "page 1")
    assert page.fingerprint(b"salt") is None
    assert [json.loads(raw) for raw in page.raws()] == items
