"""edu-xml: a streamed snapshot with ETags, schema-checked schools, and hostile XML refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import MalformedResponse
from connectors.sandboxes.edu import EduSandbox, render_feed

FEED = "/feeds/schools.xml"


def _source(source_for, edu: EduSandbox, **options):  # type: ignore[no-untyped-def]
    return source_for("edu-xml", edu.url + FEED, **options)


def test_snapshot_yields_every_school_and_its_etag(edu: EduSandbox, source_for) -> None:
    batches = list(_source(source_for, edu, batch_size=100).batches({}))
    assert [len(b.records) for b in batches] == [100, 100, 50]
    assert [b.complete_snapshot for b in batches] == [False, False, True]
    assert batches[-1].bookmark == {"etag": edu.etag}
    records = [r for b in batches for r in b.records]
    assert [r.key for r in records] == [s["code"] for s in edu.schools]
    school = edu.schools[0]
    fields = records[0].fields
    assert fields["scheme_id"] == f"EDU:{school['code']}"
    assert fields["uscc"] == school["uscc"]
    assert (fields["name"], fields["district"], fields["categories"]) == (
        school["name"],
        school["district"],
        ["school"],
    )
    assert fields["attributes"]["students"] == school["students"]


def test_schools_without_uscc_keep_their_school_code(edu: EduSandbox, source_for) -> None:
    records = [r for b in _source(source_for, edu).batches({}) for r in b.records]
    without = [r for r in records if r.fields["uscc"] is None]
    assert without and all(r.fields["scheme_id"].startswith("EDU:") for r in without)


def test_unchanged_feed_answers_304_and_yields_nothing(edu: EduSandbox, source_for) -> None:
    source = _source(source_for, edu)
    state = list(source.batches({}))[-1].bookmark
    before = edu.stats["requests"]
    assert list(source.batches(state)) == []
    assert edu.stats["requests"] == before + 1
    assert len(list(source.batches(state, full=True))) == 1  # full ignores the ETag


def test_removed_schools_leave_the_next_snapshot(edu: EduSandbox, source_for) -> None:
    source = _source(source_for, edu)
    state = list(source.batches({}))[-1].bookmark
    gone = [s["code"] for s in edu.schools[:2]]
    edu.remove(gone)
    batches = list(source.batches(state))
    assert batches[-1].bookmark["etag"] != state["etag"]
    codes = {r.key for b in batches for r in b.records}
    assert len(codes) == 248 and not codes & set(gone)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "university"}, "Type"),
        ({"name": None}, "Name"),
        ({"district": "历下区"}, "District"),
        ({"students": "约300"}, "Students"),
    ],
)
def test_school_failing_the_schema_becomes_error_naming_the_field(
    edu: EduSandbox, source_for, change: dict, field: str
) -> None:
    code = edu.schools[7]["code"]
    edu.change(code, **change)
    records = {r.key: r for b in _source(source_for, edu).batches({}) for r in b.records}
    assert len(records) == 250
    bad = records[code]
    assert bad.error and field in bad.error and bad.fields == {}
    assert f'code="{code}"' in bad.raw
    assert sum(1 for r in records.values() if r.error) == 1


def test_generated_invalid_share_is_quarantined_not_dropped(source_for, credentials) -> None:
    server = EduSandbox(dict([credentials]), schools=400, seed=3, invalid_share=0.1).start()
    try:
        records = [r for b in _source(source_for, server).batches({}) for r in b.records]
    finally:
        server.stop()
    invalid = {s["code"] for s in server.schools if s["invalid"]}
    assert len(records) == 400 and invalid
    assert {r.key for r in records if r.error} == invalid


def test_truncated_feed_fails_with_its_line(edu: EduSandbox, source_for) -> None:
    edu.truncate = True
    with pytest.raises(MalformedResponse, match=r"not well-formed at line \d+"):
        list(_source(source_for, edu).batches({}))


def test_malformed_fault_fails_the_run(edu: EduSandbox, source_for) -> None:
    edu.set_faults({"malformed": 1.0})
    with pytest.raises(MalformedResponse, match="line"):
        list(_source(source_for, edu).batches({}))


def test_mismatched_tag_is_reported_at_its_line(edu: EduSandbox, source_for) -> None:
    edu.raw_feed = (
        '<Schools xmlns="urn:edu:schools:1">\n<School code="3137000001">\n'
        "<Name>济南市某某小学</Nmae>\n</School>\n</Schools>"
    ).encode()
    with pytest.raises(MalformedResponse, match="at line 3"):
        list(_source(source_for, edu).batches({}))


def test_external_entity_is_refused_and_no_file_is_read(edu: EduSandbox, source_for, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    edu.raw_feed = (
        f'<?xml version="1.0"?>\n<!DOCTYPE Schools [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        '<Schools xmlns="urn:edu:schools:1"><School code="3137000001"><Name>&xxe;</Name>'
        "<Type>primary</Type><District>370102</District></School></Schools>"
    ).encode()
    seen: list = []
    with pytest.raises(MalformedResponse, match="DOCTYPE") as caught:
        for batch in _source(source_for, edu).batches({}):
            seen.extend(batch.records)
    assert seen == []
    assert "TOP-SECRET-MARKER" not in str(caught.value)


def test_billion_laughs_is_refused_without_expanding(edu: EduSandbox, source_for) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    edu.raw_feed = (
        '<?xml version="1.0"?>\n<!DOCTYPE Schools [' + "".join(entities) + "]>\n"
        '<Schools xmlns="urn:edu:schools:1"><School code="3137000001"><Name>&lol9;</Name>'
        "<Type>primary</Type><District>370102</District></School></Schools>"
    ).encode()
    with pytest.raises(MalformedResponse, match="DOCTYPE"):
        list(_source(source_for, edu).batches({}))


def test_wrong_root_element_is_refused(edu: EduSandbox, source_for) -> None:
    edu.raw_feed = b'<Schools xmlns="urn:other:1"><School code="3137000001"/></Schools>'
    with pytest.raises(MalformedResponse, match="root element"):
        list(_source(source_for, edu).batches({}))


def test_large_feed_is_batched(source_for, credentials) -> None:
    server = EduSandbox(dict([credentials]), schools=6000, seed=2).start()
    try:
        sizes = [len(b.records) for b in _source(source_for, server).batches({})]
    finally:
        server.stop()
    assert sizes == [1000] * 6 + [0]


class _CountingStream:
    """A file-like feed that counts what the parser has read so far."""

    def __init__(self, body: bytes) -> None:
        self.body, self.read_so_far = body, 0

    def read(self, size: int = -1) -> bytes:
        size = min(size if size >= 0 else len(self.body), 16384)
        chunk = self.body[self.read_so_far : self.read_so_far + size]
        self.read_so_far += len(chunk)
        return chunk


def test_feed_is_parsed_as_it_arrives(source_for, credentials) -> None:
    server = EduSandbox(dict([credentials]), schools=10000, seed=2)
    server.server_close()  # only its feed is needed
    stream = _CountingStream(render_feed(server.schools, server.generated))
    source = _source(source_for, server)
    records = source._records(stream)
    next(records)
    assert stream.read_so_far < len(stream.body) // 20
    remaining = sum(1 for _ in records)
    assert remaining == 9999 and stream.read_so_far == len(stream.body)
