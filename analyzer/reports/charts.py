"""The series the HTML report draws, computed with the other report tables so the chart code
only formats (geometry in `render/charts.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from analyzer.reports.activity import per_day, per_day_encoded
from analyzer.reports.common import Rows
from analyzer.reports.grouping import Encoded, Times, filled, paired

TOP_USERS = 10
TOP_PLACES = 12


@dataclass(frozen=True)
class ChartSeries:
    per_day: pd.DataFrame  # signins_per_day: day index, success / failure / unknown counts
    mfa: list[tuple[str, int]]  # successful sign-ins by mfa_status, most first
    users: list[tuple[str, int]]  # sign-ins of the top users
    places: list[tuple[str, int]]  # sign-ins by "endpoint @ logged region"


def _most_first(column: Encoded, top: int | None = None) -> list[tuple[str, int]]:
    """`Series(values).value_counts().head(top)` of an encoded column, nulls dropped: counts
    most first, ties in order of first appearance (pandas' stable sort), from the codes
    alone (`value_counts` of the values as Python objects took a second a million rows)."""
    codes = column.codes
    present, first = np.unique(codes, return_index=True)
    present = present[np.argsort(first, kind="stable")]
    counts = np.bincount(codes, minlength=len(column.values))[present]
    labels = column.values.take(pa.array(present, pa.int64())).to_pylist()
    kept = [i for i, label in enumerate(labels) if label is not None]
    counted = pd.Series(counts[kept], index=[str(labels[i]) for i in kept], dtype=np.int64)
    counted = counted.sort_values(ascending=False, kind="stable")
    if top is not None:
        counted = counted.head(top)
    return [(str(k), int(v)) for k, v in counted.items()]


def chart_series(frame: pd.DataFrame) -> ChartSeries:
    return chart_series_of(Rows(frame))


def chart_series_of(rows: Rows) -> ChartSeries:
    """`chart_series` over rows already selected, from the columns' shared encodings."""
    outcome = rows.encoded("logins", "outcome")
    succeeded = outcome.equals("success")
    times = rows.times("logins", "event_time")
    if not _in_micros(times):
        attempts = rows.table("logins", ["event_time", "outcome"])
        per_day_table = per_day(attempts)
    else:
        per_day_table = per_day_encoded(times, outcome)
    places = paired(
        filled(rows.encoded("logins", "endpoint"), "(unknown)"),
        filled(rows.encoded("logins", "region"), "?"),
        " @ ",
        "?",
    )
    return ChartSeries(
        per_day=per_day_table,
        mfa=_most_first(rows.encoded("logins", "mfa_status").take(np.flatnonzero(succeeded))),
        users=_most_first(filled(rows.encoded("logins", "user_name"), "(none)"), TOP_USERS),
        places=_most_first(places, TOP_PLACES),
    )


def _in_micros(times: Times) -> bool:
    """Times of the frame contract (microseconds, UTC), which `per_day_encoded` counts."""
    kind = times.kind
    return pa.types.is_timestamp(kind) and kind.unit == "us" and kind.tz in ("UTC", "+00:00")
