"""Finding 6: every request body is bounded, a results CSV is streamed, answers and fields are capped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.conftest import bearer
from tests.web import scenario as sc

MB = 1024 * 1024


def test_a_json_body_over_the_limit_is_refused_with_a_413_problem(app, tokens):
    limit = app.extensions["hub_settings"].security.max_json_bytes
    resp = app.test_client().post(
        "/api/v1/tasks",
        data=b"{" + b" " * limit + b"}",
        headers={**bearer(tokens["coordinator"]), "Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.content_type == "application/problem+json"
    assert resp.json["status"] == 413 and "limit" in resp.json["detail"]


def test_findings_longer_than_the_limit_are_refused_naming_the_field(app, db, settings, tokens):
    scenario = sc.drawn_task(db, settings)
    entity = scenario.drawn_entities()[0]
    resp = app.test_client().post(
        f"/api/v1/tasks/{scenario.task_id}/results",
        headers=bearer(tokens["coordinator"]),
        json={
            "entity_id": entity,
            "agency": "HEALTH",
            "inspected_on": "2026-12-10",
            "outcome_codes": ["1"],
            "inspectors": scenario.team_of(entity),
            "findings": "查" * 4001,
        },
    )
    assert resp.status_code == 400
    assert resp.json["where"] == "findings" and "4,000" in resp.json["detail"]


def test_a_csv_import_lists_the_first_100_errors_and_counts_them_all(app, db, settings, tokens):
    scenario = sc.drawn_task(db, settings)
    lines = ["entity_id,agency,inspected_on,outcome_codes,inspectors,findings"]
    lines += [f"E{n},HEALTH,not-a-date,1,X,ok" for n in range(5000)]
    lines += [f"{scenario.drawn_entities()[0]},HEALTH,2026-12-10,1,X,{'长' * 4001}"]
    resp = app.test_client().post(
        f"/api/v1/tasks/{scenario.task_id}/results:import",
        data="\n".join(lines).encode(),
        headers=bearer(tokens["coordinator"]),
    )
    assert resp.status_code == 422
    assert resp.json["error_count"] >= 5001
    assert len(resp.json["errors"]) == 100
    assert len(resp.get_data()) < 50_000


def test_the_csv_parser_reads_a_file_in_pieces_and_agrees_with_the_whole_file_parse(tmp_path):
    from hub.results.csv_import import parse_results_csv, read_results_csv
    from hub.text_files import detect_encoding

    text = "entity_id,agency,inspected_on,outcome_codes,inspectors,findings\n" + "".join(
        f"E{n},HEALTH,2026-12-{1 + n % 28:02d},1,I{n},整改完成{n}\n" for n in range(30_000)
    )
    for encoding, expected in (("gb18030", "gb18030"), ("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig")):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        assert detect_encoding(path, chunk=4096) == expected
        assert read_results_csv(path) == parse_results_csv(path.read_bytes())
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"entity_id\n" + b"x" * 10_000 + b"\xff\xff\xff")
    assert "bad byte at offset 10010" in read_results_csv(bad).errors[0].message


# --- a real server: a 200 MB upload is refused at once, without the server growing -------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(settings, tokens, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """`hub serve` (gunicorn, one worker) on a loopback port: (port, master pid)."""
    port = _free_port()
    env = {
        **os.environ,
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_DATA_DIR": str(tmp_path / "var"),
        "HUB_SECRET_KEY": "test-secret-key",
    }
    env.pop("HUB_CONFIG", None)
    env.pop("HUB_BROKER_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "serve.log", "wb"),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("hub serve did not start: " + (tmp_path / "serve.log").read_text()[-2000:])
        yield port, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _tree_peak_rss(pid: int) -> int:
    """The largest peak resident size (VmHWM, bytes) among a process and its children."""
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    peak = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) * 1024)
    return peak


def _post_streaming(port: int, path: str, token: str, size: int, chunked: bool) -> tuple[bytes, float, int]:
    """POST ``size`` bytes made by a generator; (status line, seconds to the answer, bytes sent)."""

    def body() -> Iterator[bytes]:
        piece = b"entity_id,agency,inspected_on,outcome_codes,inspectors,findings\n" * 1000
        sent = 0
        while sent < size:
            yield piece
            sent += len(piece)

    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
    sent = [0]
    started = time.monotonic()
    conn.sendall(head.encode())

    def send() -> None:
        try:
            for piece in body():
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent[0] += len(piece)
            if chunked:
                conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: the rest is never sent

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = conn.recv(64)
    elapsed = time.monotonic() - started
    conn.close()
    sender.join(timeout=10)
    return answer.split(b"\r\n")[0], elapsed, sent[0]


@pytest.mark.slow
def test_a_200_mb_upload_is_refused_with_413_in_under_a_second_and_the_server_stays_small(served, tokens):
    port, pid = served
    status, elapsed, sent = _post_streaming(
        port, "/api/v1/tasks/T/results:import", tokens["coordinator"], 200 * MB, chunked=False
    )
    assert status == b"HTTP/1.1 413 REQUEST ENTITY TOO LARGE"
    assert elapsed < 1.0, elapsed
    assert sent < 200 * MB
    print(f"\n200 MB with Content-Length: 413 after {elapsed * 1000:.0f} ms, {sent / MB:.1f} MB sent")
    status, elapsed, sent = _post_streaming(
        port, "/api/v1/tasks/T/results:import", tokens["coordinator"], 200 * MB, chunked=True
    )
    assert status == b"HTTP/1.1 413 REQUEST ENTITY TOO LARGE"
    assert elapsed < 1.0, elapsed
    print(
        f"200 MB chunked: 413 after {elapsed * 1000:.0f} ms, {sent / MB:.1f} MB sent; "
        f"peak RSS of the server's processes {_tree_peak_rss(pid) / MB:.0f} MB"
    )
    assert _tree_peak_rss(pid) < 200 * MB
