"""The scheduled-job side of `signin-report`: history across runs, findings, exit codes, the
HTML report, and delivery to S3 and SNS (moto), including the Lambda handler."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import console_login, fake_aws_credentials, write_trail
from tests.entry.test_cli import SAMPLE, run

MFA_OK = {"additionalEventData": {"MFAUsed": "Yes"}}


def login(event_id: str, moment: str, ip: str = "198.51.100.10") -> dict[str, Any]:
    return console_login(eventID=event_id, eventTime=moment, sourceIPAddress=ip, **MFA_OK)


def test_two_runs_build_history_and_count_nothing_twice(tmp_path: Path) -> None:
    history = tmp_path / "history"
    week1 = [login(f"w1-{d}", f"2026-11-0{d}T09:00:00Z") for d in (1, 2, 3)]
    boundary = login("edge", "2026-11-03T23:30:00Z")  # inside the next run's overlap
    write_trail(tmp_path / "run1" / "a.json.gz", [*week1, boundary])
    first = run(
        "--logs",
        tmp_path / "run1",
        "--history",
        history,
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-04",
        "--format",
        "json",
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["summary"]["sign_ins"] == 4

    week2 = [login(f"w2-{d}", f"2026-11-0{d}T09:00:00Z") for d in (4, 5)]
    new_ip = login("w2-new-ip", "2026-11-06T09:00:00Z", ip="203.0.113.200")
    write_trail(tmp_path / "run2" / "b.json.gz", [boundary, *week2, new_ip])
    second = run(
        "--logs",
        tmp_path / "run2",
        "--history",
        history,
        "--since",
        "2026-11-04",
        "--until",
        "2026-11-07",
        "--format",
        "json",
    )
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["summary"]["sign_ins"] == 3
    assert report["coverage"]["history_added"] == 3  # the boundary event was already stored
    titles = [f["title"] for f in report["findings"]]
    assert "New source IP for Anaya: 203.0.113.200" in titles

    everything = run(
        "--history", history, "--since", "2026-11-01", "--until", "2026-11-07", "--format", "json"
    )  # history alone, no collection, no credentials
    assert everything.returncode == 0, everything.stderr
    assert json.loads(everything.stdout)["summary"]["sign_ins"] == 7
    meta = json.loads((history / "history.json").read_text())
    marks = {name: scope["complete_until"] for name, scope in meta["scopes"].items()}
    assert marks == {
        f"logs:{(tmp_path / 'run1').resolve()}": "2026-11-04T00:00:00+00:00",
        f"logs:{(tmp_path / 'run2').resolve()}": "2026-11-07T00:00:00+00:00",
    }
    assert [r["added"] for r in meta["runs"]] == [4, 3]


def test_history_only_on_a_missing_history_is_an_error(tmp_path: Path) -> None:
    result = run("--history", tmp_path / "typo", "--days", "7")
    assert result.returncode == 4
    assert "no history at" in result.stderr
    assert "Traceback" not in result.stderr


def test_fail_on_exit_codes(tmp_path: Path) -> None:
    window = ("--since", "2026-11-02", "--until", "2026-11-09")
    findings = run("--logs", SAMPLE, *window, "--fail-on", "high", "--format", "json")
    assert findings.returncode == 1
    assert "finding(s), worst high (--fail-on high)" in findings.stderr
    assert json.loads(findings.stdout)["findings"][0]["severity"] == "high"
    write_trail(tmp_path / "clean.json.gz", [login("ok", "2026-11-03T09:00:00Z")])
    assert run("--logs", tmp_path, *window, "--fail-on", "low").returncode == 0
    refused = run("--logs", tmp_path, *window, "--fail-on", "urgent")
    assert refused.returncode == 2
    assert len(refused.stderr.splitlines()) == 1
    assert "Invalid value for '--fail-on': 'urgent'" in refused.stderr  # not pydantic's label


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"[rules.brute_force_user]\nfailurez = 3\n",
            "rules.brute_force_user.failurez: unknown setting",
        ),
        (b"\xff\xfe\x00binary", "not a UTF-8 text file"),
        (b"rules = 5", "rules must be a table, not int"),
        (b"[allow]\nusers = " + b"[" * 3000 + b"]" * 3000, "allow.users: nested too deeply"),
        (b"[rules.dormant_user]\ndays = 99999999999999", "rules.dormant_user.days must be at most"),
        (b'[allow]\nuser_agents = [""]', "allow.user_agents: an empty string would match"),
    ],
)
def test_bad_config_is_a_usage_error_naming_the_key(
    tmp_path: Path, content: bytes, message: str
) -> None:
    config = tmp_path / "audit.toml"
    config.write_bytes(content)
    result = run("--logs", SAMPLE, "--config", config)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "internal error" not in result.stderr


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_is_self_contained_and_escapes_event_text(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run(
        "--logs",
        SAMPLE,
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-09",
        "--format",
        "html",
        "--output",
        out,
    )
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    parsed = _Tags()
    parsed.feed(html)
    assert "script" not in parsed.tags
    assert "<script>alert(1)</script>" in "".join(parsed.text)  # shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not any(name in {"src", "href"} for name, _ in parsed.attributes)
    assert parsed.tags.count("svg") == 4  # per day, MFA share, top users, endpoints
    assert "Findings" in html
    assert "Console sign-in without MFA: bob" in html


def seed_buckets(s3: Any) -> None:
    """Buckets `audit` (history, reports) and `trail` (yesterday's three sign-ins under
    s3://trail/ct) for the Lambda handler tests."""
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
    body = gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode())
    s3.put_object(
        Bucket="trail",
        Key=f"ct/AWSLogs/111122223333/CloudTrail/us-east-1/{day:%Y/%m/%d}/x.json.gz",
        Body=body,
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    fake_aws_credentials(monkeypatch)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        seed_buckets(s3)
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="signin-report")["TopicArn"]
        queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        yield {"s3": s3, "sqs": sqs, "queue": queue, "topic": topic}


def test_lambda_handler_history_report_and_sns(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from analyzer.entry.lambda_handler import handler

    monkeypatch.setenv("SIGNIN_HISTORY", "s3://audit/signin/history")
    monkeypatch.setenv("SIGNIN_REPORT_S3", "s3://audit/signin/reports/")
    monkeypatch.setenv("SIGNIN_SNS_TOPIC", aws["topic"])
    monkeypatch.setenv("SIGNIN_SOURCE", "s3://trail/ct")
    monkeypatch.setenv("SIGNIN_FAIL_ON", "high")
    result = handler({}, None)
    assert result["status"] == "findings"
    assert result["exit_code"] == 1
    assert result["sign_ins"] == 3
    assert result["history_added"] == 3
    assert result["findings"] >= 1
    assert result["delivered"] == [result["report"], aws["topic"]]
    key = result["report"].removeprefix("s3://audit/")
    report = aws["s3"].get_object(Bucket="audit", Key=key)
    assert report["ContentType"].startswith("text/html")
    assert b"Console sign-in without MFA: Anaya" in report["Body"].read()
    meta = json.loads(
        aws["s3"].get_object(Bucket="audit", Key="signin/history/history.json")["Body"].read()
    )
    assert meta["runs"][0]["added"] == 3
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue"])["Messages"]
    body = json.loads(messages[0]["Body"])
    assert body["Subject"].startswith("signin-report: ")
    assert "Console sign-in without MFA: Anaya" in body["Message"]
    assert result["report"] in body["Message"]

    second = handler({}, None)  # the next scheduled run: nothing new, nothing twice
    assert second["status"] == "findings"
    meta = json.loads(
        aws["s3"].get_object(Bucket="audit", Key="signin/history/history.json")["Body"].read()
    )
    assert [r["added"] for r in meta["runs"]] == [3, 0]


def test_lambda_handler_needs_history(monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.entry.lambda_handler import handler

    monkeypatch.delenv("SIGNIN_HISTORY", raising=False)
    with pytest.raises(RuntimeError, match="SIGNIN_HISTORY"):
        handler({}, None)


def test_lambda_environment_becomes_the_same_request() -> None:
    from analyzer.audit.request import Status
    from analyzer.domain.values import Severity
    from analyzer.entry.lambda_handler import request_from_environment
    from analyzer.render.formats import OutputFormat

    now = datetime(2026, 11, 9, 6, tzinfo=UTC)
    request = request_from_environment(
        {
            "SIGNIN_HISTORY": "s3://audit/h",
            "SIGNIN_SOURCE": "trails",
            "SIGNIN_DAYS": "14",
            "SIGNIN_REGIONS": "us-east-1,eu-west-1",
            "SIGNIN_FAIL_ON": "medium",
            "SIGNIN_REPORT_S3": "s3://audit/reports/",
        },
        now,
    )
    assert request.sources.discover_trails
    assert request.sources.regions == ("us-east-1", "eu-west-1")
    assert request.window.since == now - timedelta(days=14)
    assert request.fail_on is Severity.medium
    assert request.delivery.report_s3 == "s3://audit/reports/signin-report-2026-11-09.html"
    assert request.rendering.format is OutputFormat.html
    assert Status.findings.value == "findings"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SIGNIN_FAIL_ON", "urgent"), ("SIGNIN_SOURCE", "nowhere"), ("SIGNIN_DAYS", "x")],
)
def test_lambda_names_a_bad_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    from analyzer.entry.lambda_handler import handler

    monkeypatch.setenv("SIGNIN_HISTORY", "s3://audit/h")
    monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match=variable):
        handler({}, None)
