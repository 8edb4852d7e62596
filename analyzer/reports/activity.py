"""Activity over time and per address: what a notebook user or an investigator asks first."""

from __future__ import annotations

import pandas as pd

from analyzer.reports.common import logins

TIMELINE_COLUMNS = [
    "event_time", "event_name", "event_kind", "outcome", "failure_kind", "mfa_status",
    "source_ip", "endpoint", "region", "user_agent", "event_id",
]  # fmt: skip


def signins_per_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Sign-ins per UTC day (index) and outcome (columns success / failure / unknown); days
    without sign-ins inside the covered range are present with zeros, so plots show gaps."""
    return per_day(logins(frame))


def per_day(attempts: pd.DataFrame) -> pd.DataFrame:
    """`signins_per_day` of sign-in rows already selected (columns event_time, outcome)."""
    attempts = attempts.dropna(subset=["event_time"])
    columns = ["success", "failure", "unknown"]
    if attempts.empty:
        return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="day", tz="UTC"))
    days = pd.DatetimeIndex(attempts["event_time"].astype("datetime64[us, UTC]")).floor("D")
    outcome = attempts["outcome"].astype(object).fillna("unknown").to_numpy()
    table = pd.crosstab(days, outcome).reindex(columns=columns, fill_value=0)
    full = pd.date_range(table.index.min(), table.index.max(), freq="D", tz="UTC")
    table = table.reindex(full, fill_value=0)
    table.index.name = "day"
    table.columns.name = None
    return table.astype(int)


def first_seen_ips(frame: pd.DataFrame) -> pd.DataFrame:
    """Per user and source IP: when it was first and last seen, how many sign-ins and
    failures. A new address for an established user is where an investigation starts."""
    attempts = logins(frame).assign(
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
    rows = frame[(frame["user_name"] == user_name).fillna(False).astype(bool)]
    return rows.sort_values("event_time", kind="stable")[TIMELINE_COLUMNS].reset_index(drop=True)
