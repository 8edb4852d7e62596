"""Reports are pure functions of the frame; these build small frames from records."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analyzer.frame.schema import empty_frame, frame_from_rows
from analyzer.normalize import normalize_record
from analyzer.reports import (
    by_endpoint,
    by_user,
    failures_by_kind,
    failures_by_source_ip,
    failures_by_user,
    mfa_by_identity,
    summary,
    without_mfa,
)
from tests.conftest import console_login

ROOT = {"type": "Root", "arn": "arn:aws:iam::1:root", "accountId": "1"}
SAML = {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Okta/frank"}
HIDDEN = {"type": "IAMUser", "accountId": "1", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}


def frame(*records: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for index, record in enumerate(records):
        record.setdefault("eventID", f"id-{index}")
        normalized = normalize_record(record, f"t#{index}")
        assert normalized is not None
        rows.append(normalized.row)
    return frame_from_rows(rows)


FAIL = {"responseElements": {"ConsoleLogin": "Failure"}, "errorMessage": "Failed authentication"}


def sample() -> pd.DataFrame:
    return frame(
        console_login(eventID="a1", additionalEventData={"MFAUsed": "Yes"}),
        console_login(eventID="a2", awsRegion="eu-north-1"),
        console_login(eventID="a3", **FAIL, sourceIPAddress="192.0.2.9"),
        console_login(eventID="r1", userIdentity=ROOT),
        console_login(eventID="s1", userIdentity=SAML),
        console_login(
            eventID="h1",
            userIdentity=HIDDEN,
            sourceIPAddress="192.0.2.9",
            responseElements={"ConsoleLogin": "Failure"},
            errorMessage="No username found in supplied account",
        ),
        console_login(eventID="c1", eventName="CheckMfa", responseElements={"CheckMfa": "Success"}),
    )


def test_summary_counts_logins_only_and_mfa_share_ignores_federated() -> None:
    s = summary(sample())
    assert s["signin_events"] == 7
    assert s["sign_ins"] == 6  # CheckMfa is a step, not a sign-in
    assert (s["successes"], s["failures"]) == (4, 2)
    assert s["distinct_users"] == 3  # Anaya, root, frank; the unknown name is not a user
    assert s["unknown_user_attempts"] == 1
    assert (s["successes_with_mfa"], s["successes_without_mfa"]) == (1, 2)
    assert s["successes_federated_idp"] == 1
    assert s["mfa_share"] == round(1 / 3, 4)


def test_by_user() -> None:
    table = by_user(sample()).set_index("user_name")
    anaya = table.loc["Anaya"]
    assert (anaya["sign_ins"], anaya["successes"], anaya["failures"]) == (3, 2, 1)
    mfa_counts = ["successes_with_mfa", "successes_without_mfa", "successes_federated_idp"]
    assert tuple(anaya[mfa_counts]) == (1, 1, 0)  # the failed attempt counts in none
    assert anaya["source_ips"] == 2
    assert anaya["regions"] == "eu-north-1, us-east-1"
    assert table.loc["frank", "successes_federated_idp"] == 1


def test_by_endpoint_keeps_logged_region_apart() -> None:
    table = by_endpoint(sample())
    regions = sorted(table[table["endpoint"] == "signin.aws.amazon.com"]["region"])
    assert regions == ["eu-north-1", "us-east-1"]


def test_without_mfa_lists_iam_users_and_root_never_federated() -> None:
    listed = without_mfa(sample())
    assert sorted(listed["event_id"]) == ["a2", "r1"]


def test_mfa_by_identity() -> None:
    table = mfa_by_identity(sample()).set_index("identity_type")
    assert table.loc["AssumedRole", "successes_federated_idp"] == 1
    assert table.loc["IAMUser", "successes_with_mfa"] == 1
    assert table.loc["Root", "successes_without_mfa"] == 1


def test_failures() -> None:
    data = sample()
    kinds = failures_by_kind(data).set_index("failure_kind")["failures"].to_dict()
    assert kinds == {"bad_password": 1, "unknown_user": 1}
    by_ip = failures_by_source_ip(data).set_index("source_ip")
    assert by_ip.loc["192.0.2.9", "failures"] == 2
    assert by_ip.loc["192.0.2.9", "users"] == 2
    users = failures_by_user(data)["user_name"].tolist()
    assert "HIDDEN_DUE_TO_SECURITY_REASONS" in users


def test_reports_on_an_empty_frame() -> None:
    empty = empty_frame()
    assert summary(empty)["sign_ins"] == 0
    assert summary(empty)["mfa_share"] is None
    for report in (
        by_user,
        by_endpoint,
        without_mfa,
        mfa_by_identity,
        failures_by_kind,
        failures_by_user,
        failures_by_source_ip,
    ):
        assert report(empty).empty
