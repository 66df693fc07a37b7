"""Sync N entities from the samr sandbox into SQLite, against a baseline measured in the same run.

Baseline = the same pages fetched (signed) and parsed with bare `requests` + `json`,
plus the same rows written with one bare `executemany` into a plain table. Bare fetch and hub
sync alternate for ``--rounds`` rounds and the means are compared: a shared machine's pace drifts.
Target (issue 3): hub ≤ 1.5 × (bare fetch + bare insert); peak memory ≤ 500 MB.

    python benchmarks/bench_sync.py [--entities 1000000] [--rounds 2]
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
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.signing import sign_headers

APP_ID = "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(entities: int, secret: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "BENCH_SECRET": secret}
    proc = subprocess.Popen([sys.executable, "-m", "connectors.sandboxes", "--samr-port", str(port),
                             "--edu-port", "0", "--inspectors-port", "0", "--csv-port", "0",
                             "--entities", str(entities), "--invalid-share", "0.0",
                             "--app-id", APP_ID, "--secret-env", "BENCH_SECRET"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until it serves
        if line.startswith("samr"):
            return proc, line.split()[1]
    raise RuntimeError("the sandbox did not start")


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


def bare_insert(items: list[dict], path: Path) -> float:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE plain (uscc TEXT, name TEXT, entity_type TEXT, legal_rep TEXT, address TEXT, "
                 "district TEXT, industry TEXT, status TEXT, established TEXT, updated_at TEXT, "
                 "abnormal_list INTEGER, serious_violation INTEGER, credit_class TEXT)")
    cols = ("uscc", "name", "entity_type", "legal_rep", "address", "district", "industry", "status",
            "established", "updated_at", "abnormal_list", "serious_violation", "credit_class")
    started = time.perf_counter()
    conn.executemany(f"INSERT INTO plain VALUES ({','.join('?' * len(cols))})",
                     ([i.get(c) for c in cols] for i in items))
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


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


def hub_sync(url: str, secret: str, workdir: Path) -> dict:
    """Run one hub sync in this process; its time, peak memory and counts."""
    from hub.config import load_settings
    from hub.db import init_db, upgrade
    from hub.rosters.sync import run_sync

    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "bench.toml"
    conf.write_text(f'[sources.samr]\nkind = "samr-rest"\nurl = "{url}"\napp_id = "{APP_ID}"\n'
                    'app_secret_env = "BENCH_SECRET"\n'
                    'categories = { "H61" = "hotel", "Q85" = "eldercare", "P83" = "school" }\n')
    settings = load_settings(conf, environ={"BENCH_SECRET": secret, "HUB_DATA_DIR": str(workdir / "var"),
                                            "HUB_SECRET_KEY": "bench"})
    upgrade(settings.database_url)
    db = init_db(settings.database_url)
    with PeakRSS() as mem:
        started = time.perf_counter()
        run = run_sync(db, settings, "samr")
        elapsed = time.perf_counter() - started
    db.engine.dispose()
    return {"seconds": elapsed, "rss": mem.peak, "anon": mem.peak_anon, "family": mem.peak_family,
            "fetched": run.fetched, "inserted": run.inserted, "quarantined": run.quarantined,
            "outcome": run.outcome}


def hub_sync_in_new_process(url: str, secret: str, workdir: Path) -> dict:
    """A hub sync as `hub sync` runs it: a fresh process (not one holding the bare fetch's heap)."""
    out = subprocess.run([sys.executable, __file__, "--hub-only", url, str(workdir)], cwd=ROOT, check=True,
                         env={**os.environ, "BENCH_SECRET": secret}, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=2, help="bare fetch then hub sync, this many times (default 2)")
    ap.add_argument("--hub-only", nargs=2, metavar=("URL", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.hub_only:  # the child of hub_sync_in_new_process
        print(json.dumps(hub_sync(args.hub_only[0], os.environ["BENCH_SECRET"], Path(args.hub_only[1]))))
        return 0
    secret = secrets.token_hex(16)
    proc, url = start_sandbox(args.entities, secret)
    fetches: list[float] = []
    hubs: list[dict] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for round_no in range(1, args.rounds + 1):  # alternating, so a drift in the machine's pace hits both
                items, fetch_s = bare_fetch(url, secret, keep=round_no == 1)
                fetches.append(fetch_s)
                if round_no == 1:
                    insert_s = bare_insert(items, work / "plain.db")
                    n = len(items)
                    del items
                hubs.append(hub_sync_in_new_process(url, secret, work / f"hub-{round_no}"))
    finally:
        proc.terminate()
        proc.wait()
    hub_times = [h["seconds"] for h in hubs]
    fetch_mean, hub_mean = sum(fetches) / len(fetches), sum(hub_times) / len(hub_times)
    baseline = fetch_mean + insert_s
    ratio = hub_mean / baseline
    best_ratio = min(hub_times) / (min(fetches) + insert_s)
    peak = {k: max(h[k] for h in hubs) for k in ("rss", "anon", "family")}
    run = hubs[-1]
    rounds = ", ".join(f"{f:.1f}/{h:.1f}" for f, h in zip(fetches, hub_times))
    print(f"entities                      {n:>12,}")
    print(f"baseline: bare fetch + parse  {fetch_mean:>10.1f} s   (mean of {len(fetches)})")
    print(f"baseline: bare executemany    {insert_s:>10.1f} s")
    print(f"baseline total                {baseline:>10.1f} s")
    print(f"hub sync                      {hub_mean:>10.1f} s   (mean of {len(hubs)}; {n / hub_mean:,.0f} entities/s)")
    print(f"rounds: bare fetch / hub      {rounds}")
    print(f"hub / baseline (means)        {ratio:>10.2f}   (target <= 1.50)")
    print(f"hub / baseline (best of each) {best_ratio:>10.2f}")
    print(f"hub sync peak RSS             {peak['rss']:>10} MB (target <= 500; private memory {peak['anon']} MB; "
          f"with its fetching process {peak['family']} MB private)")
    print(f"run: fetched {run['fetched']}, inserted {run['inserted']}, quarantined {run['quarantined']}, "
          f"outcome {run['outcome']}")
    print(f"max RSS of the benchmark process (it holds the bare fetch's items) "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
