"""Rules only the whole organization shows: one address failing sign-ins across accounts, one
person opening many accounts from a new place, root in a member account. A principal of one
account (an IAM user, root) is never matched to a same-named one elsewhere; only identities
that are one person everywhere are: an Identity Center user (its user id, or its
`AWSReservedSSO_*` session name) and a session name from the same identity provider."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from analyzer.findings.defaults import AccountSpread, MemberRoot
from analyzer.findings.model import Finding, evidence
from analyzer.findings.rules import Rule, _failures, _mask, _most_distinct, _successes

_PROVIDER_ACCOUNT = re.compile(r"^arn:[^:]*:iam::\d*:")
PERSON_COLUMNS = ["identity_center_user_id", "identity_provider", "session_name"]


def _stamps(rows: pd.DataFrame) -> Any:
    return rows["event_time"].astype("int64").to_numpy() // 1_000_000


def org_failures_from_ip(
    frame: pd.DataFrame, _: pd.DataFrame | None, s: AccountSpread
) -> list[Finding]:
    """Failed sign-ins (root, IAM users, unknown names) from one address in several accounts
    within `minutes`: password spraying across the organization."""
    failed = _failures(frame).dropna(subset=["event_time", "source_ip"])
    spread = failed.groupby("source_ip")["account_id"].nunique()
    failed = failed[failed["source_ip"].isin(list(spread[spread >= s.accounts].index))]
    found: list[Finding] = []
    for ip, group in failed.sort_values("event_time", kind="stable").groupby("source_ip"):
        accounts = group["account_id"].astype(object).fillna("?").to_numpy()
        count, start, end = _most_distinct(_stamps(group), accounts, s.minutes * 60)
        if count >= s.accounts:
            rows = group.iloc[start:end]
            found.append(
                Finding(
                    "org_failures_from_ip",
                    s.severity,
                    f"Sign-ins failing in {count} accounts from {ip}",
                    f"{len(rows)} failed sign-ins in {count} accounts of the organization "
                    f"within {s.minutes} minutes (threshold {s.accounts} accounts).",
                    evidence(rows),
                )
            )
    return found


def person_key(frame: pd.DataFrame) -> pd.Series:
    """Who a row is across accounts, or null: `idc:<user id>`, else `<provider>|<session
    name>` with the provider's account removed (each account has its own SAML provider ARN
    for the same identity provider)."""

    def key(user_id: Any, provider: Any, session: Any) -> str | None:
        if isinstance(user_id, str):
            return f"idc:{user_id}"
        if isinstance(provider, str) and isinstance(session, str):
            return f"{_PROVIDER_ACCOUNT.sub('', provider)}|{session}"
        return None

    columns = (frame[c].astype(object).tolist() for c in PERSON_COLUMNS)
    keys = [key(*values) for values in zip(*columns, strict=True)]
    return pd.Series(keys, index=frame.index, dtype=object)


def org_new_place_many_accounts(
    frame: pd.DataFrame, baseline: pd.DataFrame | None, s: AccountSpread
) -> list[Finding]:
    """One person signing in to `accounts` accounts within `minutes` of first using an
    address never seen for them: not in history, and not earlier in the report window. A
    person seen nowhere before that address has nothing to compare with and stays silent."""
    succeeded = _successes(frame).dropna(subset=["event_time", "source_ip"])
    succeeded = succeeded.assign(_person=person_key(succeeded)).dropna(subset=["_person"])
    known: dict[str, set[str]] = {}
    if baseline is not None and len(baseline):
        before = _successes(baseline)
        before = before.assign(_person=person_key(before)).dropna(subset=["_person"])
        for person, ips in before.groupby("_person")["source_ip"]:
            known[str(person)] = {str(ip) for ip in ips.dropna()}
    span = pd.Timedelta(minutes=s.minutes)
    found: list[Finding] = []
    for person, group in succeeded.sort_values("event_time", kind="stable").groupby("_person"):
        seen = known.get(str(person), set())
        first_use = group.groupby("source_ip")["event_time"].min()
        start = group["event_time"].min()
        for ip, since in first_use.items():
            if str(ip) in seen or (not seen and since <= start):
                continue  # a known address, or nothing known before it
            rows = group[
                _mask(group["source_ip"] == ip) & _mask(group["event_time"] <= since + span)
            ]
            count = int(rows["account_id"].nunique())
            if count >= s.accounts:
                who = rows["user_name"].iloc[0]
                found.append(Finding(
                    "org_new_place_many_accounts", s.severity,
                    f"{who} signed in to {count} accounts from a new address {ip}",
                    f"{count} accounts within {s.minutes} minutes (threshold "
                    f"{s.accounts}) of first using an address not seen for this person.",
                    evidence(rows)))  # fmt: skip
    return found


def member_root_signin(
    frame: pd.DataFrame, _: pd.DataFrame | None, s: MemberRoot
) -> list[Finding]:
    """Root in any account but the management account. Needs `management_account`, which an
    `--org-role` run fills from Organizations; without it the rule cannot tell members."""
    if not s.management_account:
        return []
    rows = _successes(frame)
    rows = rows[
        _mask(rows["identity_type"] == "Root")
        & _mask(rows["account_id"] != s.management_account)
    ]
    return [
        Finding(
            "member_root_signin",
            s.severity,
            f"Root user signed in to member account {account}",
            f"{len(group)} root sign-in(s) in a member account of the organization; with "
            "centralized root access, member accounts should not use root at all.",
            evidence(group),
        )
        for account, group in rows.groupby("account_id", dropna=False)
    ]


ORG_RULES: dict[str, Rule] = {
    "org_failures_from_ip": org_failures_from_ip,
    "org_new_place_many_accounts": org_new_place_many_accounts,
    "member_root_signin": member_root_signin,
}
