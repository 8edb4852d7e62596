"""Where a scheduled run's report goes: an S3 object and a short SNS message.

The SNS message is read in a mail client by someone deciding whether to open the report, so
it says which account(s) and which window it is about. Finding titles carry user names and
user agents typed by whoever is on the other side of the sign-in page: every value put into
the message is reduced to one line of visible characters, so no value can start a line of its
own (a forged "Findings: 0." line is impossible)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analyzer.domain.window import Window
from analyzer.findings.model import Finding, worst_severity
from analyzer.render.text import printable

MAX_VALUE = 200  # characters of one value in the message; a 2 GiB user agent stays a line
ACCOUNTS_NAMED = 10
FINDINGS_LISTED = 10


def one_line(value: object, limit: int = MAX_VALUE) -> str:
    """`value` as one line of visible text: invisible and line-breaking characters become
    `\\xNN` / `\\uNNNN`, and text over `limit` characters is cut with a visible mark."""
    text = str(value)
    cut = len(text) > limit
    shown = printable(text[:limit])  # control, bidi, zero-width, separators, surrogates
    return f"{shown}… [{len(text) - limit} more characters]" if cut else shown


def _accounts(ids: Sequence[str] | None, count: object) -> str:
    if ids is None:  # a summary from before `account_ids` existed
        return f"{count} (their ids are not in this summary)"
    named = ", ".join(one_line(a, 40) for a in ids[:ACCOUNTS_NAMED])
    more = f" and {len(ids) - ACCOUNTS_NAMED} more" if len(ids) > ACCOUNTS_NAMED else ""
    return f"{named}{more}" if ids else "none (no sign-ins)"


def _window(window: Window | None, summary: dict[str, Any]) -> str:
    """The report window, `since` inclusive and `until` exclusive; without one (a notebook
    frame), the span of the events themselves."""
    if window is not None and (window.since or window.until):
        since = window.since.isoformat() if window.since else "the beginning"
        until = window.until.isoformat() if window.until else "now"
        return f"{since} to {until} (UTC, end exclusive)"
    first, last = summary.get("first_event"), summary.get("last_event")
    return f"events from {first} to {last}" if first else "no events"


def summary_message(
    summary: dict[str, Any],
    findings: list[Finding],
    report_location: str | None,
    window: Window | None = None,
) -> tuple[str, str]:
    """(subject, body). SNS subjects are at most 100 characters, plain ASCII, one line."""
    worst = worst_severity(findings) or "none"
    ids = summary.get("account_ids")
    accounts = None if ids is None else [str(a) for a in ids]
    count = summary.get("accounts", "?") if accounts is None else len(accounts)
    where = one_line(accounts[0], 40) if accounts and len(accounts) == 1 else f"{count} accounts"
    subject = (
        one_line(f"signin-report: {len(findings)} findings (worst {worst}), {where}", 100)
        .encode("ascii", "replace")
        .decode()[:100]
    )
    lines = [
        f"Accounts: {_accounts(accounts, count)}",
        f"Window: {_window(window, summary)}",
        f"Sign-ins: {summary['sign_ins']} ({summary['successes']} ok, {summary['failures']} "
        f"failed), users: {summary['distinct_users']}, successful sign-ins without MFA: "
        f"{summary['successes_without_mfa']}.",
        f"Findings: {len(findings)}.",
        *(
            f"- [{one_line(f.severity, 20)}] {one_line(f.title)}"
            for f in findings[:FINDINGS_LISTED]
        ),
    ]
    if len(findings) > FINDINGS_LISTED:
        lines.append(f"- ... and {len(findings) - FINDINGS_LISTED} more")
    if report_location:
        lines.append(f"Report: {one_line(report_location, 1024)}")
    return subject, "\n".join(lines)


def publish(sns: Any, topic_arn: str, subject: str, body: str) -> None:
    sns.publish(
        TopicArn=topic_arn, Subject=subject.encode("ascii", "replace").decode(), Message=body
    )


def upload(s3: Any, url: str, body: bytes, content_type: str) -> str:
    """`url` is s3://bucket/key; returns it."""
    bucket, _, key = url[5:].partition("/")
    if not url.startswith("s3://") or not bucket or not key:
        raise ValueError(f"{url!r} is not s3://bucket/key")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    return url
