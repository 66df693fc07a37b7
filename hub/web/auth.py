"""Signing in and out of the web pages (session cookie, CSRF-protected form), and changing one's
own password. Sign-out ends the session on the server too; failed sign-ins lock the account
and are counted per address (docs/security.md, "Accounts and sessions")."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from hub import appctx
from hub.auth.access import current_principal, public, requires
from hub.auth.accounts import change_password as set_own_password
from hub.auth.limits import limiter
from hub.auth.signin import attempt, sign_out
from hub.errors import InvalidInput, TooManyRequests

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None: no scheme, no host, no ``//`` or ``/\\``
    (browsers read ``/\\evil`` and ``/<TAB>/evil`` as ``//evil``, another site)."""
    if not target:
        return None
    cleaned = "".join(ch for ch in target if ch.isprintable() and not ch.isspace())
    if cleaned != target or not cleaned.startswith("/") or cleaned[1:2] in ("/", "\\"):
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or "\\" in cleaned:
        return None
    return cleaned


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "POST":
        sec = appctx.settings().security
        address = request.remote_addr or "unknown"
        wait = limiter().blocked("login_ip", address, sec.rate_limits["login_ip"])
        if wait:
            raise TooManyRequests(
                _("此地址登录失败次数过多，请 %(n)s 分钟后再试", n=_minutes(wait)),
                retry_after=wait,
                where="login",
            )
        outcome, user_id, epoch = attempt(
            appctx.database(),
            request.form.get("name", ""),
            request.form.get("password", ""),
            sec.login_failures,
            sec.login_lock_minutes,
        )
        if not user_id:
            limiter().hit("login_ip", address, sec.rate_limits["login_ip"])
            if outcome.locked_for:
                raise TooManyRequests(
                    _("该账户登录失败次数过多，已锁定，请 %(n)s 分钟后再试", n=_minutes(outcome.locked_for)),
                    retry_after=outcome.locked_for,
                    where="login",
                )
            flash(_("用户名或密码错误"))
            return render_template("login.html"), 401
        session.clear()
        session.update(user_id=user_id, epoch=epoch, at=int(time.time()))
        return redirect(safe_next(request.args.get("next")) or url_for("overview.index"))
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
@requires()
def logout():
    user_id = session.get("user_id")
    if user_id is not None:
        sign_out(appctx.database(), int(user_id))
    session.clear()
    return redirect(url_for("overview.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires()
def change_password():
    """Self-service: the current password, then the new one twice; other sessions end."""
    if request.method == "POST":
        principal = current_principal()
        assert principal is not None
        new = request.form.get("new_password", "")
        if new != request.form.get("confirm_password", ""):
            raise InvalidInput(_("两次输入的新密码不一致"), where="confirm_password")
        epoch = set_own_password(
            appctx.database(), principal.name, principal.name, new, current=request.form.get("current_password", "")
        )
        session.update(epoch=epoch, at=int(time.time()))  # this session goes on; the others end
        flash(_("密码已修改"))
        return redirect(url_for("overview.index"))
    return render_template("password.html")
