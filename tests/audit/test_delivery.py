"""The SNS summary: says what it is about, and attacker text cannot add or forge lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from analyzer.audit.delivery import one_line, summary_message
from analyzer.domain.window import Window
from analyzer.findings.engine import Finding

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
