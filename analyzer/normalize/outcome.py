"""Did the sign-in succeed, and if not, why (DOMAIN.md §2.1, §3.2, §3.3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer.domain.values import FailureKindName, MfaStatusName, OutcomeName
from analyzer.normalize.fields import as_mapping, text

_RESULTS: dict[str, OutcomeName] = {"success": "success", "failure": "failure"}
_MFA_CREDENTIALS = ("TOTP", "WEBAUTHN", "RESYNC_TOTP")


def _stated(container: Any, event_name: str | None) -> OutcomeName | None:
    """The `Success`/`Failure` a record states under its own event name, else under any key
    (trimmed fixtures write {"ConsoleLogin": ...} on other event names)."""
    values = as_mapping(container)
    if event_name is not None:
        named = _RESULTS.get((text(values.get(event_name)) or "").lower())
        if named:
            return named
    for value in values.values():
        found = _RESULTS.get((text(value) or "").lower())
        if found:
            return found
    return None


def outcome_of(record: Mapping[str, Any], event_name: str | None) -> OutcomeName | None:
    stated = _stated(record.get("responseElements"), event_name) or _stated(
        record.get("serviceEventDetails"), event_name
    )
    if stated:
        return stated
    if text(record.get("errorCode")) or text(record.get("errorMessage")):
        return "failure"
    return None


def credential_types(record: Mapping[str, Any]) -> list[str]:
    """Identity Center `CredentialType`, e.g. "PASSWORD,TOTP" -> ["PASSWORD", "TOTP"]."""
    raw = text(as_mapping(record.get("additionalEventData")).get("CredentialType")) or ""
    return [part.strip().upper() for part in raw.split(",") if part.strip()]


def failure_kind_of(
    record: Mapping[str, Any],
    event_name: str | None,
    unknown_user: bool,
    mfa_used: bool | None,
) -> FailureKindName:
    """Order matters: a policy denial or an unknown name says more than the MFA flag, and a
    failure after the MFA prompt (MFAUsed=Yes, a failed CheckMfa or TOTP step) is an MFA-stage
    failure even though AWS words it "Failed authentication"."""
    code = (text(record.get("errorCode")) or "").lower()
    message = (text(record.get("errorMessage")) or "").lower()
    if code == "accessdenied" or "denied because of a" in message:
        return "policy_denied"
    if unknown_user or "no username found" in message:
        return "unknown_user"
    creds = credential_types(record)
    if event_name == "CheckMfa" or mfa_used is True or any(c in _MFA_CREDENTIALS for c in creds):
        return "mfa"
    if "failed authentication" in message or "PASSWORD" in creds:
        return "bad_password"
    return "other"


def mfa_status_of(
    identity_type: str | None,
    federated: bool,
    identity_center: bool,
    event_name: str | None,
    mfa_used: bool | None,
    creds: list[str],
) -> MfaStatusName:
    """MFAUsed only means something for IAM users and root: federated sessions always say "No"
    because the identity provider did the MFA, so they are `idp`, never `no_mfa`."""
    if federated or "EXTERNAL_IDP" in creds:
        return "idp"
    if identity_center:
        if any(c in _MFA_CREDENTIALS for c in creds):
            return "mfa"
        if event_name == "UserAuthentication" and creds:
            return "no_mfa"
        return "unknown"
    if identity_type in {"Root", "IAMUser"}:
        if mfa_used is True:
            return "mfa"
        if mfa_used is False:
            return "no_mfa"
    return "unknown"


def mfa_type_of(record: Mapping[str, Any], creds: list[str]) -> str | None:
    extra = as_mapping(record.get("additionalEventData"))
    declared = text(extra.get("MfaType"))
    if declared:
        return declared
    mfa_creds = [c for c in creds if c in _MFA_CREDENTIALS]
    if mfa_creds:
        return ",".join(mfa_creds)
    device = text(extra.get("MFAIdentifier")) or ""
    if ":u2f/" in device:
        return "u2f"
    if ":mfa/" in device:
        return "mfa"
    return None
