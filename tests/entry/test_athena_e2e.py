"""The real `signin-report --engine athena` command, in a subprocess, against moto in server
mode (`AWS_ENDPOINT_URL`): S3 listed, Glue table created, Athena query run and its canned
result normalized into the report, with the query and its cost in the coverage."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from analyzer.sources.athena_table import SELECT_LIST
from tests.conftest import console_login
from tests.entry.test_live_e2e import live

BUCKET = "e2e-trail"
ACCOUNT = "123456789012"
HEADER = [c.alias for c in SELECT_LIST] + ["account", "region", "delivery_date"]
LOGIN = console_login(eventID="athena-e2e-1", eventTime="2026-11-03T10:00:00Z")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket="e2e-results")
    body = gzip.compress(json.dumps({"Records": [LOGIN]}).encode())
    s3.put_object(
        Bucket=BUCKET,
        Key=f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/03/{ACCOUNT}_a.json.gz",
        Body=body,
    )
    yield url
    server.stop()


def canned(endpoint: str, record: dict[str, Any]) -> None:
    values: list[str | None] = []
    for column in SELECT_LIST:
        value: Any = record
        for key in column.keys:
            value = value.get(key) if isinstance(value, dict) else None
        values.append(json.dumps(value) if column.json_text and value is not None else value)
    values += [ACCOUNT, "us-east-1", "2026/11/03"]
    rows: list[list[str | None]] = [list(HEADER), values]
    payload = {"results": [{
        "rows": [{"Data": [{"VarCharValue": v} if v is not None else {} for v in r]}
                 for r in rows],
        "column_info": [{"Name": h, "Type": "varchar"} for h in HEADER],
    }]}  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 (the local moto server's control API)
        f"{endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 201


def signin_report(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    window = ["--since", "2026-11-03", "--until", "2026-11-05", "--quiet"]
    return live(endpoint, "--s3", f"s3://{BUCKET}", *window, *args)


def test_the_command_runs_on_athena(endpoint: str, tmp_path: Path) -> None:
    canned(endpoint, LOGIN)
    events = tmp_path / "events.jsonl"
    result = signin_report(
        endpoint, "--engine", "athena", "--athena-output", "s3://e2e-results/runs/",
        "--format", "json", "--events", str(events),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["sign_ins"] == 1
    (row,) = [json.loads(line) for line in events.read_text().splitlines()]
    assert row["event_id"] == "athena-e2e-1"
    assert row["endpoint"] == "signin.aws.amazon.com"
    assert row["collected_from"].startswith("athena:")
    (query,) = report["coverage"]["queries"]
    assert query["state"] == "SUCCEEDED"
    assert query["rows"] == 1
    assert query["projected_bytes"] > 0
    assert set(query) >= {"query_id", "seconds", "bytes_scanned", "price_usd"}
    glue = boto3.client(
        "glue", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    (table,) = glue.get_tables(DatabaseName="signin_report")["TableList"]
    assert table["Parameters"]["storage.location.template"].startswith(
        f"s3://{BUCKET}/AWSLogs/${{account}}/CloudTrail/"
    )

    canned(endpoint, LOGIN)
    markdown = signin_report(endpoint, "--engine", "athena", "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "Athena queries (estimated at $5/TB)" in markdown.stdout


def test_the_scan_limit_and_option_checks_are_one_line_errors(endpoint: str) -> None:
    refused = signin_report(endpoint, "--engine", "athena", "--athena-max-scan", "0.0000001")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "over --athena-max-scan 1e-07 GB" in refused.stderr
    alone = signin_report(endpoint, "--athena-workgroup", "analysts")
    assert alone.returncode == 2
    assert "the --athena-* options need --engine athena" in alone.stderr
    wrong = signin_report(endpoint, "--engine", "presto")
    assert wrong.returncode == 2
    assert "'presto' is not one of 'local', 'athena'" in wrong.stderr
