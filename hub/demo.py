"""`hub demo`: the whole cycle in one process, on SQLite, against sandbox agencies on loopback.

Sandboxes start, rosters sync, a joint task is committed, frozen, revealed and drawn,
results are entered, approved and delivered to the sink sandboxes; then the web UI,
the scheduler and an in-process worker keep running until Ctrl-C. Every run starts
from a fresh demo database in var/demo.
"""

from __future__ import annotations

import logging
import random
import secrets
import shlex
import shutil
import sys
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

APP_ID = "hub-370100"
SECRET_ENV = "HUB_DEMO_SECRET"
DEMO_ITEMS = [
    {
        "agency": "HEALTH",
        "code": "HEALTH-SCH-01",
        "name": "学校卫生监督检查",
        "legal_basis": "《学校卫生工作条例》",
        "subject": "学校",
        "content": "教学环境、生活饮用水、传染病防控",
        "method": "现场检查",
    },
    {
        "agency": "HEALTH",
        "code": "HEALTH-HOT-01",
        "name": "公共场所卫生监督检查",
        "legal_basis": "《公共场所卫生管理条例》",
        "subject": "住宿业",
        "content": "卫生许可、从业人员健康证明、公共用品消毒",
        "method": "现场检查",
    },
    {
        "agency": "SAMR",
        "code": "SAMR-FOOD-01",
        "name": "食品经营者监督检查",
        "legal_basis": "《中华人民共和国食品安全法》",
        "subject": "食品经营者",
        "content": "许可证、进货查验、食品贮存",
        "method": "现场检查",
    },
    {
        "agency": "EDU",
        "code": "EDU-SAFE-01",
        "name": "校园安全检查",
        "legal_basis": "《中小学幼儿园安全管理办法》",
        "subject": "学校",
        "content": "安全管理制度、食堂管理",
        "method": "现场检查",
    },
]


def demo_config(urls: dict[str, str], drop_url: str) -> dict[str, Any]:
    """The configuration a deployment would keep in its TOML file (secrets by env name only)."""
    common = {"app_id": APP_ID, "app_secret_env": SECRET_ENV}
    return {
        "sources": {
            "samr": {
                "kind": "samr-rest",
                "url": urls["samr"],
                "schedule": "*/10 * * * *",
                "categories": {"H61": "hotel", "H62": "catering", "Q85": "eldercare", "P83": "school"},
                **common,
            },
            "schools": {
                "kind": "edu-xml",
                "url": urls["edu"] + "/feeds/schools.xml",
                "category": "school",
                "schedule": "0 2 * * *",
                **common,
            },
            "civil": {
                "kind": "csv-drop",
                "url": drop_url,
                "category": "eldercare",
                "schedule": "*/30 * * * *",
                **common,
            },
            "inspectors": {"kind": "inspectors-rest", "url": urls["inspectors"], "schedule": "0 3 * * *", **common},
        },
        "sinks": {
            "provincial": {"kind": "provincial-rest", "url": urls["provincial"], **common},
            "credit": {"kind": "credit-xml", "url": urls["credit"], "sender": "370100-HEALTH", **common},
        },
    }


def demo_task(today: date) -> dict[str, Any]:
    return {
        "title": f"{today.year}年学校与住宿业卫生、食品安全联合抽查（演示）",
        "lead": "HEALTH",
        "agencies": ["HEALTH", "SAMR"],
        "window": [(today - timedelta(days=14)).isoformat(), (today + timedelta(days=16)).isoformat()],
        "population": {"categories": ["school", "hotel"], "exclude_inspected_within_days": 180},
        "strata": {"by": ["district", "category"], "ratio": 0.05},
        "weights": {"abnormal_list": 3, "serious_violation": 5, "credit_class": {"C": 2, "D": 4}},
        "team": [
            {"agency": "HEALTH", "size": 1, "items": ["HEALTH-SCH-01"]},
            {"agency": "SAMR", "size": 1, "items": ["SAMR-FOOD-01"]},
        ],
        "recusal": {"avoid_home_district": True, "avoid_last_pairing": True},
        "entropy_source": f"福彩3D {today.isoformat()} 开奖号码 (demo)",
    }


#: a liaison for each agency with officers in the sandboxes (each commits and reveals for its agency)
DEMO_AGENCIES = ("HEALTH", "SAMR", "EDU")
ROLE_NAMES = {
    "admin": "系统管理员",
    "coordinator": "牵头协调人",
    "liaison": "部门联络员",
    "inspector": "执法检查人员",
    "reviewer": "审核人",
    "auditor": "监督审计人",
}


def link_inspectors(db: Any, task_id: str) -> dict[str, str]:
    """An inspector account per agency linked to an officer drawn into ``task_id`` (so that each
    sees an assignment); named ``inspector-AGENCY`` and ``inspector`` for the first."""
    from sqlalchemy import select

    from hub.draw.models import Assignment
    from hub.rosters.models import Inspector

    linked: dict[str, str] = {}
    with db.unit_of_work() as s:
        agency_of = {i: a for i, a in s.execute(select(Inspector.inspector_id, Inspector.agency))}
        for a in s.scalars(select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.position)):
            for officer in a.team:
                name = f"inspector-{agency_of.get(officer, 'X')}"
                if name not in linked:
                    linked[name] = officer
    if linked:
        linked = {"inspector": next(iter(linked.values())), **linked}
    return linked


def more_tasks(db: Any, settings: Any, today: date) -> dict[str, str]:
    """Tasks in other states beside the drawn one: one waiting for a commitment, one frozen and
    waiting for the reveals, one void."""
    from hub.draw.jdp import commitment
    from hub.results.history import RESULTS_HISTORY
    from hub.tasks import services as lifecycle

    made: dict[str, str] = {}
    waiting = lifecycle.create_task(
        db, settings, {**demo_task(today), "title": "住宿业公共卫生联合抽查（演示·待承诺）"}, "coordinator"
    )
    lifecycle.commit(
        db,
        waiting.id,
        "HEALTH",
        commitment("HEALTH", lifecycle.new_secret(), "sha256", waiting.protocol),
        liaison_of("HEALTH"),
    )
    made["committing"] = waiting.id
    frozen = lifecycle.create_task(
        db, settings, {**demo_task(today), "title": "学校食品安全联合抽查（演示·待揭示）"}, "coordinator"
    )
    for party in frozen.agencies:
        lifecycle.commit(
            db,
            frozen.id,
            party,
            commitment(party, lifecycle.new_secret(), "sha256", frozen.protocol),
            liaison_of(party),
        )
    lifecycle.freeze(db, settings, frozen.id, "coordinator", today, history=RESULTS_HISTORY)
    made["frozen"] = frozen.id
    void = lifecycle.create_task(
        db, settings, {**demo_task(today), "title": "重复录入的任务（演示·已作废）"}, "coordinator"
    )
    lifecycle.void(db, void.id, "录入重复，改用另一个任务编号（演示）", "coordinator")
    made["void"] = void.id
    return made


def _plan_and_task(db: Any, settings: Any, today: date) -> Any:
    """The lead agency's annual plan, drafted, approved and filed, and the demo task started from its entry."""
    from hub.plans import services as plans

    spec = demo_task(today)
    start, end = (date.fromisoformat(d) for d in spec["window"])
    last_month = end.month if end.year == start.year else 12
    entry = {
        "title": spec["title"],
        "agencies": spec["agencies"],
        "items": {t["agency"]: t["items"] for t in spec["team"]},
        "population": {"categories": spec["population"]["categories"]},
        "ratio": str(spec["strata"]["ratio"]),
        "months": list(range(start.month, last_month + 1)),
    }
    plan_id = plans.create_plan(
        db, "coordinator", "HEALTH", start.year, f"{start.year}年度卫生健康联合抽查计划（演示）", [entry]
    )
    plans.approve(db, "reviewer", plan_id)
    plans.file_plan(db, settings, "coordinator", plan_id)
    _say(f"annual plan {plan_id} drafted, approved and filed to the provincial platform")
    return plans.task_from_entry(db, settings, "coordinator", f"{plan_id}-01", spec)


def liaison_of(agency: str) -> str:
    """The demo user who acts for ``agency`` in the draw."""
    return f"liaison-{agency}"


def _say(text: str) -> None:
    click.echo(click.style("› ", fg="red") + text)


def run_cycle(db: Any, settings: Any, app: Any, today: date, rng: random.Random) -> str:
    """Sync, draw, enter and approve results, push; return the task id."""
    from hub.draw.jobs import draw_task
    from hub.items.services import import_items
    from hub.outbox.delivery import drain
    from hub.results.history import RESULTS_HISTORY
    from hub.results.services import approve, enter_result
    from hub.rosters.sync import run_sync
    from hub.tasks import services as lifecycle

    for name in settings.sources:
        run = run_sync(db, settings, name)
        _say(f"synced {name}: {run.fetched} fetched, {run.inserted} new, {run.quarantined} quarantined")
    import_items(db, DEMO_ITEMS, "demo")
    from hub.draw.jdp import commitment

    task = _plan_and_task(db, settings, today)
    _say(f"task {task.id} created ({task.protocol}) from plan entry {task.plan_entry_id}; the hub committed by itself")
    secret_of = {}
    for party in task.agencies:  # each agency commits and reveals through its own liaison
        secret_of[party] = lifecycle.new_secret()
        lifecycle.commit(
            db, task.id, party, commitment(party, secret_of[party], "sha256", task.protocol), liaison_of(party)
        )
    frozen = lifecycle.freeze(db, settings, task.id, "coordinator", today, history=RESULTS_HISTORY)
    _say(f"task {task.id} frozen: {frozen.roster_size} entities, {frozen.pool_size} inspectors")
    for party, secret in secret_of.items():
        lifecycle.reveal(db, task.id, party, secret, liaison_of(party))
    # the value the declared source published; the hub reveals its secret in the same step
    lifecycle.request_draw(db, task.id, f"demo entropy {today.isoformat()}", "coordinator")
    with app.app_context():
        draw_task.delay(task.id, "coordinator")
    from sqlalchemy import select

    from hub.draw.models import Assignment

    with db.unit_of_work() as s:
        drawn = [
            (a.entity_id, list(a.team)) for a in s.scalars(select(Assignment).where(Assignment.task_id == task.id))
        ]
    _say(f"task {task.id} drawn: {len(drawn)} entities selected")
    agencies_of = {}
    with db.unit_of_work() as s:
        from hub.rosters.models import Inspector

        agencies_of = {i: a for i, a in s.execute(select(Inspector.inspector_id, Inspector.agency))}
    for entity_id, team in drawn:
        for inspector in team:
            agency = agencies_of[inspector]
            code = rng.choice(["1", "1", "1", "1", "5", "2", "8"])
            follow = (
                [{"kind": "correction", "due_on": (today + timedelta(days=15)).isoformat(), "content": "责令限期整改"}]
                if code == "8"
                else []
            )
            enter_result(
                db,
                task.id,
                {
                    "entity_id": entity_id,
                    "agency": agency,
                    "inspected_on": (today - timedelta(days=rng.randint(0, 10))).isoformat(),
                    "outcome_codes": [code],
                    "inspectors": team,
                    "findings": "" if code == "1" else "现场检查发现问题，已告知整改要求。",
                    "follow_ups": follow,
                },
                "inspector",
                today,
            )
    approved = approve(db, settings, task.id, "reviewer", None, today)
    _say(f"{len(approved)} results approved and queued for the provincial platform and the credit system")
    report = drain(db, settings, respect_backoff=False)
    _say(f"delivered {report.delivered} messages, {report.rejected} rejected")
    return task.id


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--port", default=5000, show_default=True)
    @click.option("--entities", default=3000, show_default=True, help="Entities in the samr sandbox.")
    @click.option("--no-serve", is_flag=True, help="Run the cycle and exit (for checks).")
    def demo(port: int, entities: int, no_serve: bool) -> None:
        """Embedded demo: DB, sandbox agencies, sync, draw, results, web UI, worker, scheduler."""
        from werkzeug.serving import make_server

        from connectors.sandboxes.__main__ import start_sources
        from connectors.sandboxes.sinks import start_sinks
        from hub import create_app
        from hub.auth.services import add_user
        from hub.config import load_settings
        from hub.db import upgrade
        from hub.scheduler import HubScheduler

        logging.basicConfig(level=logging.WARNING)
        data_dir = Path("var/demo").resolve()
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        secret = secrets.token_hex(24)
        drop_dir = data_dir / "drop"
        sources = start_sources(
            APP_ID,
            secret,
            entities=entities,
            schools=400,
            drop_dir=drop_dir,
            inspectors={"HEALTH": 40, "SAMR": 40, "EDU": 20},
            invalid_share=0.03,
        )
        sinks = start_sinks(APP_ID, secret)
        urls = {**{k: v.url for k, v in sources.items()}, **{k: v.url for k, v in sinks.items()}}
        import tomli_w

        config_path = data_dir / "hub.toml"
        config_path.write_text(tomli_w.dumps(demo_config(urls, urls.get("csv-drop", drop_dir.as_uri()))))
        env = {SECRET_ENV: secret, "HUB_DATA_DIR": str(data_dir), "HUB_SECURE_COOKIES": "0"}  # plain HTTP on loopback
        env_file = write_shell_env(data_dir / "hub.env", {"HUB_CONFIG": str(config_path), **env})
        settings = load_settings(config_path, environ=env)
        upgrade(settings.database_url)
        app = create_app(settings)
        db = app.extensions["hub_db"]
        # demo-only passwords, made afresh each run and printed below; never used outside the demo
        accounts: dict[str, tuple[list[str], str | None]] = {
            name: ([name], None) for name in ("admin", "coordinator", "reviewer", "auditor")
        }
        accounts.update({liaison_of(agency): (["liaison"], agency) for agency in DEMO_AGENCIES})
        passwords = {name: secrets.token_urlsafe(9) for name in accounts}
        with db.unit_of_work() as s:
            for name, (roles, agency) in accounts.items():
                add_user(s, name, roles, agency, passwords[name])
        _say(f"sandboxes: {', '.join(f'{k} {v}' for k, v in urls.items())}")
        task_id = run_cycle(db, settings, app, date.today(), random.Random(7))
        inspectors = link_inspectors(db, task_id)
        with db.unit_of_work() as s:
            for name, officer in inspectors.items():
                passwords[name] = secrets.token_urlsafe(9)
                add_user(s, name, ["inspector"], None, passwords[name], inspector_id=officer)
                accounts[name] = (["inspector"], officer)
        for state, task in more_tasks(db, settings, date.today()).items():
            _say(f"task {task} left {state} (to try the coordinator's and liaisons' steps in the browser)")
        _say("sign in as (demo-only passwords):")
        for name, (roles, agency) in accounts.items():
            who = "、".join(ROLE_NAMES.get(r, r) for r in roles) + (f" · {agency}" if agency else "")
            click.echo(f"    {name:<22} {passwords[name]:<14} {who}")
        _say(f"the command line on this demo: paste  . {shlex.quote(str(env_file))}  then e.g. hub deadlines")
        if no_serve:
            return
        sched = HubScheduler(db, settings, lambda action, args: _enqueue(app, action, args))
        sched.start()
        server = make_server("127.0.0.1", port, app, threaded=True)
        click.echo("")
        _say(f"open http://127.0.0.1:{port}/  (public record: http://127.0.0.1:{port}/public/tasks/{task_id})")
        _say("Ctrl-C stops the demo")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            sched.shutdown()
            for srv in [*sources.values(), *sinks.values()]:
                threading.Thread(target=srv.stop, daemon=True).start()


def write_shell_env(path: Path, variables: dict[str, str]) -> Path:
    """A file to source (mode 600: it holds the demo's sandbox secret) so `hub` finds the demo's
    configuration, database and secret; puts this environment's `hub` first on PATH."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    scripts = Path(sys.argv[0]).resolve().parent if Path(sys.argv[0]).name == "hub" else Path(sys.executable).parent
    lines.append(f'export PATH={shlex.quote(str(scripts))}:"$PATH"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def _enqueue(app: Any, action: str, args: tuple) -> None:
    with app.app_context():
        if action == "sync":
            from hub.rosters.jobs import sync_source

            sync_source.delay(*args)
        elif action == "push":
            from hub.outbox.jobs import drain_outbox

            drain_outbox.delay(*args)
