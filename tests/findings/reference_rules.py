"""The findings rules written the plain way, for the differential test: pandas groupby, one
Python loop per group, windows checked row by row (quadratic, fine for a few hundred rows).
Each function says what its rule means and nothing else; `reference_results` is what
`evaluate_rules` must return, finding for finding and evidence row for evidence row."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from analyzer.findings.config import FindingsConfig, Suppression
from analyzer.findings.model import EVIDENCE_COLUMNS, SEVERITY_RANK

Found = tuple[str, str, str, str, pd.DataFrame]  # rule_id, severity, title, text, evidence
Silenced = tuple[str, str, str, int, Any, tuple[str, ...]]


def _text_is(value: Any, text: str) -> bool:
    return isinstance(value, str) and value == text


def _as_text(value: Any) -> str:
    """A key as the history lookup has always compared it: a null is the text "<NA>"."""
    return "<NA>" if pd.isna(value) else str(value)


def _is(frame: pd.DataFrame, column: str, value: str) -> pd.Series:
    return (frame[column] == value).fillna(False).astype(bool)


def _logins(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[_is(frame, "event_kind", "login")]


def _successes(frame: pd.DataFrame) -> pd.DataFrame:
    rows = _logins(frame)
    return rows[_is(rows, "outcome", "success")]


def _failures(frame: pd.DataFrame) -> pd.DataFrame:
    rows = _logins(frame)
    return rows[_is(rows, "outcome", "failure")]


def _evidence(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("event_time", kind="stable")[EVIDENCE_COLUMNS].reset_index(drop=True)


def _timed(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a time, in time order (ties in frame order)."""
    return rows.dropna(subset=["event_time"]).sort_values("event_time", kind="stable")


def _seconds(rows: pd.DataFrame) -> list[int]:
    return [t.value // 1000 // 1_000_000 for t in rows["event_time"]]


def _groups(rows: pd.DataFrame, key: str | list[str], dropna: bool) -> Iterator[Any]:
    yield from rows.groupby(key, dropna=dropna, sort=True)


def _densest(rows: pd.DataFrame, span: int) -> tuple[int, pd.DataFrame]:
    """The most rows inside [t, t + span] for a row's time t, first such row first."""
    timed = _timed(rows)
    stamps = _seconds(timed)
    best, best_rows = 0, timed.iloc[0:0]
    for i, start in enumerate(stamps):
        inside = [j for j in range(i, len(stamps)) if stamps[j] <= start + span]
        if len(inside) > best:
            best, best_rows = len(inside), timed.iloc[i : inside[-1] + 1]
    return best, best_rows


def _most_distinct(rows: pd.DataFrame, column: str, span: int) -> tuple[int, pd.DataFrame]:
    """The most distinct values (null as "?") among the rows ending at row e and reaching
    back `span` seconds, over every e; the first e that reaches the most."""
    stamps = _seconds(rows)
    values = ["?" if pd.isna(v) else v for v in rows[column]]
    best, best_rows = 0, rows.iloc[0:0]
    for end in range(len(stamps)):
        start = min(i for i in range(end + 1) if stamps[end] - stamps[i] <= span)
        distinct = len(set(values[start : end + 1]))
        if distinct > best:
            best, best_rows = distinct, rows.iloc[start : end + 1]
    return best, best_rows


def per_group(
    rule: str, title: str, text: str, key: str, dropna: bool = False
) -> Callable[..., list[Found]]:
    def run(rows: pd.DataFrame, s: Any, least: int = 1) -> list[Found]:
        return [
            (rule, s.severity, title.format(value), text.format(len(group)), _evidence(group))
            for value, group in _groups(rows, key, dropna)
            if len(group) >= least
        ]

    return run


def root_signin(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    rows = _successes(frame)
    return per_group(
        "root_signin", "Root user signed in to account {}",
        "{} successful root console sign-in(s); the root user should be used only for the "
        "few tasks that need it.", "account_id",
    )(rows[_is(rows, "identity_type", "Root")], s)  # fmt: skip


def root_failures(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    rows = _failures(frame)
    return per_group(
        "root_failures", "Repeated root sign-in failures in {}",
        "{} failed root sign-ins " + f"(threshold {s.failures}).", "account_id",
    )(rows[_is(rows, "identity_type", "Root")], s, s.failures)  # fmt: skip


def no_mfa(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    rows = _successes(frame)
    person = _is(rows, "identity_type", "IAMUser") | _is(rows, "identity_type", "Root")
    return per_group(
        "no_mfa", "Console sign-in without MFA: {}",
        "{} successful console sign-in(s) without MFA by an IAM user or root (federated "
        "sessions are never counted: their MFA is at the IdP).", "user_name",
    )(rows[person & _is(rows, "mfa_status", "no_mfa")], s)  # fmt: skip


def mfa_failure(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    rows = _failures(frame)
    return per_group(
        "mfa_failure", "Sign-in failed at the MFA stage: {}",
        "{} failure(s) after the password was accepted: someone may hold the password.",
        "user_name",
    )(rows[_is(rows, "failure_kind", "mfa")], s)  # fmt: skip


def _brute(rule: str, key: str, title: str, text: str) -> Callable[..., list[Found]]:
    def run(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
        found = []
        for value, group in _groups(_failures(frame), key, dropna=False):
            count, rows = _densest(group, s.minutes * 60)
            if len(group) >= s.failures and count >= s.failures:
                text_ = text.format(count, s.minutes, s.failures)
                found.append((rule, s.severity, title.format(value), text_, _evidence(rows)))
        return found

    return run


brute_force_user = _brute(
    "brute_force_user", "user_name", "Brute force against {}",
    "{} failed sign-ins within {} minutes (threshold {}).",
)  # fmt: skip
brute_force_ip = _brute(
    "brute_force_ip", "source_ip", "Brute force from {}",
    "{} failed sign-ins from one address within {} minutes (threshold {}).",
)  # fmt: skip


def _spread_groups(
    rows: pd.DataFrame, key: str, column: str, least: int, span: int
) -> Iterator[tuple[Any, int, pd.DataFrame]]:
    for value, group in _groups(_timed(rows), key, dropna=True):
        if group[column].dropna().nunique() < least:
            continue
        count, window = _most_distinct(group, column, span)
        if count >= least:
            yield value, count, window


def password_spray(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    found = []
    for key, label in (("source_ip", "from {}"), ("account_id", "in account {}")):
        for value, count, rows in _spread_groups(
            _failures(frame), key, "user_name", s.users, s.minutes * 60
        ):
            found.append(("password_spray", s.severity, f"Password spray {label.format(value)}",
                          f"{count} different user names failed within {s.minutes} minutes "
                          f"(threshold {s.users}).", _evidence(rows)))  # fmt: skip
    return found


def success_after_failures(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    found = []
    for user, group in _groups(_timed(_logins(frame)), "user_name", dropna=True):
        stamps = _seconds(group)
        outcomes = group["outcome"].tolist()
        for i, outcome in enumerate(outcomes):
            if not _text_is(outcome, "success"):
                continue
            start = min(j for j in range(i + 1) if stamps[j] >= stamps[i] - s.minutes * 60)
            failed = [j for j in range(start, i) if _text_is(outcomes[j], "failure")]
            if len(failed) >= s.failures:
                found.append(("success_after_failures", s.severity,
                              f"Sign-in after repeated failures: {user}",
                              f"Succeeded after {len(failed)} failures within {s.minutes} minutes.",
                              _evidence(group.iloc[[*failed, i]])))  # fmt: skip
                break
    return found


def unknown_user(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    rows = _logins(frame)
    rows = rows[rows["unknown_user"].fillna(False).astype(bool)]
    return [
        ("unknown_user", s.severity,
         f"Sign-in attempts with unknown user names in account {account}",
         f"{len(group)} attempt(s) with a user name that does not exist in the account, "
         f"from {group['source_ip'].nunique()} address(es).", _evidence(group))
        for account, group in _groups(rows, "account_id", dropna=False)
        if len(group) >= s.attempts
    ]  # fmt: skip


def _first_seen(column: str, rule: str, noun: str) -> Callable[..., list[Found]]:
    """A value is new for (account, user) when that pair has successes in the history and
    none with this value. Pairs are compared as text, a null as "<NA>", as they always were:
    a null user and one named "<NA>" are one key, holding the values of the last of their
    groups in groupby order (the null one)."""

    def run(frame: pd.DataFrame, baseline: pd.DataFrame | None, s: Any) -> list[Found]:
        if baseline is None:
            return []
        seen: dict[tuple[str, str], set[str]] = {}
        for (account, user), group in _groups(
            _successes(baseline), ["account_id", "user_name"], dropna=False
        ):
            # a later group whose key reads the same replaces an earlier one's values
            seen[(_as_text(account), _as_text(user))] = set(group[column].dropna())
        found = []
        for (_account, user), group in _groups(
            _successes(frame), ["account_id", "user_name"], dropna=False
        ):
            before = seen.get((_as_text(_account), _as_text(user)))
            if before is None:
                continue
            new = group[[not pd.isna(v) and v not in before for v in group[column]]]
            for value, rows in _groups(new, column, dropna=True):
                found.append((rule, s.severity, f"New {noun} for {user}: {value}",
                              f"{user} signed in with a {noun} not seen in history before.",
                              _evidence(rows)))  # fmt: skip
        return found

    return run


def multiple_ips(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    found = []
    for user, group in _groups(_timed(_successes(frame)), "user_name", dropna=True):
        count, rows = _most_distinct(group, "source_ip", s.minutes * 60)
        if count >= s.ips:
            title = f"{user} signed in from several addresses"
            text = f"{count} source IPs within {s.minutes} minutes."
            found.append(("multiple_ips", s.severity, title, text, _evidence(rows)))
    return found


def dormant_user(frame: pd.DataFrame, baseline: pd.DataFrame | None, s: Any) -> list[Found]:
    if baseline is None:
        return []
    last: dict[str, pd.Timestamp] = {}
    for _, row in _successes(baseline).iterrows():
        user, when = row["user_name"], row["event_time"]
        if not pd.isna(user) and not pd.isna(when):
            last[user] = max(last.get(user, when), when)
    found = []
    for user, group in _groups(_successes(frame), "user_name", dropna=True):
        times = group["event_time"].dropna()
        if user not in last or times.empty:
            continue
        idle = times.min() - last[user]
        if idle >= pd.Timedelta(days=s.days):
            found.append(("dormant_user", s.severity, f"Dormant user signed in: {user}",
                          f"First sign-in in {idle.days} days (threshold {s.days}).",
                          _evidence(group.head(1))))  # fmt: skip
    return found


def getsignintoken_outside_portal(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    sso = frame["role_name"].str.startswith("AWSReservedSSO_").fillna(False).astype(bool)
    rows = frame[
        _is(frame, "event_name", "GetSigninToken")
        & ~_is(frame, "identity_provider", "IAM Identity Center")
        & ~sso
    ]
    return per_group(
        "getsignintoken_outside_portal",
        "Console sign-in token minted outside the Identity Center portal: {}",
        "GetSigninToken from a session that is not an IAM Identity Center permission set: a "
        "custom broker, or stolen credentials turned into a console session.", "user_name",
    )(rows, s)  # fmt: skip


def event_id_conflict(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    found = []
    for event_id, group in _groups(frame, "event_id", dropna=False):
        if len(group) > 1:
            found.append(("event_id_conflict", s.severity,
                          f"Records disagree under one eventID: {event_id}",
                          f"{len(group)} records carry eventID {event_id} with different "
                          "content; CloudTrail never reuses an id, so a log file was altered "
                          "or forged.", _evidence(group)))  # fmt: skip
    return found


def org_failures_from_ip(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    failed = _failures(frame).dropna(subset=["source_ip"])
    return [
        ("org_failures_from_ip", s.severity, f"Sign-ins failing in {count} accounts from {ip}",
         f"{len(rows)} failed sign-ins in {count} accounts of the organization within "
         f"{s.minutes} minutes (threshold {s.accounts} accounts).", _evidence(rows))
        for ip, count, rows in _spread_groups(
            failed, "source_ip", "account_id", s.accounts, s.minutes * 60
        )
    ]  # fmt: skip


def person(row: pd.Series) -> str | None:
    if isinstance(row["identity_center_user_id"], str):
        return f"idc:{row['identity_center_user_id']}"
    provider, session = row["identity_provider"], row["session_name"]
    if isinstance(provider, str) and isinstance(session, str):
        return re.sub(r"^arn:[^:]*:iam::\d*:", "", provider) + "|" + session
    return None


def org_new_place_many_accounts(
    frame: pd.DataFrame, baseline: pd.DataFrame | None, s: Any
) -> list[Found]:
    known: dict[str, set[str]] = {}
    for _, row in (_successes(baseline) if baseline is not None else frame.iloc[0:0]).iterrows():
        who = person(row)
        if who is not None:
            known.setdefault(who, set()).update(
                [] if pd.isna(row["source_ip"]) else [row["source_ip"]]
            )
    rows = _timed(_successes(frame)).dropna(subset=["source_ip"])
    keys = pd.Series([person(row) for _, row in rows.iterrows()], index=rows.index, dtype=object)
    rows = rows.assign(_person=keys).dropna(subset=["_person"])
    found = []
    for who, group in _groups(rows, "_person", dropna=True):
        seen = known.get(who, set())
        for ip, at_ip in _groups(group, "source_ip", dropna=True):
            since = at_ip["event_time"].iloc[0]
            if ip in seen or (not seen and since == group["event_time"].iloc[0]):
                continue
            window = at_ip[at_ip["event_time"] <= since + pd.Timedelta(minutes=s.minutes)]
            count = window["account_id"].nunique()
            if count >= s.accounts:
                name = window["user_name"].iloc[0]
                found.append(("org_new_place_many_accounts", s.severity,
                              f"{name} signed in to {count} accounts from a new address {ip}",
                              f"{count} accounts within {s.minutes} minutes (threshold "
                              f"{s.accounts}) of first using an address not seen for this person.",
                              _evidence(window)))  # fmt: skip
    return found


def member_root_signin(frame: pd.DataFrame, _: Any, s: Any) -> list[Found]:
    if not s.management_account:
        return []
    rows = _successes(frame)
    member = rows["account_id"].notna() & (rows["account_id"] != s.management_account)
    return per_group(
        "member_root_signin", "Root user signed in to member account {}",
        "{} root sign-in(s) in a member account of the organization; with centralized root "
        "access, member accounts should not use root at all.", "account_id",
    )(rows[_is(rows, "identity_type", "Root") & member.fillna(False).astype(bool)], s)  # fmt: skip


REFERENCE: dict[str, Callable[..., list[Found]]] = {
    "root_signin": root_signin,
    "root_failures": root_failures,
    "no_mfa": no_mfa,
    "mfa_failure": mfa_failure,
    "brute_force_user": brute_force_user,
    "brute_force_ip": brute_force_ip,
    "password_spray": password_spray,
    "success_after_failures": success_after_failures,
    "unknown_user": unknown_user,
    "new_source_ip": _first_seen("source_ip", "new_source_ip", "source IP"),
    "new_user_agent": _first_seen("user_agent", "new_user_agent", "user agent"),
    "new_region": _first_seen("region", "new_region", "region"),
    "multiple_ips": multiple_ips,
    "dormant_user": dormant_user,
    "getsignintoken_outside_portal": getsignintoken_outside_portal,
    "event_id_conflict": event_id_conflict,
    "org_failures_from_ip": org_failures_from_ip,
    "org_new_place_many_accounts": org_new_place_many_accounts,
    "member_root_signin": member_root_signin,
}


def _entry_matches(entry: Suppression, row: pd.Series) -> bool:
    """Every criterion the entry gives holds for the row (nulls match nothing)."""
    user, agent, ip = row["user_name"], row["user_agent"], row["source_ip"]
    kind, account = row["identity_type"], row["account_id"]
    if entry.users and (pd.isna(user) or user not in entry.users):
        return False
    named_by = entry.identity_types or {"IAMUser", "Root", "IdentityCenterUser"}
    if (entry.users or entry.identity_types) and (pd.isna(kind) or kind not in named_by):
        return False
    if entry.accounts and (pd.isna(account) or account not in entry.accounts):
        return False
    if entry.user_agents:
        if pd.isna(agent):
            return False
        if not any(
            agent.startswith(p[:-1]) if p.endswith("*") else agent == p for p in entry.user_agents
        ):
            return False
    if entry.cidrs:
        try:
            address = None if pd.isna(ip) else ipaddress.ip_address(ip)
        except ValueError:
            address = None
        if address is None or not any(address in network for network in entry.cidrs):
            return False
    return not (entry.blanket and _text_is(row["identity_type"], "Root"))


def _silenced_by(
    rule_id: str, evidence: pd.DataFrame, entries: tuple[Suppression, ...]
) -> tuple[str, ...]:
    applicable = [e for e in entries if e.applies_to(rule_id)]
    if evidence.empty or not applicable:
        return ()
    covered: set[int] = set()
    used = []
    rows = [row for _, row in evidence.iterrows()]
    for entry in applicable:
        hit = {i for i, row in enumerate(rows) if _entry_matches(entry, row)} - covered
        if hit:
            used.append(entry.label)
            covered |= hit
    return tuple(used) if len(covered) == len(evidence) else ()


def reference_results(
    frame: pd.DataFrame, baseline: pd.DataFrame | None, config: FindingsConfig
) -> tuple[list[Found], list[Silenced]]:
    """What `evaluate_rules` returns: findings and suppressed findings, each sorted by
    severity (worst first), rule and title, rule order kept for ties."""
    found: list[Found] = []
    silenced: list[Silenced] = []
    for rule_id, rule in REFERENCE.items():
        settings = config.rules[rule_id]
        if not settings.enabled:
            continue
        for finding in rule(frame, baseline, settings):
            entries = _silenced_by(rule_id, finding[4], config.suppressions)
            if not entries:
                found.append(finding)
                continue
            first = finding[4]["event_time"].min()
            silenced.append(
                (*finding[:3], len(finding[4]), None if pd.isna(first) else first, entries)
            )

    def order(item: tuple[Any, ...]) -> tuple[int, str, str]:
        return (-SEVERITY_RANK[item[1]], item[0], item[2])

    return sorted(found, key=order), sorted(silenced, key=order)
