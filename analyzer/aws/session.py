"""Sessions and client settings: the standard credential chain, and retries pinned explicitly.

botocore changed its default retry mode between releases (legacy, 5 attempts, up to 1.43;
standard, 3 attempts, from 1.44), so the mode and the number of attempts are always set here
instead of inherited from whatever botocore is installed.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ProfileNotFound

from analyzer.aws import DEFAULT_MAX_ATTEMPTS
from analyzer.domain.errors import AwsSetupError, Remedy

__all__ = ["DEFAULT_MAX_ATTEMPTS", "AwsSetupError", "client_config", "make_session"]

RETRY_MODE = "standard"  # pinned in client_config
GLOBAL_REGION = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}
NO_CREDENTIALS = (
    "no AWS credentials found (checked the profile, AWS_PROFILE, environment variables, "
    "~/.aws/config and instance roles)"
)


def make_session(profile: str | None, region: str | None = None) -> boto3.Session:
    """The run's one session: every client of a run (collection, history in S3, delivery)
    comes from it, so `profile` and `region` apply to all of them. `AWS_REGION` is read here
    because boto3 reads only `AWS_DEFAULT_REGION`, while the AWS CLI (and Lambda) set
    `AWS_REGION`, which wins over the profile's region there too."""
    region = region or os.environ.get("AWS_REGION") or None
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as err:
        raise AwsSetupError(str(err)) from None
    try:
        credentials = session.get_credentials()
    except BotoCoreError as err:
        raise AwsSetupError(f"cannot load AWS credentials: {err}") from None
    if credentials is None:
        raise AwsSetupError(NO_CREDENTIALS, Remedy.try_without_aws)
    return session


def client_config(max_attempts: int, pool_size: int) -> Config:
    """`total_max_attempts` counts the first call; connect and read timeouts are shorter than
    botocore's 60 s so an unreachable region is reported instead of stalling the run."""
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        max_pool_connections=max(pool_size, 10),
        connect_timeout=10,
        read_timeout=30,
    )


def partition_of(session: boto3.Session, region: str) -> str:
    found: Any = session.get_partition_for_region(region)
    return str(found)


def discovery_region(session: boto3.Session, region: str | None) -> str:
    """Where discovery calls go: --region, else AWS_REGION / the profile's region, else the
    commercial partition's global region."""
    return region or session.region_name or GLOBAL_REGION["aws"]
