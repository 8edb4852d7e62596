"""Shared builders for small CloudTrail records and files."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def console_login(**overrides: Any) -> dict[str, Any]:
    """A current-format IAM user ConsoleLogin (AWS CT-UG example A) with overrides."""
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::999999999999:user/Anaya",
            "accountId": "999999999999",
            "userName": "Anaya",
        },
        "eventTime": "2026-11-03T21:44:40Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.0",
        "userAgent": "Mozilla/5.0",
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": "No",
        },
        "eventID": "e1bf1000-86a4-4a78-81d7-000000000001",
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": "999999999999",
        "tlsDetails": {"clientProvidedHostHeader": "signin.aws.amazon.com"},
    }
    record.update(overrides)
    return record


def api_call(event_id: str = "noise-1") -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeInstances",
        "eventTime": "2026-11-03T10:00:00Z",
        "awsRegion": "us-east-1",
        "eventID": event_id,
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s"},
        "sourceIPAddress": "signin.amazonaws.com",
    }


def write_trail(path: Path, records: list[Any], *, compress: bool = True) -> Path:
    payload = json.dumps({"Records": records}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


@pytest.fixture(autouse=True)
def arrow_allocator_left_alone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command and the Lambda choose Arrow's allocator for their process
    (`use_system_allocator`); run in-process by a test, they must not choose it for the
    tests after it, nor for the subprocesses those start (which inherit the environment)."""
    import pyarrow

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    pool = pyarrow.default_memory_pool()
    yield
    pyarrow.set_memory_pool(pool)


@pytest.fixture
def logs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "AWSLogs" / "999999999999" / "CloudTrail" / "us-east-1" / "2026/11/03"
    write_trail(folder / "a.json.gz", [api_call("n1"), console_login(), api_call("n2")])
    return tmp_path


def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch, region: str = "us-east-1") -> None:
    """In-process moto tests: fake credentials and a region, and no endpoint or profile from
    the developer's shell that could send a call elsewhere."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)


def hermetic_env(**extra: str) -> dict[str, str]:
    """Environment for a CLI subprocess that can never reach real AWS credentials."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE="/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra)
    return env
