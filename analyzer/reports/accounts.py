"""Per account of an organization run: what was read (its coverage status) beside what it
holds (sign-ins, failures, principals, root use), so an account read empty and an account not
read at all never look alike."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analyzer.domain.coverage import AccountCoverage
from analyzer.reports.common import Rows, arrow_dtypes
from analyzer.reports.grouping import Groups, paired

ACCOUNT_COLUMNS = [
    "account_id", "name", "status", "regions_read", "regions_failed", "sign_ins", "successes",
    "failures", "users", "root_sign_ins", "reason",
]  # fmt: skip


def by_account(frame: pd.DataFrame, accounts: Sequence[AccountCoverage]) -> pd.DataFrame:
    """One row per account of the run, in account order; `users` counts distinct principals
    (identity type + name) of the account, since a name alone means nothing across accounts."""
    return account_table(Rows(frame), accounts)


@arrow_dtypes
def account_table(rows: Rows, accounts: Sequence[AccountCoverage]) -> pd.DataFrame:
    """`by_account` over rows already selected: the sign-ins are grouped by account once,
    and each account of the run looks its numbers up."""
    counts: dict[str, dict[str, int]] = {}
    if rows.size("logins"):
        groups = Groups([rows.encoded("logins", "account_id")])
        success = rows.equals("logins", "outcome", "success")
        principal = paired(
            rows.encoded("logins", "identity_type"), rows.encoded("logins", "user_name"), "/", "?"
        )
        numbers = {
            "sign_ins": groups.size(),
            "successes": groups.count_true(success),
            "failures": groups.count_true(rows.equals("logins", "outcome", "failure")),
            "users": groups.distinct_count(principal),
            "root_sign_ins": groups.count_true(
                success & rows.equals("logins", "identity_type", "Root")
            ),
        }
        for index, account in enumerate(groups.key(0).to_pylist()):
            if account is not None:
                counts[account] = {name: int(values[index]) for name, values in numbers.items()}
    empty = dict.fromkeys(("sign_ins", "successes", "failures", "users", "root_sign_ins"), 0)
    table = []
    for entry in sorted(accounts, key=lambda a: a.account):
        found = counts.get(entry.account, empty)
        table.append(
            {
                "account_id": entry.account,
                "name": entry.name,
                "status": entry.status,
                "regions_read": entry.regions_read,
                "regions_failed": entry.regions_failed,
                **found,
                "reason": entry.reason,
            }
        )
    return pd.DataFrame(table, columns=ACCOUNT_COLUMNS)
