"""Chart geometry for the HTML report from the report's `ChartSeries` (this module only
formats; the counting is in `reports/charts.py`), so the template only draws rectangles.
Inline SVG keeps the file self-contained: no script, no external asset, readable offline and
as a mail attachment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analyzer.reports.charts import ChartSeries

COLORS = {
    "success": "#2e7d32",
    "failure": "#c62828",
    "unknown": "#9e9e9e",
    "mfa": "#2e7d32",
    "no_mfa": "#c62828",
    "idp": "#1565c0",
}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: Sequence[Bar]
    labels: Sequence[tuple[float, float, str]]  # x, y, text


def per_day(table: pd.DataFrame) -> Chart:
    """`table` is `signins_per_day`: one stacked bar per day."""
    width, height, top, bottom = 640, 220, 20, 30
    if table.empty:
        return Chart("Sign-ins per day by outcome", width, height, [], [(10, 110, "no sign-ins")])
    peak = max(int(table.sum(axis=1).max()), 1)
    slot = (width - 40) / len(table)
    bars: list[Bar] = []
    labels: list[tuple[float, float, str]] = []
    for index, (day, counts) in enumerate(zip(table.index, table.to_dict("records"), strict=True)):
        x = 30 + index * slot
        base = float(height - bottom)
        for outcome in ("success", "failure", "unknown"):
            value = int(counts[outcome])
            if not value:
                continue
            size = (height - top - bottom) * value / peak
            base -= size
            bars.append(
                Bar(
                    x,
                    base,
                    slot * 0.8,
                    size,
                    COLORS[outcome],
                    f"{day:%Y-%m-%d}: {value} {outcome}",
                )
            )
        if len(table) <= 31:
            labels.append((x, height - 10, f"{day:%m-%d}"))
    labels.append((0, top, str(peak)))
    return Chart("Sign-ins per day by outcome", width, height, bars, labels)


LABEL_CHARS = 40  # what the 260 px beside the bars hold at the template's 11 px font


def _fitted(label: str, value: int) -> str:
    """The label beside a bar, cut to fit before its bars (user names come from the
    internet and can be any length; the bar's tooltip keeps the whole label). Cut in the
    middle: a label's end says as much as its start (`host @ region`, `name (type in
    account)`), and cutting the end lost the region and a closing parenthesis."""
    counted = f" ({value})"
    room = LABEL_CHARS - len(counted)
    if len(label) <= room:
        return label + counted
    head = room // 2
    return label[:head] + "\u2026" + label[len(label) - (room - 1 - head) :] + counted


def horizontal(title: str, counts: list[tuple[str, int, str]]) -> Chart:
    """One bar per (label, value, color), longest first."""
    width, row = 640, 22
    height = max(row * len(counts) + 10, 40)
    peak = max((value for _, value, _ in counts), default=1) or 1
    bars = [
        Bar(260, 5 + i * row, 360 * value / peak, row - 6, color, f"{label}: {value}")
        for i, (label, value, color) in enumerate(counts)
    ]
    labels = [
        (0, 18 + i * row, _fitted(label, value)) for i, (label, value, _) in enumerate(counts)
    ]
    return Chart(title, width, height, bars, labels)


def charts(series: ChartSeries) -> list[Chart]:
    return [
        per_day(series.per_day),
        horizontal(
            "Successful sign-ins by MFA status",
            [(k, v, COLORS.get(k, "#9e9e9e")) for k, v in series.mfa],
        ),
        horizontal("Top users by sign-ins", [(k, v, "#455a64") for k, v in series.users]),
        horizontal(
            "Sign-ins by endpoint @ logged region", [(k, v, "#6a1b9a") for k, v in series.places]
        ),
    ]
