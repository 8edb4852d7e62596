"""Per account of an organization run: what was read (its coverage status) beside what it
holds (sign-ins, failures, principals, root use), so an account read empty and an account not
read at all never look alike."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analyzer.domain.coverage import AccountCoverage
from analyzer.reports.common import logins

ACCOUNT_COLUMNS = [
    "account_id", "name", "status", "regions_read", "regions_failed", "sign_ins", "successes",
    "failures", "users", "root_sign_ins", "reason",
]  # fmt: skip


def by_account(frame: pd.DataFrame, accounts: Sequence[AccountCoverage]) -> pd.DataFrame:
    """One row per account of the run, in account order; `users` counts distinct principals
    (identity type + name) of the account, since a name alone means nothing across accounts."""
    attempts = logins(frame)
    success = (attempts["outcome"] == "success").fillna(False).astype(bool)
    failure = (attempts["outcome"] == "failure").fillna(False).astype(bool)
    root = (attempts["identity_type"] == "Root").fillna(False).astype(bool)
    principal = (
        attempts["identity_type"].astype(object).fillna("?")
        + "/"
        + attempts["user_name"].astype(object).fillna("?")
    )
    account = attempts["account_id"].astype(object)
    rows = []
    for entry in sorted(accounts, key=lambda a: a.account):
        mine = (account == entry.account).to_numpy()
        rows.append(
            {
                "account_id": entry.account,
                "name": entry.name,
                "status": entry.status,
                "regions_read": entry.regions_read,
                "regions_failed": entry.regions_failed,
                "sign_ins": int(mine.sum()),
                "successes": int((success.to_numpy() & mine).sum()),
                "failures": int((failure.to_numpy() & mine).sum()),
                "users": int(principal[mine].nunique()),
                "root_sign_ins": int((root.to_numpy() & success.to_numpy() & mine).sum()),
                "reason": entry.reason,
            }
        )
    return pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)
