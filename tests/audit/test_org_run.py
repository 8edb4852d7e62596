"""An organization run through the library's audit request: the same `AuditRun` the CLI,
the Lambda handler and `run_audit_job` use, with the member sessions made from the run's one
session, and the request checks every entry point shares."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest

from analyzer.audit.request import AuditRequest, Aws, Rendering, Sources, Status
from analyzer.audit.run import run_audit
from analyzer.domain.errors import Remedy, RequestError
from analyzer.entry.lambda_handler import request_from_environment
from analyzer.render.formats import OutputFormat
from tests.aws.test_organization import (  # noqa: F401 - `org` is a fixture
    REGIONS,
    WINDOW,
    _fast_backoff,
    deny_assume_role,
    events,
    org,
)
from tests.conftest import console_login
from tests.fakes import MotoLookupEvents

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"


def root_signin(account: str) -> dict[str, Any]:
    return console_login(
        eventID=f"root-{account}",
        eventTime="2026-11-03T09:00:00Z",
        recipientAccountId=account,
        userIdentity={"type": "Root", "arn": f"arn:aws:iam::{account}:root", "accountId": account},
    )


def org_request(**aws: Any) -> AuditRequest:
    return AuditRequest(
        window=WINDOW,
        sources=Sources(org_role="audit", regions=tuple(REGIONS)),
        rendering=Rendering(format=OutputFormat.json),
        aws=Aws(**aws),
    )


def test_the_audit_request_reads_the_organization_with_the_run_session(
    org: dict[str, str],  # noqa: F811
) -> None:
    store = {
        (org["management"], "us-east-1"): events(org["management"], "us-east-1", 2),
        (org["read"], "eu-west-1"): [
            *events(org["read"], "eu-west-1", 3),
            root_signin(org["read"]),
        ],
    }
    fake = MotoLookupEvents(store, denied={org["denied_lookup"]})
    session = boto3.Session(region_name="us-east-1")
    # Refusing AssumeRole on this session's events proves the members are assumed through it.
    asked = deny_assume_role(session, org["denied_role"])
    remove = fake.install()
    try:
        result = run_audit(
            org_request(external_id="xid", role_session_name="weekly"), session=session
        )
    finally:
        remove()
    status = {a.account: a.status for a in result.coverage.accounts}
    assert status[org["management"]] == "read"
    assert status[org["read"]] == "read"
    assert status[org["denied_role"]] == "role_not_assumed"
    assert status[org["denied_lookup"]] == "access_denied"
    assert status[org["suspended"]] == "suspended"
    calls = [parse_qs(body) for body in asked]
    assert {c["ExternalId"][0] for c in calls} == {"xid"}
    assert {c["RoleSessionName"][0] for c in calls} == {"weekly"}
    assert not any(f":{org['management']}:" in c["RoleArn"][0] for c in calls)
    assert len(result.frame) == 2 + 3 + 1
    # the management account comes from the run: root in a member account is a finding
    member_root = [f for f in result.findings if f.rule_id == "member_root_signin"]
    assert [f.title for f in member_root] == [
        f"Root user signed in to member account {org['read']}"
    ]
    report = json.loads(result.text)
    assert report["coverage"]["accounts_total"] == 6
    assert {row["account_id"] for row in report["accounts"]} == set(status)
    assert result.status is Status.ok  # gaps matter with strict only


@pytest.mark.parametrize(
    ("request_", "subject", "remedy"),
    [
        (AuditRequest(WINDOW, Sources(logs=(SAMPLE,), org_role="audit")), "org_role", None),
        (AuditRequest(WINDOW, Sources(s3=("s3://b/p",), org_role="audit")), "org_role", None),
        (AuditRequest(WINDOW, Sources(org_role=" / ")), "org_role", None),
        (AuditRequest(WINDOW, aws=Aws(external_id="x")), "external_id", Remedy.name_org_role),
        (
            AuditRequest(WINDOW, aws=Aws(role_session_name="n")),
            "role_session_name",
            Remedy.name_org_role,
        ),
    ],
)
def test_an_organization_request_that_cannot_run_is_refused_before_any_work(
    request_: AuditRequest, subject: str, remedy: Remedy | None
) -> None:
    with pytest.raises(RequestError) as caught:
        run_audit(request_)
    assert caught.value.subject == subject
    assert caught.value.remedy is remedy


NOW = datetime(2026, 11, 9, 6, tzinfo=UTC)


def test_lambda_environment_names_the_organization() -> None:
    request = request_from_environment(
        {"SIGNIN_HISTORY": "s3://audit/h", "SIGNIN_ORG_ROLE": "audit/Reader",
         "SIGNIN_EXTERNAL_ID": "xid"},
        NOW,
    )  # fmt: skip
    assert request.sources.org_role == "audit/Reader"
    assert request.sources.lookup
    assert request.aws.external_id == "xid"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SIGNIN_EXTERNAL_ID": "xid"}, "SIGNIN_EXTERNAL_ID"),
        ({"SIGNIN_ORG_ROLE": "audit", "SIGNIN_SOURCE": "trails"}, "SIGNIN_ORG_ROLE"),
    ],
)
def test_lambda_names_a_bad_organization_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        request_from_environment({"SIGNIN_HISTORY": "s3://audit/h", **env}, NOW)
