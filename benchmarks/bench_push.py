"""Outbox push benchmark: the hub's drain against bare signed POSTs of the same batches.

    python benchmarks/bench_push.py [--results 100000] [--without-uscc-every 10] [--profile FILE]

N approved results' messages (both sinks; 9 in 10 entities have a uscc, so go to credit-xml too)
are inserted into a fresh SQLite outbox, then:
(a) HUB: drain(db, settings, respect_backoff=False) until everything is delivered, against the
    sink sandboxes (no faults): claim, build and check each record, POST, store every outcome;
(b) BASELINE, against fresh sandboxes: the same wire bodies built with the sinks' own builders
    (provincial: RESULT_FIELDS + mapped_outcomes; credit: build_record/build_upload), signed with
    sign_headers and POSTed with a bare requests.Session in batches of 500 / 1000; nothing else.
Prints results, batches, seconds and msgs/s of each, and the ratio hub/baseline (target <= 1.5).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import tomli_w
from lxml import etree
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.base import OutgoingMessage
from connectors.credit_xml import PATH as CREDIT_PATH
from connectors.credit_xml import build_record, build_upload
from connectors.provincial_rest import RESULT_FIELDS
from connectors.sandboxes.sinks import start_sinks
from connectors.signing import sign_headers
from connectors.sink_options import mapped_outcomes
from connectors.sinks_registry import make_sink
from hub.config import Settings, load_settings
from hub.connections import connector_settings
from hub.db import Database, init_db, upgrade
from hub.outbox.delivery import drain, pending_count
from hub.outbox.models import OutboxMessage
from hub.results.services import result_message
from tests.integration.outbox_factory import (
    APP_ID,
    SECRET,
    SECRET_ENV,
    SENDER,
    TASK_ID,
    approved_result,
    sink_config,
)

BATCH = {"provincial": 500, "credit": 1000}


def payloads(n: int, without_uscc_every: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        entity, result = approved_result(i, without_uscc_every=without_uscc_every)
        yield result_message(result, entity)


def fill_outbox(db: Database, settings: Settings, messages: list[dict[str, Any]]) -> dict[str, list[dict]]:
    """Insert the outbox rows in bulk (what enqueue writes, without its per-key look-up: setup is
    not what is measured); return each sink's payloads in delivery order."""
    sinks = {name: make_sink(connector_settings(cfg)) for name, cfg in settings.sinks.items()}
    by_sink: dict[str, list[dict]] = {name: [] for name in sinks}
    for p in messages:
        msg = OutgoingMessage(key=p["result_id"], kind="result", payload=p)
        for name, sink in sinks.items():
            if sink.accepts(msg):
                by_sink[name].append(p)
    with db.unit_of_work() as s:
        for name, items in by_sink.items():
            for i in range(0, len(items), 5000):
                s.execute(
                    insert(OutboxMessage),
                    [
                        {
                            "sink": name,
                            "kind": "result",
                            "key": p["result_id"],
                            "task_id": p["task_id"],
                            "payload": p,
                            "state": "pending",
                            "attempts": 0,
                            "next_attempt_at": datetime(2000, 1, 1),
                        }
                        for p in items[i : i + 5000]
                    ],
                )
    return by_sink


def provincial_body(batch_id: str, items: list[dict[str, Any]]) -> bytes:
    results = []
    for p in items:
        body = {f: p.get(f) for f in RESULT_FIELDS}
        body["findings"] = body["findings"] or ""
        body["outcomes"] = mapped_outcomes(p["outcomes"], {})
        results.append(body)
    return json.dumps({"batch_id": batch_id, "results": results}, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def credit_body(batch_id: str, items: list[dict[str, Any]]) -> bytes:
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    upload = build_upload(batch_id, SENDER, created_at, [build_record(p, {}, "") for p in items])
    return etree.tostring(upload, xml_declaration=True, encoding="UTF-8")


def baseline(servers: dict[str, Any], by_sink: dict[str, list[dict]]) -> tuple[int, float, float]:
    """Build, sign and POST every batch with a bare requests.Session; (batches, seconds, CPU seconds)."""
    http = requests.Session()
    batches = 0
    started, cpu = time.perf_counter(), time.process_time()
    for name, items in by_sink.items():
        size = BATCH[name]
        for n, i in enumerate(range(0, len(items), size)):
            batch_id = f"bench-{name}-{n}"
            chunk = items[i : i + size]
            if name == "provincial":
                path = f"/api/v1/joint-tasks/{TASK_ID}/results:batch"
                body, ctype = provincial_body(batch_id, chunk), "application/json"
            else:
                path, body, ctype = CREDIT_PATH, credit_body(batch_id, chunk), "application/xml; charset=utf-8"
            headers = {"Content-Type": ctype, **sign_headers(APP_ID, SECRET, "POST", path, "", body)}
            resp = http.post(servers[name].url + path, data=body, headers=headers, timeout=60)
            resp.raise_for_status()
            batches += 1
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    http.close()
    return batches, seconds, cpu


def check_all_stored(servers: dict[str, Any], by_sink: dict[str, list[dict]], who: str) -> None:
    for name, items in by_sink.items():
        counts = servers[name].accepted_counts
        if len(counts) != len(items) or any(v != 1 for v in counts.values()):
            raise SystemExit(f"{who}: {name} holds {len(counts)} of {len(items)} results (or some twice)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--without-uscc-every", type=int, default=10)
    parser.add_argument("--profile", default=None, help="write a cProfile of the hub's drain to FILE")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-push-") as tmp:
        return run(args, Path(tmp))


def run(args: argparse.Namespace, tmp: Path) -> int:
    url = f"sqlite:///{tmp / 'hub.db'}"
    upgrade(url)
    hub_servers = start_sinks(APP_ID, SECRET)
    config = tmp / "hub.toml"
    config.write_text(tomli_w.dumps(sink_config(hub_servers, timeout=60.0)), encoding="utf-8")
    settings = load_settings(
        config,
        environ={"HUB_DATABASE_URL": url, "HUB_DATA_DIR": str(tmp), "HUB_SECRET_KEY": "bench", SECRET_ENV: SECRET},
    )
    db = init_db(url)
    started = time.perf_counter()
    messages = list(payloads(args.results, args.without_uscc_every))
    by_sink = fill_outbox(db, settings, messages)
    total = sum(len(v) for v in by_sink.values())
    print(
        f"setup: {args.results} results -> {total} outbox messages "
        f"({', '.join(f'{k} {len(v)}' for k, v in by_sink.items())}) in {time.perf_counter() - started:.1f} s"
    )

    profiler = cProfile.Profile() if args.profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = drain(db, settings, respect_backoff=False)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    hub_seconds, hub_cpu = time.perf_counter() - started, time.process_time() - cpu
    for server in hub_servers.values():
        server.stop()
    left = pending_count(db)
    if left or report.delivered != total:
        raise SystemExit(f"hub: delivered {report.delivered} of {total}, {left} pending: {report.errors[-1:]}")
    check_all_stored(hub_servers, by_sink, "hub")

    base_servers = start_sinks(APP_ID, SECRET)
    base_batches, base_seconds, base_cpu = baseline(base_servers, by_sink)
    for server in base_servers.values():
        server.stop()
    check_all_stored(base_servers, by_sink, "baseline")

    # CPU seconds are of this whole process, sandboxes included (they serve both runs alike);
    # they vary less than wall time on a busy machine.
    print(f"{'':10} {'messages':>9} {'batches':>8} {'seconds':>8} {'msgs/s':>8} {'CPU s':>8}")
    for who, batches, seconds, cpu in (
        ("hub", report.batches, hub_seconds, hub_cpu),
        ("baseline", base_batches, base_seconds, base_cpu),
    ):
        print(f"{who:10} {total:9d} {batches:8d} {seconds:8.2f} {total / seconds:8.0f} {cpu:8.2f}")
    ratio = hub_seconds / base_seconds
    print(
        f"ratio hub/baseline: {ratio:.2f} (CPU {hub_cpu / base_cpu:.2f}; target <= 1.5) "
        f"{'ok' if ratio <= 1.5 else 'ABOVE TARGET'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
