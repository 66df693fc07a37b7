"""Sync N entities from a samr sandbox that serves ready pages, into SQLite and PostgreSQL, each against
a baseline measured in the same run.

The source costs (almost) nothing: the sandbox renders its pages once before the clock starts and then
serves the kept bytes (``SamrSandbox.keep_pages``), so the figures measure the hub, not the generator; its
own CPU share while each side runs is printed.

Baselines: the same pages fetched (signed) and parsed with bare ``requests`` + ``json`` ("bare fetch"),
plus the same rows written bare: one ``executemany`` into a plain SQLite table, one ``COPY`` into a plain
PostgreSQL table. Bare fetch and hub sync alternate for ``--rounds`` rounds and the means are compared: a
shared machine's pace drifts.

Targets (issue 14), per database: hub sync <= 1.5 x (bare fetch + bare write); peak RSS <= 500 MB; a full
re-sync of the unchanged roster <= 1.2 x the bare fetch alone, and it changes no row.

    python benchmarks/bench_sync.py [--entities 1000000] [--rounds 1] [--db sqlite|postgresql|both]

The PostgreSQL side creates and drops its own databases on ``--pg`` (127.0.0.1:5432 by default).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.signing import sign_headers

APP_ID = "bench"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
COLUMNS = (
    "uscc",
    "name",
    "entity_type",
    "legal_rep",
    "address",
    "district",
    "industry",
    "status",
    "established",
    "updated_at",
    "abnormal_list",
    "serious_violation",
    "credit_class",
)
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(entities: int) -> int:
    """The sandbox process: render every page once, say where it serves, serve until killed."""
    from connectors.sandboxes.samr import SamrSandbox

    server = SamrSandbox(
        {APP_ID: os.environ["BENCH_SECRET"]}, free_port(), entities=entities, seed=1, invalid_share=0.0
    )
    pages = server.keep_pages()
    server.start()
    print(f"samr {server.url} {pages}", flush=True)
    threading.Event().wait()
    return 0


def start_sandbox(entities: int, secret: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "BENCH_SECRET": secret}
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(entities)], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until every page is rendered and it serves
        if line.startswith("samr"):
            return proc, line.split()[1]
    raise RuntimeError("the sandbox did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class SourceShare:
    """The sandbox's CPU seconds over a block, and that as a share of the block's wall time."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def __enter__(self) -> SourceShare:
        self.cpu0, self.t0 = cpu_seconds(self.pid), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = cpu_seconds(self.pid) - self.cpu0
        self.share = self.cpu / (time.perf_counter() - self.t0)


def bare_fetch(url: str, secret: str, keep: bool = True) -> tuple[list[dict], float]:
    """Follow the cursor to the end with plain requests; return the items (if ``keep``) and the seconds."""
    items: list[dict] = []
    session = requests.Session()
    cursor = None
    started = time.perf_counter()
    path = "/api/v1/entities"
    while True:
        params = [("limit", "1000")] + ([("cursor", cursor)] if cursor else [])
        query = "&".join(f"{k}={v}" for k, v in params)
        headers = sign_headers(APP_ID, secret, "GET", path, params, b"")
        resp = session.get(f"{url}{path}?{query}", headers=headers, timeout=60)
        resp.raise_for_status()
        page = json.loads(resp.content)
        if keep:
            items.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    return items, time.perf_counter() - started


def bare_executemany(items: list[dict], path: Path) -> float:
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE plain ({', '.join(c + ' TEXT' for c in COLUMNS)})")
    started = time.perf_counter()
    conn.executemany(
        f"INSERT INTO plain VALUES ({','.join('?' * len(COLUMNS))})", ([i.get(c) for c in COLUMNS] for i in items)
    )
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def bare_copy(items: list[dict], dsn: str) -> float:
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute(f"CREATE TABLE plain ({', '.join(c + ' text' for c in COLUMNS)})")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY plain ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in items:
                copy.write_row([i.get(c) for c in COLUMNS])
        conn.commit()
        return time.perf_counter() - started


def pg_admin(pg: str):
    import psycopg

    return psycopg.connect(pg, autocommit=True)


def pg_database(pg: str, name: str) -> str:
    """A fresh database ``name`` on the server of ``pg``; its DSN."""
    with pg_admin(pg) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(pg: str, name: str) -> None:
    with pg_admin(pg) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _status(pid: str, *names: str) -> list[int]:
    """Fields of /proc/PID/status in MB (0 when the process is gone)."""
    found = dict.fromkeys(names, 0)
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                name = line.split(":", 1)[0]
                if name in found:
                    found[name] = int(line.split()[1]) // 1024
    except OSError:
        pass
    return list(found.values())


def _children() -> list[str]:
    pids = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += (task / "children").read_text().split()
        except OSError:
            pass
    return pids


class PeakRSS:
    """Samples, while a block runs, this process's resident memory: VmRSS (all of it, including pages of
    files mapped in, such as the SQLite database) and RssAnon (its private memory); and the private memory
    of this process and its children together (the sync's fetching process)."""

    def __enter__(self) -> PeakRSS:
        self.peak, self.peak_anon, self.peak_family, self._stop = 0, 0, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, anon = _status("self", "VmRSS", "RssAnon")
            family = anon + sum(_status(pid, "RssAnon")[0] for pid in _children())
            self.peak, self.peak_anon = max(self.peak, rss), max(self.peak_anon, anon)
            self.peak_family = max(self.peak_family, family)
            self._stop.wait(0.05)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def hub_sync(url: str, secret: str, workdir: Path, database_url: str, full: bool) -> dict:
    """Run one hub sync in this process; its time, peak memory and counts."""
    from hub.config import load_settings
    from hub.db import init_db, upgrade
    from hub.rosters.sync import run_sync

    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "bench.toml"
    conf.write_text(
        f'[sources.samr]\nkind = "samr-rest"\nurl = "{url}"\napp_id = "{APP_ID}"\n'
        'app_secret_env = "BENCH_SECRET"\n'
        'categories = { "H61" = "hotel", "Q85" = "eldercare", "P83" = "school" }\n'
    )
    settings = load_settings(
        conf,
        environ={
            "BENCH_SECRET": secret,
            "HUB_DATA_DIR": str(workdir / "var"),
            "HUB_SECRET_KEY": "bench",
            "HUB_DATABASE_URL": database_url,
        },
    )
    upgrade(settings.database_url)
    db = init_db(settings.database_url)
    with PeakRSS() as mem:
        started, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        backend = _backend_cpu(db)
        run = run_sync(db, settings, "samr", full=full)
        elapsed = time.perf_counter() - started
        cpu1, children1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        server = backend() if backend else 0.0
    db.engine.dispose()
    return {
        "seconds": elapsed,
        "rss": mem.peak,
        "anon": mem.peak_anon,
        "family": mem.peak_family,
        "fetched": run.fetched,
        "inserted": run.inserted,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "quarantined": run.quarantined,
        "outcome": run.outcome,
        # CPU seconds: the applying process, the fetching process, the PostgreSQL backend applying (a busy
        # machine stretches the wall time of a sync that works on both cores more than a sequential baseline)
        "cpu": cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime,
        "cpu_fetch": children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime,
        "cpu_server": server,
    }


def _backend_cpu(db: Any) -> Callable[[], float] | None:
    """On PostgreSQL (a server on this machine): a function giving the CPU seconds the backend of the
    connection the sync applies with has used since now; None on SQLite."""
    if db.is_sqlite:
        return None
    conn = db.engine.raw_connection()  # the pool's one connection, which the sync's session then uses
    pid = conn.driver_connection.info.backend_pid
    conn.close()
    try:
        start = cpu_seconds(pid)
    except OSError:
        return None
    return lambda: cpu_seconds(pid) - start


def hub_sync_in_new_process(
    url: str, secret: str, workdir: Path, database_url: str, sandbox: int, full: bool = False
) -> dict:
    """A hub sync as `hub sync` runs it: a fresh process (not one holding the bare fetch's heap)."""
    with SourceShare(sandbox) as source:
        out = subprocess.run(
            [sys.executable, __file__, "--hub-only", url, str(workdir), database_url] + (["--full"] if full else []),
            cwd=ROOT,
            check=True,
            env={**os.environ, "BENCH_SECRET": secret},
            stdout=subprocess.PIPE,
            text=True,
        )
    return {**json.loads(out.stdout.splitlines()[-1]), "source_share": source.share}


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=1, help="bare fetch then hub syncs, this many times (default 1)")
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg", default=PG_SERVER, help="a PostgreSQL server's DSN (its databases are made here)")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--hub-only", nargs=3, metavar=("URL", "DIR", "DB"), help=argparse.SUPPRESS)
    ap.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve(args.serve)
    if args.hub_only:  # the child of hub_sync_in_new_process
        url, work, database_url = args.hub_only
        print(json.dumps(hub_sync(url, os.environ["BENCH_SECRET"], Path(work), database_url, args.full)))
        return 0
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    secret = secrets.token_hex(16)
    started = time.perf_counter()
    proc, url = start_sandbox(args.entities, secret)
    print(f"sandbox: {args.entities:,} entities rendered in {time.perf_counter() - started:.1f} s", flush=True)
    fetches: list[float] = []
    fetch_shares: list[float] = []
    writes: dict[str, float] = {}
    syncs: dict[str, list[dict]] = {k: [] for k in kinds}
    resyncs: dict[str, list[dict]] = {k: [] for k in kinds}
    pg_names: list[str] = []
    n = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for round_no in range(1, args.rounds + 1):  # alternating, so a drift in the machine's pace hits all
                with SourceShare(proc.pid) as source:
                    cpu = time.process_time()
                    items, fetch_s = bare_fetch(url, secret, keep=round_no == 1)
                    cpu = time.process_time() - cpu
                fetches.append(fetch_s)
                fetch_shares.append(source.share)
                print(f"round {round_no}: bare fetch {fetch_s:.1f} s ({cpu:.1f} CPU seconds)", flush=True)
                if round_no == 1:
                    n = len(items)
                    if "sqlite" in kinds:
                        writes["sqlite"] = bare_executemany(items, work / "plain.db")
                    if "postgresql" in kinds:
                        pg_names.append(f"bench_sync_plain_{os.getpid()}")
                        writes["postgresql"] = bare_copy(items, pg_database(args.pg, pg_names[-1]))
                    del items
                for kind in kinds:
                    if kind == "sqlite":
                        database_url = f"sqlite:///{work}/hub-{round_no}/hub.db"
                    else:
                        pg_names.append(f"bench_sync_hub_{os.getpid()}_{round_no}")
                        database_url = pg_database(args.pg, pg_names[-1]).replace(
                            "postgresql://", "postgresql+psycopg://"
                        )
                    where = work / f"hub-{round_no}"
                    syncs[kind].append(hub_sync_in_new_process(url, secret, where, database_url, proc.pid))
                    resyncs[kind].append(hub_sync_in_new_process(url, secret, where, database_url, proc.pid, full=True))
                    print(
                        f"round {round_no}: {kind} hub sync {syncs[kind][-1]['seconds']:.1f} s, "
                        f"re-sync {resyncs[kind][-1]['seconds']:.1f} s",
                        flush=True,
                    )
                    if kind == "postgresql":
                        drop_pg_database(args.pg, pg_names.pop())
    finally:
        proc.terminate()
        proc.wait()
        for name in pg_names:
            drop_pg_database(args.pg, name)
    report(n, fetches, fetch_shares, writes, syncs, resyncs)
    print(
        f"max RSS of the benchmark process (it holds the bare fetch's items) "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    )
    return 0


def report(
    n: int,
    fetches: list[float],
    fetch_shares: list[float],
    writes: dict[str, float],
    syncs: dict[str, list[dict]],
    resyncs: dict[str, list[dict]],
) -> None:
    fetch = mean(fetches)
    print()
    print(
        f"entities {n:,}; bare fetch + parse {fetch:.1f} s (mean of {len(fetches)}: "
        f"{', '.join(f'{f:.1f}' for f in fetches)}); the source's CPU share while it ran "
        f"{mean(fetch_shares):.0%}"
    )
    print()
    print(
        "| database | bare write | baseline | hub sync | hub / baseline (<= 1.5) | peak RSS MB (<= 500) "
        "| re-sync | re-sync / bare fetch (<= 1.2) | re-sync changed | source CPU share (sync / re-sync) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, runs in syncs.items():
        hub, again = mean([r["seconds"] for r in runs]), mean([r["seconds"] for r in resyncs[kind]])
        baseline = fetch + writes[kind]
        rss = max(r["rss"] for r in runs + resyncs[kind])
        changed = sum(r["inserted"] + r["updated"] for r in resyncs[kind])
        write = "one executemany" if kind == "sqlite" else "one COPY"
        print(
            f"| {kind} | {writes[kind]:.1f} s ({write}) | {baseline:.1f} s | {hub:.1f} s | "
            f"{hub / baseline:.2f} | {rss} | {again:.1f} s | {again / fetch:.2f} | {changed} | "
            f"{mean([r['source_share'] for r in runs]):.0%} / {mean([r['source_share'] for r in resyncs[kind]]):.0%} |"
        )
    print()
    for kind, runs in syncs.items():
        for i, (r, a) in enumerate(zip(runs, resyncs[kind]), 1):
            print(
                f"{kind} round {i}: sync {r['seconds']:.1f} s fetched {r['fetched']} inserted {r['inserted']} "
                f"updated {r['updated']} quarantined {r['quarantined']} {r['outcome']}; private memory "
                f"{r['anon']} MB, {r['family']} MB with the fetching process; re-sync {a['seconds']:.1f} s "
                f"fetched {a['fetched']} unchanged {a['unchanged']} inserted {a['inserted']} "
                f"updated {a['updated']} {a['outcome']}"
            )
            print(
                f"{kind} round {i} CPU seconds: sync {r['cpu']:.1f} applying + {r['cpu_fetch']:.1f} fetching + "
                f"{r['cpu_server']:.1f} database server; re-sync {a['cpu']:.1f} + {a['cpu_fetch']:.1f} + "
                f"{a['cpu_server']:.1f}"
            )


if __name__ == "__main__":
    sys.exit(main())
