"""Sign-ins per user."""

from __future__ import annotations

import pandas as pd

from analyzer.reports.common import joined, logins

USER_KEYS = ["account_id", "user_name", "identity_type"]


def by_user(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (account, user, identity type): the same name as an IAM user and as a
    role session are different principals and stay apart. The MFA counts are of successful
    sign-ins, as in the summary and the MFA table: a failed attempt proves no MFA use."""
    attempts = logins(frame)
    succeeded = (attempts["outcome"] == "success").fillna(False).astype(bool)
    status = attempts["mfa_status"]
    attempts = attempts.assign(
        _success=succeeded.astype(int),
        _failure=(attempts["outcome"] == "failure").fillna(False).astype(int),
        _mfa=(succeeded & (status == "mfa").fillna(False)).astype(int),
        _no_mfa=(succeeded & (status == "no_mfa").fillna(False)).astype(int),
        _idp=(succeeded & (status == "idp").fillna(False)).astype(int),
    )
    columns = [
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
    if attempts.empty:
        return pd.DataFrame(columns=columns)
    grouped = attempts.groupby(USER_KEYS, dropna=False, sort=False)
    table = grouped.agg(
        sign_ins=("event_id", "size"),
        successes=("_success", "sum"),
        failures=("_failure", "sum"),
        successes_with_mfa=("_mfa", "sum"),
        successes_without_mfa=("_no_mfa", "sum"),
        successes_federated_idp=("_idp", "sum"),
        first_seen=("event_time", "min"),
        last_seen=("event_time", "max"),
        source_ips=("source_ip", "nunique"),
        endpoints=("endpoint", joined),
        regions=("region", joined),
    ).reset_index()
    table = table.sort_values(
        ["sign_ins", "failures", "user_name"], ascending=[False, False, True], kind="stable"
    )
    return table[columns].reset_index(drop=True)
