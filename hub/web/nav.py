"""The navigation: one table of (endpoint, label, roles). ``base.html`` shows an entry only when
its endpoint exists and the signed-in principal may open it; add an area's entries here.

Roles: () is everyone, ("signed-in",) anyone signed in, else any one of the roles (admin holds all).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from hub.auth.principal import Principal

STAFF = ("coordinator", "liaison", "inspector", "reviewer", "auditor")


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object  # a lazy string: translated when the page is rendered
    roles: tuple[str, ...] = ()


NAV: tuple[NavEntry, ...] = (
    NavEntry("overview.index", _l("概览")),
    NavEntry("plans.index", _l("年度抽查计划"), ("coordinator", "reviewer", "auditor", "liaison")),
    NavEntry("tasks.index", _l("联合抽查任务"), ("coordinator", "liaison", "inspector", "reviewer", "auditor")),
    NavEntry("results.index", _l("检查结果"), ("coordinator", "reviewer", "auditor", "liaison")),
    NavEntry("entry.index", _l("录入结果"), ("coordinator", "liaison", "inspector")),
    NavEntry("review.index", _l("结果审核"), ("reviewer",)),
    NavEntry("review.follow_ups", _l("后续处理"), ("coordinator", "reviewer", "auditor", "liaison", "inspector")),
    NavEntry("stats.index", _l("统计分析"), ("coordinator", "reviewer", "auditor", "liaison")),
    NavEntry("entities.index", _l("检查对象"), ("coordinator", "liaison", "reviewer", "auditor")),
    NavEntry("overview.quarantine", _l("隔离区"), ("coordinator", "liaison", "auditor")),
    NavEntry("outbox.index", _l("待发消息"), ("coordinator", "reviewer", "auditor", "liaison")),
    NavEntry("admin.index", _l("系统管理"), ("admin",)),
    NavEntry("public.index", _l("公示")),
)


def may_open(entry: NavEntry, principal: Principal | None) -> bool:
    """Whether ``principal`` may open ``entry`` (the same rule as the route's @requires)."""
    if not entry.roles:
        return True
    if principal is None:
        return False
    return entry.roles == ("signed-in",) or principal.has(*entry.roles)


def visible_entries(principal: Principal | None) -> list[NavEntry]:
    """The entries ``principal`` may open whose endpoint is registered in this app."""
    return [e for e in NAV if e.endpoint in current_app.view_functions and may_open(e, principal)]


def can_open(endpoint: str, principal: Principal | None) -> bool:
    """Whether ``principal`` may open the route ``endpoint``, by the roles its @requires marks on it:
    templates hide links to pages a role would be refused."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    marker = getattr(view, "_hub_access", ())
    if marker == ("public",):
        return True
    if principal is None:
        return False
    return marker == ("signed-in",) or principal.has(*marker)
