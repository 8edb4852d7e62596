"""The run's one session follows the AWS CLI's region rules."""

from __future__ import annotations

import pytest

from analyzer.aws.session import make_session


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    return monkeypatch


def test_aws_region_alone_sets_the_session_region(keys: pytest.MonkeyPatch) -> None:
    """boto3 reads only AWS_DEFAULT_REGION; Lambda and the AWS CLI set AWS_REGION, and
    delivery clients (SNS, S3) without a region fail."""
    keys.setenv("AWS_REGION", "eu-west-1")
    assert make_session(None).region_name == "eu-west-1"
    assert make_session(None).client("sns").meta.region_name == "eu-west-1"


def test_aws_region_wins_over_aws_default_region_and_region_option_over_both(
    keys: pytest.MonkeyPatch,
) -> None:
    keys.setenv("AWS_REGION", "eu-west-1")
    keys.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    assert make_session(None).region_name == "eu-west-1"
    assert make_session(None, "us-east-2").region_name == "us-east-2"
