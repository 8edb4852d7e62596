"""The series the HTML report draws, computed with the other report tables so the chart code
only formats (geometry in `render/charts.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analyzer.reports.activity import per_day
from analyzer.reports.common import Rows

TOP_USERS = 10
TOP_PLACES = 12


@dataclass(frozen=True)
class ChartSeries:
    per_day: pd.DataFrame  # signins_per_day: day index, success / failure / unknown counts
    mfa: list[tuple[str, int]]  # successful sign-ins by mfa_status, most first
    users: list[tuple[str, int]]  # sign-ins of the top users
    places: list[tuple[str, int]]  # sign-ins by "endpoint @ logged region"


def _counted(values: pd.Series) -> list[tuple[str, int]]:
    return [(str(k), int(v)) for k, v in values.items()]


def chart_series(frame: pd.DataFrame) -> ChartSeries:
    return chart_series_of(Rows(frame))


def chart_series_of(rows: Rows) -> ChartSeries:
    """`chart_series` over rows already selected."""
    attempts = rows.table(
        "logins", ["event_time", "outcome", "mfa_status", "user_name", "endpoint", "region"]
    )
    succeeded = attempts[(attempts["outcome"] == "success").fillna(False).astype(bool)]
    places = (
        attempts["endpoint"].astype(object).fillna("(unknown)")
        + " @ "
        + attempts["region"].astype(object).fillna("?")
    )
    return ChartSeries(
        per_day=per_day(attempts),
        mfa=_counted(succeeded["mfa_status"].astype(object).value_counts()),
        users=_counted(
            attempts["user_name"].astype(object).fillna("(none)").value_counts().head(TOP_USERS)
        ),
        places=_counted(places.value_counts().head(TOP_PLACES)),
    )
