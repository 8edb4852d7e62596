"""Which CloudTrail records are sign-in events, and what part of a sign-in each one is.

The set is deliberately explicit (README "Which events count") so a reader can check it
against DOMAIN.md: every `signin.amazonaws.com` event is kept, whatever its name, because AWS
adds sign-in event names without notice; from IAM Identity Center's portal services only the
events that mark a sign-in are kept.
"""

from __future__ import annotations

from analyzer.domain.values import EventKindName

SIGNIN_SOURCE = "signin.amazonaws.com"
IDENTITY_CENTER_SOURCES = frozenset({"sso.amazonaws.com", "sso-oauth.amazonaws.com"})

# Portal events that mark a sign-in: Authenticate (portal sign-in), Federate (portal hands a
# session to an account console or application), CreateToken (a CLI/SDK `aws sso login`
# device-code token) and ListApplications (the portal page a user sees when approving such a
# CLI sign-in prompt).
IDENTITY_CENTER_SIGNIN_EVENTS = frozenset(
    {"Authenticate", "Federate", "CreateToken", "ListApplications"}
)

_KIND_BY_NAME: dict[str, EventKindName] = {
    "ConsoleLogin": "login",
    "UserAuthentication": "login",
    "ExternalIdPDirectoryLogin": "login",
    "CheckMfa": "mfa_check",
    "CredentialChallenge": "credential_step",
    "CredentialVerification": "credential_step",
    "SwitchRole": "role_switch",
    "ExitRole": "role_switch",
    "RenewRole": "role_switch",
    "GetSigninToken": "federation",
    "PasswordUpdated": "password",
    "PasswordRecoveryRequested": "password",
    "PasswordRecoveryCompleted": "password",
}

# Names that only signin.amazonaws.com emits: a record carrying one of them but no
# eventSource (trimmed fixtures, some SIEM exports) is still a sign-in event.
SIGNIN_ONLY_NAMES = frozenset(_KIND_BY_NAME)


def signin_source(event_source: str | None, event_name: str | None) -> tuple[str, bool] | None:
    """(event source, inferred?) when the record is a sign-in event, else None."""
    if event_source == SIGNIN_SOURCE:
        return event_source, False
    if event_source in IDENTITY_CENTER_SOURCES:
        if event_name in IDENTITY_CENTER_SIGNIN_EVENTS:
            return event_source, False
        return None
    if event_source is None and event_name in SIGNIN_ONLY_NAMES:
        return SIGNIN_SOURCE, True
    return None


def event_kind(event_source: str, event_name: str, outcome: str | None) -> EventKindName:
    """A failed CredentialVerification ends an Identity Center sign-in (no UserAuthentication
    follows), so it counts as the failed attempt; a successful one is only a step."""
    if event_source in IDENTITY_CENTER_SOURCES:
        return "portal"
    if event_name == "CredentialVerification" and outcome == "failure":
        return "login"
    return _KIND_BY_NAME.get(event_name, "other")


def is_signin_candidate(record: object) -> bool:
    """Cheap pre-filter with the same rule as the normalizer, run where records are read (in
    worker processes too) so only possible sign-in events travel further. Anything that is not
    a JSON object passes, so the normalizer can reject it with a reason."""
    if not isinstance(record, dict):
        return True
    source = record.get("eventSource")
    name = record.get("eventName")
    return (
        signin_source(
            source if isinstance(source, str) else None, name if isinstance(name, str) else None
        )
        is not None
    )
