"""Chart geometry for the HTML report, computed here so the template only draws rectangles.
Inline SVG keeps the file self-contained: no script, no external asset, readable offline and
as a mail attachment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analyzer.reports.activity import signins_per_day
from analyzer.reports.common import logins

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


def per_day(frame: pd.DataFrame) -> Chart:
    table = signins_per_day(frame)
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


def horizontal(title: str, counts: list[tuple[str, int, str]]) -> Chart:
    """One bar per (label, value, color), longest first."""
    width, row = 640, 22
    height = max(row * len(counts) + 10, 40)
    peak = max((value for _, value, _ in counts), default=1) or 1
    bars = [
        Bar(260, 5 + i * row, 360 * value / peak, row - 6, color, f"{label}: {value}")
        for i, (label, value, color) in enumerate(counts)
    ]
    labels = [(0, 18 + i * row, f"{label} ({value})") for i, (label, value, _) in enumerate(counts)]
    return Chart(title, width, height, bars, labels)


def charts(frame: pd.DataFrame) -> list[Chart]:
    attempts = logins(frame)
    succeeded = attempts[(attempts["outcome"] == "success").fillna(False).astype(bool)]
    mfa = succeeded["mfa_status"].astype(object).value_counts()
    users = attempts["user_name"].astype(object).fillna("(none)").value_counts().head(10)
    places = (
        (
            attempts["endpoint"].astype(object).fillna("(unknown)")
            + " @ "
            + attempts["region"].astype(object).fillna("?")
        )
        .value_counts()
        .head(12)
    )
    return [
        per_day(frame),
        horizontal(
            "Successful sign-ins by MFA status",
            [(str(k), int(v), COLORS.get(str(k), "#9e9e9e")) for k, v in mfa.items()],
        ),
        horizontal(
            "Top users by sign-ins", [(str(k), int(v), "#455a64") for k, v in users.items()]
        ),
        horizontal(
            "Sign-ins by endpoint @ logged region",
            [(str(k), int(v), "#6a1b9a") for k, v in places.items()],
        ),
    ]
