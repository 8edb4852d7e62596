"""Rules only the whole organization shows: one address failing sign-ins across accounts, one
person opening many accounts from a new place, root in a member account. A principal of one
account (an IAM user, root) is never matched to a same-named one elsewhere; only identities
that are one person everywhere are: an Identity Center user (its user id, or its
`AWSReservedSSO_*` session name) and a session name from the same identity provider."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.findings.columns import arrow_of
from analyzer.findings.defaults import AccountSpread, MemberRoot
from analyzer.findings.model import Finding
from analyzer.findings.prepared import Codes, RuleInput, encode
from analyzer.findings.rules import Rule, contains, distinct_per_group, spreads
from analyzer.findings.windows import segment_ids, segment_starts

_PROVIDER_ACCOUNT = re.compile(r"^arn:[^:]*:iam::\d*:")
PERSON_COLUMNS = ["identity_center_user_id", "identity_provider", "session_name"]
PERSON = "_person"  # the person key's column in a RuleInput's cache


def org_failures_from_ip(inp: RuleInput, _: RuleInput | None, s: AccountSpread) -> list[Finding]:
    """Failed sign-ins (root, IAM users, unknown names) from one address in several accounts
    within `minutes`: password spraying across the organization."""
    failed = np.flatnonzero(inp.failure & inp.timed)
    return [
        Finding(
            "org_failures_from_ip",
            s.severity,
            f"Sign-ins failing in {count} accounts from {ip}",
            f"{len(rows)} failed sign-ins in {count} accounts of the organization "
            f"within {s.minutes} minutes (threshold {s.accounts} accounts).",
            inp.evidence(rows),
        )
        for ip, count, rows in spreads(
            inp, failed, "source_ip", "account_id", s.accounts, s.minutes
        )
    ]


def _person_keys(frame: pd.DataFrame) -> pa.ChunkedArray:
    """`person_key` as an Arrow string array. The provider's account is cut with Python's
    regex once per distinct provider (Arrow's RE2 reads `\\d` as ASCII digits only)."""
    providers = arrow_of(frame["identity_provider"])
    distinct = pc.unique(providers).drop_null()
    cut = pa.array([_PROVIDER_ACCOUNT.sub("", p) for p in distinct.to_pylist()], pa.string())
    stripped = pc.take(cut, pc.index_in(providers, value_set=distinct))
    session = arrow_of(frame["session_name"]).cast(pa.string())
    user_id = arrow_of(frame["identity_center_user_id"]).cast(pa.string())
    saml = pc.binary_join_element_wise(stripped, session, "|")
    center = pc.binary_join_element_wise(pa.scalar("idc"), user_id, ":")
    return pc.coalesce(center, saml)


def person_key(frame: pd.DataFrame) -> pd.Series:
    """Who a row is across accounts, or null: `idc:<user id>`, else `<provider>|<session
    name>` with the provider's account removed (each account has its own SAML provider ARN
    for the same identity provider)."""
    keys = _person_keys(frame).to_pylist() if len(frame) else []
    return pd.Series(keys, index=frame.index, dtype=object)


def _persons(inp: RuleInput, baseline: RuleInput | None) -> tuple[Codes, np.ndarray]:
    """Person codes of the frame and of the baseline (empty without one), shared values."""
    now = pd.Series(pd.arrays.ArrowExtensionArray(_person_keys(inp.frame)))
    if baseline is None:
        return encode(now)[0], np.zeros(0, dtype=np.int64)
    then = pd.Series(pd.arrays.ArrowExtensionArray(_person_keys(baseline.frame)))
    codes = encode(now, then)
    return codes[0], codes[1].codes


def org_new_place_many_accounts(
    inp: RuleInput, baseline: RuleInput | None, s: AccountSpread
) -> list[Finding]:
    """One person signing in to `accounts` accounts within `minutes` of first using an
    address never seen for them: not in history, and not earlier in the report window. A
    person seen nowhere before that address has nothing to compare with and stays silent.

    Rows are sorted by person, address and time once; each (person, address) run then
    starts with its first use, and the rows within `minutes` of it are a prefix of the run."""
    history = baseline if baseline is not None and len(baseline) else None
    persons, person_then = _persons(inp, history)
    person_now = persons.codes
    ips = (
        inp.joint(history, "source_ip")
        if history is not None
        else (inp.codes("source_ip"), inp.codes("source_ip"))
    )
    ip_now = ips[0].codes
    rows = np.flatnonzero(inp.success & inp.timed & (ip_now >= 0) & (person_now >= 0))
    width = np.int64(ips[0].size + 1)
    known = np.zeros(0, dtype=np.int64)  # person * width + address, from the history
    has_known = np.zeros(int(person_now.max(initial=-1)) + 1, dtype=bool)
    if history is not None:
        then = np.flatnonzero(history.success & (person_then >= 0) & (ips[1].codes >= 0))
        known = np.unique(person_then[then] * width + ips[1].codes[then])
        has_known = np.zeros(max(len(has_known), int(person_then.max(initial=-1)) + 1), bool)
        has_known[person_then[then]] = True
    person, ip = person_now[rows], ip_now[rows]
    order = np.lexsort((rows, inp.micros[rows], ip, person))
    rows, person, ip = rows[order], person[order], ip[order]
    micros = inp.micros[rows]
    # the person's first sign-in in the window (any address), and each address's first use
    first_of_person = segment_starts(person)
    start = (
        np.minimum.reduceat(micros, first_of_person)[segment_ids(person)] if len(rows) else micros
    )
    runs = segment_starts(person, ip)
    run_of = segment_ids(person, ip)
    ends = np.append(runs[1:], len(rows))
    since = micros[runs]
    seen = contains(known, person[runs] * width + ip[runs])
    fresh = ~seen & (has_known[person[runs]] | (since > start[runs]))
    inside = (micros - since[run_of] <= s.minutes * 60_000_000) & fresh[run_of]
    inside &= (np.bincount(run_of[inside], minlength=len(runs)) >= s.accounts)[run_of]
    accounts = inp.codes("account_id").codes[rows]
    count = distinct_per_group(
        run_of[inside], np.where(accounts[inside] >= 0, accounts[inside], -1), len(runs)
    )
    users, addresses = inp.codes("user_name"), ips[0]
    found: list[Finding] = []
    hits = np.flatnonzero(fresh & (count >= s.accounts))
    by_name = np.lexsort((addresses.ranks(ip[runs[hits]]), persons.ranks(person[runs[hits]])))
    for k in hits[by_name].tolist():
        first = int(runs[k])
        last = first + int(np.count_nonzero(inside[first : ends[k]]))
        who = users.label(int(users.codes[rows[first]]))
        address = addresses.label(int(ip[first]))
        n = int(count[k])
        found.append(Finding(
            "org_new_place_many_accounts", s.severity,
            f"{who} signed in to {n} accounts from a new address {address}",
            f"{n} accounts within {s.minutes} minutes (threshold "
            f"{s.accounts}) of first using an address not seen for this person.",
            inp.evidence(rows[first:last])))  # fmt: skip
    return found


def member_root_signin(inp: RuleInput, _: RuleInput | None, s: MemberRoot) -> list[Finding]:
    """Root in any account but the management account. Needs `management_account`, which an
    `--org-role` run fills from Organizations; without it the rule cannot tell members."""
    if not s.management_account:
        return []
    accounts = inp.codes("account_id")
    member = (accounts.codes >= 0) & ~inp.equals("account_id", s.management_account)
    groups = inp.groups(inp.success & inp.equals("identity_type", "Root") & member, "account_id")
    return [
        Finding(
            "member_root_signin",
            s.severity,
            f"Root user signed in to member account {account}",
            f"{len(rows)} root sign-in(s) in a member account of the organization; with "
            "centralized root access, member accounts should not use root at all.",
            inp.evidence(rows),
        )
        for account, rows in groups
    ]


ORG_RULES: dict[str, Rule] = {
    "org_failures_from_ip": org_failures_from_ip,
    "org_new_place_many_accounts": org_new_place_many_accounts,
    "member_root_signin": member_root_signin,
}
