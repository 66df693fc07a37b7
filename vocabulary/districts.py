"""GB/T 2260 codes of Jinan's districts and counties (the city of the demo and the sandboxes), and
their names: one table for the hub's pages and the sandboxes' generated rosters."""

from __future__ import annotations

CITY = ("370100", "济南市")

DISTRICTS: dict[str, str] = {
    "370102": "历下区",
    "370103": "市中区",
    "370104": "槐荫区",
    "370105": "天桥区",
    "370112": "历城区",
    "370113": "长清区",
    "370114": "章丘区",
    "370115": "济阳区",
    "370116": "莱芜区",
    "370117": "钢城区",
    "370124": "平阴县",
    "370126": "商河县",
}
