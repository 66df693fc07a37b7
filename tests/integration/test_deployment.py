"""docs/deployment.md followed on one machine: a fresh PostgreSQL database, a Redis broker, the
Procfile's processes (web, two workers, two schedulers), and one joint task from the first sync to
delivery at both sinks, driven through the command line and the API as an operator would."""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
import time
import tomllib
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import tomli_w
from sqlalchemy import create_engine, text

from connectors.sandboxes.__main__ import start_sources
from connectors.sandboxes.sinks import start_sinks
from tests.conftest import PG_SERVER
from tests.packaging.support import ROOT, free_port, stop, wait_for_http

pytestmark = [pytest.mark.pg, pytest.mark.redis, pytest.mark.slow]
APP_ID, SECRET_ENV = "hub-deploy", "HUB_DEPLOY_SECRET"
BIN = Path(sys.executable).parent


def procfile() -> dict[str, str]:
    """The Procfile's commands by process type."""
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict((name.strip(), cmd.strip()) for name, cmd in (ln.split(":", 1) for ln in lines if ":" in ln))


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    name = f"hub_deploy_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = PG_SERVER.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sandboxes() -> Iterator[tuple[str, dict[str, Any]]]:
    secret = secrets.token_hex(16)
    sources = start_sources(
        APP_ID, secret, entities=600, schools=0, inspectors={"HEALTH": 30, "SAMR": 30, "EDU": 10}, invalid_share=0.02
    )
    sinks = start_sinks(APP_ID, secret)
    try:
        yield secret, {**sources, **sinks}
    finally:
        for server in [*sources.values(), *sinks.values()]:
            server.stop()


def _config(servers: dict[str, Any]) -> dict[str, Any]:
    """The deployment's TOML file, as docs/configuration.md describes it."""
    common = {"app_id": APP_ID, "app_secret_env": SECRET_ENV}
    return {
        "sources": {
            "samr": {
                "kind": "samr-rest",
                "url": servers["samr"].url,
                **common,
                "categories": {"H61": "hotel", "P83": "school"},
            },
            "inspectors": {"kind": "inspectors-rest", "url": servers["inspectors"].url, **common},
        },
        "sinks": {
            "provincial": {"kind": "provincial-rest", "url": servers["provincial"].url, **common},
            "credit": {"kind": "credit-xml", "url": servers["credit"].url, "sender": "370100-HEALTH", **common},
        },
        "schedules": {"push": "*/2 * * * * *"},  # every 2 s (6 fields: seconds first), to keep the test short
    }


class Deployment:
    """Processes started from the Procfile, and the `hub` command, all with one environment."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, kind: str, n: int, extra: dict[str, str] | None = None) -> None:
        command = procfile()[kind]
        for i in range(n):
            log = self.cwd / f"{kind}-{i}.log"
            with open(log, "w") as out:
                proc = subprocess.Popen(
                    ["bash", "-c", f"exec {command}"],
                    env={**self.env, **(extra or {})},
                    cwd=self.cwd,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.procs.append((f"{kind}-{i}", proc, log))

    def hub(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "hub"), *args], env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"hub {' '.join(args)}: {done.stderr}\n{self.logs()}"
        return done.stdout

    def hub_each(self, *commands: tuple[str, ...]) -> list[str]:
        """Several `hub` commands at once, as several people would run them; all must succeed."""
        running = [
            subprocess.Popen(
                [str(BIN / "hub"), *args],
                env=self.env,
                cwd=self.cwd,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for args in commands
        ]
        outputs = [proc.communicate(timeout=300) for proc in running]
        for args, proc, (_, err) in zip(commands, running, outputs):
            assert proc.returncode == 0, f"hub {' '.join(args)}: {err}\n{self.logs()}"
        return [out for out, _ in outputs]

    def alive(self) -> list[str]:
        return [name for name, proc, _ in self.procs if proc.poll() is None]

    def logs(self, lines: int = 15) -> str:
        return "\n".join(
            f"--- {name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for name, _, log in self.procs
        )

    def stop_all(self) -> None:
        for _, proc, _ in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        for _, proc, _ in self.procs:
            stop(proc)


def wait_until(what: str, check: Callable[[], Any], deployment: Deployment, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}\n{deployment.logs()}")


def test_procfile_processes_on_postgresql_and_redis_run_a_joint_task_end_to_end(
    pg_database, redis_db_url, sandboxes, tmp_path
):
    secret, servers = sandboxes
    config = tmp_path / "hub.toml"
    config.write_text(tomli_w.dumps(_config(servers)), encoding="utf-8")
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "HUB_CONFIG": str(config),
        "HUB_DATABASE_URL": pg_database,
        "HUB_BROKER_URL": redis_db_url,
        "HUB_SECRET_KEY": secrets.token_hex(16),
        "HUB_DATA_DIR": str(tmp_path / "data"),
        SECRET_ENV: secret,
    }
    d = Deployment(env, tmp_path)
    port = free_port()
    try:
        # 1. the schema, then the processes
        assert "configuration ok: 2 source(s)" in d.hub("config", "check")
        assert "latest schema" in d.hub("db", "upgrade")
        d.start("web", 1, {"PORT": str(port)})
        d.start("worker", 2)
        d.start("scheduler", 2)
        status, _ = wait_for_http(f"http://127.0.0.1:{port}/api/v1/openapi.json", d.procs[0][1], timeout=120)
        assert status == 200

        # 2. an account for the API; rosters synced on the workers; item list; a task from the sample file
        d.hub("user", "add", "deployer", "--role", "coordinator")
        token = d.hub("token", "create", "deployer").strip()

        def api(path: str, body: dict | None = None) -> Any:
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1{path}",
                data=None if body is None else json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read())

        for source in ("samr", "inspectors"):
            assert api(f"/sources/{source}/sync", {})["queued"]

        def synced() -> bool:
            runs = {r["source"]: r for r in api("/sync-runs")}
            failed = [r["error"] for r in runs.values() if r["outcome"] == "failed"]
            assert not failed, failed
            return all(runs.get(s, {}).get("outcome") == "ok" for s in ("samr", "inspectors"))

        wait_until("both syncs on the workers", synced, d)
        d.hub("items", "import", str(ROOT / "examples" / "items.csv"))
        spec = tomllib.loads((ROOT / "examples" / "joint-task.toml").read_text(encoding="utf-8"))
        today = date.today()
        spec["window"] = [(today - timedelta(days=7)).isoformat(), (today + timedelta(days=20)).isoformat()]
        (tmp_path / "task.toml").write_text(tomli_w.dumps(spec), encoding="utf-8")
        task_id = d.hub("task", "create", "task.toml").strip()

        # 3. each agency commits as its own liaison (at the same time, each on its own; the hub committed by
        #    itself at creation), freeze, reveal, draw on a worker
        parties = list(spec["agencies"])
        d.env["LIAISON_PASSWORD"] = secrets.token_hex(12)
        for party in parties:
            d.hub(
                "user",
                "add",
                f"liaison-{party}",
                "--role",
                "liaison",
                "--agency",
                party,
                "--password-env",
                "LIAISON_PASSWORD",
            )
        acting = ("--password-env", "LIAISON_PASSWORD")
        d.hub_each(
            *[
                (
                    "task",
                    "commit",
                    task_id,
                    party,
                    "--secret-file",
                    f"{party}.secret",
                    "--as",
                    f"liaison-{party}",
                    *acting,
                )
                for party in parties
            ]
        )
        d.hub("task", "freeze", task_id)
        d.hub_each(
            *[
                (
                    "task",
                    "reveal",
                    task_id,
                    party,
                    "--secret-file",
                    f"{party}.secret",
                    "--as",
                    f"liaison-{party}",
                    *acting,
                )
                for party in parties
            ]
        )
        d.hub("task", "draw", task_id, "--entropy", f"deployment test {today.isoformat()}")
        wait_until("the draw on a worker", lambda: api(f"/tasks/{task_id}")["state"] == "drawn", d)
        d.hub("task", "record", task_id, "--out", "record.json", "--roster", "roster.tsv", "--pool", "pool.tsv")
        assert "verifies" in d.hub("verify", "record.json", "--roster", "roster.tsv", "--pool", "pool.tsv")

        # 4. results by every drawn team, approved; the scheduler's push job delivers them on a worker
        agency_of = {i["inspector_id"]: i["agency"] for i in api("/exports/inspectors?format=json")}
        assignments = api(f"/tasks/{task_id}/assignments")
        assert assignments
        with open(tmp_path / "results.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["entity_id", "agency", "inspected_on", "outcome_codes", "inspectors", "findings"])
            for a in assignments:
                for agency in sorted({agency_of[i] for i in a["team"]}):
                    w.writerow([a["entity_id"], agency, today.isoformat(), "1", ";".join(a["team"]), ""])
        expected = sum(len({agency_of[i] for i in a["team"]}) for a in assignments)
        assert f"{expected} result(s) saved" in d.hub("results", "import", task_id, "results.csv")
        assert f"{expected} result(s) approved" in d.hub("results", "approve", task_id, "--all")

        def delivered() -> bool:
            rows = api("/exports/results?format=json")
            return len(rows) == expected and all(
                sorted(r["delivery"]) == ["credit:delivered", "provincial:delivered"] for r in rows
            )

        wait_until("delivery to both sinks by the scheduler and the workers", delivered, d)
        assert len(servers["provincial"].results) == expected
        assert sum(servers["credit"].accepted_counts.values()) >= expected
        assert set(servers["provincial"].duplicate_counts.values()) <= {0}

        # 5. two schedulers ran, one held the lease: every push tick was claimed by the same holder
        engine = create_engine(pg_database)
        with engine.connect() as conn:
            holders = {h for (h,) in conn.execute(text("SELECT holder FROM job_ticks WHERE job_id = 'push'"))}
        engine.dispose()
        assert len(holders) == 1
        assert d.alive() == [name for name, _, _ in d.procs], d.logs()
        assert "audit chain intact" in d.hub("audit", "verify")
    finally:
        d.stop_all()
    assert d.alive() == []
