"""Administration in the browser, for admins: users and roles, API tokens, the working-day
calendar, sources (last runs, sync now) and sinks (rejected messages, requeue). Every rule is
checked in the service called (hub.auth.admin, hub.calendar_notice, hub.rosters.admin,
hub.outbox.admin); the pages only render and confirm."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from kombu.exceptions import OperationalError

from hub import appctx
from hub.auth import admin as users
from hub.auth.access import current_principal, requires
from hub.auth.models import ROLES
from hub.auth.principal import Principal
from hub.auth.queries import user_detail, user_page
from hub.calendar_notice import load_notice_upload, year_view
from hub.display import AGENCIES
from hub.errors import HubError, InvalidInput, NotFound
from hub.outbox.admin import requeue, sink_states
from hub.outbox.queries import message_page
from hub.reports.overview import overview
from hub.rosters.admin import check_sync_request
from hub.web.pageargs import page_args

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@requires("admin")
def index():
    return render_template("admin/index.html")


# ------------------------------------------------------------------ users and tokens


@bp.route("/users")
@requires("admin")
def users_index():
    cursor, limit = page_args((str,))
    q, role = request.args.get("q", ""), request.args.get("role", "")
    page = user_page(appctx.database(), _principal(), q, role, cursor, limit)
    return render_template("admin/users.html", page=page, q=q, role=role, roles=ROLES)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin")
def users_new():
    if request.method == "POST":
        f = request.form
        try:
            user = users.create_user(
                appctx.database(),
                _principal(),
                f.get("name", ""),
                f.getlist("roles"),
                f.get("agency"),
                f.get("password"),
                f.get("inspector_id"),
            )
        except HubError as exc:
            flash(_("未执行：%(reason)s", reason=exc))
            return render_template("admin/user_new.html", roles=ROLES, agencies=AGENCIES, form=f), exc.http_status
        flash(_("已创建用户 %(name)s。", name=user.name))
        return redirect(url_for(".user", name=user.name))
    return render_template("admin/user_new.html", roles=ROLES, agencies=AGENCIES, form={})


@bp.route("/users/<name>")
@requires("admin")
def user(name: str):
    account, tokens = user_detail(appctx.database(), _principal(), name)
    return render_template("admin/user.html", u=account, tokens=tokens, roles=ROLES, agencies=AGENCIES)


@bp.route("/users/<name>/roles", methods=["POST"])
@requires("admin")
def user_roles(name: str):
    f = request.form

    def act() -> str:
        users.set_roles(
            appctx.database(), _principal(), name, f.getlist("roles"), f.get("agency"), f.get("inspector_id")
        )
        return _("已修改 %(name)s 的角色，下次登录时生效。", name=name)

    return _act(act, url_for(".user", name=name))


@bp.route("/users/<name>/password", methods=["POST"])
@requires("admin")
def user_password(name: str):
    def act() -> str:
        if request.form.get("password", "") != request.form.get("confirm_password", ""):
            raise InvalidInput(_("两次输入的新密码不一致"), where="confirm_password")
        users.reset_password(appctx.database(), _principal(), name, request.form.get("password", ""))
        return _("已重置 %(name)s 的密码，其所有会话已结束。", name=name)

    return _act(act, url_for(".user", name=name))


@bp.route("/users/<name>/disable", methods=["POST"])
@requires("admin")
def user_disable(name: str):
    def act() -> str:
        _confirmed()
        revoked = users.disable_user(appctx.database(), _principal(), name)
        return _("已停用 %(name)s，撤销了 %(n)s 个令牌。", name=name, n=revoked)

    return _act(act, url_for(".user", name=name))


@bp.route("/users/<name>/tokens", methods=["POST"])
@requires("admin")
def user_token(name: str):
    raw = request.form.get("days", "").strip()
    try:
        days = int(raw) if raw else appctx.settings().security.token_days
        token, token_id = users.issue_token(appctx.database(), _principal(), name, days)
    except ValueError:
        flash(_("未执行：%(reason)s", reason=_("有效天数须为整数")))
        return redirect(url_for(".user", name=name))
    except HubError as exc:
        flash(_("未执行：%(reason)s", reason=exc))
        return redirect(url_for(".user", name=name))
    # shown once, here: only its hash is stored; the page is not cached
    resp = make_response(render_template("admin/token.html", name=name, token=token, token_id=token_id, days=days))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/tokens/<token_id>/revoke", methods=["POST"])
@requires("admin")
def token_revoke(token_id: str):
    name = request.form.get("user", "")

    def act() -> str:
        _confirmed()
        if not token_id.isdecimal() or len(token_id) > 18:
            raise NotFound(f"no token with id {token_id[:40]!r}", where="token")
        users.revoke_token(appctx.database(), _principal(), int(token_id))
        return _("已撤销令牌 %(id)s。", id=token_id)

    return _act(act, url_for(".user", name=name) if name else url_for(".users_index"))


# ------------------------------------------------------------------ calendar


@bp.route("/calendar", methods=["GET", "POST"])
@requires("admin")
def calendar():
    if request.method == "POST":
        upload = request.files.get("notice")

        def act() -> str:
            if upload is None or not upload.filename:
                raise InvalidInput(_("请选择放假通知文件（TOML）"), where="notice")
            done = load_notice_upload(
                appctx.database(), _principal(), upload.read(), upload.filename, bool(request.form.get("replace"))
            )
            return _(
                "%(year)s 年：已载入 %(h)s 天假日和 %(w)s 个调休工作日；假日已知至 %(until)s。",
                year=done.year,
                h=done.holidays,
                w=done.workdays,
                until=done.known_until.isoformat(),
            )

        return _act(act, url_for(".calendar", year=request.args.get("year", "")))
    try:
        year = int(request.args.get("year") or date.today().year)
    except ValueError:
        raise InvalidInput(_("年份须为整数"), where="year") from None
    return render_template("admin/calendar.html", year=year, months=year_view(appctx.database(), year))


# ------------------------------------------------------------------ sources and sinks


@bp.route("/sources")
@requires("admin")
def sources():
    o = overview(appctx.database())
    return render_template("admin/sources.html", sources=appctx.settings().sources, latest=o.latest, runs=o.runs)


@bp.route("/sources/<name>/sync", methods=["POST"])
@requires("admin")
def sync_now(name: str):
    from hub.rosters.jobs import sync_source

    def act() -> str:
        source = check_sync_request(appctx.settings(), _principal(), name)
        try:
            sync_source.delay(source)
        except OperationalError as exc:
            raise HubError(_("同步未能排队（任务队列无法连接），请重试")) from exc
        return _("已请求同步 %(name)s；结果见下方“最近的同步”。", name=source)

    return _act(act, url_for(".sources"))


@bp.route("/sinks")
@requires("admin")
def sinks():
    cursor, limit = page_args((int,))
    sink = request.args.get("sink", "")
    db = appctx.database()
    states = sink_states(db, _principal(), appctx.settings().sinks)
    rejected = message_page(db, "rejected", sink, cursor, limit)
    return render_template(
        "admin/sinks.html", configured=appctx.settings().sinks, states=states, rejected=rejected, sink=sink
    )


@bp.route("/sinks/requeue", methods=["POST"])
@requires("admin")
def sinks_requeue():
    sink = request.form.get("sink", "")
    ids = [int(i) for i in request.form.getlist("ids") if i.isdecimal()]

    def act() -> str:
        n = requeue(appctx.database(), _principal(), sink, ids, bool(request.form.get("confirm")))
        return _("已重新排队：%(n)s 条被拒收的消息将再次发送。", n=n)

    return _act(act, url_for(".sinks", sink=sink))


# ------------------------------------------------------------------


def _act(action: Callable[[], Any], back: str) -> Response:
    """Run a step; its message, or the refusal, is shown on the page it came from."""
    try:
        flash(action())
    except HubError as exc:
        flash(_("未执行：%(reason)s", reason=exc))
    return redirect(back)  # type: ignore[return-value]  # a redirect is a Response


def _confirmed() -> None:
    if not request.form.get("confirm"):
        raise InvalidInput(_("请先勾选确认"), where="confirm")


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # @requires let the request through
    return principal
