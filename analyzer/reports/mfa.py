"""MFA use, identity-aware."""

from __future__ import annotations

import pandas as pd

from analyzer.reports.common import Rows, arrow_dtypes
from analyzer.reports.grouping import Groups, filled

WITHOUT_MFA_COLUMNS = [
    "event_time",
    "account_id",
    "user_name",
    "identity_type",
    "source_ip",
    "endpoint",
    "region",
    "user_agent",
    "event_id",
]


def without_mfa(frame: pd.DataFrame) -> pd.DataFrame:
    """Every successful console sign-in by an IAM user or root that AWS saw without MFA.
    Federated sessions are never listed: their MFA is at the identity provider."""
    return without_mfa_table(Rows(frame))


@arrow_dtypes
def without_mfa_table(rows: Rows) -> pd.DataFrame:
    """`without_mfa` over rows already selected."""
    return rows.table("without_mfa", WITHOUT_MFA_COLUMNS)


# mfa_status value -> column name: the same names as the summary's counts, which also say
# that only successful sign-ins are counted (a failed attempt's MFA status proves nothing).
MFA_COUNT_COLUMNS = {
    "mfa": "successes_with_mfa",
    "no_mfa": "successes_without_mfa",
    "idp": "successes_federated_idp",
    "unknown": "successes_mfa_unknown",
}


def mfa_by_identity(frame: pd.DataFrame) -> pd.DataFrame:
    """Successful sign-ins per identity type and MFA status (mfa / no_mfa / idp / unknown)."""
    return mfa_table(Rows(frame))


@arrow_dtypes
def mfa_table(rows: Rows) -> pd.DataFrame:
    """`mfa_by_identity` over rows already selected: the successes are counted per (identity
    type, status) pair by the group helper, and the cross table is drawn from those few
    pairs, so it has the index order and dtypes a cross table of every row has."""
    columns = ["identity_type", *MFA_COUNT_COLUMNS.values()]
    if not rows.size("successes"):
        return pd.DataFrame(columns=columns)
    identity = filled(rows.encoded("successes", "identity_type"), "(none)")
    status = filled(rows.encoded("successes", "mfa_status"), "unknown")
    groups = Groups([identity, status])
    table = pd.crosstab(
        pd.Series(groups.key(0).to_pylist(), dtype=object, name="identity_type"),
        pd.Series(groups.key(1).to_pylist(), dtype=object, name="mfa_status"),
        values=groups.size(),
        aggfunc="sum",
    ).fillna(0)
    for name in MFA_COUNT_COLUMNS:
        if name not in table.columns:
            table[name] = 0
    table = table[list(MFA_COUNT_COLUMNS)].astype(int).rename(columns=MFA_COUNT_COLUMNS)
    table.columns.name = None
    return table.reset_index().rename(columns={"index": "identity_type"})[columns]
