"""The Lambda handler runs where only the runtime dependencies are installed, laid out as the
container image lays them out (`pip install --target $LAMBDA_TASK_ROOT .`, see
deploy/lambda/Dockerfile), against moto in server mode in this (the test) process.

Slow: it installs the project and its runtime dependencies with pip into a fresh folder
(tens of seconds with pip's cache warm; pip reaches the package index for what is not cached).
"""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import console_login, hermetic_env

ROOT = Path(__file__).resolve().parents[2]

# Runs in the runtime-only folder with `python -S` (no site-packages of the test venv): the
# handler the image's CMD names, through its documented environment variables.
INVOKE = """
import importlib.util, json, sys
for module in ("pytest", "moto"):
    assert importlib.util.find_spec(module) is None, module + " leaked into the runtime folder"
from analyzer.entry.lambda_handler import handler
print(json.dumps(handler({}, None)))
"""


@pytest.fixture(scope="module")
def task_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("lambda-task")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
         "--disable-pip-version-check", "--target", str(target), str(ROOT)],
        check=True, capture_output=True, timeout=600, cwd=target,
    )  # fmt: skip
    return target


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def seed(endpoint: str) -> dict[str, Any]:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    s3 = session.client("s3", endpoint_url=endpoint)
    for bucket in ("audit", "trail"):
        s3.create_bucket(Bucket=bucket)
    day = datetime.now(UTC) - timedelta(days=1)
    records = [
        console_login(
            eventID=f"l-{i}",
            eventTime=(day + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for i in range(3)
    ]
    s3.put_object(
        Bucket="trail",
        Key=f"ct/AWSLogs/111122223333/CloudTrail/us-east-1/{day:%Y/%m/%d}/x.json.gz",
        Body=gzip.compress(json.dumps({"Records": records}).encode()),
    )
    topic = session.client("sns", endpoint_url=endpoint).create_topic(Name="signin")["TopicArn"]
    return {"s3": s3, "topic": topic}


@pytest.mark.slow
def test_handler_runs_with_only_the_runtime_dependencies(task_root: Path, endpoint: str) -> None:
    aws = seed(endpoint)
    env = hermetic_env(
        PYTHONPATH=str(task_root),
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",  # Lambda sets both
        AWS_DEFAULT_REGION="us-east-1",
        SIGNIN_HISTORY="s3://audit/signin/history",
        SIGNIN_REPORT_S3="s3://audit/signin/reports/",
        SIGNIN_SNS_TOPIC=aws["topic"],
        SIGNIN_SOURCE="s3://trail/ct",
        SIGNIN_DAYS="7",
        SIGNIN_FAIL_ON="high",
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", INVOKE],
        capture_output=True, text=True, timeout=120, check=False, env=env, cwd=task_root,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "findings"  # alice signed in without MFA: a high finding
    assert outcome["exit_code"] == 1
    key = outcome["report"].removeprefix("s3://audit/")
    report = aws["s3"].get_object(Bucket="audit", Key=key)["Body"].read()
    assert b"<html" in report
    history = aws["s3"].get_object(Bucket="audit", Key="signin/history/history.json")
    assert json.loads(history["Body"].read())["runs"][0]["added"] == 3
