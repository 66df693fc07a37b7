"""Atom feeds of an agency's notices (RFC 4287), built with lxml (pure: plain data in, bytes out)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
_E = f"{{{ATOM}}}"
_STATES = {"frozen": "已冻结名录，待抽取", "drawn": "已抽取", "void": "已作废"}


def entry_text(entry: dict[str, Any], authority: str) -> tuple[str, str]:
    """(title, summary) of a feed entry in Chinese."""
    if entry["kind"] == "items":
        return f"抽查事项清单更新：{authority}", f"{authority}公布的随机抽查事项清单已更新。"
    if entry["kind"] == "task":
        state = _STATES.get(entry["state"], entry["state"])
        return f"抽查任务公告：{entry['title']}", f"任务 {entry['task_id']}（{state}）。"
    return (
        f"抽查结果公告：{entry['title']}",
        f"{authority}于 {entry['published_on']} 公示检查结果 {entry['count']} 条（任务 {entry['task_id']}）。",
    )


def atom_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    page_url: str,
    entries: Sequence[dict[str, Any]],
    link_of: Callable[[dict[str, Any]], str],
    authority: str,
    updated: datetime | None = None,
) -> bytes:
    """The feed's bytes (UTF-8, with an XML declaration). Naive datetimes are UTC, as the hub stores them."""
    feed = etree.Element(_E + "feed", nsmap={None: ATOM})
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN")
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    stamps = [e["updated"] for e in entries if e.get("updated")]
    _text(feed, "updated", _rfc3339(updated or (max(stamps) if stamps else datetime(2000, 1, 1))))
    etree.SubElement(feed, _E + "link", rel="self", type="application/atom+xml", href=self_url)
    etree.SubElement(feed, _E + "link", rel="alternate", type="text/html", href=page_url)
    author = etree.SubElement(feed, _E + "author")
    _text(author, "name", authority)
    for e in entries:
        node = etree.SubElement(feed, _E + "entry")
        entry_title, summary = entry_text(e, authority)
        _text(node, "id", f"{feed_id}:{e['id']}")
        _text(node, "title", entry_title)
        _text(node, "updated", _rfc3339(e.get("updated") or datetime(2000, 1, 1)))
        etree.SubElement(node, _E + "link", rel="alternate", type="text/html", href=link_of(e))
        _text(node, "summary", summary)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _text(parent: etree._Element, tag: str, value: str) -> None:
    etree.SubElement(parent, _E + tag).text = value


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
