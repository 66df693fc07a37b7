"""Drawing and verifying from files, through the hub's helpers and through the standalone jdp.py script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.draw import jdp, offline
from tests.draw import vectors

SCRIPT = Path(jdp.__file__)


def files(name: str) -> dict[str, Path]:
    return {
        what: vectors.path(name, suffix)
        for what, suffix in (
            ("plan", "plan.json"),
            ("roster", "roster.tsv"),
            ("pool", "pool.tsv"),
            ("record", "record.json"),
        )
    }


@pytest.mark.parametrize("name", vectors.NAMES)
def test_draw_offline_writes_the_published_record(name: str, tmp_path: Path) -> None:
    f, out = files(name), tmp_path / "record.json"
    entropy = vectors.path(name, "entropy.txt").read_text(encoding="utf-8")
    record = offline.draw_offline(f["plan"], f["roster"], f["pool"], vectors.reveal_lines(name), entropy, out)
    assert out.read_bytes() == f["record"].read_bytes()
    assert record == json.loads(f["record"].read_text(encoding="utf-8"))


def test_draw_offline_checks_reveals_against_a_commitments_file(tmp_path: Path) -> None:
    f = files("v-public")
    commitments = tmp_path / "commitments.json"
    published = vectors.load("v-public").commitments
    commitments.write_text(json.dumps(dict(published, SAMR="0" * 64)))
    with pytest.raises(jdp.JDPError, match="SAMR"):
        offline.draw_offline(
            f["plan"], f["roster"], f["pool"], vectors.reveal_lines("v-public"), "x", tmp_path / "r.json", commitments
        )
    commitments.write_text(json.dumps(published))
    record = offline.draw_offline(
        f["plan"], f["roster"], f["pool"], vectors.reveal_lines("v-public"), None, tmp_path / "r.json", commitments
    )
    assert record["entropy"] == "" and record["commitments"] == published


def test_bad_inputs_are_refused_naming_the_file(tmp_path: Path) -> None:
    f, out = files("v-public"), tmp_path / "r.json"
    reveals = vectors.reveal_lines("v-public")
    with pytest.raises(jdp.JDPError, match="missing.tsv"):
        offline.draw_offline(f["plan"], tmp_path / "missing.tsv", f["pool"], reveals, "", out)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(jdp.JDPError, match="broken.json"):
        offline.draw_offline(broken, f["roster"], f["pool"], reveals, "", out)
    with pytest.raises(jdp.JDPError, match="PARTY=HEX"):
        offline.draw_offline(f["plan"], f["roster"], f["pool"], ["hub:abcd"], "", out)
    unsorted = tmp_path / "unsorted.tsv"
    lines = f["roster"].read_bytes().splitlines(keepends=True)
    unsorted.write_bytes(b"".join([lines[1], lines[0], *lines[2:]]))
    with pytest.raises(jdp.JDPError, match=r"roster .*unsorted.tsv line 2"):
        offline.draw_offline(f["plan"], unsorted, f["pool"], reveals, "", out)
    assert not out.exists()


def test_verify_files_accepts_the_vector_and_lists_what_was_changed(tmp_path: Path) -> None:
    f = files("v-public-sm3")
    assert offline.verify_files(f["record"], f["roster"], f["pool"]) == []
    record = json.loads(f["record"].read_text(encoding="utf-8"))
    record["selections"][3]["team"][1] = "SAMR-00013"
    tampered = tmp_path / "record.json"
    tampered.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    published = json.loads(f["record"].read_text(encoding="utf-8"))["selections"][3]["team"]
    assert offline.verify_files(tampered, f["roster"], f["pool"]) == [
        f"selections[3].team: record has {record['selections'][3]['team']!r}, recomputed {published!r}"
    ]


def run_script(script: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(script), *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        cwd=script.parent,
        timeout=120,
    )


def test_script_in_the_repository_verifies_the_vector() -> None:
    f = files("v-public-sm3")
    done = run_script(SCRIPT, "verify", f["record"], "--roster", f["roster"], "--pool", f["pool"])
    assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout


def test_standalone_script_verifies_the_vector_and_rejects_a_tampered_copy(tmp_path: Path) -> None:
    script = tmp_path / "jdp.py"  # a copy outside the repository: standard library only
    shutil.copy(SCRIPT, script)
    f = files("v-public")
    ok = run_script(script, "verify", f["record"], "--roster", f["roster"], "--pool", f["pool"])
    assert ok.returncode == 0, ok.stderr
    tampered = tmp_path / "roster.tsv"
    data = bytearray(f["roster"].read_bytes())
    data[100] ^= 0x01
    tampered.write_bytes(bytes(data))
    bad = run_script(script, "verify", f["record"], "--roster", tampered, "--pool", f["pool"])
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1 and "roster_digest" in bad.stderr


def test_standalone_script_draws_the_published_record(tmp_path: Path) -> None:
    script = tmp_path / "jdp.py"
    shutil.copy(SCRIPT, script)
    f, out = files("v-public-sm3"), tmp_path / "out.json"
    reveal_args = [arg for line in vectors.reveal_lines("v-public-sm3") for arg in ("--reveal", line)]
    entropy = vectors.path("v-public-sm3", "entropy.txt").read_text(encoding="utf-8")
    done = run_script(
        script,
        "draw",
        "--plan",
        f["plan"],
        "--roster",
        f["roster"],
        "--pool",
        f["pool"],
        *reveal_args,
        "--entropy",
        entropy,
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == f["record"].read_bytes()
    refused = run_script(
        script,
        "draw",
        "--plan",
        f["plan"],
        "--roster",
        f["roster"],
        "--pool",
        f["pool"],
        "--reveal",
        "hub=zz",
        "--out",
        tmp_path / "no.json",
    )
    assert refused.returncode == 1 and "hub" in refused.stderr and not (tmp_path / "no.json").exists()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize("name", vectors.NAMES)
def test_standalone_script_in_a_clean_directory_checks_both_protocols(name: str, tmp_path: Path) -> None:
    """`python3 -I jdp.py` with nothing but the four published files beside it."""
    for what, source in files(name).items():
        shutil.copy(source, tmp_path / f"{what}{source.suffix}")
    script = tmp_path / "jdp.py"
    shutil.copy(SCRIPT, script)
    args = ("verify", "record.json", "--roster", "roster.tsv", "--pool", "pool.tsv")
    ok = run_script(script, *args)
    assert ok.returncode == 0, ok.stderr
    assert vectors.load(name).record["protocol"] in ok.stdout
    plain = run_script(script, *args, "--plain")
    assert plain.returncode == 0, plain.stderr
    originals = {what: (tmp_path / f"{what}{source.suffix}").read_bytes() for what, source in files(name).items()}
    for what in ("record", "roster", "pool"):
        path = tmp_path / f"{what}{files(name)[what].suffix}"
        for at in (0, len(originals[what]) // 2, len(originals[what]) - 2):
            path.write_bytes(_flip(originals[what], at))
            bad = run_script(script, *args)
            assert bad.returncode != 0, f"{what} byte {at} flipped, still verified"
            assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
        path.write_bytes(originals[what])
    record = json.loads(originals["record"])
    record["protocol"] = "JDP-3"
    (tmp_path / "record.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    refused = run_script(script, *args)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [refused.stderr.strip()] and "'JDP-3'" in refused.stderr


@pytest.mark.parametrize("name", vectors.NAMES)
def test_record_text_is_what_json_dumps_with_indent_1_writes(name: str) -> None:
    record = vectors.load(name).record
    assert jdp.record_text(record) == json.dumps(record, ensure_ascii=False, indent=1) + "\n"
    for changed in (
        {"selections": []},
        {"selections": [dict(record["selections"][0], team=[])]},
        {"selections": [{"entity_id": 'a"\\b', "stratum": "s\t学", "key": "0" * 16, "team": ["x\u2028"]}]},
        {"extra": {"selections": 1}},
        {"selections": "not a list"},
    ):
        edited = dict(record, **changed)
        assert jdp.record_text(edited) == json.dumps(edited, ensure_ascii=False, indent=1) + "\n"


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)


@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT, st.lists(_TEXT, max_size=3)), max_size=5))
def test_record_text_lays_out_any_strings_as_json_dumps_does(rows: list[tuple]) -> None:
    # both layouts: plain text (no escapes) and text with quotes, backslashes, control or non-ASCII characters
    record = dict(
        vectors.load(vectors.NAMES[0]).record,
        selections=[{"entity_id": e, "stratum": s, "key": k, "team": list(team)} for e, s, k, team in rows],
    )
    assert jdp.record_text(record) == json.dumps(record, ensure_ascii=False, indent=1) + "\n"
