from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from analyzer.aws.plan import check_history_window, identity_center_regions
from analyzer.aws.session import client_config
from analyzer.domain.errors import LiveSetupError
from analyzer.domain.window import Window
from tests.fakes import _Body, attach

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_history_window_limit() -> None:
    check_history_window(Window(NOW - timedelta(days=90), NOW), NOW)
    later = NOW + timedelta(seconds=2)  # `--days 90` resolved a moment before the check
    check_history_window(Window(NOW - timedelta(days=90), NOW), later)
    with pytest.raises(LiveSetupError, match=r"keeps 90 days"):
        check_history_window(Window(NOW - timedelta(days=90, hours=1), NOW), NOW)
    with pytest.raises(LiveSetupError, match=r"keeps 90 days") as caught:
        check_history_window(Window(NOW - timedelta(days=91), NOW), NOW)
    assert "--" not in str(caught.value)  # neutral: the library names no CLI flag
    from analyzer.entry.cli import cli_words

    assert "with --logs PATH" in cli_words(caught.value)  # the CLI words the remedy


def test_identity_center_auto_detection() -> None:
    def answer(request: Any, **_: Any) -> AWSResponse:
        region = request.url.split(".")[1]
        headers = HTTPHeaders()
        if region == "eu-west-1":
            body = {"__type": "AccessDeniedException", "message": "not allowed"}
            return AWSResponse(request.url, 400, headers, _Body(json.dumps(body).encode()))
        instances = (
            [{"InstanceArn": "arn:aws:sso:::instance/ssoins-1"}] if region == ("us-east-2") else []
        )
        return AWSResponse(
            request.url, 200, headers, _Body(json.dumps({"Instances": instances}).encode())
        )

    session = boto3.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    attach(session, "before-send.sso-admin.ListInstances", answer)
    found, notes = identity_center_regions(
        session, ("us-east-1", "us-east-2", "eu-west-1"), client_config(1, 4)
    )
    assert found == ["us-east-2"]
    assert len(notes) == 1
    assert notes[0].startswith("region eu-west-1: Identity Center detection failed")
    assert "AccessDenied" in notes[0]

    found, notes = identity_center_regions(session, ("us-east-1",), client_config(1, 4))
    assert found == []
    assert notes[-1].startswith("no IAM Identity Center instance found in region us-east-1; ")

    found, notes = identity_center_regions(
        session, ("us-east-1", "eu-central-1"), client_config(1, 4)
    )
    assert found == []
    assert notes[-1].startswith("no IAM Identity Center instance found in 2 regions; ")
