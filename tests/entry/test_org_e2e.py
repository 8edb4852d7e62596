"""`signin-report --org-role` in a subprocess against moto in server mode: Organizations,
STS AssumeRole routed to each member account, LookupEvents per (account, region)."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import console_login, hermetic_env
from tests.entry.test_cli import command
from tests.fakes import MotoLookupEvents

MANAGEMENT = "123456789012"
NOW = datetime.now(UTC).replace(microsecond=0)
REGIONS = "us-east-1,eu-west-1"


def stamp(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Org:
    endpoint: str
    ids: dict[str, str]
    fake: MotoLookupEvents
    assumed: list[dict[str, Any]] = field(default_factory=list)


def failed_root(account: str, ip: str, hours_ago: float) -> dict[str, Any]:
    return console_login(
        eventID=f"fail-{account}-{ip}-{hours_ago}",
        eventTime=stamp(hours_ago),
        recipientAccountId=account,
        sourceIPAddress=ip,
        userIdentity={"type": "Root", "arn": f"arn:aws:iam::{account}:root",
                      "accountId": account},
        responseElements={"ConsoleLogin": "Failure"},
        errorMessage="Failed authentication",
    )  # fmt: skip


@pytest.fixture(scope="module")
def org() -> Iterator[Org]:
    from moto.sts.exceptions import STSClientError
    from moto.sts.responses import TokenResponse

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "organizations", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    client.create_organization(FeatureSet="ALL")
    ids = {"management": MANAGEMENT}
    for name in ("alpha", "beta", "no_role", "no_lookup", "closed"):
        created = client.create_account(AccountName=name, Email=f"{name}@example.com")
        ids[name] = created["CreateAccountStatus"]["AccountId"]
    client.close_account(AccountId=ids["closed"])
    store: dict[tuple[str, str], list[dict[str, Any]]] = {
        (MANAGEMENT, "us-east-1"): [
            console_login(eventID="m-1", eventTime=stamp(30), recipientAccountId=MANAGEMENT),
            failed_root(MANAGEMENT, "203.0.113.9", 4.5),
        ],
        (ids["alpha"], "eu-west-1"): [
            console_login(eventID=f"a-{i}", eventTime=stamp(20 + i / 10), awsRegion="eu-west-1",
                          recipientAccountId=ids["alpha"])
            for i in range(55)
        ],
        # one address failing root sign-ins in three accounts: spraying the organization
        (ids["alpha"], "us-east-1"): [failed_root(ids["alpha"], "203.0.113.9", 5)],
        (ids["beta"], "us-east-1"): [
            failed_root(ids["beta"], "203.0.113.9", 4),
            {**failed_root(ids["beta"], "198.51.100.7", 2), "eventID": "beta-root",
             "responseElements": {"ConsoleLogin": "Success"}, "errorMessage": None},
        ],
    }  # fmt: skip
    fake = MotoLookupEvents(store, denied={ids["no_lookup"]})
    remove = fake.install()
    state = Org(endpoint, ids, fake)
    original = TokenResponse.assume_role

    def assume_role(self: Any) -> Any:
        arn = self._get_param("RoleArn")
        state.assumed.append({
            "RoleArn": arn, "ExternalId": self._get_param("ExternalId"),
            "RoleSessionName": self._get_param("RoleSessionName"),
        })  # fmt: skip
        if f":{ids['no_role']}:" in arn:
            raise STSClientError("AccessDenied", f"not authorized: sts:AssumeRole on {arn}")
        return original(self)

    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
    yield state
    TokenResponse.assume_role = original  # type: ignore[method-assign]
    remove()
    server.stop()


def signin_report(org: Org, *args: str) -> subprocess.CompletedProcess[str]:
    env = hermetic_env(
        AWS_ENDPOINT_URL=org.endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
    )
    return subprocess.run(
        [*command(), "--org-role", "SigninAudit", "--regions", REGIONS, "--days", "7", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.filterwarnings("ignore:Exception\\(STSClientError\\)")  # moto's shape lookup
def test_organization_report_covers_and_names_every_account(org: Org) -> None:
    result = signin_report(
        org, "--external-id", "x-123", "--role-session-name", "weekly", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    ids = org.ids
    report = json.loads(result.stdout)
    coverage = report["coverage"]
    assert (coverage["accounts_covered"], coverage["accounts_total"]) == (3, 6)
    status = {a["account"]: a["status"] for a in coverage["accounts"]}
    assert status == {
        MANAGEMENT: "read", ids["alpha"]: "read", ids["beta"]: "read",
        ids["no_role"]: "role_not_assumed", ids["no_lookup"]: "access_denied",
        ids["closed"]: "suspended",
    }  # fmt: skip
    assert f"account {ids['no_role']}: role not assumed: " in result.stderr
    assert "AccessDenied" in result.stderr
    assert report["summary"]["sign_ins"] == 2 + 55 + 1 + 2
    assert report["summary"]["accounts"] == 3
    per_account = {row["account_id"]: row for row in report["accounts"]}
    assert per_account[ids["alpha"]]["sign_ins"] == 56
    assert per_account[ids["beta"]]["root_sign_ins"] == 1
    assert per_account[ids["no_role"]]["sign_ins"] == 0
    assert per_account[ids["no_role"]]["status"] == "role_not_assumed"
    # the caller's own account with its own credentials; members through the role
    asked = {a["RoleArn"].split(":")[4] for a in org.assumed}
    assert MANAGEMENT not in asked
    assert {ids["alpha"], ids["beta"], ids["no_role"], ids["no_lookup"]} <= asked
    assert ids["closed"] not in asked
    assert all(a["ExternalId"] == "x-123" for a in org.assumed)
    assert all(a["RoleSessionName"] == "weekly" for a in org.assumed)
    assert all(a["RoleArn"].endswith(":role/SigninAudit") for a in org.assumed)
    found = {(f["rule_id"], f["title"]) for f in report["findings"]}
    assert ("org_failures_from_ip", "Sign-ins failing in 3 accounts from 203.0.113.9") in found
    # the management account comes from DescribeOrganization: root there is no member's
    assert ("member_root_signin", f"Root user signed in to member account {ids['beta']}") in found
    assert [a["management"] for a in coverage["accounts"]].count(True) == 1

    strict = signin_report(org, "--strict", "--format", "json", "--quiet")
    assert strict.returncode == 3
    only = signin_report(org, "--accounts", ids["alpha"], "--strict", "--format", "markdown")
    assert only.returncode == 0, only.stderr
    assert "covered 1 of 1" in only.stdout


def test_org_options_are_checked() -> None:
    env = hermetic_env()
    misuse = subprocess.run(
        [*command(), "--external-id", "x", "--days", "7"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert misuse.returncode == 2
    assert (
        "--external-id: applies only when assuming an organization's member role; give "
        "--org-role ROLE" in misuse.stderr
    )
    with_files = subprocess.run(
        [*command(), "--org-role", "audit", "--logs", "sample_logs", "--days", "7"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert with_files.returncode == 2
    assert "--org-role: an organization is read from each account's event history" in (
        with_files.stderr
    )
    section = subprocess.run(
        [*command(), "--section", "accounts", "--days", "7"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert section.returncode == 2
    assert "--section accounts only applies to an organization run (--org-role)" in section.stderr
