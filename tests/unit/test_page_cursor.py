"""Keyset pages and cursors (hub/paging.py, pure): round trips, tampering, page edges."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import InvalidInput
from hub.paging import MAX_LIMIT, Cursor, check_limit, decode_cursor, encode_cursor, make_page

keys = st.tuples(st.text(max_size=40), st.integers(min_value=-(2**53), max_value=2**53))


@given(keys, st.booleans())
def test_a_cursor_decodes_to_what_was_encoded(key, backward) -> None:  # type: ignore[no-untyped-def]
    assert decode_cursor(encode_cursor(key, backward), (str, int)) == Cursor(key, backward)


def test_an_empty_cursor_is_the_first_page() -> None:
    assert decode_cursor("", (str,)) is None
    assert decode_cursor(None, (str,)) is None


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # the checksum
        lambda c: "x" + c,  # the body
        lambda c: c.split(".")[0],  # no checksum
        lambda c: c[: len(c) // 2],  # truncated
        lambda c: "%%%." + c.split(".")[1],  # not base64
    ],
)
def test_an_edited_cursor_is_refused_clearly(edit) -> None:  # type: ignore[no-untyped-def]
    cursor = encode_cursor(("91370102MA3C0001X1", 42))
    with pytest.raises(InvalidInput) as err:
        decode_cursor(edit(cursor), (str, int), where="cursor")
    assert err.value.where == "cursor" and "翻页参数" in err.value.message


def test_a_cursor_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor(("a", "b")), (str, int))  # a str where an int belongs
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor(("a",)), (str, int))  # too short
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor((True,)), (int,))  # a bool is no int


def test_a_forged_but_well_formed_payload_needs_its_checksum() -> None:
    body = base64.urlsafe_b64encode(b'["f","x"]').decode().rstrip("=")
    with pytest.raises(InvalidInput):
        decode_cursor(body + ".000000000000", (str,))


def rows(n: int) -> list[int]:
    return list(range(1, n + 1))


def test_first_page_has_a_next_and_no_previous() -> None:
    page = make_page(rows(4), 3, lambda r: (r,), None, total=10)
    assert page.rows == [1, 2, 3] and page.prev_cursor is None
    assert decode_cursor(page.next_cursor, (int,)) == Cursor((3,))
    assert page.total == 10 and not page.total_capped


def test_last_page_has_no_next() -> None:
    page = make_page([8, 9], 3, lambda r: (r,), Cursor((7,)))
    assert page.rows == [8, 9] and page.next_cursor is None
    assert decode_cursor(page.prev_cursor, (int,)) == Cursor((8,), backward=True)


def test_a_backward_page_is_put_back_in_order() -> None:
    # rows before 7, read in reverse: 6, 5, 4 and one more (3)
    page = make_page([6, 5, 4, 3], 3, lambda r: (r,), Cursor((7,), backward=True))
    assert page.rows == [4, 5, 6]
    assert decode_cursor(page.next_cursor, (int,)) == Cursor((6,))
    assert decode_cursor(page.prev_cursor, (int,)) == Cursor((4,), backward=True)


def test_a_backward_page_reaching_the_start_has_no_previous() -> None:
    page = make_page([2, 1], 3, lambda r: (r,), Cursor((3,), backward=True))
    assert page.rows == [1, 2] and page.prev_cursor is None and page.next_cursor


def test_an_empty_list_has_no_cursors() -> None:
    page = make_page([], 3, lambda r: (r,), None, total=0)
    assert (page.rows, page.next_cursor, page.prev_cursor) == ([], None, None)


def test_page_size_is_checked() -> None:
    assert check_limit(None) == check_limit("") == 50
    assert check_limit("20") == 20
    for bad in ("0", str(MAX_LIMIT + 1), "ten", "-1"):
        with pytest.raises(InvalidInput):
            check_limit(bad)
