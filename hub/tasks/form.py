"""The task form's fields and the task spec, both ways, and the spec as a TOML task file (pure).

The browser form builds exactly the dict a task file holds (hub/tasks/spec.py checks both alike);
``form_values`` fills the form back from a spec (an imported file, a plan entry, a failed save), and
``explain`` turns a spec error into Chinese naming the form field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import tomli_w

from hub.errors import InvalidInput

TEAM_ROWS = 6  # team places the form offers; a row without an agency is left out
CREDIT_CLASSES = ("A", "B", "C", "D")

#: key path of the task file -> the form's label (errors name the field a person sees).
FIELD_NAMES = {
    "id": "任务编号",
    "title": "任务名称",
    "lead": "牵头部门",
    "agencies": "参与部门",
    "window": "检查期间",
    "entropy_source": "公开随机源",
    "hash": "摘要算法",
    "population.categories": "检查对象类别",
    "population.districts": "区县",
    "population.statuses": "经营状态",
    "population.exclude_inspected_within_days": "近期已检查的排除天数",
    "strata.by": "分层依据",
    "strata.ratio": "抽查比例",
    "strata.ratios": "分层比例",
    "strata.counts": "分层数量",
    "weights.abnormal_list": "权重：异常经营名录",
    "weights.serious_violation": "权重：严重违法失信名单",
    "weights.credit_class": "权重：信用等级",
    "[[team]]": "检查组",
    "recusal": "回避",
}
_MESSAGES = (  # the spec reader's reasons, in Chinese
    (r"is required", "必填"),
    (r"must not be empty", "不能为空"),
    (r"must be a number", "须为数字"),
    (r"must be a whole number", "须为整数"),
    (r"must be a non-empty string", "不能为空"),
    (r"(\S+) must be greater than 0 and at most 1", r"\1 须大于 0 且不超过 1"),
    (r"(\S+) must be at least (\d+) and at most (\d+)", r"\1 须在 \2 到 \3 之间"),
    (r"(\S+) must be at least (\d+)", r"\1 不得小于 \2"),
    (r"(.+) is not a date \(YYYY-MM-DD\)", r"\1 不是日期（YYYY-MM-DD）"),
    (r"starts on (\S+) after it ends on (\S+)", r"开始日 \1 晚于结束日 \2"),
    (r"(.+) is not one of the task's agencies", r"\1 不是本任务的参与部门"),
    (r"(.+) is listed twice", r"\1 重复"),
    (r"the law requires at least two inspectors per team", "每个检查组至少须有两名执法人员"),
    (r"must be two dates: \[first day, last day\]", "须填写开始日和结束日"),
)


def split_list(text: str) -> list[str]:
    """A list typed into one field: separated by commas (either width), 、 or spaces."""
    return [v for v in re.split(r"[\s,，、]+", text or "") if v]


def _int(value: str) -> int | str | None:
    """A whole number as typed; anything else is kept as typed, for the spec reader to refuse by name."""
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if re.fullmatch(r"-?[0-9]+", value) else value


def _number(value: str) -> int | float | str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number == int(number) else number


def _rules(text: str, read: Callable[[str], Any]) -> dict[str, Any]:
    """Lines of `label = value` (a stratum label, e.g. 370102|school = 0.4); a line without "=" is kept
    as a label without a value, which the spec reader refuses naming it."""
    out: dict[str, Any] = {}
    for line in (text or "").splitlines():
        if line.strip():
            label, _, value = line.partition("=")
            out[label.strip()] = read(value)
    return out


def spec_from_form(form: Any) -> dict[str, Any]:
    """The task file's dict from the form (a MultiDict-like: ``get`` and ``getlist``); the spec reader
    checks it afterwards, and its errors name the key, which ``explain`` turns into the field's label."""
    get: Callable[[str], str] = lambda k: (form.get(k) or "").strip()  # noqa: E731
    spec: dict[str, Any] = {
        "title": get("title"),
        "lead": get("lead"),
        "agencies": form.getlist("agencies"),
        "window": [get("window_start"), get("window_end")],
        "population": {"categories": split_list(get("categories"))},
        "strata": {
            "by": form.getlist("strata_by") or ["district", "category"],
            "ratio": _number(get("ratio")),
        },
        "team": [],
        "recusal": {
            "avoid_home_district": bool(form.get("avoid_home_district")),
            "avoid_last_pairing": bool(form.get("avoid_last_pairing")),
        },
    }
    if get("id"):
        spec["id"] = get("id")
    if get("entropy_source"):
        spec["entropy_source"] = get("entropy_source")
    if get("hash") and get("hash") != "sha256":
        spec["hash"] = get("hash")
    population = spec["population"]
    if split_list(get("districts")):
        population["districts"] = split_list(get("districts"))
    if split_list(get("statuses")):
        population["statuses"] = split_list(get("statuses"))
    days = _int(get("exclude_days"))
    if days:
        population["exclude_inspected_within_days"] = days
    ratios = _rules(form.get("strata_ratios", ""), _number)
    counts = _rules(form.get("strata_counts", ""), _int)
    if ratios:
        spec["strata"]["ratios"] = ratios
    if counts:
        spec["strata"]["counts"] = counts
    weights: dict[str, Any] = {}
    for key, field in (("abnormal_list", "weight_abnormal"), ("serious_violation", "weight_serious")):
        value = _int(get(field))
        if value is not None:
            weights[key] = value
    credit = {c: _int(get(f"weight_{c}")) for c in CREDIT_CLASSES}
    if any(v is not None for v in credit.values()):
        weights["credit_class"] = {c: v for c, v in credit.items() if v is not None}
    if weights:
        spec["weights"] = weights
    for n in range(1, TEAM_ROWS + 1):
        agency = get(f"team-{n}-agency")
        if not agency:
            continue
        size = _int(get(f"team-{n}-size"))
        spec["team"].append(
            {
                "agency": agency,
                "size": 1 if size is None else size,
                "items": form.getlist(f"team-{n}-items"),
                "expertise": split_list(get(f"team-{n}-expertise")),
            }
        )
    return spec


def form_values(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The form's field values for a spec (the reverse of spec_from_form), for filling it again."""
    population = spec.get("population") or {}
    strata = spec.get("strata") or {}
    weights = spec.get("weights") or {}
    recusal = spec.get("recusal") or {}
    window = [*(spec.get("window") or ["", ""]), "", ""]
    values: dict[str, Any] = {
        "id": spec.get("id", ""),
        "title": spec.get("title", ""),
        "lead": spec.get("lead", ""),
        "agencies": list(spec.get("agencies") or []),
        "window_start": str(window[0]),
        "window_end": str(window[1]),
        "entropy_source": spec.get("entropy_source", ""),
        "hash": spec.get("hash", "sha256"),
        "categories": ", ".join(population.get("categories") or []),
        "districts": ", ".join(population.get("districts") or []),
        "statuses": ", ".join(population.get("statuses") or []),
        "exclude_days": population.get("exclude_inspected_within_days") or "",
        "strata_by": list(strata.get("by") or ["district", "category"]),
        "ratio": strata.get("ratio", ""),
        "strata_ratios": "\n".join(f"{k} = {v}" for k, v in (strata.get("ratios") or {}).items()),
        "strata_counts": "\n".join(f"{k} = {v}" for k, v in (strata.get("counts") or {}).items()),
        "weight_abnormal": weights.get("abnormal_list", ""),
        "weight_serious": weights.get("serious_violation", ""),
        "avoid_home_district": recusal.get("avoid_home_district", True),
        "avoid_last_pairing": recusal.get("avoid_last_pairing", True),
        "team": [],
    }
    for c in CREDIT_CLASSES:
        values[f"weight_{c}"] = (weights.get("credit_class") or {}).get(c, "")
    for t in spec.get("team") or []:
        values["team"].append(
            {
                "agency": t.get("agency", ""),
                "size": t.get("size", 1),
                "items": list(t.get("items") or []),
                "expertise": ", ".join(t.get("expertise") or []),
            }
        )
    values["team"] += [{"agency": "", "size": 1, "items": [], "expertise": ""}] * (TEAM_ROWS - len(values["team"]))
    return values


def to_toml(spec: Mapping[str, Any]) -> str:
    """A task file (TOML) for the spec: `hub task create` and the form's import read it back."""
    body = {k: v for k, v in spec.items() if v not in (None, {}, [])}
    return tomli_w.dumps(body)


def explain(exc: InvalidInput) -> str:
    """A spec error in Chinese, naming the form field: "抽查比例（strata.ratio）：须大于 0 且不超过 1"."""
    where = exc.where or ""
    path = where.split(": ", 1)[1] if ": " in where else where
    label = next(
        (name for key, name in sorted(FIELD_NAMES.items(), key=lambda kv: -len(kv[0])) if path.startswith(key)), ""
    )
    team = re.match(r"\[\[team\]\]\[(\d+)\]\.?(\w*)", path)
    if team:
        label = f"检查组第 {team.group(1)} 行" + (
            {"agency": "：部门", "size": "：人数", "items": "：事项", "expertise": "：专业"}.get(team.group(2), "")
        )
    message = exc.message
    for pattern, chinese in _MESSAGES:
        message = re.sub(pattern, chinese, message)
    named = f"{label}（{path}）" if label and path else (label or path)
    return f"{named}：{message}" if named else message
