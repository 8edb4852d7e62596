"""The real `signin-report` command, in a subprocess, against moto in server mode
(`AWS_ENDPOINT_URL`), with LookupEvents added to the moto server for the test."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import console_login, hermetic_env
from tests.entry.test_cli import command
from tests.fakes import install_in_moto

ACCOUNT = "123456789012"  # moto's default account for any credentials
NOW = datetime.now(UTC).replace(microsecond=0)


def stamp(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


STORE: dict[tuple[str, str], list[dict[str, Any]]] = {
    (ACCOUNT, "us-east-1"): [
        console_login(eventID="root-1", eventTime=stamp(3), awsRegion="us-east-1",
                      userIdentity={"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                    "accountId": ACCOUNT}),
        console_login(eventID="alice-1", eventTime=stamp(2), awsRegion="us-east-1"),
        console_login(eventID="sso-1", eventTime=stamp(2), awsRegion="us-east-1",
                      eventSource="sso.amazonaws.com", eventName="Authenticate"),
        console_login(eventID="sso-token-1", eventTime=stamp(2), awsRegion="us-east-1",
                      eventSource="sso-oauth.amazonaws.com", eventName="CreateToken"),
    ],
    (ACCOUNT, "eu-north-1"): [
        # global endpoint with an alias cookie: logged outside us-east-1
        console_login(eventID=f"alice-north-{i}", eventTime=stamp(1 + i / 10),
                      awsRegion="eu-north-1")
        for i in range(60)
    ],
    (ACCOUNT, "us-west-2"): [  # one event whose CloudTrailEvent is not JSON: reported, not fatal
        {**console_login(eventID="broken", eventTime=stamp(4), awsRegion="us-west-2"),
         "_raw": "{not json"},
    ],
    (ACCOUNT, "eu-west-1"): [
        console_login(eventID="bob-1", eventTime=stamp(5), awsRegion="eu-west-1",
                      responseElements={"ConsoleLogin": "Failure"},
                      errorMessage="Failed authentication",
                      tlsDetails={"clientProvidedHostHeader": "eu-west-1.signin.aws.amazon.com"}),
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    remove = install_in_moto(STORE)
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    remove()
    server.stop()


def live(endpoint: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = hermetic_env(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
    )
    return subprocess.run(
        [*command(), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_live_collection_reads_every_enabled_region(endpoint: str, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    events = tmp_path / "live.jsonl"
    since, until = stamp(30), stamp(-1)
    result = live(
        endpoint,
        "--since",
        since,
        "--until",
        until,
        "--format",
        "json",
        "--save-raw",
        raw,
        "--events",
        events,
        "--identity-center-region",
        "us-east-1",
    )
    assert result.returncode == 0, result.stderr
    assert "lookup us-west-2 event broken: CloudTrailEvent is not JSON" in result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["sign_ins"] == 1 + 1 + 60 + 1
    assert report["summary"]["failures"] == 1
    regions = report["coverage"]["regions"]
    read = {r["region"] for r in regions if r["source"] == "signin.amazonaws.com"}
    assert {"us-east-1", "eu-north-1", "eu-west-1", "ap-southeast-2"} <= read
    assert "me-south-1" not in read  # not opted in, per DescribeRegions
    assert all(r["status"] == "ok" for r in regions)
    north = next(r for r in regions if r["region"] == "eu-north-1")
    assert (north["pages"], north["events"]) == (2, 60)
    assert any(r["source"] == "sso.amazonaws.com" for r in regions)
    assert any(r["source"] == "sso-oauth.amazonaws.com" for r in regions)
    # the portal's Authenticate and `aws sso login`'s CreateToken are kept too, as in files
    assert report["summary"]["signin_events"] == 65

    # collect once, analyze many times: the saved trail files give the same rows
    again = tmp_path / "again.jsonl"
    offline = subprocess.run(
        [*command(), "--logs", raw, "--since", since, "--until", until, "--events", again,
         "--format", "json"],
        capture_output=True, text=True, env=hermetic_env(), timeout=120, check=False,
    )  # fmt: skip
    assert offline.returncode == 0, offline.stderr

    def rows(path: Path) -> list[dict[str, Any]]:
        loaded = [json.loads(line) for line in path.read_text().splitlines()]
        return [{k: v for k, v in r.items() if k != "collected_from"} for r in loaded]

    assert rows(again) == rows(events)


def test_regions_option_and_window_limit(endpoint: str) -> None:
    result = live(
        endpoint, "--regions", "eu-west-1,us-east-1", "--days", "30", "--format", "json", "--quiet"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(r["region"] for r in report["coverage"]["regions"]) == ["eu-west-1", "us-east-1"]
    too_old = live(endpoint, "--days", "120")
    assert too_old.returncode == 2
    assert "keeps 90 days" in too_old.stderr
    assert "--logs" in too_old.stderr


def test_no_credentials_suggests_sample_logs() -> None:
    result = subprocess.run(
        [*command(), "--days", "7"],
        capture_output=True,
        text=True,
        env=hermetic_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 4
    assert result.stderr.strip().startswith("signin-report: error: no AWS credentials found")
    assert "run signin-report --sample --since 2026-11-02 --until 2026-11-09" in result.stderr
    assert "Traceback" not in result.stderr


def seed_bucket(endpoint: str) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="e2e-trail")
    day = (NOW - timedelta(days=2)).strftime("%Y/%m/%d")
    base = f"logs/AWSLogs/{ACCOUNT}/CloudTrail/eu-north-1/{day}/"
    records = [
        console_login(eventID=f"s3-{i}", eventTime=stamp(2), awsRegion="eu-north-1")
        for i in range(3)
    ]
    body = gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode())
    s3.put_object(Bucket="e2e-trail", Key=base + "a.json.gz", Body=body)
    s3.put_object(Bucket="e2e-trail", Key=base + "broken.json.gz", Body=b"\x1f\x8bnope")
    cloudtrail = boto3.client(
        "cloudtrail",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    cloudtrail.create_trail(
        Name="main", S3BucketName="e2e-trail", S3KeyPrefix="logs", IsMultiRegionTrail=True
    )
    cloudtrail.start_logging(Name="main")


def test_s3_bucket_and_trail_discovery_end_to_end(endpoint: str) -> None:
    seed_bucket(endpoint)
    by_url = live(endpoint, "--s3", "s3://e2e-trail/logs", "--days", "7", "--format", "json")
    assert by_url.returncode == 0, by_url.stderr
    report = json.loads(by_url.stdout)
    assert report["summary"]["sign_ins"] == 3
    assert "broken.json.gz: corrupt gzip" in by_url.stderr
    [scope] = report["coverage"]["regions"]
    assert (scope["region"], scope["objects"], scope["objects_failed"]) == (
        f"{ACCOUNT}/eu-north-1",
        2,
        1,
    )
    strict = live(endpoint, "--s3", "s3://e2e-trail/logs", "--days", "7", "--strict")
    assert strict.returncode == 3
    section = live(endpoint, "--s3", "s3://e2e-trail/logs", "--days", "7", "--section", "regions")
    assert section.returncode == 0, section.stderr  # the bucket's scopes, as the full report
    assert f"{ACCOUNT}/eu-north-1" in section.stdout

    by_trail = live(endpoint, "--source", "trails", "--days", "7", "--format", "json")
    assert by_trail.returncode == 0, by_trail.stderr
    assert json.loads(by_trail.stdout)["summary"]["sign_ins"] == 3
    named = live(endpoint, "--trail", "main", "--days", "7", "--format", "json")
    assert json.loads(named.stdout)["summary"]["sign_ins"] == 3
    bad = live(endpoint, "--s3", "https://e2e-trail/logs")
    assert bad.returncode == 2
    assert "is not an S3 URL" in bad.stderr
