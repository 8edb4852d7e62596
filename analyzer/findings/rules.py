"""The rules. Each takes the allowed rows of the report window, the history baseline (or
None) and its settings, and returns findings with the rows that prove them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analyzer.findings.defaults import (
    AttemptCount,
    Dormancy,
    FailureBurst,
    FailureCount,
    IpSpread,
    RuleSettings,
    UserSpread,
)
from analyzer.findings.model import Finding, evidence
from analyzer.normalize.identity import IDENTITY_CENTER
from analyzer.reports.common import logins

# The third argument is the rule's own settings type (`defaults.RULE_DEFAULTS`); a mapping of
# rules with different settings types can only name it as Any.
Rule = Callable[[pd.DataFrame, pd.DataFrame | None, Any], list[Finding]]


def _mask(series: pd.Series) -> pd.Series:
    return series.fillna(False).astype(bool)


def _successes(frame: pd.DataFrame) -> pd.DataFrame:
    attempts = logins(frame)
    return attempts[_mask(attempts["outcome"] == "success")]


def _failures(frame: pd.DataFrame) -> pd.DataFrame:
    attempts = logins(frame)
    return attempts[_mask(attempts["outcome"] == "failure")]


def _burst(rows: pd.DataFrame, minutes: int) -> tuple[int, pd.DataFrame]:
    """The largest number of rows inside any `minutes`-long span, and those rows."""
    timed = rows.dropna(subset=["event_time"]).sort_values("event_time", kind="stable")
    if timed.empty:
        return 0, timed
    stamps = timed["event_time"].astype("int64").to_numpy() // 1_000_000  # seconds
    ends = np.searchsorted(stamps, stamps + minutes * 60, side="right")
    counts = ends - np.arange(len(stamps))
    start = int(np.argmax(counts))
    return int(counts[start]), timed.iloc[start : int(ends[start])]


def _who(row: pd.Series) -> str:
    return f"{row['user_name']} ({row['identity_type']}, account {row['account_id']})"


def root_signin(frame: pd.DataFrame, _: pd.DataFrame | None, s: RuleSettings) -> list[Finding]:
    rows = _successes(frame)
    rows = rows[_mask(rows["identity_type"] == "Root")]
    return [
        Finding(
            "root_signin",
            s.severity,
            f"Root user signed in to account {account}",
            f"{len(group)} successful root console sign-in(s); the root user should be "
            "used only for the few tasks that need it.",
            evidence(group),
        )
        for account, group in rows.groupby("account_id", dropna=False)
    ]


def root_failures(frame: pd.DataFrame, _: pd.DataFrame | None, s: FailureCount) -> list[Finding]:
    rows = _failures(frame)
    rows = rows[_mask(rows["identity_type"] == "Root")]
    return [
        Finding(
            "root_failures",
            s.severity,
            f"Repeated root sign-in failures in {account}",
            f"{len(group)} failed root sign-ins (threshold {s.failures}).",
            evidence(group),
        )
        for account, group in rows.groupby("account_id", dropna=False)
        if len(group) >= s.failures
    ]


def no_mfa(frame: pd.DataFrame, _: pd.DataFrame | None, s: RuleSettings) -> list[Finding]:
    rows = _successes(frame)
    rows = rows[
        _mask(rows["identity_type"].isin(["IAMUser", "Root"]))
        & _mask(rows["mfa_status"] == "no_mfa")
    ]
    return [
        Finding(
            "no_mfa",
            s.severity,
            f"Console sign-in without MFA: {user}",
            f"{len(group)} successful console sign-in(s) without MFA by an IAM user or root "
            "(federated sessions are never counted: their MFA is at the IdP).",
            evidence(group),
        )
        for user, group in rows.groupby("user_name", dropna=False)
    ]


def mfa_failure(frame: pd.DataFrame, _: pd.DataFrame | None, s: RuleSettings) -> list[Finding]:
    rows = _failures(frame)
    rows = rows[_mask(rows["failure_kind"] == "mfa")]
    return [
        Finding(
            "mfa_failure",
            s.severity,
            f"Sign-in failed at the MFA stage: {user}",
            f"{len(group)} failure(s) after the password was accepted: someone may hold "
            "the password.",
            evidence(group),
        )
        for user, group in rows.groupby("user_name", dropna=False)
    ]


def _bursts(
    frame: pd.DataFrame, key: str, threshold: int, minutes: int
) -> list[tuple[Any, int, pd.DataFrame]]:
    """Groups with at least `threshold` failures inside `minutes`; groups with fewer failures
    in all are dropped before any per-group work (most addresses fail once or twice)."""
    failed = _failures(frame)
    sizes = failed[key].value_counts(dropna=False)
    busy = failed[failed[key].isin(list(sizes[sizes >= threshold].index))]
    found = []
    for value, group in busy.groupby(key, dropna=False):
        count, rows = _burst(group, minutes)
        if count >= threshold:
            found.append((value, count, rows))
    return found


def brute_force_user(frame: pd.DataFrame, _: pd.DataFrame | None, s: FailureBurst) -> list[Finding]:
    return [
        Finding(
            "brute_force_user",
            s.severity,
            f"Brute force against {user}",
            f"{count} failed sign-ins within {s.minutes} minutes (threshold {s.failures}).",
            evidence(rows),
        )
        for user, count, rows in _bursts(frame, "user_name", s.failures, s.minutes)
    ]


def brute_force_ip(frame: pd.DataFrame, _: pd.DataFrame | None, s: FailureBurst) -> list[Finding]:
    return [
        Finding(
            "brute_force_ip",
            s.severity,
            f"Brute force from {ip}",
            f"{count} failed sign-ins from one address within {s.minutes} minutes "
            f"(threshold {s.failures}).",
            evidence(rows),
        )
        for ip, count, rows in _bursts(frame, "source_ip", s.failures, s.minutes)
    ]


def _most_distinct(stamps: np.ndarray, values: np.ndarray, span: int) -> tuple[int, int, int]:
    """(most distinct values inside any `span`-second window, its first row, its end row),
    with two pointers and a running count: linear in the rows."""
    counts: dict[Any, int] = {}
    best = (0, 0, 0)
    start = 0
    for end in range(len(stamps)):
        counts[values[end]] = counts.get(values[end], 0) + 1
        while stamps[end] - stamps[start] > span:
            counts[values[start]] -= 1
            if not counts[values[start]]:
                del counts[values[start]]
            start += 1
        if len(counts) > best[0]:
            best = (len(counts), start, end + 1)
    return best


def password_spray(frame: pd.DataFrame, _: pd.DataFrame | None, s: UserSpread) -> list[Finding]:
    found: list[Finding] = []
    failed = _failures(frame).dropna(subset=["event_time"]).sort_values("event_time")
    for key, label in (("source_ip", "from {}"), ("account_id", "in account {}")):
        distinct = failed.groupby(key, dropna=True)["user_name"].nunique()
        candidates = failed[failed[key].isin(list(distinct[distinct >= s.users].index))]
        for value, group in candidates.groupby(key, dropna=True):
            stamps = group["event_time"].astype("int64").to_numpy() // 1_000_000
            users = group["user_name"].astype(object).fillna("?").to_numpy()
            best = _most_distinct(stamps, users, s.minutes * 60)
            if best[0] >= s.users:
                rows = group.iloc[best[1] : best[2]]
                found.append(Finding(
                    "password_spray", s.severity, f"Password spray {label.format(value)}",
                    f"{best[0]} different user names failed within {s.minutes} minutes "
                    f"(threshold {s.users}).", evidence(rows)))  # fmt: skip
    return found


def success_after_failures(
    frame: pd.DataFrame, _: pd.DataFrame | None, s: FailureBurst
) -> list[Finding]:
    """Per user, failures before each success are counted with a running sum and a binary
    search for the window start: linear in the rows, not in rows x successes."""
    found: list[Finding] = []
    attempts = logins(frame).dropna(subset=["event_time"]).sort_values("event_time")
    span = s.minutes * 60
    for user, group in attempts.groupby("user_name", dropna=True, sort=True):
        stamps = group["event_time"].astype("int64").to_numpy() // 1_000_000
        failed = _mask(group["outcome"] == "failure").to_numpy()
        succeeded = _mask(group["outcome"] == "success").to_numpy()
        before = np.concatenate(([0], np.cumsum(failed)))  # failures before position i
        starts = np.searchsorted(stamps, stamps - span, side="left")
        counts = before[np.arange(len(stamps))] - before[starts]
        hits = np.flatnonzero(succeeded & (counts >= s.failures))
        if len(hits) == 0:
            continue
        at = int(hits[0])
        window = group.iloc[int(starts[at]) : at + 1]
        rows = window[
            _mask(window["outcome"] == "failure") | (np.arange(len(window)) == len(window) - 1)
        ]
        found.append(Finding(
            "success_after_failures", s.severity, f"Sign-in after repeated failures: {user}",
            f"Succeeded after {int(counts[at])} failures within {s.minutes} minutes.",
            evidence(rows)))  # fmt: skip
    return found


def unknown_user(frame: pd.DataFrame, _: pd.DataFrame | None, s: AttemptCount) -> list[Finding]:
    """One finding per account, not per address: internet-facing accounts see these from many
    addresses, and the list of them is the evidence."""
    attempts = logins(frame)
    rows = attempts[_mask(attempts["unknown_user"])]
    return [
        Finding(
            "unknown_user",
            s.severity,
            f"Sign-in attempts with unknown user names in account {account}",
            f"{len(group)} attempt(s) with a user name that does not exist in the account, "
            f"from {group['source_ip'].nunique()} address(es).",
            evidence(group),
        )
        for account, group in rows.groupby("account_id", dropna=False)
        if len(group) >= s.attempts
    ]


def _first_seen(column: str, rule_id: str, noun: str) -> Rule:
    def rule(frame: pd.DataFrame, baseline: pd.DataFrame | None, s: RuleSettings) -> list[Finding]:
        if baseline is None:
            return []
        seen: dict[tuple[str, str], set[str]] = {}
        for (account, user), values in _successes(baseline).groupby(
            ["account_id", "user_name"], dropna=False
        )[column]:
            seen[(str(account), str(user))] = {
                str(v) for v in values.tolist() if v is not None and v is not pd.NA
            }
        found = []
        for (account, user), group in _successes(frame).groupby(
            ["account_id", "user_name"], dropna=False
        ):
            before = seen.get((str(account), str(user)))
            if before is None:
                continue  # no baseline for this user: nothing is "new" yet
            new = group[
                ~group[column].astype(object).isin(list(before)).to_numpy()
                & group[column].notna().to_numpy()
            ]
            for value, rows in new.groupby(column):
                found.append(Finding(
                    rule_id, s.severity, f"New {noun} for {user}: {value}",
                    f"{user} signed in with a {noun} not seen in history before.",
                    evidence(rows)))  # fmt: skip
        return found

    return rule


def multiple_ips(frame: pd.DataFrame, _: pd.DataFrame | None, s: IpSpread) -> list[Finding]:
    found: list[Finding] = []
    succeeded = _successes(frame).dropna(subset=["event_time"]).sort_values("event_time")
    for user, group in succeeded.groupby("user_name", dropna=True):
        stamps = group["event_time"].astype("int64").to_numpy() // 1_000_000
        ips = group["source_ip"].astype(object).fillna("?").to_numpy()
        distinct, start, end = _most_distinct(stamps, ips, s.minutes * 60)
        if distinct >= s.ips:
            found.append(Finding(
                "multiple_ips", s.severity, f"{user} signed in from several addresses",
                f"{distinct} source IPs within {s.minutes} minutes.",
                evidence(group.iloc[start:end])))  # fmt: skip
    return found


def dormant_user(frame: pd.DataFrame, baseline: pd.DataFrame | None, s: Dormancy) -> list[Finding]:
    if baseline is None:
        return []
    last_seen = _successes(baseline).groupby("user_name")["event_time"].max()
    found = []
    for user, group in _successes(frame).groupby("user_name", dropna=True):
        if user not in last_seen.index or pd.isna(last_seen[user]):
            continue
        first = group["event_time"].min()
        idle = first - last_seen[user]
        if idle >= pd.Timedelta(days=s.days):
            found.append(Finding(
                "dormant_user", s.severity, f"Dormant user signed in: {user}",
                f"First sign-in in {idle.days} days (threshold {s.days}).",
                evidence(group.head(1))))  # fmt: skip
    return found


def getsignintoken_outside_portal(
    frame: pd.DataFrame, _: pd.DataFrame | None, s: RuleSettings
) -> list[Finding]:
    rows = frame[
        _mask(frame["event_name"] == "GetSigninToken")
        & ~_mask(frame["identity_provider"] == IDENTITY_CENTER)
        & ~_mask(frame["role_name"].str.startswith("AWSReservedSSO_"))
    ]
    return [
        Finding(
            "getsignintoken_outside_portal",
            s.severity,
            f"Console sign-in token minted outside the Identity Center portal: {user}",
            "GetSigninToken from a session that is not an IAM Identity Center permission "
            "set: a custom broker, or stolen credentials turned into a console session.",
            evidence(group),
        )
        for user, group in rows.groupby("user_name", dropna=False)
    ]


def event_id_conflict(
    frame: pd.DataFrame, _: pd.DataFrame | None, s: RuleSettings
) -> list[Finding]:
    """Identical copies never reach the frame (`frame/collect.py` drops them); two rows with
    one eventID differ in content, so one of them was forged or altered after CloudTrail
    wrote it (a tampering signal: a decoy copy would otherwise hide the real event)."""
    rows = frame[frame["event_id"].duplicated(keep=False)]
    return [
        Finding(
            "event_id_conflict",
            s.severity,
            f"Records disagree under one eventID: {event_id}",
            f"{len(group)} records carry eventID {event_id} with different content; "
            "CloudTrail never reuses an id, so a log file was altered or forged.",
            evidence(group),
        )
        for event_id, group in rows.groupby("event_id", dropna=False)
    ]


RULES: dict[str, Rule] = {
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
}
