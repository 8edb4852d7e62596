"""Failed sign-ins by user, by source IP and by kind."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from analyzer.reports.common import Rows, arrow_dtypes, as_series_data
from analyzer.reports.grouping import Groups

USER_FAILURE_KEYS = ["account_id", "user_name", "identity_type"]
USER_FAILURE_COLUMNS = [
    *USER_FAILURE_KEYS,
    "failures",
    "kinds",
    "source_ips",
    "first_failure",
    "last_failure",
]
SOURCE_IP_COLUMNS = ["source_ip", "failures", "users", "user_names", "kinds"]
KIND_COLUMNS = ["failure_kind", "failures", "users", "source_ips"]


def failures_by_user(frame: pd.DataFrame) -> pd.DataFrame:
    """Unknown user names (HIDDEN_DUE_TO_SECURITY_REASONS) form their own bucket row."""
    return user_failure_table(Rows(frame))


def failures_by_source_ip(frame: pd.DataFrame) -> pd.DataFrame:
    """Many users failing from one address is spraying; one user from many is the reverse."""
    return source_ip_table(Rows(frame))


def failures_by_kind(frame: pd.DataFrame) -> pd.DataFrame:
    return kind_table(Rows(frame))


def _groups(rows: Rows, keys: list[str]) -> Groups:
    return Groups([rows.encoded("failures", key) for key in keys])


@arrow_dtypes
def user_failure_table(rows: Rows) -> pd.DataFrame:
    if not rows.size("failures"):
        return pd.DataFrame(columns=USER_FAILURE_COLUMNS)
    groups = _groups(rows, USER_FAILURE_KEYS)
    times = rows.times("failures", "event_time")
    table = pd.DataFrame(
        {
            **{key: as_series_data(groups.key(i)) for i, key in enumerate(USER_FAILURE_KEYS)},
            "failures": as_series_data(pa.array(groups.size())),
            "kinds": as_series_data(groups.joined(rows.encoded("failures", "failure_kind"))),
            "source_ips": as_series_data(groups.joined(rows.encoded("failures", "source_ip"))),
            "first_failure": as_series_data(groups.minimum(times)),
            "last_failure": as_series_data(groups.maximum(times)),
        }
    )
    table = table.sort_values(["failures", "user_name"], ascending=[False, True], kind="stable")
    return table[USER_FAILURE_COLUMNS].reset_index(drop=True)


@arrow_dtypes
def source_ip_table(rows: Rows) -> pd.DataFrame:
    if not rows.size("failures"):
        return pd.DataFrame(columns=SOURCE_IP_COLUMNS)
    groups = _groups(rows, ["source_ip"])
    table = pd.DataFrame(
        {
            "source_ip": as_series_data(groups.key(0)),
            "failures": as_series_data(pa.array(groups.size())),
            "users": groups.distinct_count(rows.person("failures")),
            "user_names": as_series_data(groups.joined(rows.encoded("failures", "user_name"))),
            "kinds": as_series_data(groups.joined(rows.encoded("failures", "failure_kind"))),
        }
    )
    table = table.sort_values(["failures", "source_ip"], ascending=[False, True], kind="stable")
    return table[SOURCE_IP_COLUMNS].reset_index(drop=True)


@arrow_dtypes
def kind_table(rows: Rows) -> pd.DataFrame:
    if not rows.size("failures"):
        return pd.DataFrame(columns=KIND_COLUMNS)
    groups = _groups(rows, ["failure_kind"])
    table = pd.DataFrame(
        {
            "failure_kind": as_series_data(groups.key(0)),
            "failures": as_series_data(pa.array(groups.size())),
            "users": groups.distinct_count(rows.person("failures")),
            "source_ips": groups.distinct_count(rows.encoded("failures", "source_ip")),
        }
    )
    table = table.sort_values(["failures", "failure_kind"], ascending=[False, True], kind="stable")
    return table[KIND_COLUMNS].reset_index(drop=True)
