"""The accounts of an organization, and a session per member account on an assumed role.

Accounts come from Organizations ListAccounts (management account or delegated administrator).
A member account is read through `arn:<partition>:iam::<account>:role/<ROLE>`; its session
holds botocore refreshable credentials whose refresh is one more AssumeRole, so a run over
hundreds of accounts outlives the one-hour role session without any code of ours noticing.
All AssumeRole calls go through one STS client made from the run's session: the caller's
credentials (profile, SSO, instance role) refresh themselves the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    Credentials,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import BotoCoreError, ClientError

from analyzer.domain.errors import AwsSetupError, LiveSetupError

DEFAULT_SESSION_NAME = "signin-report"
ACTIVE = "ACTIVE"
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class OrgAccount:
    account_id: str
    name: str
    state: str  # ACTIVE, SUSPENDED, PENDING_CLOSURE


def error_code(err: Exception) -> str:
    """`Code: message` of an AWS error, for a one-line coverage reason."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code", "Error"))
        message = str(error.get("Message", "")).strip()
        return f"{code}: {message}" if message else code
    return f"{type(err).__name__}: {err}"


def list_accounts(session: boto3.Session, config: Config, region: str) -> list[OrgAccount]:
    """Every account of the organization, paginated. Newer answers carry `State`, older
    ones only the deprecated `Status`; either is read."""
    client = session.client("organizations", region_name=region, config=config)
    found: list[OrgAccount] = []
    try:
        for page in client.get_paginator("list_accounts").paginate():
            for entry in page.get("Accounts", []):
                state = entry.get("State") or entry.get("Status") or "UNKNOWN"
                found.append(OrgAccount(str(entry["Id"]), str(entry.get("Name", "")), str(state)))
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code == "AWSOrganizationsNotInUseException":
            raise LiveSetupError(
                "the caller's account is not in an organization (organizations:ListAccounts)",
                subject="org_role",
            ) from None
        raise AwsSetupError(
            "reading an organization needs organizations:ListAccounts from the management "
            f"account or a delegated administrator ({error_code(err)})",
            subject="org_role",
        ) from None
    except BotoCoreError as err:
        raise AwsSetupError(f"cannot list the organization's accounts: {err}") from None
    if not found:  # an organization always lists its management account
        raise LiveSetupError(
            "organizations:ListAccounts listed no account; is the caller's account in an "
            "organization?",
            subject="org_role",
        )
    return found


def management_account(session: boto3.Session, config: Config, region: str) -> str | None:
    """The organization's management account (DescribeOrganization; any member may ask), or
    None when refused: the account list is still usable without it."""
    client = session.client("organizations", region_name=region, config=config)
    try:
        answer = client.describe_organization()["Organization"]
    except (ClientError, BotoCoreError):
        return None
    found = answer.get("MasterAccountId")
    return str(found) if found else None


def caller_account(session: boto3.Session, config: Config, region: str) -> str:
    try:
        identity = session.client("sts", region_name=region, config=config).get_caller_identity()
    except (ClientError, BotoCoreError) as err:
        raise AwsSetupError(f"cannot tell the caller's account (sts:GetCallerIdentity): "
                            f"{error_code(err)}") from None  # fmt: skip
    return str(identity["Account"])


def role_arn(partition: str, account: str, role: str) -> str:
    """`role` is a role name, optionally with its path (`audit/SigninReader`)."""
    return f"arn:{partition}:iam::{account}:role/{role.strip('/')}"


class _FixedProvider(CredentialProvider):
    """Hands botocore the member account's refreshable credentials, and nothing else: the
    environment or a profile must never stand in for a role that could not be assumed."""

    METHOD = "assume-role"
    CANONICAL_NAME = "signin-report-org-role"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


@dataclass(frozen=True)
class RoleSettings:
    """How member roles are assumed (`--org-role`, `--external-id`, `--role-session-name`)."""

    role: str
    external_id: str | None = None
    session_name: str = DEFAULT_SESSION_NAME


def assumed_credentials(
    sts: Any, arn: str, settings: RoleSettings, clock: Clock
) -> DeferredRefreshableCredentials:
    """Credentials fetched on first use and again before they expire (botocore refreshes
    15 minutes ahead, and must refresh 10 minutes ahead), each time with AssumeRole."""

    def fetch() -> dict[str, Any]:
        kwargs: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": settings.session_name}
        if settings.external_id:
            kwargs["ExternalId"] = settings.external_id
        answer = sts.assume_role(**kwargs)["Credentials"]
        expiration = answer["Expiration"]
        if isinstance(expiration, datetime):
            expiration = expiration.isoformat()
        return {
            "access_key": answer["AccessKeyId"],
            "secret_key": answer["SecretAccessKey"],
            "token": answer["SessionToken"],
            "expiry_time": expiration,
        }

    return DeferredRefreshableCredentials(fetch, "assume-role", time_fetcher=clock)


def member_session(
    base: boto3.Session, credentials: Credentials, region: str | None
) -> boto3.Session:
    """A session whose only credentials are `credentials`. It shares the run session's
    loaded service models (not its credentials), so hundreds of accounts do not each parse
    botocore's data files again. It reads the run session's profile (`--profile`, else
    AWS_PROFILE) for its settings (endpoint, CA bundle, retries), never its credentials:
    a bare session read AWS_PROFILE alone, so `--profile` was lost for every member account
    and an AWS_PROFILE naming no profile failed the run."""
    core = botocore.session.Session(profile=base._session.profile)
    core.register_component("data_loader", base._session.get_component("data_loader"))
    core.register_component(
        "credential_provider", CredentialResolver([_FixedProvider(credentials)])
    )
    return boto3.Session(botocore_session=core, region_name=region or base.region_name)


def utc_now() -> datetime:
    return datetime.now(UTC)
