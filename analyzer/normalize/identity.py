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


def identify(record: Mapping[str, Any], event_source: str) -> Identity:
    user_identity = as_mapping(record.get("userIdentity"))
    extra = as_mapping(record.get("additionalEventData"))
    identity_type = text(user_identity.get("type"))
    raw_name = text(user_identity.get("userName"))
    arn = text(user_identity.get("arn"))
    on_behalf_of = as_mapping(user_identity.get("onBehalfOf"))
    saml_provider = text(extra.get("SamlProviderArn"))
    web_identity = text(
        as_mapping(as_mapping(user_identity.get("sessionContext")).get("webIdFederationData")).get(
            "federatedProvider"
        )
    )

    role_name: str | None = None
    session_name: str | None = None
    alias: str | None = None
    provider = saml_provider or web_identity
    identity_center = (
        identity_type in IDENTITY_CENTER_TYPES
        or bool(on_behalf_of)
        or (identity_type == "Unknown" and event_source != "signin.amazonaws.com")
        or (identity_type == "Unknown" and text(extra.get("CredentialType")) is not None)
    )

    if identity_type == "Root":
        user_name: str | None = "root"
        alias = raw_name if raw_name and raw_name.lower() != "root" else None
    elif identity_type == "AssumedRole":
        role_name, session_name = _assumed_role_parts(user_identity)
        user_name = session_name or raw_name
        if role_name and role_name.startswith(IDENTITY_CENTER_ROLE_PREFIX):
            provider = provider or IDENTITY_CENTER
    elif identity_type == "FederatedUser":
        tail = _arn_tail(arn, ":federated-user/")
        user_name = raw_name or (tail[-1] if tail else None)
    elif identity_center:
        user_name = text(extra.get("UserName")) or raw_name or text(on_behalf_of.get("userId"))
        provider = provider or text(on_behalf_of.get("identityStoreArn")) or IDENTITY_CENTER
    else:
        tail = _arn_tail(arn, ":user/")
        user_name = raw_name or (tail[-1] if tail else None)

    federated = identity_type in FEDERATED_TYPES or saml_provider is not None
    return Identity(
        identity_type=identity_type,
        user_name=user_name,
        unknown_user=user_name == HIDDEN_USER,
        account_alias=alias,
        principal_arn=arn,
        role_name=role_name,
        session_name=session_name,
        identity_provider=provider,
        federated=federated,
        identity_center=identity_center,
        identity_center_user_id=text(on_behalf_of.get("userId")),
    )
