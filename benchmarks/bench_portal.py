"""Public portal load benchmark: `hub serve` (gunicorn) on PostgreSQL with 1,000,000 entities and
1,000,000 results, driven over loopback by wrk with a mix of search and notice pages.

    python benchmarks/bench_portal.py [--entities 1000000] [--results 1000000] [--workers 2] [--threads 4]
        [--response-cache 3600] [--redis URL | --no-redis] [--warm] [--mix uniform|popular]
        [--connections 16] [--seconds 30] [--keep] [--reuse NAME] [--fill-only]

1. A fresh PostgreSQL database migrated to head (0011_portal: pg_trgm GIN on entity names), filled
   with set-based SQL (generate_series, one INSERT ... SELECT per table), then ANALYZE.
2. `hub serve --workers W --threads T --no-access-log` on a free loopback port, with the portal's
   response cache (`[portal] response_cache_seconds` = ``--response-cache``; 0: off) in Redis
   (``--redis``, the broker URL; ``--no-redis``: each process's memory). The publication generation
   is raised first, so the cache starts cold; ``--warm`` asks every URL of the mix once before the
   run, so that the run is served (almost) wholly from the cache.
3. BASELINE: wrk on /public/verify alone (a page that renders a template and reads nothing),
   then the MIX: wrk picking at random, per request, from a list of URLs: searches by name
   (3+ characters: the trigram index), by credit-code prefix, by district and year, by agency and
   outcome; enterprise pages; task notices and their result notices; item lists; the home page.
   Two mixes (``--mix``), so that both figures can be quoted:
   - ``uniform`` (the default, the first mix): 2,000 such URLs (about 1,000 distinct: tasks, agencies
     and sampled codes repeat), each request picking one of them with equal chance: every page equally
     likely, a crawler walking the portal rather than a crowd.
   - ``popular``: 10,000 such URLs (about 2,900 distinct) ranked in a random order, the URL of rank r
     asked in proportion to 1/r (Zipf, as page popularity on public sites is found to be): a few pages
     (the home page, the notices of the week, a name in the news) are asked again and again, and a long
     tail of searches now and then, nearly three times as many distinct pages as the uniform mix. This is
     what the public asks; a cold cache fills as it is used, but the tail keeps missing.
Prints requests/s and the latency percentiles of each, the ratio mix/baseline, the cache's hit rate
(X-Cache), the target (>= 300 req/s at p99 <= 300 ms), the load average before and after, and the
exact wrk command.
4. STATUSES: every URL of the mix asked once more, one at a time; any answer that is not 200 is
   listed with its status (wrk only counts them).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.db import upgrade

PG = os.environ.get("HUB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
AGENCIES = ("HEALTH", "SAMR", "EDU", "CIVIL", "CULTURE", "SPORT", "FIRE")
DISTRICTS = ("370102", "370103", "370104", "370105", "370112", "370113", "370114", "370115")
PLACES = "泉城 历下 趵突泉 大明湖 千佛山 经十路 舜耕 燕山 洪楼 山大 黑虎泉 芙蓉街 宽厚里 英雄山 泺源 文化东路 和平路 解放路 二环 槐荫 天桥 长清 章丘 济阳 莱芜 钢城 平阴 商河 高新 华山".split()
WORDS = "华夏 鑫源 宏达 金桥 兴隆 福瑞 安康 恒通 永盛 嘉禾 博雅 明德 新城 百川 润泽 天成 海纳 瑞丰 佳和 同济 康宁 顺意 金鼎 盛世 和美 立信 汇丰 宝丰 德润 锦程 万家 春晖 光明 长青 乐享 聚福 诚信 中和 晨曦 致远".split()
KINDS = "大酒店 宾馆 养老院 幼儿园 小学 餐饮有限公司 超市 大药房 诊所 网吧 游泳馆 书店".split()
OUTCOMES = ('["1"]', '["1"]', '["1"]', '["5"]', '["2","5"]', '["8"]', '["4"]', '["7"]', '["1"]', '["11"]')
TARGET_RPS, TARGET_P99_MS = 300, 300
QUIET = ("--no-access-log",)

WRK_SCRIPT = r"""
local urls = {}
for line in io.lines(os.getenv("PORTAL_URLS")) do urls[#urls + 1] = line end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
request = function()
  return wrk.format("GET", urls[math.random(#urls)])
end
-- the response cache's answer (X-Cache: hit | miss), counted per thread and summed at the end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) hits = 0; misses = 0 end
response = function(status, headers, body)
  local said = headers["X-Cache"] or headers["x-cache"]
  if said == "hit" then hits = hits + 1 elseif said == "miss" then misses = misses + 1 end
end
done = function(summary, latency, requests)
  local h, m = 0, 0
  for _, t in ipairs(threads) do h = h + t:get("hits"); m = m + t:get("misses") end
  io.write(string.format("X-Cache hits %d misses %d\n", h, m))
end
"""


def fill(conn: psycopg.Connection, entities: int, results: int) -> dict[str, float]:
    """Everything in set-based SQL; returns seconds per table."""
    times: dict[str, float] = {}

    def timed(name: str, sql: str) -> None:
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {name})").fetchone()[0]:  # type: ignore[index]
            return  # filled by an earlier run (--reuse): fill resumes where it stopped
        start = time.perf_counter()
        conn.execute(sql.encode())  # built from ints and fixed word lists only
        times[name] = time.perf_counter() - start

    arr = lambda xs: "ARRAY[" + ",".join(f"'{x}'" for x in xs) + "]"  # noqa: E731  (fixed word lists, no input)
    timed(
        "items",
        f"""INSERT INTO items (code, agency, name, legal_basis, subject, content, method, sub_items, ratio, frequency,
              inspector_requirements, notes, published, updated_at)
            SELECT a || '-ITEM-' || lpad(i::text, 2, '0'), a, a || ' 抽查事项 ' || i, '《相关法规》第' || i || '条', '辖区内经营主体',
                   '检查内容 ' || i, '现场检查', '', '不低于5%', '每年1次', '持执法证2人以上', '', true, now()
            FROM unnest({arr(AGENCIES)}) a, generate_series(1, 20) i""",
    )
    timed(
        "joint_tasks",
        f"""INSERT INTO joint_tasks (id, title, lead, agencies, spec, protocol, state, window_start, window_end, created_by,
              created_at, updated_at, draw_progress, plan, frozen_at, drawn_at, plan_digest, roster_digest, pool_digest, seed)
            SELECT 'JT-BENCH-' || lpad(t::text, 4, '0'), (2023 + t % 4) || '年第' || t || '批联合抽查',
                   ({arr(AGENCIES)})[1 + t % 7],
                   jsonb_build_array(({arr(AGENCIES)})[1 + t % 7], ({arr(AGENCIES)})[1 + (t + 1) % 7]),
                   jsonb_build_object('population', jsonb_build_object('categories', jsonb_build_array('hotel')),
                     'strata', jsonb_build_object('by', jsonb_build_array('district'), 'ratio', 0.05),
                     'team', jsonb_build_array(jsonb_build_object('agency', ({arr(AGENCIES)})[1 + t % 7],
                       'items', jsonb_build_array(({arr(AGENCIES)})[1 + t % 7] || '-ITEM-01')))),
                   'JDP-2', 'drawn', date '2024-01-01' + t * 7, date '2024-01-31' + t * 7, 'bench', now(), now(), 100,
                   jsonb_build_object('quotas', jsonb_build_object('370102', 500, '370103', 400)),
                   now(), now(), md5(t::text) || md5(t::text), md5('r' || t) || md5('r' || t),
                   md5('p' || t) || md5('p' || t), md5('s' || t) || md5('s' || t)
            FROM generate_series(1, 100) t""",
    )
    timed(
        "entities",
        f"""INSERT INTO entities (entity_id, uscc, name, entity_type, legal_rep, district, status, categories, abnormal_list,
              serious_violation, complaints, active, sources, created_at, updated_at)
            SELECT code, code,
                   CASE WHEN n % 10 = 0 THEN '张' || ({arr(WORDS)})[1 + n % 40] || '个体' || ({arr(KINDS)})[1 + n % 12]
                        ELSE '济南' || ({arr(PLACES)})[1 + n % 30] || ({arr(WORDS)})[1 + (n / 30) % 40]
                             || ({arr(KINDS)})[1 + (n / 1200) % 12] || (n % 997) END,
                   CASE WHEN n % 10 = 0 THEN 'individual' ELSE 'enterprise' END,
                   '张' || ({arr(WORDS)})[1 + n % 40], d, 'active', '["hotel"]'::jsonb, false, false, 0, true,
                   '["bench"]'::jsonb, now(), now()
            FROM (SELECT n, ({arr(DISTRICTS)})[1 + n % 8] AS d,
                         '91' || ({arr(DISTRICTS)})[1 + n % 8] || lpad(n::text, 10, '0') AS code
                  FROM generate_series(1, {int(entities)}) n) s""",
    )
    # The dashboard's summaries (0016_stats_summary) are kept by a row trigger per result; a million rows in
    # one statement would upsert the same few summary rows a million times in one transaction (each update
    # walks a longer chain of row versions: hours). So the results go in with that trigger off, and the
    # summaries are filled afterwards by the migration's own back-fill, set-based: the same counts.
    conn.execute("ALTER TABLE results DISABLE TRIGGER tr_facts_results_after_insert")
    timed(
        "results",
        f"""INSERT INTO results (result_id, task_id, entity_id, agency, inspected_on, outcome_codes, inspectors, items,
              findings, state, entered_by, entered_at, approved_by, approved_at, published_on, version)
            SELECT 'R-' || n, 'JT-BENCH-' || lpad((1 + n % 100)::text, 4, '0'),
                   '91' || ({arr(DISTRICTS)})[1 + e % 8] || lpad(e::text, 10, '0'),
                   ({arr(AGENCIES)})[1 + n % 7], date '2024-01-01' + (n % 1000),
                   (ARRAY[{",".join(f"'{o}'::jsonb" for o in OUTCOMES)}])[1 + n % 10], '[]'::jsonb, '[]'::jsonb,
                   CASE WHEN n % 3 = 0 THEN '消毒记录不全，已责令改正' ELSE '' END,
                   CASE WHEN n % 20 = 0 THEN 'entered' ELSE 'approved' END, 'bench', now(), 'bench',
                   timestamp '2024-01-15' + (n % 1000) * interval '1 day', date '2024-01-15' + (n % 1000), 1
            FROM (SELECT n, 1 + (n::bigint * 7919) % {int(entities)} AS e FROM generate_series(1, {int(results)}) n) s""",
    )
    conn.execute("ALTER TABLE results ENABLE TRIGGER tr_facts_results_after_insert")
    if "results" in times:
        start = time.perf_counter()
        summaries = _stats_summary_migration()
        for facts in summaries.KEYS:
            conn.execute(f"DELETE FROM {facts}")
            conn.execute(summaries._contribution("postgresql", facts, 1, "TRUE").encode())
        times["summaries"] = time.perf_counter() - start
    start = time.perf_counter()
    conn.execute("ANALYZE")
    times["analyze"] = time.perf_counter() - start
    return times


def _stats_summary_migration() -> Any:
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "hub/migrations/versions/0016_stats_summary.py"
    spec = importlib.util.spec_from_file_location("stats_summary_0016", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def urls(conn: psycopg.Connection, base: str, n: int = 2000, seed: int = 7) -> list[str]:
    """The mix: a fixed share of each kind of page, with values drawn from what is stored."""
    rng = random.Random(seed)
    codes = [
        r[0]
        for r in conn.execute(
            "SELECT entity_id FROM results TABLESAMPLE SYSTEM (1) WHERE state = 'approved' LIMIT 2000"
        )
    ]
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM entities TABLESAMPLE SYSTEM (1) WHERE entity_type = 'enterprise' LIMIT 500"
        )
    ]
    out: list[str] = []
    for i in range(n):
        kind = i % 10
        if kind in (0, 1):  # a name fragment of 3-5 characters from a real name
            name = rng.choice(names)
            start = rng.randrange(0, max(1, len(name) - 4))
            out.append(f"/public/results/?name={quote(name[start : start + rng.choice((3, 4, 5))])}")
        elif kind == 2:
            out.append(f"/public/results/?code={rng.choice(codes)[: rng.choice((10, 12, 14))]}")
        elif kind == 3:
            out.append(f"/public/results/?district={rng.choice(DISTRICTS)}&year={rng.choice((2024, 2025, 2026))}")
        elif kind == 4:
            out.append(f"/public/results.json?agency={rng.choice(AGENCIES)}&outcome={rng.choice('12578')}")
        elif kind in (5, 6):
            out.append(f"/public/entities/{rng.choice(codes)}")
        elif kind == 7:
            out.append(f"/public/tasks/JT-BENCH-{rng.randrange(1, 101):04d}")
        elif kind == 8:
            out.append(f"/public/tasks/JT-BENCH-{rng.randrange(1, 101):04d}/results")
        else:
            out.append(rng.choice(["/public/", f"/public/items/{rng.choice(AGENCIES)}", "/public/tasks/"]))
    return [base + u for u in out]


def popular(mix: list[str], draws: int = 200_000, exponent: float = 1.0, seed: int = 11) -> list[str]:
    """A crowd's requests: the URLs of ``mix`` in a random order of popularity, the URL of rank r asked
    in proportion to 1/r**exponent (Zipf), ``draws`` requests drawn so (wrk picks among them at random)."""
    rng = random.Random(seed)
    ranked = list(dict.fromkeys(mix))
    rng.shuffle(ranked)
    weights = [1 / (rank**exponent) for rank in range(1, len(ranked) + 1)]
    return rng.choices(ranked, weights=weights, k=draws)


def wrk(
    url: str, connections: int, seconds: int, script: Path | None, env: dict[str, str]
) -> tuple[str, dict[str, float]]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out)
        if m:
            value, unit = float(m.group(1)), m.group(2)
            figures[f"p{pct}"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    cache = re.search(r"X-Cache hits (\d+) misses (\d+)", out)
    if cache:
        figures["hits"], figures["misses"] = float(cache.group(1)), float(cache.group(2))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = float(errors.group(1)) if errors else 0.0
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
    figures["timeouts"] = float(timeouts.group(1)) if timeouts else 0.0
    return " ".join(cmd), figures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, seconds: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"hub serve did not answer {url} within {seconds} s")


def statuses(mix: list[str]) -> dict[int, list[str]]:
    """Each URL asked once; the URLs whose answer is not 200, by status."""
    import urllib.error
    import urllib.request

    odd: dict[int, list[str]] = {}
    for u in mix:
        try:
            with urllib.request.urlopen(u, timeout=30) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            odd.setdefault(status, []).append(u)
    return odd


def warm(mix: list[str]) -> None:
    """Each URL asked once, two at a time (the two web processes)."""
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    def ask(u: str) -> None:
        try:
            with urllib.request.urlopen(u, timeout=60) as r:
                r.read()
        except urllib.error.HTTPError:
            pass

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(ask, mix))


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--results", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--response-cache", type=int, default=3600, help="[portal] response_cache_seconds (0: off)")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the broker URL (the shared response cache)")
    ap.add_argument("--no-redis", action="store_true", help="no broker: each web process caches in its memory")
    ap.add_argument("--warm", action="store_true", help="ask every URL of the mix once before the run")
    ap.add_argument(
        "--mix",
        choices=("uniform", "popular"),
        default="uniform",
        help="uniform: 2,000 URLs, each as likely (the first mix); popular: 10,000 URLs asked as a crowd asks (Zipf)",
    )
    ap.add_argument("--fill-only", action="store_true", help="create and fill the database (kept), then stop")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards (its name is printed)")
    ap.add_argument("--reuse", help="a database filled by an earlier --keep run")
    ap.add_argument("--name", help="the name of the database to create (default: hub_bench_portal_<random>)")
    args = ap.parse_args()

    name = args.reuse or args.name or f"hub_bench_portal_{uuid.uuid4().hex[:8]}"
    url = f"{PG}/{name}"
    admin = psycopg.connect(f"{PG}/postgres", autocommit=True)
    server = None
    try:
        if not args.reuse:
            admin.execute(f'CREATE DATABASE "{name}"')
        start = time.perf_counter()
        upgrade(url.replace("postgresql://", "postgresql+psycopg://"))  # a reused database: to the newest schema
        migrated = time.perf_counter() - start
        with psycopg.connect(url, autocommit=True) as conn:  # a reused database: filled where a run stopped
            start = time.perf_counter()
            times = fill(conn, args.entities, args.results)
            total = time.perf_counter() - start
            # a publication: every answer cached so far is out of date, so the cache starts cold
            conn.execute("UPDATE publication_generation SET generation = generation + 1")
        print(
            f"migrated in {migrated:.0f} s; filled {args.entities:,} entities and {args.results:,} results in "
            f"{total:.0f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
        )
        if args.fill_only:
            args.keep = True
            return
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            HUB_DATABASE_URL=url.replace("postgresql://", "postgresql+psycopg://"),
            HUB_SECRET_KEY="bench-portal",
            HUB_DATA_DIR=tempfile.mkdtemp(prefix="bench-portal-"),
        )
        env.pop("HUB_BROKER_URL", None)
        if not args.no_redis:
            env["HUB_BROKER_URL"] = args.redis
        config = Path(env["HUB_DATA_DIR"]) / "hub.toml"
        config.write_text(f"[portal]\nresponse_cache_seconds = {args.response_cache}\n", encoding="utf-8")
        env["HUB_CONFIG"] = str(config)
        hub = str(Path(sys.executable).with_name("hub"))
        server = subprocess.Popen(
            [hub, "serve", "--port", str(port), "--workers", str(args.workers), "--threads", str(args.threads), *QUIET],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_up(f"{base}/public/verify")
        with psycopg.connect(url) as conn:
            mix = urls(conn, base, n=2000 if args.mix == "uniform" else 10_000)
        drawn = mix if args.mix == "uniform" else popular(mix)
        mix = list(dict.fromkeys(mix))  # each URL once (warming, statuses)
        listing = Path(tempfile.mkstemp(prefix="portal-urls-", suffix=".txt")[1])
        listing.write_text("\n".join(u[len(base) :] for u in drawn) + "\n")
        script = Path(tempfile.mkstemp(prefix="portal-", suffix=".lua")[1])
        script.write_text(WRK_SCRIPT)
        wrk_env = dict(os.environ, PORTAL_URLS=str(listing))
        warm(mix if args.warm else mix[:50])  # the connections (--warm: and the whole cache)
        before = load()
        base_cmd, baseline = wrk(f"{base}/public/verify", args.connections, args.seconds, None, wrk_env)
        mix_cmd, figures = wrk(base + "/", args.connections, args.seconds, script, wrk_env)
        after = load()
        print(f"machine: {os.cpu_count()} cores; load average before {before}, after {after}")
        print(
            f"hub serve --workers {args.workers} --threads {args.threads} --no-access-log, response cache "
            f"{args.response_cache} s ({'memory' if args.no_redis else args.redis}), on PostgreSQL ({name}); "
            f"mix {args.mix}: {len(drawn):,} URLs ({len(mix):,} distinct)"
            + ("" if args.mix == "uniform" else " drawn by popularity (Zipf, s = 1)")
        )
        for label, cmd, f in (("baseline /public/verify", base_cmd, baseline), ("portal mix", mix_cmd, figures)):
            print(
                f"{label:24s} {f['rps']:8.1f} req/s  p50 {f.get('p50', 0):7.1f} ms  p90 {f.get('p90', 0):7.1f} ms  "
                f"p99 {f.get('p99', 0):7.1f} ms  non-2xx {f['non2xx']:.0f}  timeouts {f['timeouts']:.0f}"
            )
            print(f"  command: PORTAL_URLS={listing} {cmd}" if label == "portal mix" else f"  command: {cmd}")
        print(f"ratio mix/baseline (req/s): {figures['rps'] / baseline['rps']:.2f}")
        if "hits" in figures:
            asked = figures["hits"] + figures["misses"]
            print(
                f"response cache ({'Redis' if not args.no_redis else 'process memory'}, "
                f"{'warmed with every URL first' if args.warm else 'cold at the start'}): "
                f"{figures['hits']:.0f} hits, {figures['misses']:.0f} misses, "
                f"hit rate {figures['hits'] / max(1, asked):.1%}"
            )
        met = figures["rps"] >= TARGET_RPS and figures.get("p99", 1e9) <= TARGET_P99_MS
        print(f"target >= {TARGET_RPS} req/s at p99 <= {TARGET_P99_MS} ms: {'met' if met else 'NOT met'}")
        mix = mix if args.mix == "uniform" else random.Random(3).sample(mix, 2000)
        odd = statuses(mix)
        print(f"statuses: {len(mix) - sum(len(v) for v in odd.values())} of {len(mix)} URLs answer 200")
        for status, examples in sorted(odd.items()):
            print(f"  {status}: {len(examples)} URLs, e.g. {examples[:3]}")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep and not args.reuse:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif args.keep:
            print(f"kept database {name} (--reuse {name})")
        admin.close()


if __name__ == "__main__":
    main()
