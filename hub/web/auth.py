"""Signing in and out of the web pages (session cookie, CSRF-protected form)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from hub import appctx
from hub.auth.access import public, requires
from hub.auth.signin import user_id_for

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "POST":
        user_id = user_id_for(appctx.database(), request.form.get("name", ""), request.form.get("password", ""))
        if user_id is None:
            flash("Wrong name or password.")
            return render_template("login.html"), 401
        session.clear()
        session["user_id"] = user_id
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//")
                        else url_for("overview.index"))
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
@requires()
def logout():
    session.clear()
    return redirect(url_for("overview.index"))
