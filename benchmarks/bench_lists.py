"""Every list page's server time (p50/p95) and response size with a large roster, against the bare
keyset SQL query of that page measured in the same run.

The database is filled with set-based SQL (generate_series on PostgreSQL, a recursive CTE on
SQLite), not row by row through the ORM: ``--entities`` entities, ``--results`` results and as
many outbox messages, 10,000 quarantined records, 1,000 users. Each page is then requested
``--requests`` times through the app in this process (the WSGI call is the server time; no network),
signed in as an admin (who may open every list), and its bare query is timed as often.

Targets (issue 15): every list page <= 200 ms at p95 and <= 200 KB, with 1,000,000 entities and
100,000 results on PostgreSQL.

    python benchmarks/bench_lists.py [--entities 1000000] [--results 100000] [--requests 20]
                                     [--db sqlite|postgresql|both]

The PostgreSQL side creates and drops its own database on ``--pg`` (127.0.0.1:5432 by default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-lists-password-1"
TRADES = "泉城齐鲁舜耕大明千佛趵突华山历山银座金鼎"  # ten two-character trade names
DISTRICTS = "370102370103370104370105370112370113370114370115370116370117370124370126"
CATEGORIES = ("hotel", "catering", "school", "eldercare")
TASKS = 100


def fill(engine: Any, entities: int, results: int) -> float:
    """Fill the tables with set-based SQL; the seconds it took."""
    from sqlalchemy import text

    pg = engine.dialect.name == "postgresql"
    rows = "generate_series(1, :n) AS s(i)" if pg else "s"
    with_rows = "" if pg else "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
    pad8 = "lpad(CAST(i AS TEXT), 8, '0')" if pg else "printf('%08d', i)"
    json = (lambda e: f"CAST({e} AS jsonb)") if pg else (lambda e: e)
    now = "CURRENT_TIMESTAMP"
    category = "CASE i % 4 WHEN 0 THEN 'hotel' WHEN 1 THEN 'catering' WHEN 2 THEN 'school' ELSE 'eldercare' END"
    started = time.perf_counter()
    with engine.begin() as c:
        c.execute(
            text(
                f"{with_rows}INSERT INTO entities (entity_id, uscc, name, district, address, status, categories,"
                " abnormal_list, serious_violation, complaints, active, sources, created_at, updated_at) "
                f"SELECT '91370102MA' || {pad8}, '91370102MA' || {pad8},"
                f" substr('{TRADES}', 1 + (i % 10) * 2, 2) || substr('{TRADES}', 1 + ((i / 10) % 10) * 2, 2)"
                " || '商贸有限公司' || CAST(i AS TEXT),"
                f" substr('{DISTRICTS}', 1 + (i % 12) * 6, 6), '经十路' || CAST(i % 999 AS TEXT) || '号', 'active',"
                f" {json(chr(39) + '[' + chr(34) + chr(39) + ' || ' + category + ' || ' + chr(39) + chr(34) + ']' + chr(39))},"
                f" i % 97 = 0, i % 997 = 0, 0, i % 50 <> 0, {json(chr(39) + '[' + chr(34) + 'samr' + chr(34) + ']' + chr(39))},"
                f" {now}, {now} FROM {rows}"
            ),
            {"n": entities},
        )
        c.execute(
            text(
                f"{with_rows}INSERT INTO joint_tasks (id, title, lead, agencies, spec, protocol, state, window_start,"
                " window_end, created_by, created_at, updated_at, draw_progress) "
                f"SELECT 'JT-2026-' || {pad8}, '联合抽查任务' || CAST(i AS TEXT), 'HEALTH',"
                f" {json(chr(39) + '[' + chr(34) + 'HEALTH' + chr(34) + ',' + chr(34) + 'SAMR' + chr(34) + ']' + chr(39))},"
                f" {json(chr(39) + '{}' + chr(39))}, 'JDP-2', 'drawn', '2026-11-01', '2026-12-31', 'bench', {now}, {now}, 100"
                f" FROM {rows}"
            ),
            {"n": TASKS},
        )
        c.execute(
            text(
                f"{with_rows}INSERT INTO results (result_id, task_id, entity_id, agency, inspected_on, outcome_codes,"
                " inspectors, items, findings, state, entered_by, entered_at, version) "
                f"SELECT 'R-' || {pad8}, 'JT-2026-' || {'lpad(CAST(1 + i % 100 AS TEXT), 8, ' + chr(39) + '0' + chr(39) + ')' if pg else 'printf(' + chr(39) + '%08d' + chr(39) + ', 1 + i % 100)'},"
                f" '91370102MA' || {pad8}, CASE i % 2 WHEN 0 THEN 'HEALTH' ELSE 'SAMR' END, '2026-12-01',"
                f" {json(chr(39) + '[' + chr(34) + '1' + chr(34) + ']' + chr(39))}, {json(chr(39) + '[]' + chr(39))},"
                f" {json(chr(39) + '[]' + chr(39))}, '', 'approved', 'bench', {now}, 1 FROM {rows}"
            ),
            {"n": results},
        )
        c.execute(
            text(
                f"{with_rows}INSERT INTO outbox (sink, kind, key, task_id, payload, state, attempts, next_attempt_at,"
                " created_at, reject_code) "
                "SELECT CASE i % 2 WHEN 0 THEN 'provincial' ELSE 'credit' END, 'result', 'R-' || "
                f"{pad8}, NULL, {json(chr(39) + '{}' + chr(39))},"
                " CASE WHEN i % 100 = 0 THEN 'rejected' WHEN i % 10 = 0 THEN 'pending' ELSE 'delivered' END,"
                f" 1, {now}, {now}, CASE WHEN i % 100 = 0 THEN 'E01' END FROM {rows}"
            ),
            {"n": results},
        )
        c.execute(
            text(
                f"{with_rows}INSERT INTO quarantine (source, record_key, reason, raw, received_at) "
                f"SELECT 'samr', 'Q' || {pad8}, 'uscc: check digit is wrong', '{{}}', {now} FROM {rows}"
            ),
            {"n": 10_000},
        )
        c.execute(
            text(
                f"{with_rows}INSERT INTO users (name, roles, active, created_at, session_epoch, failed_logins) "
                f"SELECT 'user' || {pad8}, {json(chr(39) + '[' + chr(34) + 'inspector' + chr(34) + ']' + chr(39))},"
                f" true, {now}, 0, 0 FROM {rows}"
            ),
            {"n": 1_000},
        )
    with engine.begin() as c:
        c.execute(text("ANALYZE"))
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(call: Callable[[], Any], n: int) -> tuple[list[float], Any]:
    call()  # warm: the first call compiles templates and statements
    times, last = [], None
    for _ in range(n):
        t = time.perf_counter()
        last = call()
        times.append((time.perf_counter() - t) * 1000)
    return times, last


def pages(pg: bool, mid_entity: str) -> list[tuple[str, str, str]]:
    """(label, URL, the bare keyset SQL of that page)."""
    from hub.paging import encode_cursor

    active = "active = true" if pg else "active = 1"
    deep = encode_cursor((mid_entity,))
    return [
        (
            "entities",
            "/entities/",
            f"SELECT * FROM entities WHERE {active} ORDER BY entity_id LIMIT 51",
        ),
        (
            "entities, page in the middle",
            f"/entities/?cursor={deep}",
            f"SELECT * FROM entities WHERE {active} AND entity_id > '{mid_entity}' ORDER BY entity_id LIMIT 51",
        ),
        (
            "entities by district",
            "/entities/?district=370105",
            f"SELECT * FROM entities WHERE {active} AND district = '370105' ORDER BY entity_id LIMIT 51",
        ),
        (
            "entities by category",
            "/entities/?category=school",
            f"SELECT * FROM entities WHERE {active} AND "
            + (
                "categories @> '[\"school\"]'"
                if pg
                else "EXISTS (SELECT 1 FROM json_each(categories) WHERE value = 'school')"
            )
            + " ORDER BY entity_id LIMIT 51",
        ),
        (
            "entities by name part",
            "/entities/?name=泉城齐鲁",
            f"SELECT * FROM entities WHERE {active} AND name LIKE '%泉城齐鲁%' ORDER BY entity_id LIMIT 51",
        ),
        (
            "entities by code prefix",
            "/entities/?uscc=91370102MA0050",
            f"SELECT * FROM entities WHERE {active} AND entity_id >= '91370102MA0050' AND entity_id < '91370102MA0051'"
            " ORDER BY entity_id LIMIT 51",
        ),
        (
            "entity page",
            f"/entities/{mid_entity}",
            f"SELECT * FROM results WHERE entity_id = '{mid_entity}' ORDER BY inspected_on DESC LIMIT 200",
        ),
        ("tasks", "/tasks/", "SELECT * FROM joint_tasks ORDER BY id DESC LIMIT 51"),
        ("overview (not a list: full counts)", "/", "SELECT count(*) FROM entities"),
        ("quarantine", "/quarantine", "SELECT * FROM quarantine ORDER BY id DESC LIMIT 51"),
        ("outbox", "/outbox/", "SELECT * FROM outbox ORDER BY id DESC LIMIT 51"),
        (
            "outbox rejected",
            "/outbox/?state=rejected",
            "SELECT * FROM outbox WHERE state = 'rejected' ORDER BY id DESC LIMIT 51",
        ),
        ("users", "/admin/users", "SELECT * FROM users ORDER BY name LIMIT 51"),
        (
            "sinks (rejected)",
            "/admin/sinks",
            "SELECT * FROM outbox WHERE state = 'rejected' ORDER BY id DESC LIMIT 51",
        ),
    ]


def _get(client: Any, url: str) -> Callable[[], Any]:
    return lambda: client.get(url)


def _query(conn: Any, statement: Any) -> Callable[[], Any]:
    return lambda: conn.execute(statement).fetchall()


def run(db_url: str, entities: int, results: int, n: int) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, text

    from hub import create_app
    from hub.auth.services import add_user
    from hub.config import load_settings
    from hub.db import upgrade

    upgrade(db_url)
    engine = create_engine(db_url)
    took = fill(engine, entities, results)
    print(f"  filled {entities:,} entities, {results:,} results and outbox messages in {took:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "hub.toml"
        cfg.write_text("", encoding="utf-8")
        settings = load_settings(
            cfg, environ={"HUB_DATABASE_URL": db_url, "HUB_DATA_DIR": tmp, "HUB_SECRET_KEY": "bench-lists"}
        )
        app = create_app(settings)
        app.config.update(WTF_CSRF_ENABLED=False)
        db = app.extensions["hub_db"]
        with db.unit_of_work() as s:
            add_user(s, "bench-admin", ["admin"], password=PASSWORD)
        client = app.test_client()
        assert client.post("/login", data={"name": "bench-admin", "password": PASSWORD}).status_code == 302
        mid = f"91370102MA{entities // 2:08d}"
        out = []
        with engine.connect() as conn:
            for label, url, sql in pages(engine.dialect.name == "postgresql", mid):
                page_ms, response = timed(_get(client, url), n)
                assert response.status_code == 200, (url, response.status_code)
                bare_ms, _ = timed(_query(conn, text(sql)), n)
                row: dict[str, Any] = {
                    "page": label,
                    "p50": statistics.median(page_ms),
                    "p95": percentile(page_ms, 0.95),
                    "kb": len(response.data) / 1024,
                    "bare_p50": statistics.median(bare_ms),
                }
                out.append(row)
                print(
                    f"  {label:<30} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  {row['kb']:6.1f} KB"
                    f"  | bare SQL p50 {row['bare_p50']:6.2f} ms  ratio {row['p50'] / max(row['bare_p50'], 0.01):6.1f}",
                    flush=True,
                )
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=PG_SERVER)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    failed = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"SQLite ({args.entities:,} entities, {args.results:,} results, {args.requests} requests per page)")
            rows = run(f"sqlite:///{tmp}/bench.db", args.entities, args.results, args.requests)
            failed += [f"sqlite {r['page']}" for r in rows if r["p95"] > 200 or r["kb"] > 200]
    if args.db in ("postgresql", "both"):
        from sqlalchemy import create_engine, text

        name = f"bench_lists_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            print(
                f"PostgreSQL ({args.entities:,} entities, {args.results:,} results, {args.requests} requests per page)"
            )
            rows = run(args.pg.rsplit("/", 1)[0] + f"/{name}", args.entities, args.results, args.requests)
            failed += [f"postgresql {r['page']}" for r in rows if r["p95"] > 200 or r["kb"] > 200]
        finally:
            from hub.db import _current

            if _current is not None:
                _current.dispose()
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print("target (p95 <= 200 ms, <= 200 KB):", "met" if not failed else "missed by " + ", ".join(failed))


if __name__ == "__main__":
    main()
