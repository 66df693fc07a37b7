"""Statistics dashboard benchmark: server time of the dashboard against one bare aggregate query.

    python benchmarks/bench_stats.py [--results 100000] [--rounds 30] [--db sqlite|postgresql|both]
                                     [--keep NAME]

``--keep NAME`` keeps the filled database (PostgreSQL: database NAME on the server; SQLite: file NAME.db in
the system's temporary directory) and reuses it when it is there already: the fill (about 100 s at 100,000)
runs once, later runs only upgrade it (migrations back-fill what they add) and measure.

Fills a fresh database (SQLite file, or a new PostgreSQL database on 127.0.0.1:5432 that is dropped
afterwards) with N generated results (tests/integration/stats_factory.py: tasks in every state,
amendments, follow-ups, outbox messages), then, for each round, over five cuts (none, year, agency,
district, category):
(a) PAGE: GET /stats/ through the app (test client: server time, no network), every figure and chart;
(b) API: GET /api/v1/stats, the same figures as JSON;
(c) BASELINE: one bare aggregate query, SELECT agency, count(*) FROM results WHERE state = 'approved'
    GROUP BY agency, on the same database in the same run.
Prints p50 / p95 milliseconds of each, the ratios page/baseline, the load average, and whether the
page's p95 meets the target (300 ms).
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

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub import create_app
from hub.auth.services import add_user, create_token
from hub.config import load_settings
from hub.db import Database, init_db, upgrade
from tests.integration.stats_factory import generate, load

TARGET_P95_MS = 300.0
CUTS = ("", "year=2026", "agency=SAMR", "district=370103", "category=school")
PG_SERVER = os.environ.get("HUB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run(url: str, results: int, rounds: int, label: str, reuse: bool = False) -> None:
    upgrade(url)
    db: Database = init_db(url)
    t0 = time.perf_counter()
    if reuse:
        with db.unit_of_work() as s:
            n_results = s.execute(text("SELECT count(*) FROM results")).scalar_one()
            n_messages = s.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    else:
        world = generate(results=results, seed=2026)
        load(db, world)
        n_results, n_messages = len(world.results), len(world.messages)
    fill = time.perf_counter() - t0
    with db.unit_of_work() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ANALYZE"))
        if not reuse:
            add_user(s, "bench", ["coordinator"], password="bench-password-不重要")
    with db.unit_of_work() as s:
        token = create_token(s, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "hub.toml"
        cfg.write_text("", encoding="utf-8")
        settings = load_settings(
            cfg, environ={"HUB_DATABASE_URL": url, "HUB_DATA_DIR": tmp, "HUB_SECRET_KEY": "bench-secret-key"}
        )
        app = create_app(settings)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def get(path: str) -> None:
            resp = client.get(path, headers=headers)
            assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:300])

        for cut in CUTS:  # warm up: caches, compiled statements, the first connection
            get(f"/stats/?{cut}")
        page: list[float] = []
        api: list[float] = []
        base: list[float] = []
        bare = text("SELECT agency, count(*) FROM results WHERE state = 'approved' GROUP BY agency")
        for i in range(rounds):  # alternating, so a slow moment of the machine hits all three alike
            cut = CUTS[i % len(CUTS)]
            page += timed(lambda cut=cut: get(f"/stats/?{cut}"), 1)  # type: ignore[misc]
            api += timed(lambda cut=cut: get(f"/api/v1/stats?{cut}"), 1)  # type: ignore[misc]

            def baseline() -> None:
                with db.unit_of_work() as s:
                    s.execute(bare).all()

            base += timed(baseline, 1)
    how = "reused" if reuse else "filled"
    print(f"\n== {label}: {n_results:,} results, {n_messages:,} outbox messages, {how} in {fill:.1f} s")
    print(f"{'':10} {'p50 ms':>9} {'p95 ms':>9}")
    for name, values in (("page", page), ("api", api), ("baseline", base)):
        print(f"{name:10} {p(values, 50):9.1f} {p(values, 95):9.1f}")
    print(f"ratio page/baseline: p50 {p(page, 50) / p(base, 50):.1f}x  p95 {p(page, 95) / p(base, 95):.1f}x")
    verdict = "met" if p(page, 95) <= TARGET_P95_MS else "NOT met"
    print(f"target page p95 <= {TARGET_P95_MS:.0f} ms: {verdict}; load average {os.getloadavg()}")
    db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--keep", metavar="NAME", help="keep the filled database NAME, and reuse it if it exists")
    args = parser.parse_args()
    if args.keep is not None and not args.keep.replace("_", "").isalnum():
        parser.error("--keep: letters, digits and _ only")
    if args.db in ("sqlite", "both"):
        if args.keep:
            path = Path(tempfile.gettempdir()) / f"{args.keep}.db"
            run(f"sqlite:///{path}", args.results, args.rounds, "SQLite", reuse=path.exists())
        else:
            with tempfile.TemporaryDirectory() as tmp:
                run(f"sqlite:///{tmp}/bench.db", args.results, args.rounds, "SQLite")
    if args.db in ("postgresql", "both"):
        import psycopg

        name = args.keep or f"hub_bench_stats_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            reuse = bool(args.keep) and conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not reuse:
                conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = PG_SERVER.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
            run(url, args.results, args.rounds, "PostgreSQL", reuse=bool(reuse))
        finally:
            from hub.db import _current

            if _current is not None:
                _current.dispose()
            if not args.keep:
                with psycopg.connect(PG_SERVER, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
