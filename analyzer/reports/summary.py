"""Headline numbers of a report."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analyzer.reports.common import count_of, logins, person


def summary(frame: pd.DataFrame) -> dict[str, Any]:
    """`mfa_share` is measured over successful sign-ins where AWS can see MFA (status `mfa` or
    `no_mfa`): federated (`idp`) sessions are left out instead of counted as "without MFA"."""
    attempts = logins(frame)
    succeeded = attempts[attempts["outcome"] == "success"]
    with_mfa = count_of(succeeded["mfa_status"] == "mfa")
    without_mfa = count_of(succeeded["mfa_status"] == "no_mfa")
    idp = count_of(succeeded["mfa_status"] == "idp")
    visible = with_mfa + without_mfa
    known_users = attempts[~attempts["unknown_user"].fillna(False).astype(bool)]
    times = frame["event_time"].dropna()
    accounts = sorted(str(a) for a in frame["account_id"].dropna().unique())
    return {
        "signin_events": len(frame),
        "sign_ins": len(attempts),
        "successes": count_of(attempts["outcome"] == "success"),
        "failures": count_of(attempts["outcome"] == "failure"),
        "outcome_unknown": int(attempts["outcome"].isna().sum()),
        "distinct_users": int(person(known_users.dropna(subset=["user_name"])).nunique()),
        "unknown_user_attempts": count_of(attempts["unknown_user"]),
        "successes_with_mfa": with_mfa,
        "successes_without_mfa": without_mfa,
        "successes_federated_idp": idp,
        "successes_mfa_unknown": len(succeeded) - with_mfa - without_mfa - idp,
        "mfa_share": round(with_mfa / visible, 4) if visible else None,
        "accounts": len(accounts),
        "account_ids": accounts,
        "regions": sorted(str(r) for r in frame["region"].dropna().unique()),
        "first_event": times.min().isoformat() if len(times) else None,
        "last_event": times.max().isoformat() if len(times) else None,
    }
