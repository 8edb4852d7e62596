"""Every real sign-in record published by others (tests/data/public_events, provenance in its
README.md) normalizes to the values spelled out here, and those values agree with what each
source states in expected.jsonl. Every other record in those files is dropped, and none
raises."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analyzer import collect_logs, normalize_record

DATA = Path(__file__).parent / "data" / "public_events"
FIELDS = (
    "event_name", "event_kind", "identity_type", "user_name", "outcome", "failure_kind",
    "mfa_status", "endpoint", "endpoint_scope",
)  # fmt: skip

# Reviewed by hand against DOMAIN.md's rules: federated sessions (AssumedRole, SAML provider,
# Identity Center external IdP) are `idp`; MFAUsed=Yes on a failure is an MFA-stage failure;
# endpoints come from tlsDetails, else from LoginTo (root never inferred regional).
EXPECTED: dict[tuple[str, int], tuple[Any, ...]] = {
    ("aws-cli__lookup-events-example.json", 0): (
        "ConsoleLogin",
        "login",
        "AssumedRole",
        "my-session-name",
        "success",
        None,
        "idp",
        None,
        None,
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 2): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 3): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "idp",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 4): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 5): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "failure",
        "mfa",
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 6): (
        "ConsoleLogin",
        "login",
        "AssumedRole",
        "tester@example.com",
        None,
        None,
        "idp",
        None,
        None,
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 7): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 8): (
        "ConsoleLogin",
        "login",
        "AssumedRole",
        "foo@bar.com",
        "success",
        None,
        "idp",
        None,
        None,
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 9): (
        "ConsoleLogin",
        "login",
        "AssumedRole",
        None,
        "success",
        None,
        "idp",
        None,
        None,
    ),
    ("panther-analysis__aws_console_login_without_mfa.json", 10): (
        "ConsoleLogin",
        "login",
        "AssumedRole",
        "1641313043312360000",
        "success",
        None,
        "idp",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_saml.json", 0): (
        "ConsoleLogin",
        "login",
        "AssumedRole",
        "tester@domain.tld",
        "success",
        None,
        "idp",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_without_saml.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_root_login.json", 0): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_root_login_failed.json", 0): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "failure",
        "other",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_root_login_failed.json", 1): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_cloudtrail_unsuccessful_mfa_attempt.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "anaya",
        "success",
        None,
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_cloudtrail_unsuccessful_mfa_attempt.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "anaya",
        "failure",
        "mfa",
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_cloudtrail_password_spraying.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "alice",
        "failure",
        "other",
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__aws_cloudtrail_password_spraying.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "alice",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__aws_cloudtrail_password_spraying.json", 3): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "failure",
        "other",
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__aws_cloudtrail_useraccesskeyauth.json", 2): (
        "ConsoleLogin",
        "login",
        "AssumedRole",
        "nicholas.hakmiller",
        "success",
        None,
        "idp",
        "us-west-2.signin.aws.amazon.com",
        "regional",
    ),
    ("panther-analysis__aws_cloudtrail_useraccesskeyauth.json", 3): (
        "AssumeRole",
        "other",
        "AssumedRole",
        "nicholas.hakmiller",
        "success",
        None,
        "idp",
        "us-west-2.signin.aws.amazon.com",
        "regional",
    ),
    ("panther-analysis__aws_console_getsignintoken.json", 0): (
        "GetSigninToken",
        "federation",
        "AssumedRole",
        "session",
        None,
        None,
        "idp",
        None,
        None,
    ),
    ("panther-analysis__aws_console_getsignintoken.json", 1): (
        "GetSigninToken",
        "federation",
        "AssumedRole",
        "user@example.com",
        None,
        None,
        "idp",
        None,
        None,
    ),
    ("panther-analysis__aws_console_getsignintoken.json", 2): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "admin",
        None,
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__aws_console_signin.json", 0): (
        "Authenticate",
        "portal",
        None,
        None,
        None,
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__aws_root_activity.json", 3): (
        "ExternalIdPDirectoryLogin",
        "login",
        "Root",
        "root",
        "failure",
        "other",
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__aws_root_activity.json", 4): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_root_password_changed.json", 0): (
        "PasswordUpdated",
        "password",
        "Root",
        "root",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__aws_root_password_changed.json", 1): (
        "PasswordUpdated",
        "password",
        "Root",
        "root",
        "failure",
        "other",
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__retrieve_sso_access_token.json", 0): (
        "CreateToken",
        "portal",
        "Unknown",
        "<victim display name>",
        None,
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__signin_with_aws_cli_prompt.json", 0): (
        "ListApplications",
        "portal",
        "Unknown",
        "<victim display name>",
        None,
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__brute_force_by_ip.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "testuser",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__brute_force_by_ip.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "failure",
        "other",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__impossible_travel_login.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__impossible_travel_login.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__sign_in_from_rogue_state.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__new_user_account_logging.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "some_user",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__AWS_Authentication_from_CrowdStrike_Unmanaged_Device.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "homer_simpson",
        "success",
        None,
        "mfa",
        "us-east-2.signin.aws.amazon.com",
        "regional",
    ),
    ("panther-analysis__aws_console_login_failed@4d952571.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "failure",
        "other",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_console_login_failed@4d952571.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_root_console_login@4d952571.json", 0): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_root_console_login@4d952571.json", 1): (
        "NonConsoleLogin",
        "other",
        "Root",
        "root",
        "success",
        None,
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__aws_root_console_login@4d952571.json", 2): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "bob",
        "success",
        None,
        "mfa",
        "us-west-2.signin.aws.amazon.com",
        "regional",
    ),
    ("panther-analysis__aws_root_console_login@4d952571.json", 3): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "failure",
        "mfa",
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__unusual_login@2d4c1f26.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "some_user",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__unusual_login@2d4c1f26.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "some_user",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__unusual_login@2d4c1f26.json", 2): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "some_user",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__unusual_login@2d4c1f26.json", 3): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "some_user",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__unusual_login@2d4c1f26.json", 4): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "some_user",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("panther-analysis__unusual_login@2d4c1f26.json", 5): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "tester",
        "failure",
        "other",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__compromised-root-creds__attacker_cloudtrail.json", 0): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "failure",
        "other",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__compromised-root-creds__attacker_cloudtrail.json", 1): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "failure",
        "other",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__compromised-root-creds__attacker_cloudtrail.json", 2): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "failure",
        "other",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__compromised-root-creds__attacker_cloudtrail.json", 3): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__compromised-root-creds__victim_cloudtrail.json", 0): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__compromised-root-creds__victim_cloudtrail.json", 2): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("panther-analysis__compromised-root-creds__victim_cloudtrail.json", 3): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "anaya",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "anaya",
        "success",
        None,
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 2): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "anaya",
        "failure",
        "mfa",
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 3): (
        "CheckMfa",
        "mfa_check",
        "IAMUser",
        "anaya",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 4): (
        "CheckMfa",
        "mfa_check",
        "IAMUser",
        "anaya",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 5): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 6): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 7): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "failure",
        "bad_password",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@c7adfd8.json", 9): (
        "PasswordUpdated",
        "password",
        "Root",
        "root",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@7c8875b.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "alice",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@7c8875b.json", 1): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "Alice",
        "success",
        None,
        "mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-cloudtrail-user-guide__console-sign-in-events@7c8875b.json", 2): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "alice",
        "failure",
        "bad_password",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-iam-user-guide__cloudtrail-integration.json", 5): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "JaneDoe",
        "failure",
        "bad_password",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-iam-user-guide__cloudtrail-integration.json", 6): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "HIDDEN_DUE_TO_SECURITY_REASONS",
        "failure",
        "unknown_user",
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 0): (
        "CredentialChallenge",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 1): (
        "CredentialVerification",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 2): (
        "UserAuthentication",
        "login",
        "Unknown",
        "user1",
        "success",
        None,
        "no_mfa",
        "d-1234567890.awsapps.com",
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 3): (
        "UserAuthentication",
        "login",
        "Unknown",
        "user1",
        "success",
        None,
        "idp",
        "d-1234567890.awsapps.com",
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 4): (
        "CredentialChallenge",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 5): (
        "CredentialVerification",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 6): (
        "CredentialChallenge",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "mfa",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 7): (
        "CredentialVerification",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "mfa",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 8): (
        "UserAuthentication",
        "login",
        "Unknown",
        "user1",
        "success",
        None,
        "mfa",
        "d-1234567890.awsapps.com",
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 9): (
        "CredentialChallenge",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 10): (
        "CredentialVerification",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 11): (
        "UserAuthentication",
        "login",
        "Unknown",
        "user1",
        "success",
        None,
        "no_mfa",
        "d-1234567890.awsapps.com",
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 12): (
        "CredentialChallenge",
        "credential_step",
        "Unknown",
        "user1",
        "success",
        None,
        "unknown",
        None,
        None,
    ),
    ("awsdocs-sso-user-guide__understanding-sign-in-events.json", 13): (
        "CredentialVerification",
        "login",
        "Unknown",
        "user1",
        "failure",
        "bad_password",
        "unknown",
        None,
        None,
    ),
    ("stratus-red-team__console-login-without-mfa.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "stratus-red-team-nmfalu-jfzdtsvchl",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("fivexl-cloudtrail-to-slack__test_events.json", 0): (
        "ConsoleLogin",
        "login",
        "IAMUser",
        "xxxxxxxx",
        "success",
        None,
        "no_mfa",
        "signin.aws.amazon.com",
        "global",
    ),
    ("fivexl-cloudtrail-to-slack__test_events.json", 4): (
        "ConsoleLogin",
        "login",
        "Root",
        "root",
        "success",
        None,
        "mfa",
        None,
        None,
    ),
}


def _expectations() -> list[dict[str, Any]]:
    with (DATA / "expected.jsonl").open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _record(file: str, index: int) -> Any:
    return json.loads((DATA / file).read_text())["Records"][index]


def _row(file: str, index: int) -> dict[str, Any]:
    normalized = normalize_record(_record(file, index), f"{file}#{index}")
    assert normalized is not None, f"{file}#{index} was dropped but is a sign-in record"
    return normalized.row


def test_every_sign_in_record_is_spelled_out() -> None:
    listed = {(e["file"].split("/")[-1], e["record_index"]) for e in _expectations()}
    assert listed == set(EXPECTED)


@pytest.mark.parametrize(("file", "index"), sorted(EXPECTED))
def test_sign_in_record_normalizes_to_spelled_out_values(file: str, index: int) -> None:
    row = _row(file, index)
    assert tuple(row[f] for f in FIELDS) == EXPECTED[(file, index)]


def test_non_sign_in_records_are_dropped_and_nothing_raises() -> None:
    listed = {(e["file"].split("/")[-1], e["record_index"]) for e in _expectations()}
    dropped = 0
    for path in sorted(DATA.glob("*.json")):
        for index, record in enumerate(json.loads(path.read_text())["Records"]):
            result = normalize_record(record, f"{path.name}#{index}")
            if (path.name, index) in listed:
                assert result is not None
            else:
                assert result is None, f"{path.name}#{index} is not a sign-in event"
                dropped += 1
    assert dropped == 35  # 126 records in all, 91 of them sign-ins


def test_reading_the_folder_keeps_every_record_and_dedupes_by_event_id() -> None:
    collection = collect_logs(DATA)
    coverage = collection.coverage
    assert coverage.signin_records == 91
    assert coverage.records_rejected == 0
    # fixtures reuse ids ("1", "111", AWS doc copies): identical copies are dropped, a
    # different record under a known id is kept and named (event_id_conflict)
    assert coverage.duplicates_dropped + coverage.kept == 91
    ids = collection.frame["event_id"]
    conflicts = [p for p in coverage.problems if "(event_id_conflict)" in p.message]
    assert len(conflicts) == len(ids) - ids.nunique()
    assert coverage.files_skipped == {"not a JSON file": 1}  # the provenance README


# What each source states, as a predicate over our normalized row. Rules whose result depends
# on state the record does not carry (geo lookups, history, account-age mocks) are not here.
def _success_without_mfa(row: dict[str, Any]) -> bool:
    return bool(row["outcome"] == "success" and row["mfa_status"] == "no_mfa")


PANTHER_RULES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "AWS.Console.LoginWithoutMFA": _success_without_mfa,
    "AWS.Console.LoginWithoutSAML": lambda r: (
        r["event_name"] == "ConsoleLogin"
        and r["outcome"] == "success"
        and not str(r["identity_provider"] or "").startswith("arn:aws:iam::")
    ),
    "AWS.Console.RootLogin": lambda r: (
        r["identity_type"] == "Root"
        and r["event_name"] == "ConsoleLogin"
        and r["outcome"] == "success"
    ),
    "AWS.CloudTrail.RootConsoleLogin": lambda r: (
        r["identity_type"] == "Root"
        and r["event_name"] == "ConsoleLogin"
        and r["outcome"] == "success"
    ),
    "AWS.Console.RootLoginFailed": lambda r: (
        r["identity_type"] == "Root" and r["outcome"] == "failure"
    ),
    "AWS.Unsuccessful.MFA.attempt": lambda r: r["failure_kind"] == "mfa",
    "AWS.CloudTrail.PasswordSpraying": lambda r: r["outcome"] == "failure",
    "AWS.Console.LoginFailed": lambda r: r["outcome"] == "failure",
    "Standard.BruteForceByIP": lambda r: r["outcome"] == "failure",
    "AWS.Console.GetSigninToken.Abuse": lambda r: (
        r["event_name"] == "GetSigninToken" and r["identity_provider"] != "IAM Identity Center"
    ),
    "AWS.Root.Activity": lambda r: r["identity_type"] == "Root" and r["outcome"] == "success",
    "AWS.CloudTrail.RootPasswordChanged": lambda r: (
        r["event_name"] == "PasswordUpdated" and r["outcome"] == "success"
    ),
    "AWS.Console.Sign-In": lambda r: (
        r["event_source"] == "sso.amazonaws.com" and r["event_name"] == "Authenticate"
    ),
    "Retrieve.SSO.access.token": lambda r: r["event_name"] == "CreateToken",
    "Sign-in.with.AWS.CLI.prompt": lambda r: r["event_name"] == "ListApplications",
}


def _long_term_key(record: dict[str, Any]) -> bool:
    """UserAccessKeyAuth: the event was signed with a long-term IAM user access key (AKIA...);
    our rows do not carry the key, so this one is decided on the record."""
    key = str((record.get("userIdentity") or {}).get("accessKeyId") or "")
    return key.startswith("AKIA")


RECORD_RULES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "AWS.CloudTrail.UserAccessKeyAuth": _long_term_key,
}


def _successful_console_login(row: dict[str, Any]) -> bool:
    return bool(row["event_name"] == "ConsoleLogin" and row["outcome"] == "success")


# Rules that also need state the record does not carry (geo lookups, history, a device
# inventory). What the record decides is checked: Panther alerting means that part holds; a
# "no alert" with that part holding must be one the stated mocks (the state) decided.
MOCKED_STATE: dict[str, Callable[[dict[str, Any]], bool]] = {
    "Standard.ImpossibleTravel.Login": _successful_console_login,
    "Standard.UnusualLogin": _successful_console_login,
    "Standard.SignInFromRogueState": _successful_console_login,
    "AWS.Authentication.From.CrowdStrike.Unmanaged.Device": _successful_console_login,
    "Standard.NewUserAccountCreated": lambda r: (
        r["event_name"] in {"CreateUser", "CreateLoginProfile"}
    ),
}


def _panther_cases() -> list[tuple[str, int, dict[str, Any]]]:
    return [
        (e["file"].split("/")[-1], e["record_index"], e["expected"])
        for e in _expectations()
        if "panther_rule_id" in e["expected"]
    ]


@pytest.mark.parametrize(("file", "index", "stated"), _panther_cases())
def test_panther_rule_results_agree(file: str, index: int, stated: dict[str, Any]) -> None:
    rule = stated["panther_rule_id"]
    mocks = {m["objectName"]: m["returnValue"] for m in stated.get("panther_mocks", [])}
    expected = stated["panther_expected_result"]
    assert isinstance(expected, bool)
    row = _row(file, index)
    if rule in MOCKED_STATE:
        holds = MOCKED_STATE[rule](row)
        if expected:
            assert holds
        elif holds:
            assert mocks, "only stated state can turn what the record decides into no alert"
        return
    if rule in RECORD_RULES:
        assert RECORD_RULES[rule](_record(file, index)) is expected
        return
    if mocks.get("check_account_age") == "True":
        # The rule suppresses brand-new users (state): Panther says no alert, the record
        # itself is a sign-in without MFA.
        assert expected is False
        assert _success_without_mfa(row)
        return
    assert PANTHER_RULES[rule](row) is expected


DOC_CAPTIONS: dict[str, dict[str, Any]] = {
    "IAM user, successful sign-in without MFA": {"outcome": "success", "mfa_status": "no_mfa"},
    "IAM user, successful sign-in with MFA": {"outcome": "success", "mfa_status": "mfa"},
    "IAM user, unsuccessful sign-in": {"outcome": "failure"},
    "Root user, successful sign-in without MFA": {"identity_type": "Root", "mfa_status": "no_mfa"},
    "Root user, successful sign-in with MFA": {"identity_type": "Root", "mfa_status": "mfa"},
    "Root user, unsuccessful sign-in": {"identity_type": "Root", "outcome": "failure"},
    "Root user, password changed": {"event_name": "PasswordUpdated", "outcome": "success"},
    "Example sign-in failure event caused by incorrect user name": {
        "failure_kind": "unknown_user", "unknown_user": True,
    },
    "Example sign-in failure event in CloudTrail log file": {"failure_kind": "bad_password"},
    "Successful sign-in when authenticating with an external identity provider": {
        "mfa_status": "idp", "outcome": "success",
    },
}  # fmt: skip
# Sections that show a sequence of events: what each labelled event is.
DOC_LABELS: dict[str, dict[str, Any]] = {
    "CredentialChallenge (Password)": {"event_kind": "credential_step", "outcome": "success"},
    "Failed CredentialVerification (Password)": {
        "event_kind": "login", "outcome": "failure", "failure_kind": "bad_password",
    },
}  # fmt: skip


@pytest.mark.parametrize(
    ("file", "index", "stated"),
    [
        (e["file"].split("/")[-1], e["record_index"], e["expected"])
        for e in _expectations()
        if e["expected"].get("doc_section") in DOC_CAPTIONS
        or e["expected"].get("doc_label") in DOC_LABELS
    ],
)
def test_aws_doc_captions_agree(file: str, index: int, stated: dict[str, Any]) -> None:
    row = _row(file, index)
    expected = DOC_LABELS.get(stated.get("doc_label", "")) or DOC_CAPTIONS[stated["doc_section"]]
    assert expected, stated["doc_section"]
    for field, value in expected.items():
        assert row[field] == value, (stated["doc_section"], field)


def test_identity_center_failed_password_is_the_failed_attempt() -> None:
    row = _row("awsdocs-sso-user-guide__understanding-sign-in-events.json", 13)
    assert (row["event_kind"], row["outcome"], row["failure_kind"]) == (
        "login", "failure", "bad_password",
    )  # fmt: skip


def test_lookup_events_wrapper_fields_agree() -> None:
    row = _row("aws-cli__lookup-events-example.json", 0)
    assert row["event_name"] == "ConsoleLogin"
    assert row["user_name"] == "my-session-name"
    assert row["event_id"] == "654ccbc0-ba0d-486a-9076-dbf7274677a7"


def test_stratus_and_fivexl_console_logins_without_mfa() -> None:
    assert _success_without_mfa(_row("stratus-red-team__console-login-without-mfa.json", 0))
    assert _success_without_mfa(_row("fivexl-cloudtrail-to-slack__test_events.json", 0))
    root = _row("fivexl-cloudtrail-to-slack__test_events.json", 4)
    assert (root["identity_type"], root["mfa_status"]) == ("Root", "mfa")
