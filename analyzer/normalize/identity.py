"""Who signed in: the human behind each kind of `userIdentity` (DOMAIN.md §2.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.normalize.fields import as_mapping, text

HIDDEN_USER = "HIDDEN_DUE_TO_SECURITY_REASONS"
IDENTITY_CENTER_ROLE_PREFIX = "AWSReservedSSO_"
IDENTITY_CENTER = "IAM Identity Center"

# Sessions whose MFA, if any, happened at an identity provider that CloudTrail cannot see.
FEDERATED_TYPES = frozenset({"AssumedRole", "FederatedUser", "SAMLUser", "WebIdentityUser"})
IDENTITY_CENTER_TYPES = frozenset({"IdentityCenterUser"})


@dataclass(frozen=True)
class Identity:
    identity_type: str | None
    user_name: str | None
    unknown_user: bool
    account_alias: str | None
    principal_arn: str | None
    role_name: str | None
    session_name: str | None
    identity_provider: str | None
    federated: bool
    identity_center: bool
    identity_center_user_id: str | None


def _arn_tail(arn: str | None, marker: str) -> list[str]:
    """Path segments after e.g. ':assumed-role/' in an ARN, or [] when it is not there."""
    if arn is None or marker not in arn:
        return []
    return arn.split(marker, 1)[1].split("/")


def _assumed_role_parts(user_identity: Mapping[str, Any]) -> tuple[str | None, str | None]:
    arn = text(user_identity.get("arn"))
    tail = _arn_tail(arn, ":assumed-role/")
    issuer = as_mapping(as_mapping(user_identity.get("sessionContext")).get("sessionIssuer"))
    role = text(issuer.get("userName")) or (tail[0] if tail else None)
    session = tail[-1] if len(tail) >= 2 else None
    if session is None:
        principal = text(user_identity.get("principalId"))
        if principal and ":" in principal:
            session = principal.split(":", 1)[1]
    return role, session


@dataclass(frozen=True)
class _Who:
    """The identity-type-specific part of an `Identity`."""

    user_name: str | None
    provider: str | None
    alias: str | None = None
    role_name: str | None = None
    session_name: str | None = None


def _is_identity_center(
    identity_type: str | None,
    on_behalf_of: Mapping[str, Any],
    extra: Mapping[str, Any],
    event_source: str,
) -> bool:
    if identity_type in IDENTITY_CENTER_TYPES or on_behalf_of:
        return True
    return identity_type == "Unknown" and (
        event_source != "signin.amazonaws.com" or text(extra.get("CredentialType")) is not None
    )


def _root(raw_name: str | None, provider: str | None) -> _Who:
    alias = raw_name if raw_name and raw_name.lower() != "root" else None
    return _Who("root", provider, alias=alias)


def _assumed_role(
    user_identity: Mapping[str, Any], raw_name: str | None, provider: str | None
) -> _Who:
    role_name, session_name = _assumed_role_parts(user_identity)
    if role_name and role_name.startswith(IDENTITY_CENTER_ROLE_PREFIX):
        provider = provider or IDENTITY_CENTER
    return _Who(session_name or raw_name, provider, role_name=role_name, session_name=session_name)


def _identity_center_user(
    extra: Mapping[str, Any],
    on_behalf_of: Mapping[str, Any],
    raw_name: str | None,
    provider: str | None,
) -> _Who:
    name = text(extra.get("UserName")) or raw_name or text(on_behalf_of.get("userId"))
    store = text(on_behalf_of.get("identityStoreArn"))
    return _Who(name, provider or store or IDENTITY_CENTER)


def _named_by_arn(arn: str | None, marker: str, raw_name: str | None, provider: str | None) -> _Who:
    """IAM and federated users: `userName`, else the ARN's last segment."""
    tail = _arn_tail(arn, marker)
    return _Who(raw_name or (tail[-1] if tail else None), provider)


def identify(record: Mapping[str, Any], event_source: str) -> Identity:
    user_identity = as_mapping(record.get("userIdentity"))
    extra = as_mapping(record.get("additionalEventData"))
    identity_type = text(user_identity.get("type"))
    raw_name = text(user_identity.get("userName"))
    arn = text(user_identity.get("arn"))
    on_behalf_of = as_mapping(user_identity.get("onBehalfOf"))
    saml_provider = text(extra.get("SamlProviderArn"))
    session_context = as_mapping(user_identity.get("sessionContext"))
    web_identity = text(
        as_mapping(session_context.get("webIdFederationData")).get("federatedProvider")
    )
    provider = saml_provider or web_identity
    identity_center = _is_identity_center(identity_type, on_behalf_of, extra, event_source)

    if identity_type == "Root":
        who = _root(raw_name, provider)
    elif identity_type == "AssumedRole":
        who = _assumed_role(user_identity, raw_name, provider)
    elif identity_type == "FederatedUser":
        who = _named_by_arn(arn, ":federated-user/", raw_name, provider)
    elif identity_center:
        who = _identity_center_user(extra, on_behalf_of, raw_name, provider)
    else:
        who = _named_by_arn(arn, ":user/", raw_name, provider)

    return Identity(
        identity_type=identity_type,
        user_name=who.user_name,
        unknown_user=who.user_name == HIDDEN_USER,
        account_alias=who.alias,
        principal_arn=arn,
        role_name=who.role_name,
        session_name=who.session_name,
        identity_provider=who.provider,
        federated=identity_type in FEDERATED_TYPES or saml_provider is not None,
        identity_center=identity_center,
        identity_center_user_id=text(on_behalf_of.get("userId")),
    )
