"""The rules. Each takes the report window's rows and the history baseline (or None), both
prepared once by the engine (`analyzer.findings.prepared.RuleInput`), and its settings, and
returns findings with the rows that prove them.

Rules select rows with the prepared masks, group them by integer codes and count windows with
`analyzer.findings.windows`: no rule filters the frame or loops over rows or groups in Python,
except to build the findings themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from analyzer.findings.columns import NAT, arrow_of
from analyzer.findings.defaults import (
    AttemptCount,
    Dormancy,
    FailureBurst,
    FailureCount,
    IpSpread,
    RuleSettings,
    UserSpread,
)
from analyzer.findings.model import EvidenceRows, Finding
from analyzer.findings.prepared import NULL_TEXT, Codes, Groups, RuleInput
from analyzer.findings.windows import (
    first_argmax,
    most_distinct,
    segment_starts,
    window_ends,
    window_starts,
)
from analyzer.frame.distinct import all_distinct
from analyzer.normalize.identity import IDENTITY_CENTER

# The third argument is the rule's own settings type (`defaults.RULE_DEFAULTS`); a mapping of
# rules with different settings types can only name it as Any.
Rule = Callable[[RuleInput, RuleInput | None, Any], list[Finding]]

UNNAMED = "?"  # a missing user name, address or account counts as this one value in spreads


def filled(codes: Codes) -> np.ndarray:
    """Codes with nulls as the value `UNNAMED` (one value with a real `?`, as `fillna("?")`
    made them)."""
    return np.where(codes.codes < 0, codes.index(UNNAMED), codes.codes)


def distinct_per_group(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Distinct values per group code (0..groups-1); `values` -1 (null) are not counted."""
    keep = values >= 0
    pairs = np.unique(group[keep] * np.int64(int(values.max(initial=0)) + 1) + values[keep])
    return np.bincount(pairs // (int(values.max(initial=0)) + 1), minlength=groups)


def _per_group(
    rule_id: str, s: RuleSettings, inp: RuleInput, groups: Groups, title: str, text: str
) -> list[Finding]:
    """One finding per group; `title` formats the group key, `text` the number of rows."""
    return [
        Finding(rule_id, s.severity, title.format(key), text.format(len(rows)), inp.evidence(rows))
        for key, rows in groups
    ]


def _at_least(groups: Groups, size: int) -> Groups:
    keep = np.flatnonzero(groups.sizes >= size)
    positions = [groups.positions[groups.bounds[k] : groups.bounds[k + 1]] for k in keep]
    ordered = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    group = np.repeat(groups.keys[keep], groups.sizes[keep])
    return Groups.of(ordered, group, groups.codes)


def root_signin(inp: RuleInput, _: RuleInput | None, s: RuleSettings) -> list[Finding]:
    groups = inp.groups(inp.success & inp.equals("identity_type", "Root"), "account_id")
    return _per_group(
        "root_signin", s, inp, groups, "Root user signed in to account {}",
        "{} successful root console sign-in(s); the root user should be "
        "used only for the few tasks that need it.",
    )  # fmt: skip


def root_failures(inp: RuleInput, _: RuleInput | None, s: FailureCount) -> list[Finding]:
    groups = inp.groups(inp.failure & inp.equals("identity_type", "Root"), "account_id")
    return _per_group(
        "root_failures", s, inp, _at_least(groups, s.failures),
        "Repeated root sign-in failures in {}",
        "{} failed root sign-ins " + f"(threshold {s.failures}).",
    )  # fmt: skip


def no_mfa(inp: RuleInput, _: RuleInput | None, s: RuleSettings) -> list[Finding]:
    person = inp.equals("identity_type", "IAMUser") | inp.equals("identity_type", "Root")
    groups = inp.groups(inp.success & person & inp.equals("mfa_status", "no_mfa"), "user_name")
    return _per_group(
        "no_mfa", s, inp, groups, "Console sign-in without MFA: {}",
        "{} successful console sign-in(s) without MFA by an IAM user or root "
        "(federated sessions are never counted: their MFA is at the IdP).",
    )  # fmt: skip


def mfa_failure(inp: RuleInput, _: RuleInput | None, s: RuleSettings) -> list[Finding]:
    groups = inp.groups(inp.failure & inp.equals("failure_kind", "mfa"), "user_name")
    return _per_group(
        "mfa_failure", s, inp, groups, "Sign-in failed at the MFA stage: {}",
        "{} failure(s) after the password was accepted: someone may hold the password.",
    )  # fmt: skip


def _bursts(
    inp: RuleInput, key: str, threshold: int, minutes: int
) -> list[tuple[Any, int, np.ndarray]]:
    """Groups (nulls one group) with at least `threshold` failures inside `minutes`: the
    first densest window of each, over the failures that have a time. Groups with fewer
    failures in all, timed or not, are dropped first (most addresses fail once or twice)."""
    codes = inp.codes(key)
    failed = np.flatnonzero(inp.failure)
    sizes = np.bincount(codes.group[failed], minlength=codes.size + 1)
    busy = failed[(sizes[codes.group[failed]] >= threshold) & inp.timed[failed]]
    ordered, group, raw = inp.by_key(busy, codes)
    ends = window_ends(group, inp.seconds[ordered], minutes * 60)
    best, at = first_argmax(ends - np.arange(len(ordered)), group)
    keys = raw[segment_starts(group)]
    return [
        (codes.label(k), int(count), ordered[start : ends[start]])
        for k, count, start in zip(keys.tolist(), best.tolist(), at.tolist(), strict=True)
        if count >= threshold
    ]


def brute_force_user(inp: RuleInput, _: RuleInput | None, s: FailureBurst) -> list[Finding]:
    return [
        Finding(
            "brute_force_user",
            s.severity,
            f"Brute force against {user}",
            f"{count} failed sign-ins within {s.minutes} minutes (threshold {s.failures}).",
            inp.evidence(rows),
        )
        for user, count, rows in _bursts(inp, "user_name", s.failures, s.minutes)
    ]


def brute_force_ip(inp: RuleInput, _: RuleInput | None, s: FailureBurst) -> list[Finding]:
    return [
        Finding(
            "brute_force_ip",
            s.severity,
            f"Brute force from {ip}",
            f"{count} failed sign-ins from one address within {s.minutes} minutes "
            f"(threshold {s.failures}).",
            inp.evidence(rows),
        )
        for ip, count, rows in _bursts(inp, "source_ip", s.failures, s.minutes)
    ]


def spreads(
    inp: RuleInput, rows: np.ndarray, key: str, column: str, least: int, minutes: int
) -> list[tuple[Any, int, np.ndarray]]:
    """Per non-null `key` among `rows` (timed): the most distinct `column` values (a null
    counts as `UNNAMED`) inside any `minutes` window, when at least `least`, with the first
    window that holds them. Keys with fewer distinct non-null values in all are skipped."""
    codes, values = inp.codes(key), inp.codes(column)
    rows = rows[codes.codes[rows] >= 0]
    sizes = np.bincount(codes.codes[rows], minlength=codes.size)
    rows = rows[sizes[codes.codes[rows]] >= least]  # fewer rows than `least`: fewer values
    spread = distinct_per_group(codes.codes[rows], values.codes[rows], codes.size)
    rows = rows[spread[codes.codes[rows]] >= least]
    ordered, group, raw = inp.by_key(rows, codes)
    best, start, end = most_distinct(
        group, inp.seconds[ordered], filled(values)[ordered], minutes * 60
    )
    keys = raw[segment_starts(group)]
    return [
        (codes.label(k), int(count), ordered[first:last])
        for k, count, first, last in zip(
            keys.tolist(), best.tolist(), start.tolist(), end.tolist(), strict=True
        )
        if count >= least
    ]


def password_spray(inp: RuleInput, _: RuleInput | None, s: UserSpread) -> list[Finding]:
    failed = np.flatnonzero(inp.failure & inp.timed)
    found: list[Finding] = []
    for key, label in (("source_ip", "from {}"), ("account_id", "in account {}")):
        for value, count, rows in spreads(inp, failed, key, "user_name", s.users, s.minutes):
            found.append(Finding(
                "password_spray", s.severity, f"Password spray {label.format(value)}",
                f"{count} different user names failed within {s.minutes} minutes "
                f"(threshold {s.users}).", inp.evidence(rows)))  # fmt: skip
    return found


def success_after_failures(inp: RuleInput, _: RuleInput | None, s: FailureBurst) -> list[Finding]:
    """Per user, failures before each success are counted with a running sum and a binary
    search for the window start; the first success with enough of them is the finding."""
    users = inp.codes("user_name")
    attempts = np.flatnonzero(inp.login & inp.timed & (users.codes >= 0))
    ordered, group, raw = inp.by_key(attempts, users)
    failed = inp.failure[ordered]
    before = np.concatenate(([0], np.cumsum(failed)))  # failures before position i
    starts = window_starts(group, inp.seconds[ordered], s.minutes * 60)
    counts = before[:-1] - before[starts]
    hits = inp.success[ordered] & (counts >= s.failures)
    n = len(ordered)
    first = segment_starts(group)
    if not len(first):
        return []
    at = np.minimum.reduceat(np.where(hits, np.arange(n), n), first)
    found: list[Finding] = []
    for key, hit in zip(raw[first].tolist(), at.tolist(), strict=True):
        if hit >= n:
            continue
        window = np.arange(int(starts[hit]), hit + 1)
        keep = failed[window] | (window == hit)
        found.append(Finding(
            "success_after_failures", s.severity,
            f"Sign-in after repeated failures: {users.label(key)}",
            f"Succeeded after {int(counts[hit])} failures within {s.minutes} minutes.",
            inp.evidence(ordered[window[keep]])))  # fmt: skip
    return found


def unknown_user(inp: RuleInput, _: RuleInput | None, s: AttemptCount) -> list[Finding]:
    """One finding per account, not per address: internet-facing accounts see these from many
    addresses, and the list of them is the evidence."""
    groups = _at_least(inp.groups(inp.login & inp.flag("unknown_user"), "account_id"), s.attempts)
    ids = np.repeat(np.arange(len(groups), dtype=np.int64), groups.sizes)
    addresses = distinct_per_group(ids, inp.codes("source_ip").codes[groups.positions], len(groups))
    return [
        Finding(
            "unknown_user",
            s.severity,
            f"Sign-in attempts with unknown user names in account {account}",
            f"{len(rows)} attempt(s) with a user name that does not exist in the account, "
            f"from {int(spread)} address(es).",
            inp.evidence(rows),
        )
        for (account, rows), spread in zip(groups, addresses.tolist(), strict=True)
    ]


def contains(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`np.isin(values, ordered)` for a sorted, duplicate-free `ordered`, by binary search."""
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return np.asarray(ordered[at] == values)


def as_text(codes: Codes) -> np.ndarray:
    """Codes as `str()` of the groupby key sees them: a null is the text `<NA>`, one value
    with a real `<NA>` (the history lookup of the first-seen rules has always matched so)."""
    return np.where(codes.codes < 0, codes.index(NULL_TEXT), codes.codes)


def _pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One dense integer per combination of two nonnegative code columns."""
    if not len(first):
        return np.zeros(0, dtype=np.int64)
    width = np.int64(int(second.max()) + 1)
    _, inverse = np.unique(first * width + second, return_inverse=True)
    return np.asarray(inverse, dtype=np.int64).reshape(-1)


def _history_people(inp: RuleInput, baseline: RuleInput) -> tuple[Any, ...]:
    """What the three first-seen rules share: account and user codes of both frames, the
    successes of each, one number per (account, user) as text over both (frame's first),
    and which history successes count as seen."""
    accounts, users = inp.joint(baseline, "account_id"), inp.joint(baseline, "user_name")
    now, then = np.flatnonzero(inp.success), np.flatnonzero(baseline.success)
    person = _pairs(
        np.concatenate((as_text(accounts[0])[now], as_text(accounts[1])[then])),
        np.concatenate((as_text(users[0])[now], as_text(users[1])[then])),
    )
    person_then = person[len(now) :]
    # Pairs that read the same (a null and a literal "<NA>") have always kept only the
    # values of the last of their groups in groupby order: the one with the most nulls,
    # account first. Rows of the other groups do not count as seen.
    nulls = (accounts[1].codes[then] < 0) * 2 + (users[1].codes[then] < 0)
    last = np.zeros(int(person_then.max(initial=-1)) + 1, dtype=np.int64)
    np.maximum.at(last, person_then, nulls)
    counted = nulls == last[person_then]
    return accounts, users, now, then, person, person_then, counted


def _first_seen(column: str, rule_id: str, noun: str) -> Rule:
    def rule(inp: RuleInput, baseline: RuleInput | None, s: RuleSettings) -> list[Finding]:
        """Successful sign-ins whose value was never seen for that account and user in the
        history's successes (users the history has no success for are skipped)."""
        if baseline is None:
            return []
        accounts, users, now, then, person, person_then, counted = inp.cached(
            f"first-seen:{id(baseline)}", lambda: _history_people(inp, baseline)
        )
        person_now = person[: len(now)]
        values = inp.joint(baseline, column)
        value_now, value_then = values[0].codes[now], values[1].codes[then]
        value_then = np.where(counted, value_then, -1)
        width = np.int64(values[0].size + 1)
        seen = np.unique(person_then[value_then >= 0] * width + value_then[value_then >= 0])
        known = np.zeros(len(person), dtype=bool)
        known[person_then] = True
        new = (value_now >= 0) & known[person_now] & ~contains(seen, person_now * width + value_now)
        rows = now[new]
        raw = (accounts[0].codes[rows], users[0].codes[rows], values[0].codes[rows])
        ranks = [
            codes.ranks(key)
            for codes, key in zip((accounts[0], users[0], values[0]), raw, strict=True)
        ]
        order = np.lexsort((rows, inp.micros[rows], *reversed(ranks)))
        ordered = rows[order]
        first = segment_starts(*(rank[order] for rank in ranks))
        names = users[0].labels(raw[1][order][first])
        new_values = values[0].labels(raw[2][order][first])
        table = inp.evidence_table
        stops = np.append(first[1:], len(ordered)) if len(first) else first
        return [
            Finding(
                rule_id, s.severity, f"New {noun} for {name}: {value}",
                f"{name} signed in with a {noun} not seen in history before.",
                EvidenceRows(table, ordered, start, stop),
            )
            for name, value, start, stop in zip(
                names, new_values, first.tolist(), stops.tolist(), strict=True
            )
        ]  # fmt: skip

    return rule


def multiple_ips(inp: RuleInput, _: RuleInput | None, s: IpSpread) -> list[Finding]:
    succeeded = np.flatnonzero(inp.success & inp.timed)
    users = inp.codes("user_name")
    rows = succeeded[users.codes[succeeded] >= 0]
    ordered, group, raw = inp.by_key(rows, users)
    best, start, end = most_distinct(
        group, inp.seconds[ordered], filled(inp.codes("source_ip"))[ordered], s.minutes * 60
    )
    keys = raw[segment_starts(group)]
    return [
        Finding(
            "multiple_ips", s.severity, f"{users.label(k)} signed in from several addresses",
            f"{count} source IPs within {s.minutes} minutes.",
            inp.evidence(ordered[first:last]),
        )
        for k, count, first, last in zip(
            keys.tolist(), best.tolist(), start.tolist(), end.tolist(), strict=True
        )
        if count >= s.ips
    ]  # fmt: skip


DAY_MICROS = 86_400 * 1_000_000


def dormant_user(inp: RuleInput, baseline: RuleInput | None, s: Dormancy) -> list[Finding]:
    """A user whose first sign-in in the window comes `days` or more after their last one in
    the history; the evidence is the user's first row in the frame."""
    if baseline is None:
        return []
    users = inp.joint(baseline, "user_name")
    width = users[0].size
    then = np.flatnonzero(baseline.success & (users[1].codes >= 0) & baseline.timed)
    last = np.full(width, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, users[1].codes[then], baseline.micros[then])
    now = np.flatnonzero(inp.success & (users[0].codes >= 0))
    code = users[0].codes[now]
    head = np.full(width, len(inp), dtype=np.int64)  # first row of each user, frame order
    np.minimum.at(head, code, now)
    earliest = np.full(width, NAT, dtype=np.int64)
    np.minimum.at(earliest, code, inp.micros[now])
    found = []
    present = np.unique(code)
    for user in present[np.argsort(users[0].ranks(present), kind="stable")].tolist():
        if last[user] == np.iinfo(np.int64).min or earliest[user] == NAT:
            continue
        idle = int(earliest[user]) - int(last[user])
        if idle >= s.days * DAY_MICROS:
            found.append(Finding(
                "dormant_user", s.severity, f"Dormant user signed in: {users[0].label(user)}",
                f"First sign-in in {idle // DAY_MICROS} days (threshold {s.days}).",
                inp.evidence(head[user : user + 1])))  # fmt: skip
    return found


def getsignintoken_outside_portal(
    inp: RuleInput, _: RuleInput | None, s: RuleSettings
) -> list[Finding]:
    rows = (
        inp.equals("event_name", "GetSigninToken")
        & ~inp.equals("identity_provider", IDENTITY_CENTER)
        & ~inp.starts_with("role_name", "AWSReservedSSO_")
    )
    return _per_group(
        "getsignintoken_outside_portal", s, inp, inp.groups(rows, "user_name"),
        "Console sign-in token minted outside the Identity Center portal: {}",
        "GetSigninToken from a session that is not an IAM Identity Center permission "
        "set: a custom broker, or stolen credentials turned into a console session.",
    )  # fmt: skip


def event_id_conflict(inp: RuleInput, _: RuleInput | None, s: RuleSettings) -> list[Finding]:
    """Identical copies never reach the frame (`frame/collect.py` drops them); two rows with
    one eventID differ in content, so one of them was forged or altered after CloudTrail
    wrote it (a tampering signal: a decoy copy would otherwise hide the real event)."""
    if all_distinct(arrow_of(inp.frame["event_id"])):
        return []  # the usual case, answered without encoding a million ids
    codes = inp.codes("event_id")
    sizes = np.bincount(codes.group, minlength=codes.size + 1)
    groups = inp.groups(sizes[codes.group] > 1, "event_id")
    found = []
    for event_id, rows in groups:
        found.append(Finding(
            "event_id_conflict", s.severity, f"Records disagree under one eventID: {event_id}",
            f"{len(rows)} records carry eventID {event_id} with different content; "
            "CloudTrail never reuses an id, so a log file was altered or forged.",
            inp.evidence(rows)))  # fmt: skip
    return found


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
