"""Activity over time and per address: what a notebook user or an investigator asks first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from analyzer.frame.compact import plain_frame
from analyzer.reports.common import arrow_dtypes, logins
from analyzer.reports.grouping import Encoded, Times

TIMELINE_COLUMNS = [
    "event_time", "event_name", "event_kind", "outcome", "failure_kind", "mfa_status",
    "source_ip", "endpoint", "region", "user_agent", "event_id",
]  # fmt: skip


def signins_per_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Sign-ins per UTC day (index) and outcome (columns success / failure / unknown); days
    without sign-ins inside the covered range are present with zeros, so plots show gaps."""
    return per_day(logins(plain_frame(frame)))


DAY_COLUMNS = ["success", "failure", "unknown"]  # a null outcome counts as "unknown"
_MICROS_A_DAY = 86_400_000_000


def _no_days() -> pd.DataFrame:
    return pd.DataFrame(columns=DAY_COLUMNS, index=pd.DatetimeIndex([], name="day", tz="UTC"))


def per_day(attempts: pd.DataFrame) -> pd.DataFrame:
    """`signins_per_day` of sign-in rows already selected (columns event_time, outcome)."""
    attempts = attempts.dropna(subset=["event_time"])
    if attempts.empty:
        return _no_days()
    days = pd.DatetimeIndex(attempts["event_time"].astype("datetime64[us, UTC]")).floor("D")
    outcome = attempts["outcome"].astype(object).fillna("unknown").to_numpy()
    table = pd.crosstab(days, outcome).reindex(columns=DAY_COLUMNS, fill_value=0)
    full = pd.date_range(table.index.min(), table.index.max(), freq="D", tz="UTC")
    table = table.reindex(full, fill_value=0)
    table.index.name = "day"
    table.columns.name = None
    return table.astype(int)


def per_day_encoded(times: Times, outcome: Encoded) -> pd.DataFrame:
    """`per_day` from the rows' encoded time (microseconds, UTC) and outcome: a count per day
    and outcome by `bincount` (the crosstab of a million rows' Python strings took a second)."""
    if not times.valid.any():
        return _no_days()
    days = times.numbers[times.valid] // _MICROS_A_DAY
    labels = pc.fill_null(outcome.values, "unknown").to_pylist()
    width = len(DAY_COLUMNS)
    column_of = np.array([DAY_COLUMNS.index(v) if v in DAY_COLUMNS else -1 for v in labels])
    chosen = column_of[outcome.codes[times.valid]]
    first = int(days.min())
    cells = (days - first) * width + chosen
    counts = np.bincount(cells[chosen >= 0], minlength=(int(days.max()) - first + 1) * width)
    start = pd.Timestamp(first * _MICROS_A_DAY, unit="us", tz="UTC")
    index = pd.date_range(start, periods=len(counts) // width, freq="D", name="day")
    return pd.DataFrame(counts.reshape(-1, width), index=index, columns=DAY_COLUMNS).astype(int)


@arrow_dtypes
def first_seen_ips(frame: pd.DataFrame) -> pd.DataFrame:
    """Per user and source IP: when it was first and last seen, how many sign-ins and
    failures. A new address for an established user is where an investigation starts."""
    attempts = logins(plain_frame(frame)).assign(
        _failure=lambda f: (f["outcome"] == "failure").fillna(False).astype(int)
    )
    columns = [
        "account_id",
        "user_name",
        "source_ip",
        "first_seen",
        "last_seen",
        "sign_ins",
        "failures",
    ]
    if attempts.empty:
        return pd.DataFrame(columns=columns)
    table = (
        attempts.groupby(["account_id", "user_name", "source_ip"], dropna=False, sort=False)
        .agg(
            first_seen=("event_time", "min"),
            last_seen=("event_time", "max"),
            sign_ins=("event_id", "size"),
            failures=("_failure", "sum"),
        )
        .reset_index()
        .sort_values(["user_name", "first_seen"], kind="stable")
    )
    return table[columns].reset_index(drop=True)


def user_timeline(frame: pd.DataFrame, user_name: str) -> pd.DataFrame:
    """Every sign-in event of one user (all kinds: CheckMfa, role switches too), in order."""
    frame = plain_frame(frame)
    rows = frame[(frame["user_name"] == user_name).fillna(False).astype(bool)]
    return rows.sort_values("event_time", kind="stable")[TIMELINE_COLUMNS].reset_index(drop=True)
