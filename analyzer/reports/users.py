"""Sign-ins per user."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from analyzer.reports.common import Rows, arrow_dtypes, as_series_data
from analyzer.reports.grouping import Groups

USER_KEYS = ["account_id", "user_name", "identity_type"]
USER_COLUMNS = [
    *USER_KEYS,
    "sign_ins",
    "successes",
    "failures",
    "successes_with_mfa",
    "successes_without_mfa",
    "successes_federated_idp",
    "first_seen",
    "last_seen",
    "source_ips",
    "endpoints",
    "regions",
]


def by_user(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (account, user, identity type): the same name as an IAM user and as a
    role session are different principals and stay apart. The MFA counts are of successful
    sign-ins, as in the summary and the MFA table: a failed attempt proves no MFA use."""
    return user_table(Rows(frame))


@arrow_dtypes
def user_table(rows: Rows) -> pd.DataFrame:
    """`by_user` over rows already selected (the report shares them between sections)."""
    if not rows.size("logins"):
        return pd.DataFrame(columns=USER_COLUMNS)
    groups = Groups([rows.encoded("logins", key) for key in USER_KEYS])
    succeeded = rows.equals("logins", "outcome", "success")

    def successes_with(status: str) -> np.ndarray:
        return groups.count_true(succeeded & rows.equals("logins", "mfa_status", status))

    times = rows.times("logins", "event_time")
    table = pd.DataFrame(
        {
            **{key: as_series_data(groups.key(i)) for i, key in enumerate(USER_KEYS)},
            "sign_ins": as_series_data(pa.array(groups.size())),
            "successes": groups.count_true(succeeded),
            "failures": groups.count_true(rows.equals("logins", "outcome", "failure")),
            "successes_with_mfa": successes_with("mfa"),
            "successes_without_mfa": successes_with("no_mfa"),
            "successes_federated_idp": successes_with("idp"),
            "first_seen": as_series_data(groups.minimum(times)),
            "last_seen": as_series_data(groups.maximum(times)),
            "source_ips": groups.distinct_count(rows.encoded("logins", "source_ip")),
            "endpoints": as_series_data(groups.joined(rows.encoded("logins", "endpoint"))),
            "regions": as_series_data(groups.joined(rows.encoded("logins", "region"))),
        }
    )
    table = table.sort_values(
        ["sign_ins", "failures", "user_name"], ascending=[False, False, True], kind="stable"
    )
    return table[USER_COLUMNS].reset_index(drop=True)
