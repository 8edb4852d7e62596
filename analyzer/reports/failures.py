"""Failed sign-ins by user, by source IP and by kind."""

from __future__ import annotations

import pandas as pd

from analyzer.reports.common import joined, logins, person


def _failed(frame: pd.DataFrame) -> pd.DataFrame:
    attempts = logins(frame)
    failed = attempts[(attempts["outcome"] == "failure").fillna(False).astype(bool)]
    return failed.assign(_person=person(failed))


def failures_by_user(frame: pd.DataFrame) -> pd.DataFrame:
    """Unknown user names (HIDDEN_DUE_TO_SECURITY_REASONS) form their own bucket row."""
    failed = _failed(frame)
    columns = [
        "account_id",
        "user_name",
        "identity_type",
        "failures",
        "kinds",
        "source_ips",
        "first_failure",
        "last_failure",
    ]
    if failed.empty:
        return pd.DataFrame(columns=columns)
    table = (
        failed.groupby(["account_id", "user_name", "identity_type"], dropna=False, sort=False)
        .agg(
            failures=("event_id", "size"),
            kinds=("failure_kind", joined),
            source_ips=("source_ip", joined),
            first_failure=("event_time", "min"),
            last_failure=("event_time", "max"),
        )
        .reset_index()
        .sort_values(["failures", "user_name"], ascending=[False, True], kind="stable")
    )
    return table[columns].reset_index(drop=True)


def failures_by_source_ip(frame: pd.DataFrame) -> pd.DataFrame:
    """Many users failing from one address is spraying; one user from many is the reverse."""
    failed = _failed(frame)
    columns = ["source_ip", "failures", "users", "user_names", "kinds"]
    if failed.empty:
        return pd.DataFrame(columns=columns)
    table = (
        failed.groupby("source_ip", dropna=False, sort=False)
        .agg(
            failures=("event_id", "size"),
            users=("_person", "nunique"),
            user_names=("user_name", joined),
            kinds=("failure_kind", joined),
        )
        .reset_index()
        .sort_values(["failures", "source_ip"], ascending=[False, True], kind="stable")
    )
    return table[columns].reset_index(drop=True)


def failures_by_kind(frame: pd.DataFrame) -> pd.DataFrame:
    failed = _failed(frame)
    columns = ["failure_kind", "failures", "users", "source_ips"]
    if failed.empty:
        return pd.DataFrame(columns=columns)
    table = (
        failed.groupby("failure_kind", dropna=False, sort=False)
        .agg(
            failures=("event_id", "size"),
            users=("_person", "nunique"),
            source_ips=("source_ip", "nunique"),
        )
        .reset_index()
        .sort_values(["failures", "failure_kind"], ascending=[False, True], kind="stable")
    )
    return table[columns].reset_index(drop=True)
