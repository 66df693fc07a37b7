"""Server-side SVG charts for the statistics dashboard (pure: strings in, an SVG string out).

No JavaScript and nothing from another host: the page embeds the SVG, and a chart's numbers are
the same table its CSV and Excel files carry (hub.results.figures.Figure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#2f6fb0", "#d9822b", "#3a9a5b", "#c23b3b", "#7d5ba6", "#8a8a8a")
ROW_HEIGHT = 26
LABEL_WIDTH = 220
BAR_WIDTH = 360
VALUE_WIDTH = 90


@dataclass(frozen=True)
class Bar:
    """One row of a chart: its label, one value per series (stacked), and an optional marker (e.g. a plan's ratio)."""

    label: str
    values: tuple[float, ...]
    marker: float | None = None


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def hbar(
    title: str,
    bars: Sequence[Bar],
    series: Sequence[str] = (),
    percent: bool = False,
    marker_name: str = "",
) -> str:
    """Horizontal (stacked) bars with their labels and totals; a percent chart's scale is 0-100%."""
    legend_height = 22 if len(series) > 1 or marker_name else 0
    height = 34 + legend_height + max(1, len(bars)) * ROW_HEIGHT + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    top = max([sum(b.values) for b in bars] + [b.marker or 0 for b in bars] + [0.0])
    scale = 1.0 if percent else (top or 1.0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" class="chart-title" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    y = 34
    if legend_height:
        x = float(LABEL_WIDTH)
        for i, name in enumerate(series if len(series) > 1 else ()):
            out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>')
            out.append(f'<text x="{x + 16}" y="{y + 11}" font-size="12">{escape(name)}</text>')
            x += 24 + 13 * len(name)
        if marker_name:
            out.append(f'<rect x="{x}" y="{y}" width="3" height="12" fill="#000"/>')
            out.append(f'<text x="{x + 8}" y="{y + 11}" font-size="12">{escape(marker_name)}</text>')
        y += legend_height
    if not bars:
        out.append(f'<text x="{LABEL_WIDTH}" y="{y + 17}" font-size="13" fill="#666">暂无数据</text>')
    for bar in bars:
        out.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" font-size="13" text-anchor="end">{escape(bar.label)}</text>'
        )
        x = float(LABEL_WIDTH)
        for i, value in enumerate(bar.values):
            w = BAR_WIDTH * max(0.0, value) / scale
            if w > 0:
                name = series[i] if i < len(series) else ""
                tip = f"{bar.label} {name} {_fmt(value, percent)}".strip()
                out.append(
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW_HEIGHT - 8}" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(tip)}</title></rect>'
                )
            x += w
        if bar.marker is not None:
            mx = LABEL_WIDTH + BAR_WIDTH * bar.marker / scale
            out.append(f'<rect x="{mx - 1:.1f}" y="{y + 1}" width="3" height="{ROW_HEIGHT - 2}" fill="#000"/>')
        total = sum(bar.values)
        out.append(f'<text x="{x + 6:.1f}" y="{y + 17}" font-size="12">{_fmt(total, percent)}</text>')
        y += ROW_HEIGHT
    out.append("</svg>")
    return "".join(out)
