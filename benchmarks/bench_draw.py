"""JDP-2 draw benchmark: `hub draw offline` as a whole process against a bare loop computing the same tickets.

    python benchmarks/bench_draw.py [--entities 1000000] [--inspectors 20000] [--big 10000000] [--no-service]

(a) FLOOR: a bare Python loop computing every ticket u64(seed||"E"||id||LF||t) and the minimum per entity
    (best of --repeats), in this process;
(b) `hub draw offline` on the plan, roster and pool files, run as a whole process (start-up, imports,
    reading, digests, §3 in two processes, §4, writing the record), wall time, best of --repeats; and
    `hub verify` of its record the same way;
(c) the same roster through the task service in a child process: entities and inspectors inserted into a
    fresh SQLite database (by a process of its own, one executemany), then the streamed freeze (database ->
    roster and pool files) and the draw from the frozen files (run_draw: record, assignments, audit, outbox),
    with the child's peak RSS (ru_maxrss), its largest worker's, and the process tree's sampled every 50 ms
    from outside (summed RSS, and summed PSS, which splits the pages shared with forked workers), per phase;
(d) --big N: (c) with N entities (e.g. 10,000,000): freeze + draw time and peak RSS; --keep-db DIR keeps the
    filled database in DIR and copies it on later runs of the same sizes (the fill is the harness's);
(e) --big-offline N: `hub draw offline` alone on an N-entity roster written here (no database, no freeze):
    wall, CPU and peak RSS; --only-big runs (d)/(e) without (a)-(c).

(a) and (b) run alternately, N rounds; the table gives the best and the median of each, wall and CPU
seconds, the ratio per round, and the 1-minute load average before and after (a shared machine skews wall).

The team is [A 1, B 1] from 20,000 inspectors in agencies A, B, C (the task service's pool holds A and B,
the agencies of its task). JDP-1 stays verifiable, but its §4 (hundreds of millions of tie-break hashes
here) is no longer part of this run.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.draw import jdp

STRATA = 50
DISTRICTS = [f"3701{n:02d}" for n in range(1, 11)]
AGENCIES = ("A", "B", "C")
REVEALS = {"hub": "11" * 32, "A": "22" * 16, "B": "33" * 16}
WEIGHTS, WEIGHT_ODDS = (1, 2, 3, 4, 5), (70, 15, 8, 4, 3)  # skewed to 1
# the task service's weight rules giving the same tickets: credit C 2, abnormal 3, credit D 4, serious 5
FLAGS = {
    1: (None, False, False),
    2: ("C", False, False),
    3: (None, True, False),
    4: ("D", False, False),
    5: (None, False, True),
}


def entities(n: int, rng: random.Random) -> Iterator[jdp.RosterEntry]:
    """n entities in id order, 50 strata (10 districts x 5 categories), weights 1-5 skewed to 1; made lazily."""
    for i in range(n):
        stratum = rng.randrange(STRATA)
        weight = rng.choices(WEIGHTS, WEIGHT_ODDS)[0]
        yield jdp.RosterEntry(
            f"9137{i:014d}", f"{DISTRICTS[stratum % 10]}|s{stratum // 10}", weight, DISTRICTS[stratum % 10]
        )


def make_pool(inspectors: int, selected: int, rng: random.Random, entity_count: int) -> list[jdp.PoolEntry]:
    """Agencies A, B, C; one in five lives in a district; capacity twice the even share so the draw is feasible."""
    per_agency = inspectors // len(AGENCIES)
    capacity = min(10000, max(2, math.ceil(2 * selected / per_agency)))
    pool = []
    for i in range(inspectors):
        home = (rng.choice(DISTRICTS),) if rng.random() < 0.2 else ()
        avoid = (f"9137{rng.randrange(entity_count):014d}",) if rng.random() < 0.05 else ()
        pool.append(jdp.PoolEntry(f"{AGENCIES[i % 3]}-{i:06d}", AGENCIES[i % 3], (), home, capacity, avoid))
    return pool


def make_plan(strata: dict[str, int]) -> dict:
    return {
        "protocol": "JDP-2",
        "task_id": "BENCH",
        "hash": "sha256",
        "quotas": {s: math.ceil(size * 0.05) for s, size in strata.items()},
        "team": [{"agency": "A", "size": 1, "expertise": []}, {"agency": "B", "size": 1, "expertise": []}],
        "avoid_home_district": True,
        "entropy_source": "bench",
    }


def floor(pairs: list[tuple[bytes, int]], seed: bytes) -> tuple[float, float]:
    """The bare loop: every ticket of every entity, kept as the minimum per entity; (wall, CPU) seconds."""
    suffix = [b"\n%d" % t for t in range(101)]
    started, cpu = time.perf_counter(), time.process_time()
    base = hashlib.sha256(seed + b"E")
    keys = []
    for entity_id, weight in pairs:
        best = b"\xff" * 8
        for t in range(1, weight + 1):
            h = base.copy()
            h.update(entity_id + suffix[t])
            ticket = h.digest()[:8]
            if ticket < best:
                best = ticket
        keys.append(best)
    return time.perf_counter() - started, time.process_time() - cpu


def hub_command() -> list[str]:
    """The installed `hub` script next to this Python, as a user runs it, with the hub's bytecode compiled
    first, as an installed package has it (an editable install under PYTHONDONTWRITEBYTECODE would
    otherwise compile jdp.py and the CLI modules from source at every start: about 50 ms)."""
    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "hub"), quiet=1)
    script = Path(sys.executable).with_name("hub")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hub.cli"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a command run as a whole process, its worker processes' CPU included."""
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed: {done.stderr.strip()}")
    return elapsed, _children_cpu() - cpu


def offline(folder: Path, entity_count: int, inspectors: int, repeats: int) -> tuple[list[tuple[str, str]], dict]:
    rng = random.Random(20261120)
    strata: dict[str, int] = {}
    pairs = []
    with (folder / "roster.tsv").open("wb") as out:
        page = []
        for e in entities(entity_count, rng):
            strata[e.stratum] = strata.get(e.stratum, 0) + 1
            pairs.append((e.entity_id.encode(), e.weight))
            page.append(e)
            if len(page) == 100_000:
                out.write(jdp.format_roster(page))
                page = []
        out.write(jdp.format_roster(page))
    plan = make_plan(strata)
    selected = sum(plan["quotas"].values())
    (folder / "plan.json").write_text(json.dumps(plan))
    (folder / "pool.tsv").write_bytes(jdp.format_pool(make_pool(inspectors, selected, rng, entity_count)))
    roster, pool = (folder / "roster.tsv").read_bytes(), (folder / "pool.tsv").read_bytes()
    seed = jdp.compute_seed(
        jdp.hexdigest(jdp.canonical_plan(plan), "sha256"),
        jdp.hexdigest(roster, "sha256"),
        jdp.hexdigest(pool, "sha256"),
        REVEALS,
        "bench",
        "sha256",
    )
    del roster, pool
    tickets = sum(w for _, w in pairs)
    reveal_args = [arg for party, secret in REVEALS.items() for arg in ("--reveal", f"{party}={secret}")]
    draw_args = [
        *hub_command(),
        "draw",
        "offline",
        "--plan",
        str(folder / "plan.json"),
        "--roster",
        str(folder / "roster.tsv"),
        "--pool",
        str(folder / "pool.tsv"),
        *reveal_args,
        "--entropy",
        "bench",
        "--out",
        str(folder / "record.json"),
    ]
    floors, offlines = [], []
    load_before = os.getloadavg()[0]
    for _ in range(repeats):  # alternating, so a shared machine's changing pace touches both alike
        floors.append(floor(pairs, seed))
        offlines.append(whole_process(draw_args))
    load_after = os.getloadavg()[0]
    del pairs
    floor_s, floor_cpu = min(f[0] for f in floors), min(f[1] for f in floors)
    offline_s, offline_cpu = min(o[0] for o in offlines), min(o[1] for o in offlines)
    median_floor = statistics.median(f[0] for f in floors), statistics.median(f[1] for f in floors)
    median_offline = statistics.median(o[0] for o in offlines), statistics.median(o[1] for o in offlines)
    round_ratios = sorted(o[0] / f[0] for f, o in zip(floors, offlines))
    verify_s = whole_process(
        [
            *hub_command(),
            "verify",
            str(folder / "record.json"),
            "--roster",
            str(folder / "roster.tsv"),
            "--pool",
            str(folder / "pool.tsv"),
        ]
    )[0]
    startup_s = min(whole_process([*hub_command(), "--help"])[0] for _ in range(repeats))
    record = json.loads((folder / "record.json").read_text())
    assert record["protocol"] == "JDP-2" and len(record["selections"]) == selected
    rows = [
        (
            "entities / tickets / selected / inspectors",
            f"{entity_count:,} / {tickets:,} / {selected:,} / {inspectors:,}",
        ),
        (
            f"{repeats} rounds, each: (a) then (b); 1-min load average",
            f"{load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} CPUs)",
        ),
        (
            "(a) floor: bare ticket loop, one process, wall",
            f"best {floor_s:6.2f} s  median {median_floor[0]:6.2f} s  ({floor_s / tickets * 1e9:.0f} ns/ticket)",
        ),
        ("(a) floor, CPU seconds", f"best {floor_cpu:6.2f} s  median {median_floor[1]:6.2f} s"),
        ("(b) `hub draw offline`, whole process, wall", f"best {offline_s:6.2f} s  median {median_offline[0]:6.2f} s"),
        (
            "(b) CPU seconds of the process and its workers",
            f"best {offline_cpu:6.2f} s  median {median_offline[1]:6.2f} s",
        ),
        ("    `hub --help` (start-up alone), wall", f"best {startup_s:6.2f} s"),
        ("(b) `hub verify` of that record, whole process, wall", f"     {verify_s:6.2f} s"),
        (
            "RATIO wall (b) / (a)  (target <= 2)",
            f"best/best {offline_s / floor_s:5.2f} x  median/median {median_offline[0] / median_floor[0]:5.2f} x"
            f"  per round {' '.join(f'{r:.2f}' for r in round_ratios)}",
        ),
        (
            "ratio CPU seconds (b) / (a)",
            f"best/best {offline_cpu / floor_cpu:5.2f} x  median/median {median_offline[1] / median_floor[1]:5.2f} x",
        ),
    ]
    return rows, {"floor": floor_s}


def big_offline_child(folder: Path, entity_count: int, inspectors: int) -> dict:
    """In a fresh process: write an `entity_count` roster (page by page) and the pool, then `hub draw offline`
    on them as a whole process; its wall and CPU time and peak RSS (the largest of it and its workers)."""
    rng = random.Random(20261120)
    strata: dict[str, int] = {}
    started = time.perf_counter()
    with (folder / "roster.tsv").open("wb") as out:
        page = []
        for e in entities(entity_count, rng):
            strata[e.stratum] = strata.get(e.stratum, 0) + 1
            page.append(e)
            if len(page) == 100_000:
                out.write(jdp.format_roster(page))
                page = []
        out.write(jdp.format_roster(page))
    plan = make_plan(strata)
    selected = sum(plan["quotas"].values())
    (folder / "plan.json").write_text(json.dumps(plan))
    (folder / "pool.tsv").write_bytes(jdp.format_pool(make_pool(inspectors, selected, rng, entity_count)))
    written_s = time.perf_counter() - started
    reveal_args = [arg for party, secret in REVEALS.items() for arg in ("--reveal", f"{party}={secret}")]
    draw_s, draw_cpu = whole_process(
        [
            *hub_command(),
            "draw",
            "offline",
            "--plan",
            str(folder / "plan.json"),
            "--roster",
            str(folder / "roster.tsv"),
            "--pool",
            str(folder / "pool.tsv"),
            *reveal_args,
            "--entropy",
            "bench",
            "--out",
            str(folder / "record.json"),
        ]
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    record = json.loads((folder / "record.json").read_text())
    assert record["roster_size"] == entity_count and len(record["selections"]) == selected
    return {
        "entities": entity_count,
        "selected": selected,
        "roster_mb": (folder / "roster.tsv").stat().st_size / 2**20,
        "written_s": written_s,
        "draw_s": draw_s,
        "draw_cpu": draw_cpu,
        "peak_mb": peak,
    }


def big_offline(entity_count: int, inspectors: int) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-draw-") as folder:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--big-offline-child",
                folder,
                "--entities",
                str(entity_count),
                "--inspectors",
                str(inspectors),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"big offline run failed: {done.stderr.strip()[-2000:]}")
    f = json.loads(done.stdout.strip().splitlines()[-1])
    return [
        (
            "(e) --big-offline roster written (by this benchmark)",
            f"{f['entities']:,} entities, {f['roster_mb']:.0f} MB in {f['written_s']:.1f} s; selected {f['selected']:,}",
        ),
        ("(e) `hub draw offline` on it, whole process, wall", f"{f['draw_s']:8.2f} s  (CPU {f['draw_cpu']:.2f} s)"),
        ("(e) peak RSS (largest of the process and its workers)", f"{f['peak_mb']:8.0f} MB"),
    ]


def fill_child(folder: Path, entity_count: int, inspectors: int) -> dict:
    """In a process of its own (the benchmark's harness, not the hub): a SQLite database with the roster's
    entities, the inspectors and the items; the seconds it took. Run apart so that the task service's
    process below holds only what the hub itself holds. The entities go in with one `executemany` of
    generated tuples on a plain sqlite3 connection (the columns as SQLAlchemy stores them: JSON text, 0/1,
    ISO date-times), about ten times faster than ORM-level inserts; the inspectors and items through
    SQLAlchemy (20,000 rows)."""
    import sqlite3

    from sqlalchemy import insert

    from hub.db import init_db, upgrade
    from hub.items.models import Item
    from hub.rosters.models import Inspector

    url = f"sqlite:///{folder / 'hub.db'}"
    upgrade(url)
    rng = random.Random(20261120)
    started = time.perf_counter()
    strata: dict[str, int] = {}
    now = "2026-12-03 00:00:00.000000"

    def rows() -> Iterator[tuple]:
        for e in entities(entity_count, rng):
            strata[e.stratum] = strata.get(e.stratum, 0) + 1
            credit, abnormal, serious = FLAGS[e.weight]
            category = e.stratum.split("|")[1]
            yield (e.entity_id, e.entity_id, e.district, f'["{category}"]', credit, int(abnormal), int(serious), now)

    conn = sqlite3.connect(folder / "hub.db")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    with conn:
        conn.executemany(
            "INSERT INTO entities (entity_id, uscc, name, entity_type, district, status, categories, credit_class,"
            " abnormal_list, serious_violation, complaints, active, sources, created_at, updated_at)"
            " VALUES (?, ?, 'bench', 'enterprise', ?, 'active', ?, ?, ?, ?, 0, 1, '[\"bench\"]', ?8, ?8)",
            rows(),
        )
    conn.close()
    db = init_db(url)
    with db.engine.begin() as sa:
        selected = sum(math.ceil(n * 0.05) for n in strata.values())
        sa.execute(
            insert(Inspector),
            [
                {
                    "inspector_id": p.inspector_id,
                    "name": "bench",
                    "agency": p.agency,
                    "cert_valid_until": date(2099, 1, 1),
                    "expertise": [],
                    "home_districts": list(p.home_districts),
                    "capacity": p.capacity,
                    "conflicts": list(p.avoid),
                    "active": True,
                }
                for p in make_pool(inspectors, selected, rng, entity_count)
            ],
        )
        sa.execute(
            insert(Item),
            [
                {
                    "agency": a,
                    "code": f"{a}-01",
                    "name": "bench",
                    "legal_basis": "-",
                    "subject": "-",
                    "content": "-",
                    "method": "-",
                }
                for a in ("A", "B")
            ],
        )
    db.engine.dispose()
    return {"insert_s": time.perf_counter() - started}


def _status_kb(pid: int | str, field: str) -> int:
    """A field of /proc/PID/status in kB (VmRSS, VmHWM), 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """The proportional set size of a process in kB (shared pages split among the processes sharing them)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree(root: int) -> list[int]:
    """root and every process descended from it, from /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


class TreeSampler:
    """Samples a process tree every `interval` seconds from outside: the sum of the processes' RSS (shared
    pages counted once per process that maps them, an upper bound) and of their PSS (shared pages split: what
    the tree takes from the machine), per phase as the root writes it into `phase_file`."""

    def __init__(self, root: int, phase_file: Path, interval: float = 0.05) -> None:
        self.root, self.phase_file, self.interval = root, phase_file, interval
        self.peaks: dict[str, dict[str, int]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                phase = self.phase_file.read_text().strip() or "start"
            except OSError:
                phase = "start"
            pids = _tree(self.root)
            rss = sum(_status_kb(pid, "VmRSS") for pid in pids)
            pss = sum(_pss_kb(pid) for pid in pids)
            peak = self.peaks.setdefault(phase, {"rss": 0, "pss": 0, "procs": 0})
            peak["rss"], peak["pss"] = max(peak["rss"], rss // 1024), max(peak["pss"], pss // 1024)
            peak["procs"] = max(peak["procs"], len(pids))
            self.stop.wait(self.interval)

    def close(self) -> dict[str, dict[str, int]]:
        self.stop.set()
        self.thread.join()
        return self.peaks


def service_child(folder: Path, entity_count: int, inspectors: int) -> dict:
    """In a fresh process, on the SQLite database fill_child made: the task service's streamed freeze and
    draw, timed; the process's own peak RSS per phase (sampled VmRSS, and VmHWM at each phase's end), and
    the largest of its workers' peaks. The phase is also written to folder/phase for the parent's TreeSampler.
    The draw's stages are told apart by wrapping what run_draw calls (reading the frozen files, jdp.draw,
    the audit entry, the outbox message): labels only, the calls are unchanged."""
    from contextlib import contextmanager

    from hub.auth.services import add_user
    from hub.config import load_settings
    from hub.db import init_db
    from hub.draw import services as draw_services
    from hub.draw.services import run_draw
    from hub.results.history import RESULTS_HISTORY
    from hub.tasks import services as lifecycle

    phase = ["setup"]
    peaks: dict[str, int] = {}  # this process's resident memory per phase, sampled (VmRSS of /proc/self)
    hwm: dict[str, int] = {}  # VmHWM (peak so far) at the end of each phase
    order: list[str] = []

    def enter(name: str) -> None:
        hwm[phase[0]] = _status_kb("self", "VmHWM") // 1024
        phase[0] = name
        order.append(name)
        (folder / "phase").write_text(name)

    def sample() -> None:
        while True:
            rss = _status_kb("self", "VmRSS")
            peaks[phase[0]] = max(peaks.get(phase[0], 0), rss // 1024)
            time.sleep(0.02)

    def labelled(name: str, then: str, fn: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            enter(name)
            try:
                return fn(*args, **kwargs)
            finally:
                enter(then)

        return call

    original_inputs = draw_services.frozen_inputs

    @contextmanager
    def frozen_inputs(*args: Any, **kwargs: Any) -> Iterator[Any]:
        enter("draw: reading the frozen files")
        with original_inputs(*args, **kwargs) as views:
            enter("draw: computing (jdp.draw)")
            yield views
        enter("draw: storing record and assignments")

    labels: dict[str, Any] = {
        "frozen_inputs": frozen_inputs,
        "audit": labelled("draw: audit entry", "draw: after the audit entry", draw_services.audit),
        "enqueue": labelled("draw: outbox message", "draw: commit", draw_services.enqueue),
    }
    for attribute, wrapped in labels.items():
        setattr(draw_services, attribute, wrapped)

    threading.Thread(target=sample, daemon=True).start()
    url = f"sqlite:///{folder / 'hub.db'}"
    settings = load_settings(None, environ={"HUB_DATA_DIR": str(folder), "HUB_DATABASE_URL": url})
    db = init_db(url)
    with db.unit_of_work() as s:
        for agency in ("A", "B"):
            add_user(s, f"liaison-{agency}", ["liaison"], agency=agency)
    spec = {
        "id": "JT-BENCH-1",
        "title": "bench",
        "lead": "A",
        "agencies": ["A", "B"],
        "window": ["2099-01-01", "2099-01-31"],
        "population": {"categories": [f"s{n}" for n in range(5)]},
        "strata": {"by": ["district", "category"], "ratio": 0.05},
        "weights": {"abnormal_list": 3, "serious_violation": 5, "credit_class": {"C": 2, "D": 4}},
        "team": [{"agency": "A", "size": 1, "items": ["A-01"]}, {"agency": "B", "size": 1, "items": ["B-01"]}],
        "recusal": {"avoid_home_district": True, "avoid_last_pairing": False},
        "entropy_source": "bench",
    }
    lifecycle.create_task(db, settings, spec, "bench")
    for agency in ("A", "B"):
        lifecycle.commit(
            db, "JT-BENCH-1", agency, jdp.commitment(agency, REVEALS[agency], "sha256"), f"liaison-{agency}"
        )
    started = time.perf_counter()
    enter("freeze")
    frozen = lifecycle.freeze(db, settings, "JT-BENCH-1", "bench", date(2099, 1, 1), history=RESULTS_HISTORY)
    freeze_s = time.perf_counter() - started
    enter("between")
    for agency in ("A", "B"):
        lifecycle.reveal(db, "JT-BENCH-1", agency, REVEALS[agency], f"liaison-{agency}")
    lifecycle.request_draw(db, "JT-BENCH-1", "bench", "bench")
    started = time.perf_counter()
    enter("draw")
    record = run_draw(db, settings, "JT-BENCH-1", "bench")
    draw_s = time.perf_counter() - started
    time.sleep(0.05)
    enter("done")
    peak = (
        max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        / 1024
    )
    return {
        "entities": entity_count,
        "roster": frozen.roster_size,
        "pool": frozen.pool_size,
        "selected": len(record["selections"]),
        "freeze_s": freeze_s,
        "draw_s": draw_s,
        "peak_mb": peak,
        "own_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peaks": peaks,
        "hwm": hwm,
        "order": order,
        "workers_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "db_mb": (folder / "hub.db").stat().st_size / 2**20,
    }


def filled_database(folder: str, sizes: list[str], keep: str | None) -> dict:
    """folder/hub.db filled by fill_child (its figures); with `keep`, a database filled earlier for these
    sizes is copied from that folder (made there the first time), as the fill is the harness's, not the hub's."""
    kept = Path(keep, f"hub-{sizes[1]}-{sizes[3]}.db") if keep else None
    if kept and kept.exists() and kept.with_suffix(".json").exists():
        shutil.copyfile(kept, Path(folder, "hub.db"))
        return json.loads(kept.with_suffix(".json").read_text()) | {"kept": str(kept)}
    filled = subprocess.run(
        [sys.executable, __file__, "--fill-child", folder, *sizes], capture_output=True, text=True, check=False
    )
    if filled.returncode != 0:
        raise SystemExit(f"filling the database failed: {filled.stderr.strip()[-2000:]}")
    figures = json.loads(filled.stdout.strip().splitlines()[-1])
    if kept:
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(folder, "hub.db"), kept)
        kept.with_suffix(".json").write_text(json.dumps(figures))
    return figures


def service(
    entity_count: int, inspectors: int, label: str, floor_s: float | None, keep: str | None = None
) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-draw-") as folder:
        sizes = ["--entities", str(entity_count), "--inspectors", str(inspectors)]
        filled = filled_database(folder, sizes, keep)
        load_before = os.getloadavg()[0]
        child = subprocess.Popen(
            [sys.executable, __file__, "--service-child", folder, *sizes],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler = TreeSampler(child.pid, Path(folder) / "phase")
        out, err = child.communicate()
        tree = sampler.close()
        load_after = os.getloadavg()[0]
    if child.returncode != 0:
        raise SystemExit(f"task service run failed: {err.strip()[-2000:]}")
    f = json.loads(out.strip().splitlines()[-1]) | filled
    tree_rss = max(p["rss"] for p in tree.values())
    tree_pss = max(p["pss"] for p in tree.values())
    by_phase = "; ".join(
        f"{name} {f['peaks'].get(name, 0)}/{f['hwm'].get(name, 0)}/{tree.get(name, {}).get('rss', 0)}/"
        f"{tree.get(name, {}).get('pss', 0)} MB ({tree.get(name, {}).get('procs', 0)} proc)"
        for name in dict.fromkeys(["setup", *f["order"]])
        if name != "done" and (f["peaks"].get(name) or tree.get(name))  # phases too short to be sampled left out
    )
    rows = [
        (
            f"{label} database (SQLite) filled with",
            f"{f['entities']:,} entities in {f['insert_s']:.1f} s{' (earlier; copied)' if 'kept' in f else ''} "
            f"({f['db_mb']:.0f} MB file); roster {f['roster']:,}, "
            f"pool {f['pool']:,}, selected {f['selected']:,}",
        ),
        (f"{label} 1-min load average", f"{load_before:.2f} before the freeze, {load_after:.2f} after the draw"),
        (f"{label} streamed freeze (database -> roster and pool files)", f"{f['freeze_s']:8.2f} s"),
        (f"{label} draw from the frozen files (run_draw, stored)", f"{f['draw_s']:8.2f} s"),
        (
            f"{label} freeze + draw",
            f"{f['freeze_s'] + f['draw_s']:8.2f} s"
            + (f"  ({(f['freeze_s'] + f['draw_s']) / floor_s:.2f} x the floor)" if floor_s else ""),
        ),
        (
            f"{label} peak RSS, the process alone (ru_maxrss) / its largest worker",
            f"{f['own_peak_mb']:8.0f} MB / {f['workers_peak_mb']:.0f} MB",
        ),
        (
            f"{label} peak of the process tree (process + workers, sampled every 50 ms)",
            f"RSS summed {tree_rss:8.0f} MB (shared pages counted per process), PSS summed {tree_pss:.0f} MB",
        ),
        (
            f"{label} by phase: process RSS sampled / VmHWM at its end / tree RSS / tree PSS",
            by_phase,
        ),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--inspectors", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big", type=int, default=0, help="also run the task service on this many entities")
    parser.add_argument("--no-service", action="store_true", help="skip (c), the task service at --entities")
    parser.add_argument(
        "--big-offline",
        type=int,
        default=0,
        help="also run `hub draw offline` alone on this many entities (no database, no freeze)",
    )
    parser.add_argument("--only-big", action="store_true", help="skip (a)-(c); run only --big / --big-offline")
    parser.add_argument(
        "--keep-db",
        metavar="DIR",
        help="keep the filled --big database in DIR and copy it from there on the next run of the same sizes",
    )
    parser.add_argument("--service-child", help=argparse.SUPPRESS)
    parser.add_argument("--big-offline-child", help=argparse.SUPPRESS)
    parser.add_argument("--fill-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.service_child:
        print(json.dumps(service_child(Path(args.service_child), args.entities, args.inspectors)))
        return
    if args.fill_child:
        print(json.dumps(fill_child(Path(args.fill_child), args.entities, args.inspectors)))
        return
    if args.big_offline_child:
        print(json.dumps(big_offline_child(Path(args.big_offline_child), args.entities, args.inspectors)))
        return
    if args.only_big:
        rows = big_offline(args.big_offline, args.inspectors) if args.big_offline else []
        rows += service(args.big, args.inspectors, "(d) --big", None, args.keep_db) if args.big else []
        for label, figure in rows:
            print(f"  {label}  {figure}")
        return
    with tempfile.TemporaryDirectory(prefix="bench-draw-") as folder:
        rows, figures = offline(Path(folder), args.entities, args.inspectors, args.repeats)
    if not args.no_service:
        rows += service(args.entities, args.inspectors, "(c)", figures["floor"])
    if args.big:
        rows += service(args.big, args.inspectors, "(d) --big", None, args.keep_db)
    if args.big_offline:
        rows += big_offline(args.big_offline, args.inspectors)
    width = max(len(label) for label, _ in rows)
    print(f"JDP-2 draw benchmark (sha256, team [A 1, B 1], avoid_home_district, {os.cpu_count()} CPUs)")
    for label, figure in rows:
        print(f"  {label:<{width}}  {figure}")


if __name__ == "__main__":
    main()
