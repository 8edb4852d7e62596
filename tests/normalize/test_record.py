from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from analyzer.normalize import RecordRejected, content_id, normalize_record
from tests.conftest import api_call, console_login


def row(record: Any) -> dict[str, Any]:
    normalized = normalize_record(record, "test#0")
    assert normalized is not None
    return normalized.row


def test_iam_user_success_without_mfa() -> None:
    r = row(console_login())
    assert r["user_name"] == "Anaya"
    assert r["identity_type"] == "IAMUser"
    assert r["outcome"] == "success"
    assert r["failure_kind"] is None
    assert r["mfa_used"] is False
    assert r["mfa_status"] == "no_mfa"
    assert r["event_time"] == datetime(2026, 11, 3, 21, 44, 40, tzinfo=UTC)
    assert r["endpoint"] == "signin.aws.amazon.com"
    assert r["endpoint_scope"] == "global"
    assert r["endpoint_inferred"] is False
    assert r["event_kind"] == "login"
    assert r["data_issues"] is None


@pytest.mark.parametrize(
    ("written", "expected"),
    [("Yes", True), ("YES", True), ("yes", True), ("No", False), ("NO", False), ("maybe", None)],
)
def test_mfa_used_is_case_insensitive(written: str, expected: bool | None) -> None:
    r = row(console_login(additionalEventData={"MFAUsed": written}))
    assert r["mfa_used"] is expected


def test_root_user_keeps_alias_separately() -> None:
    identity = {
        "type": "Root",
        "arn": "arn:aws:iam::1:root",
        "accountId": "1",
        "userName": "corp-alias",
    }
    r = row(console_login(userIdentity=identity))
    assert (r["user_name"], r["account_alias"]) == ("root", "corp-alias")


def test_assumed_role_console_session_is_the_session_name_and_idp() -> None:
    identity = {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:jane@example.com",
        "arn": "arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0123/jane@example.com",
        "sessionContext": {"sessionIssuer": {"userName": "AWSReservedSSO_Admin_0123"}},
    }
    r = row(console_login(userIdentity=identity))
    assert r["user_name"] == "jane@example.com"
    assert r["session_name"] == "jane@example.com"
    assert r["role_name"] == "AWSReservedSSO_Admin_0123"
    assert r["identity_provider"] == "IAM Identity Center"
    assert r["mfa_status"] == "idp"  # never no_mfa, although AWS wrote MFAUsed "No"


def test_identity_center_user_name_from_additional_data_else_user_id() -> None:
    identity = {
        "type": "IdentityCenterUser",
        "onBehalfOf": {
            "userId": "uid-1",
            "identityStoreArn": "arn:aws:identitystore::1:identitystore/d-1",
        },
    }
    base = {
        "eventName": "CredentialChallenge",
        "userIdentity": identity,
        "responseElements": None,
        "serviceEventDetails": {"CredentialChallenge": "Success"},
    }
    named = row(
        console_login(
            **base, additionalEventData={"CredentialType": "PASSWORD", "UserName": "dana"}
        )
    )
    anonymous = row(console_login(**base, additionalEventData={"CredentialType": "PASSWORD"}))
    assert named["user_name"] == "dana"
    assert anonymous["user_name"] == "uid-1"
    assert anonymous["identity_center_user_id"] == "uid-1"
    assert anonymous["identity_provider"] == "arn:aws:identitystore::1:identitystore/d-1"


def test_hidden_user_is_flagged_unknown() -> None:
    identity = {"type": "IAMUser", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}
    r = row(
        console_login(
            userIdentity=identity,
            responseElements={"ConsoleLogin": "Failure"},
            errorMessage="No username found in supplied account",
        )
    )
    assert r["user_name"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert r["unknown_user"] is True
    assert r["failure_kind"] == "unknown_user"


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({"errorMessage": "Failed authentication"}, "bad_password"),
        (
            {"errorMessage": "Failed authentication", "additionalEventData": {"MFAUsed": "Yes"}},
            "mfa",
        ),
        (
            {
                "errorCode": "AccessDenied",
                "errorMessage": "Authorization denied because of a resource-based policy",
            },
            "policy_denied",
        ),
        (
            {"errorMessage": "Authorization denied because of a resource control policy"},
            "policy_denied",
        ),
        ({}, "other"),
    ],
)
def test_failure_kinds(overrides: dict[str, Any], kind: str) -> None:
    r = row(console_login(responseElements={"ConsoleLogin": "Failure"}, **overrides))
    assert (r["outcome"], r["failure_kind"]) == ("failure", kind)


def test_outcome_is_null_when_the_record_states_none() -> None:
    r = row(console_login(responseElements="null"))
    assert r["outcome"] is None


def test_error_without_response_is_a_failure() -> None:
    r = row(console_login(responseElements=None, errorMessage="Failed authentication"))
    assert r["outcome"] == "failure"


def test_check_mfa_type() -> None:
    r = row(
        console_login(
            eventName="CheckMfa",
            responseElements={"CheckMfa": "Success"},
            additionalEventData={"MfaType": "U2F MFA"},
        )
    )
    assert (r["event_kind"], r["mfa_type"]) == ("mfa_check", "U2F MFA")


def test_identity_center_mfa_from_credential_types() -> None:
    identity = {"type": "Unknown", "userName": "user1"}
    r = row(
        console_login(
            eventName="UserAuthentication",
            userIdentity=identity,
            responseElements=None,
            serviceEventDetails={"UserAuthentication": "Success"},
            additionalEventData={"CredentialType": "PASSWORD,TOTP"},
        )
    )
    assert (r["outcome"], r["mfa_status"], r["mfa_type"]) == ("success", "mfa", "TOTP")


def test_non_signin_records_are_dropped() -> None:
    assert normalize_record(api_call(), "x") is None
    assert (
        normalize_record(
            console_login(eventSource="sso.amazonaws.com", eventName="ListAccounts"), "x"
        )
        is None
    )


def test_missing_event_source_is_inferred_from_a_signin_only_name() -> None:
    record = console_login()
    del record["eventSource"]
    r = row(record)
    assert r["event_source"] == "signin.amazonaws.com"
    assert r["data_issues"] == "event_source_inferred"


def test_broken_signin_records_are_rejected_with_the_field_named() -> None:
    with pytest.raises(RecordRejected, match="eventName"):
        normalize_record({"eventSource": "signin.amazonaws.com"}, "x")
    with pytest.raises(RecordRejected, match="not a JSON object"):
        normalize_record(["not", "a", "record"], "x")


def test_flags_for_missing_or_wrong_fields() -> None:
    record = console_login(sourceIPAddress="AWS Internal", eventTime="redacted")
    del record["userIdentity"]
    del record["eventID"]
    r = row(record)
    assert set(str(r["data_issues"]).split(";")) == {
        "no_event_id",
        "bad_event_time",
        "no_user_identity",
        "source_ip_not_ip",
    }
    assert r["event_time"] is None
    assert r["event_id"] == content_id(record)
    assert r["source_ip"] == "AWS Internal"


def test_content_id_is_stable_and_order_independent() -> None:
    assert content_id({"a": 1, "b": [1, 2]}) == content_id({"b": [1, 2], "a": 1})
    assert content_id({"a": 1}) != content_id({"a": 2})


def test_another_services_event_with_a_sign_in_name_is_not_a_sign_in() -> None:
    """A name is a sign-in's only when the record names no source: IAM's or any other
    service's `ConsoleLogin` is not one (neither normalized nor a candidate)."""
    from analyzer.normalize.selection import is_signin_candidate

    for name in ("ConsoleLogin", "SwitchRole", "PasswordUpdated", "CheckMfa"):
        record = console_login(eventSource="iam.amazonaws.com", eventName=name)
        assert normalize_record(record, "t") is None
        assert not is_signin_candidate(record)


def test_the_account_falls_back_to_the_identitys_account() -> None:
    """Without recipientAccountId the sign-in still has its account (per-account rules,
    grouping and `accounts` suppressions match it)."""
    record = console_login()
    record.pop("recipientAccountId", None)
    assert row(record)["account_id"] == "999999999999"
