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


def mfa_by_identity(frame: pd.DataFrame) -> pd.DataFrame:
    """Successful sign-ins per identity type and MFA status (mfa / no_mfa / idp / unknown)."""
    attempts = logins(frame)
    succeeded = attempts[(attempts["outcome"] == "success").fillna(False).astype(bool)]
    if succeeded.empty:
        return pd.DataFrame(columns=["identity_type", "mfa", "no_mfa", "idp", "unknown"])
    table = pd.crosstab(
        succeeded["identity_type"].astype(object).fillna("(none)"),
        succeeded["mfa_status"].astype(object),
    )
    for status in ["mfa", "no_mfa", "idp", "unknown"]:
        if status not in table.columns:
            table[status] = 0
    table = table[["mfa", "no_mfa", "idp", "unknown"]].astype(int)
    table.columns.name = None
    return table.reset_index().rename(columns={"index": "identity_type"})
