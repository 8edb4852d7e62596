"""The series the HTML report draws, computed with the other report tables so the chart code
only formats (geometry in `render/charts.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from analyzer.reports.activity import per_day, per_day_encoded
from analyzer.reports.common import UNKNOWN_ENDPOINT, Rows
from analyzer.reports.grouping import Encoded, Times, filled, paired
from analyzer.reports.users import user_table

TOP_USERS = 10
TOP_PLACES = 12


@dataclass(frozen=True)
class ChartSeries:
    per_day: pd.DataFrame  # signins_per_day: day index, success / failure / unknown counts
    mfa: list[tuple[str, int]]  # successful sign-ins by mfa_status, most first
    users: list[tuple[str, int]]  # sign-ins of the users table's first rows, labelled
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


def top_users(users: pd.DataFrame, top: int = TOP_USERS) -> list[tuple[str, int]]:
    """The users table's first `top` rows (a user is an account, a name and an identity
    type there, most sign-ins first), so that the chart draws the table's own rows: two
    principals with one name (an `admin` IAM user in two accounts, a role session named
    like an IAM user) are two bars, not one bar as tall as both. A name shown twice says
    whose it is."""
    head = users.head(top)
    names = ["(none)" if pd.isna(n) else str(n) for n in head["user_name"]]
    repeated = {name for name in names if names.count(name) > 1}
    labels = [
        f"{name} ({_unknown(kind, '?')} in {_unknown(account, 'unknown account')})"
        if name in repeated
        else name
        for name, account, kind in zip(
            names, head["account_id"], head["identity_type"], strict=True
        )
    ]
    return list(zip(labels, (int(n) for n in head["sign_ins"]), strict=True))


def _unknown(value: object, text: str) -> str:
    return text if pd.isna(value) else str(value)  # type: ignore[call-overload]


def chart_series(frame: pd.DataFrame) -> ChartSeries:
    return chart_series_of(Rows(frame))


def chart_series_of(rows: Rows, users: pd.DataFrame | None = None) -> ChartSeries:
    """`chart_series` over rows already selected, from the columns' shared encodings;
    `users` is their users table when the caller has it (`build_report`)."""
    outcome = rows.encoded("logins", "outcome")
    succeeded = outcome.equals("success")
    times = rows.times("logins", "event_time")
    if not _in_micros(times):
        attempts = rows.table("logins", ["event_time", "outcome"])
        per_day_table = per_day(attempts)
    else:
        per_day_table = per_day_encoded(times, outcome)
    places = paired(
        filled(rows.encoded("logins", "endpoint"), UNKNOWN_ENDPOINT),
        filled(rows.encoded("logins", "region"), "?"),
        " @ ",
        "?",
    )
    return ChartSeries(
        per_day=per_day_table,
        mfa=_most_first(rows.encoded("logins", "mfa_status").take(np.flatnonzero(succeeded))),
        users=top_users(user_table(rows) if users is None else users),
        places=_most_first(places, TOP_PLACES),
    )


def _in_micros(times: Times) -> bool:
    """Times of the frame contract (microseconds, UTC), which `per_day_encoded` counts."""
    kind = times.kind
    return pa.types.is_timestamp(kind) and kind.unit == "us" and kind.tz in ("UTC", "+00:00")
