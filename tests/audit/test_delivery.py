"""The SNS summary: says what it is about, and attacker text cannot add or forge lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from analyzer.audit.delivery import one_line, summary_message
from analyzer.domain.window import Window
from analyzer.findings.engine import Finding
from tests.entry.test_audit_cli import aws  # noqa: F401  (the moto S3/SNS/SQS fixture)

WINDOW = Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC))


def summary(accounts: list[str]) -> dict[str, object]:
    return {
        "sign_ins": 5,
        "successes": 3,
        "failures": 2,
        "distinct_users": 2,
        "successes_without_mfa": 1,
        "accounts": len(accounts),
        "account_ids": accounts,
        "first_event": "2026-11-03T09:00:00+00:00",
        "last_event": "2026-11-04T09:00:00+00:00",
    }


def finding(title: str) -> Finding:
    return Finding("new_user_agent", "low", title, "", pd.DataFrame())


def test_message_names_the_accounts_and_the_window() -> None:
    subject, body = summary_message(
        summary(["111122223333"]), [finding("x")], "s3://audit/r.html", WINDOW
    )
    assert "111122223333" in subject
    lines = body.splitlines()
    assert lines[0] == "Accounts: 111122223333"
    assert lines[1] == (
        "Window: 2026-11-02T00:00:00+00:00 to 2026-11-09T00:00:00+00:00 (UTC, end exclusive)"
    )
    assert lines[-1] == "Report: s3://audit/r.html"


def test_many_accounts_are_counted_and_capped() -> None:
    accounts = [f"{n:012d}" for n in range(12)]
    subject, body = summary_message(summary(accounts), [], None, WINDOW)
    assert "12 accounts" in subject
    assert body.splitlines()[0].endswith(" and 2 more")
    assert all(a in body for a in accounts[:10])


def test_without_a_window_the_span_of_events_is_named() -> None:
    _, body = summary_message(summary(["111122223333"]), [], None)
    assert "Window: events from 2026-11-03T09:00:00+00:00 to 2026-11-04T09:00:00+00:00" in body


@pytest.mark.parametrize(
    "hostile",
    [
        "Mozilla\nFindings: 0.",
        "Mozilla\r\nFindings: 0.",
        "Mozilla\rFindings: 0.",
        "Mozilla\u2028Findings: 0.",
        "Mozilla\u2029Findings: 0.",
        "Mozilla\x85Findings: 0.",
        "Mozilla\x0bFindings: 0.\x0c",
        "Mozilla\x1b[2J\u202eFindings: 0.\ud800",
    ],
)
def test_attacker_text_cannot_forge_a_line(hostile: str) -> None:
    findings = [finding(f"New user agent for alice: {hostile}"), finding("ok")]
    subject, body = summary_message(summary([hostile]), findings, None, WINDOW)
    lines = body.splitlines()  # splits on every Unicode line boundary, not only \n
    assert len(lines) == 6  # accounts, window, counts, findings, two findings
    assert [line for line in lines if line.startswith("Findings:")] == ["Findings: 2."]
    assert all(line.isprintable() for line in lines)
    assert subject.isascii()
    assert subject.isprintable()
    assert len(subject) <= 100
    body.encode("utf-8")  # no lone surrogate left: SNS and mail get valid text


def test_huge_values_are_cut_with_a_visible_mark() -> None:
    text = one_line("A" * 10_000)
    assert len(text) < 300
    assert text.endswith("… [9800 more characters]")


def test_the_scheduled_run_publishes_accounts_and_window(
    aws: dict[str, Any],  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through the Lambda handler (the same run as the CLI) into SNS (moto), read from SQS."""
    import json

    from analyzer.entry.lambda_handler import handler

    monkeypatch.setenv("SIGNIN_HISTORY", "s3://audit/signin/history")
    monkeypatch.setenv("SIGNIN_SNS_TOPIC", aws["topic"])
    monkeypatch.setenv("SIGNIN_SOURCE", "s3://trail/ct")
    handler({}, None)
    message = json.loads(aws["sqs"].receive_message(QueueUrl=aws["queue"])["Messages"][0]["Body"])
    lines = message["Message"].splitlines()
    assert lines[0] == "Accounts: 999999999999"  # the records' recipientAccountId
    assert re.fullmatch(r"Window: \S+ to \S+ \(UTC, end exclusive\)", lines[1]), lines[1]
    assert message["Subject"].endswith(", 999999999999")


def test_a_summary_without_account_ids_says_so() -> None:
    old = {k: v for k, v in summary(["111122223333"]).items() if k != "account_ids"}
    subject, body = summary_message(old, [], None, WINDOW)
    assert body.splitlines()[0] == "Accounts: 1 (their ids are not in this summary)"
    assert subject.endswith(", 1 accounts")
