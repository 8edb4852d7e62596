from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto import mock_aws

from analyzer.aws.regions import enabled_regions
from analyzer.aws.session import AwsSetupError, client_config, make_session
from analyzer.domain.errors import Remedy
from tests.fakes import _Body, attach


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@mock_aws
def test_enabled_regions_drop_not_opted_in_and_other_partitions(session: boto3.Session) -> None:
    found = enabled_regions(session, "us-east-1", client_config(3, 4))
    assert found.partition == "aws"
    assert "us-east-1" in found.regions
    assert {"us-east-2", "eu-north-1", "ap-southeast-2"} <= set(found.regions)
    assert "me-south-1" not in found.regions  # not opted in
    assert not any(r.startswith(("cn-", "us-gov-")) for r in found.regions)
    assert found.warnings == ()


@mock_aws
def test_govcloud_credentials_read_govcloud_regions(session: boto3.Session) -> None:
    found = enabled_regions(session, "us-gov-west-1", client_config(3, 4))
    assert found.partition == "aws-us-gov"
    assert set(found.regions) == {"us-gov-east-1", "us-gov-west-1"}


def test_requested_regions_win(session: boto3.Session) -> None:
    found = enabled_regions(session, "us-east-1", client_config(3, 4), ["eu-west-1", " us-east-2"])
    assert found.regions == ("eu-west-1", "us-east-2")


def test_refused_describe_regions_falls_back_with_a_warning(session: boto3.Session) -> None:
    def refuse(request: Any, **_: Any) -> AWSResponse:
        body = (
            b"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>denied"
            b"</Message></Error></Errors><RequestID>1</RequestID></Response>"
        )
        return AWSResponse(request.url, 403, HTTPHeaders(), _Body(body))

    attach(session, "before-send.ec2.DescribeRegions", refuse)
    found = enabled_regions(session, "us-east-1", client_config(1, 4))
    assert "us-east-1" in found.regions
    assert len(found.regions) > 10
    [warning] = found.warnings
    assert "UnauthorizedOperation" in warning
    assert warning.startswith("region us-east-1: cannot list enabled regions")


def test_no_credentials_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(AwsSetupError, match="no AWS credentials found") as caught:
        make_session(None)
    assert caught.value.remedy is Remedy.try_without_aws  # the CLI words it as a command
    assert "--" not in str(caught.value)
    with pytest.raises(AwsSetupError, match="nope"):
        make_session("nope")
