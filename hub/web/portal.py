"""The public portal (公示): the four kinds of notice with their JSON and CSV twins, the search, an
enterprise's history, Atom feeds, yearly open data, the masking rule and how to check a draw.

Every route is public, reads only, and answers through hub.web.caching (no session, ETag, 304).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request, url_for

from hub import appctx
from hub.agencies import authority_name
from hub.auth.access import public
from hub.disclosure import MASKING_RULES
from hub.errors import InvalidInput, NotFound
from hub.portal import feed, tables
from hub.portal.plans import published_plans
from hub.portal.queries import feed_entries, item_agencies, item_notice, public_sinks, task_notice, task_notices
from hub.portal.result_queries import ResultPage, enterprise_history, search_results, year_results
from hub.portal.search import ResultSearch, parse_search
from hub.web.caching import public_response, public_stream, render_public

bp = Blueprint("portal", __name__, url_prefix="/public")

JSON = "application/json"
CSV = "text/csv"


def _sinks() -> dict[str, str]:
    return public_sinks(appctx.settings())


def _inspectors() -> str:
    return appctx.settings().portal.inspector_names


def page(template: str, **context: Any) -> Response:
    """A public page: rendered without the session, cacheable."""
    last_modified = context.pop("last_modified", None)
    return public_response(render_public(template, **context), last_modified=last_modified)


# -- item lists (抽查事项清单) ---------------------------------------------------------------------


@bp.route("/items/")
@public
def items_index():
    return page("portal_items_index.html", agencies=item_agencies(appctx.database()))


@bp.route("/items/<agency>")
@public
def items(agency: str):
    rows, changed = _items(agency)
    return page("portal_items.html", agency=agency, rows=rows, last_modified=changed)


@bp.route("/items/<agency>.json")
@public
def items_json(agency: str):
    rows, changed = _items(agency)
    body = tables.json_document(rows, tables.ITEM_COLUMNS, kind="抽查事项清单", agency=agency, updated=changed)
    return public_response(body, JSON, last_modified=changed)


@bp.route("/items/<agency>.csv")
@public
def items_csv(agency: str):
    rows, changed = _items(agency)
    body = b"".join(tables.csv_lines(rows, tables.ITEM_COLUMNS))
    return public_response(body, CSV, last_modified=changed, filename=f"items-{agency}.csv")


def _items(agency: str) -> tuple[list[dict[str, Any]], Any]:
    rows, changed = item_notice(appctx.database(), agency)
    if not rows:
        raise NotFound(f"{agency} 没有公布抽查事项清单 (no published item list)", where="agency")
    return rows, changed


# -- task notices (抽查任务公告) --------------------------------------------------------------------


@bp.route("/tasks/")
@public
def tasks():
    rows, after = task_notices(appctx.database(), _sinks(), after=request.args.get("after") or None)
    return page("portal_tasks.html", rows=rows, after=after)


@bp.route("/tasks.json")
@public
def tasks_json():
    rows, after = task_notices(appctx.database(), _sinks(), after=request.args.get("after") or None)
    return public_response(tables.json_document(rows, tables.TASK_COLUMNS, kind="抽查任务公告", next=after), JSON)


@bp.route("/tasks.csv")
@public
def tasks_csv():
    rows, _after = task_notices(appctx.database(), _sinks(), after=request.args.get("after") or None)
    return public_response(b"".join(tables.csv_lines(rows, tables.TASK_COLUMNS)), CSV, filename="tasks.csv")


@bp.route("/tasks/<task_id>.json")
@public
def task_json(task_id: str):
    notice = task_notice(appctx.database(), task_id, _sinks())
    notice.pop("record", None)  # the record is its own download (record.json), byte for byte
    return public_response(tables.json_document([], (), kind="抽查任务公告", notice=notice), JSON)


# -- result notices (抽查结果公告) and the search ---------------------------------------------------


@bp.route("/results/")
@public
def results():
    query = parse_search(request.args)
    found = None if query.is_empty and query.after is None else _search(query)
    return page(
        "portal_results.html",
        query=query,
        found=found,
        outcomes=_outcome_choices(),
        last_modified=found.last_modified if found else None,
    )


@bp.route("/results.json")
@public
def results_json():
    found = _search(parse_search(request.args))
    body = tables.json_document(found.rows, tables.RESULT_COLUMNS, kind="抽查结果公告", next=found.after)
    return public_response(body, JSON, last_modified=found.last_modified)


@bp.route("/results.csv")
@public
def results_csv():
    found = _search(parse_search(request.args))
    body = b"".join(tables.csv_lines(found.rows, tables.RESULT_COLUMNS))
    return public_response(body, CSV, last_modified=found.last_modified, filename="results.csv")


def _search(query: ResultSearch) -> ResultPage:
    return search_results(appctx.database(), query, sinks=_sinks(), inspectors=_inspectors())


def _outcome_choices() -> list[tuple[str, str]]:
    from vocabulary.outcomes import TEXTS

    return sorted(TEXTS.items(), key=lambda kv: int(kv[0]))


@bp.route("/entities/<entity_id>")
@public
def entity(entity_id: str):
    e, found = _history(entity_id)
    return page("portal_entity.html", e=e, found=found, last_modified=found.last_modified)


@bp.route("/entities/<entity_id>.json")
@public
def entity_json(entity_id: str):
    e, found = _history(entity_id)
    body = tables.json_document(found.rows, tables.RESULT_COLUMNS, kind="检查对象检查记录", entity=e, next=found.after)
    return public_response(body, JSON, last_modified=found.last_modified)


def _history(entity_id: str) -> tuple[dict[str, Any], ResultPage]:
    after = request.args.get("after") or ""
    if after and not after.isdigit():
        raise InvalidInput("翻页参数不正确 (a page cursor from a link on this site)", where="after")
    return enterprise_history(
        appctx.database(), entity_id, after=int(after) if after else None, sinks=_sinks(), inspectors=_inspectors()
    )


# -- feeds, open data, the rule, how to check a draw ----------------------------------------------


@bp.route("/feeds/<agency>.atom")
@public
def agency_feed(agency: str):
    entries = feed_entries(appctx.database(), agency)
    authority = authority_name(agency)
    site = appctx.settings().public_base(request.url_root)  # `public_url` where set: links point there
    body = feed.atom_feed(
        feed_id=f"tag:{urlsplit(site).hostname or 'hub'},2026:hub:feed:{agency}",
        title=f"{authority} 双随机、一公开 公示",
        self_url=site + url_for("portal.agency_feed", agency=agency),
        page_url=site + url_for("public.index"),
        entries=entries,
        link_of=lambda entry: site + _entry_link(entry),
        authority=authority,
    )
    return public_response(body, "application/atom+xml")


def _entry_link(entry: dict[str, Any]) -> str:
    if entry["kind"] == "items":
        return url_for("portal.items", agency=entry["agency"])
    if entry["kind"] == "task":
        return url_for("public.task", task_id=entry["task_id"])
    return url_for("public.results", task_id=entry["task_id"])


@bp.route("/data/")
@public
def open_data():
    return page("portal_data.html", agencies=item_agencies(appctx.database()), years=_years())


@bp.route("/data/results-<int:year>.<fmt>")
@public
def year_download(year: int, fmt: str):
    if year not in _years() or fmt not in ("csv", "jsonl"):
        raise NotFound(f"no download results-{year}.{fmt} (years {_years()[0]}–{_years()[-1]}; csv or jsonl)")
    rows = year_results(appctx.database(), year, inspectors=_inspectors())
    if fmt == "csv":
        return public_stream(tables.csv_lines(rows, tables.RESULT_COLUMNS), CSV, f"results-{year}.csv")
    lines = (tables.json_line(r, tables.RESULT_COLUMNS) for r in rows)
    return public_stream(lines, "application/x-ndjson", f"results-{year}.jsonl")


def _years() -> list[int]:
    from hub.clock import utcnow

    return list(range(2020, utcnow().year + 1))


@bp.route("/masking")
@public
def masking():
    return page("portal_masking.html", rules=MASKING_RULES, policy=_inspectors())


@bp.route("/verify")
@public
def verify():
    return page("portal_verify.html")


# -- annual plans (抽查计划公告) ----------------------------------------------------------------------


@bp.route("/plans/")
@public
def plans():
    return page("portal_plans.html", plans=published_plans(appctx.database(), _sinks()))


@bp.route("/plans.json")
@public
def plans_json():
    found = published_plans(appctx.database(), _sinks())
    return public_response(tables.json_document(found, tables.PLAN_COLUMNS, kind="抽查计划公告"), JSON)


@bp.route("/plans.csv")
@public
def plans_csv():
    rows = [
        {**entry, "plan_id": p["plan_id"], "year": p["year"], "lead": p["lead"], "plan_title": p["title"]}
        for p in published_plans(appctx.database(), _sinks())
        for entry in p.get("entries", [])
    ]
    return public_response(b"".join(tables.csv_lines(rows, tables.PLAN_ENTRY_COLUMNS)), CSV, filename="plans.csv")
