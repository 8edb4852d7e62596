"""MFA use, identity-aware."""

from __future__ import annotations

import pandas as pd

from analyzer.reports.common import logins

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
    attempts = logins(frame)
    mask = (
        (
            (attempts["outcome"] == "success")
            & attempts["identity_type"].isin(["IAMUser", "Root"])
            & (attempts["mfa_status"] == "no_mfa")
        )
        .fillna(False)
        .astype(bool)
    )
    return attempts.loc[mask, WITHOUT_MFA_COLUMNS].reset_index(drop=True)


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
    attempts = logins(frame)
    succeeded = attempts[(attempts["outcome"] == "success").fillna(False).astype(bool)]
    columns = ["identity_type", *MFA_COUNT_COLUMNS.values()]
    if succeeded.empty:
        return pd.DataFrame(columns=columns)
    table = pd.crosstab(
        succeeded["identity_type"].astype(object).fillna("(none)"),
        succeeded["mfa_status"].astype(object).fillna("unknown"),
    )
    for status in MFA_COUNT_COLUMNS:
        if status not in table.columns:
            table[status] = 0
    table = table[list(MFA_COUNT_COLUMNS)].astype(int).rename(columns=MFA_COUNT_COLUMNS)
    table.columns.name = None
    return table.reset_index().rename(columns={"index": "identity_type"})[columns]
