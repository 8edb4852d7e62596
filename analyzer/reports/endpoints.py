"""Sign-ins per sign-in endpoint and the region whose log holds them."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from analyzer.reports.common import Rows, arrow_dtypes, as_series_data
from analyzer.reports.grouping import Groups

ENDPOINT_KEYS = ["endpoint", "endpoint_scope", "region"]
ENDPOINT_COLUMNS = [
    *ENDPOINT_KEYS,
    "sign_ins",
    "successes",
    "failures",
    "inferred",
    "users",
    "user_names",
]


def by_endpoint(frame: pd.DataFrame) -> pd.DataFrame:
    """Global-endpoint sign-ins logged outside us-east-1 are the ones collectors miss, so the
    region stays part of the key instead of being folded into the host."""
    return endpoint_table(Rows(frame))


@arrow_dtypes
def endpoint_table(rows: Rows) -> pd.DataFrame:
    """`by_endpoint` over rows already selected."""
    if not rows.size("logins"):
        return pd.DataFrame(columns=ENDPOINT_COLUMNS)
    groups = Groups([rows.encoded("logins", key) for key in ENDPOINT_KEYS])
    table = pd.DataFrame(
        {
            **{key: as_series_data(groups.key(i)) for i, key in enumerate(ENDPOINT_KEYS)},
            "sign_ins": as_series_data(pa.array(groups.size())),
            "successes": groups.count_true(rows.equals("logins", "outcome", "success")),
            "failures": groups.count_true(rows.equals("logins", "outcome", "failure")),
            "inferred": groups.count_true(rows.flag("logins", "endpoint_inferred")),
            "users": groups.distinct_count(rows.person("logins")),
            "user_names": as_series_data(groups.joined(rows.encoded("logins", "user_name"))),
        }
    )
    table = table.sort_values(
        ["sign_ins", "endpoint", "region"], ascending=[False, True, True], kind="stable"
    )
    return table[ENDPOINT_COLUMNS].reset_index(drop=True)
