"""One number, one meaning: every table of a report adds up to the summary.

The summary, the MFA table and the findings count successful sign-ins; before, "Sign-ins by
user" counted MFA status over every attempt, failures included, so root was `no_mfa 3` in one
table and 1 in another. These checks hold for any frame; they run on the shipped sample and on
a frame built to tell the two meanings apart (failed attempts with and without MFA, the same
user name in two accounts, an unknown user name)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import analyzer
from analyzer.findings.config import FindingsConfig
from analyzer.findings.engine import run_rules
from analyzer.reports.report import SigninReport, build_report
from tests.conftest import console_login
from tests.reports.test_reports import frame

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"
FAILED = {"responseElements": {"ConsoleLogin": "Failure"}, "errorMessage": "Failed authentication"}


def record(event_id: str, account: str, name: str, **overrides: Any) -> dict[str, Any]:
    identity = {
        "type": "IAMUser",
        "principalId": f"AIDA{account}{name.upper()}",
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "userName": name,
    }
    return console_login(
        eventID=event_id, recipientAccountId=account, userIdentity=identity, **overrides
    )


def root(event_id: str, account: str, **overrides: Any) -> dict[str, Any]:
    identity = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root"}
    return console_login(
        eventID=event_id, recipientAccountId=account, userIdentity=identity, **overrides
    )


def mfa(used: str) -> dict[str, Any]:
    return {"additionalEventData": {"MFAUsed": used, "LoginTo": "https://console.aws.amazon.com/"}}


def tricky_frame() -> pd.DataFrame:
    records = [
        root("r1", "111111111111", **mfa("No")),
        root("r2", "111111111111", **mfa("No"), **FAILED),
        root("r3", "111111111111", **mfa("No"), **FAILED),
        root("r4", "111111111111", **mfa("Yes"), **FAILED),
        record("a1", "111111111111", "admin", **mfa("Yes")),
        record("a2", "222222222222", "admin", **mfa("No")),  # same name, another account
        record("a3", "222222222222", "admin", **mfa("Yes"), **FAILED),
        record("a4", "111111111111", "admin", **mfa("No"), **FAILED),
        record("h1", "111111111111", "HIDDEN_DUE_TO_SECURITY_REASONS", **mfa("No"), **FAILED),
    ]
    return frame(*records)


def sample_frame() -> pd.DataFrame:
    return analyzer.read_logs(SAMPLE, since="2026-11-02", until="2026-11-09")


def report_of(frame: pd.DataFrame) -> SigninReport:
    return build_report(
        frame,
        None,
        window=None,
        generated_at=datetime(2026, 11, 26, tzinfo=UTC),
        findings=run_rules(frame, None, FindingsConfig()),
    )


MFA_COUNTS = ["successes_with_mfa", "successes_without_mfa", "successes_federated_idp"]


@pytest.mark.parametrize("frame", [sample_frame, tricky_frame], ids=["sample", "tricky"])
def test_every_table_adds_up_to_the_summary(frame: Any) -> None:
    report = report_of(frame())
    summary, tables = report.summary, report.tables
    users = tables["users"]
    for column in ["sign_ins", "successes", "failures", *MFA_COUNTS]:
        assert users[column].sum() == summary.get(column, summary["sign_ins"]), column
    mfa = tables["mfa_by_identity"]
    for column in [*MFA_COUNTS, "successes_mfa_unknown"]:
        assert mfa[column].sum() == summary[column], column
    assert mfa[[*MFA_COUNTS, "successes_mfa_unknown"]].to_numpy().sum() == summary["successes"]
    endpoints = tables["endpoints"]
    for column in ["sign_ins", "successes", "failures"]:
        assert endpoints[column].sum() == summary[column], column
    for key in ["failures_by_kind", "failures_by_user", "failures_by_source_ip"]:
        assert tables[key]["failures"].sum() == summary["failures"], key

    # Successful IAM user / root sign-ins without MFA: one count in the users table, the MFA
    # table, the list, and the no_mfa finding.
    iam_or_root = users["identity_type"].isin(["IAMUser", "Root"])
    listed = len(tables["without_mfa"])
    assert users.loc[iam_or_root, "successes_without_mfa"].sum() == listed
    by_identity = mfa.set_index("identity_type")["successes_without_mfa"]
    assert by_identity.reindex(["IAMUser", "Root"], fill_value=0).sum() == listed
    no_mfa_events = sum(len(f.evidence) for f in report.findings if f.rule_id == "no_mfa")
    assert no_mfa_events == listed

    # Users: a user is an account plus a name, never a bare name across accounts.
    known = users[users["user_name"] != "HIDDEN_DUE_TO_SECURITY_REASONS"]
    assert len(known.drop_duplicates(["account_id", "user_name"])) == summary["distinct_users"]
    hidden = users[users["user_name"] == "HIDDEN_DUE_TO_SECURITY_REASONS"]
    assert hidden["sign_ins"].sum() == summary["unknown_user_attempts"]


def test_failed_attempts_never_count_as_mfa_use() -> None:
    report = report_of(tricky_frame())
    users = report.tables["users"]
    root_row = users[users["user_name"] == "root"].iloc[0].to_dict()
    assert (root_row["sign_ins"], root_row["failures"]) == (4, 3)
    assert (root_row["successes_with_mfa"], root_row["successes_without_mfa"]) == (0, 1)
    assert report.summary["distinct_users"] == 3  # root, admin in 111..., admin in 222...
    by_ip = report.tables["failures_by_source_ip"]
    assert by_ip["users"].tolist() == [4]  # root, admin in each account, the unknown name
