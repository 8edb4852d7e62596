"""The audit run as a library: the request in, the result out, the history's progress per
source scope, and one boto3 session serving every AWS call of a run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

import analyzer
from analyzer.audit.request import AuditRequest, Delivery, Rendering, Sources, Status
from analyzer.audit.run import collection_window, run_audit
from analyzer.domain.errors import RunError
from analyzer.domain.values import Severity
from analyzer.domain.window import Window
from analyzer.history.meta import Meta, ScopeProgress
from analyzer.render.formats import OutputFormat
from tests.conftest import console_login, write_trail

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"
WEEK = Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC))


def sample_request(**changes: Any) -> AuditRequest:
    fields: dict[str, Any] = {
        "window": WEEK,
        "sources": Sources(logs=(SAMPLE,)),
        "rendering": Rendering(format=OutputFormat.json),
    }
    fields.update(changes)
    return AuditRequest(**fields)


def test_run_audit_returns_the_whole_result() -> None:
    result = run_audit(sample_request())
    report = json.loads(result.text)
    assert report["summary"] == result.report.summary
    assert result.report.summary["sign_ins"] == 32
    assert {f.rule_id for f in result.findings} >= {"root_signin", "no_mfa"}
    assert len(result.frame) == result.coverage.kept
    assert result.appended is None
    assert result.delivered == []
    assert result.status is Status.ok
    assert int(result.exit_code) == 0


def test_status_follows_fail_on_and_strict(tmp_path: Path) -> None:
    assert run_audit(sample_request(fail_on=Severity.high)).status is Status.findings
    write_trail(tmp_path / "good.json.gz", [console_login(eventTime="2026-11-03T09:00:00Z")])
    (tmp_path / "broken.json").write_text("{not json")
    strict = run_audit(
        sample_request(sources=Sources(logs=(tmp_path,)), strict=True, fail_on=Severity.low)
    )
    assert strict.skipped == 1
    assert strict.status is Status.incomplete  # strictness first
    assert int(strict.exit_code) == 3


def test_collection_widens_by_the_progress_of_the_run_s_own_sources(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    meta = Meta(
        scopes={
            f"logs:{logs.resolve()}": ScopeProgress(
                complete_until=datetime(2026, 10, 30, tzinfo=UTC)
            ),
            "lookup:us-east-1:signin.amazonaws.com": ScopeProgress(
                retry_from=datetime(2026, 6, 1, tzinfo=UTC)
            ),
        }
    )
    now = datetime(2026, 11, 9, tzinfo=UTC)
    files = sample_request(sources=Sources(logs=(logs,)))
    assert collection_window(files, meta, now) == (
        Window(datetime(2026, 10, 29, 22, tzinfo=UTC), WEEK.until),  # the overlap before it
        None,
    )
    other = sample_request(sources=Sources(logs=(tmp_path / "other",)))
    assert collection_window(other, meta, now) == (WEEK, None)  # another scope's progress
    # Event history keeps 90 days: the failed span before that is left out, and said.
    window, warning = collection_window(sample_request(sources=Sources()), meta, now)
    assert window.since == now + timedelta(minutes=5) - timedelta(days=90)
    assert warning is not None
    assert "read again from 2026-06-01T00:00:00+00:00" in warning
    assert "--" not in warning  # the library names no command-line flag


def test_history_alone_without_history_is_a_neutral_error(tmp_path: Path) -> None:
    with pytest.raises(RunError) as caught:
        run_audit(AuditRequest(window=WEEK, history=str(tmp_path / "none")))
    assert caught.value.subject == "history"
    assert "--" not in str(caught.value)  # the library names no command-line flag


def test_notebook_api_runs_an_audit_into_history(tmp_path: Path) -> None:
    history = tmp_path / "history"
    first = analyzer.run_audit_job(
        logs=[SAMPLE], history=history, since="2026-11-02", until="2026-11-09",
        report_format="markdown",
    )  # fmt: skip
    assert isinstance(first, analyzer.AuditResult)
    assert first.appended is not None
    assert first.appended.added == len(first.frame) > 0
    assert first.progress_kept == []
    scopes = json.loads((history / "history.json").read_text())["scopes"]
    assert scopes[f"logs:{SAMPLE}"]["complete_until"] == "2026-11-09T00:00:00+00:00"
    assert first.text.startswith("# AWS console sign-in report")
    again = analyzer.run_audit_job(history=history, since="2026-11-02", until="2026-11-09")
    assert again.appended is None
    assert again.report.summary == first.report.summary


@pytest.fixture
def profile_only(tmp_path: Path) -> Iterator[None]:
    """AWS credentials only in a named profile of a config file: no environment keys."""
    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = eu-west-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[audit]\naws_access_key_id = AKIDAUDIT\naws_secret_access_key = x\n")
    with mock_aws():
        saved = {n: v for n, v in os.environ.items() if n.startswith("AWS_")}
        for name in saved:
            del os.environ[name]  # moto's own fake keys too: only the profile is left
        os.environ["AWS_CONFIG_FILE"] = str(config)
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        session = boto3.Session(profile_name="audit")
        session.client("s3").create_bucket(
            Bucket="audit", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"):
            os.environ.pop(name, None)
        os.environ.update(saved)  # what moto expects to remove when it stops


def test_one_session_from_the_profile_serves_history_and_delivery(
    profile_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str | None] = []
    original = boto3.Session.__init__

    def counting(self: boto3.Session, *args: Any, **kwargs: Any) -> None:
        built.append(kwargs.get("profile_name"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(boto3.Session, "__init__", counting)
    result = CliRunner().invoke(
        analyzer_cli_app(),
        [
            "--logs", str(SAMPLE), "--since", "2026-11-02", "--until", "2026-11-09",
            "--history", "s3://audit/history", "--report-s3", "s3://audit/r/report.json",
            "--format", "json", "--profile", "audit",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert built == ["audit"]  # one session, from --profile, for history and delivery
    s3 = boto3.Session(profile_name="audit").client("s3")
    meta = json.loads(s3.get_object(Bucket="audit", Key="history/history.json")["Body"].read())
    assert meta["runs"][0]["added"] == 53  # every sign-in event of the window
    uploaded = json.loads(s3.get_object(Bucket="audit", Key="r/report.json")["Body"].read())
    assert uploaded["summary"]["sign_ins"] == 32
    # The notebook reads that history with the same profile (no credentials elsewhere).
    stored = analyzer.load_history(
        "s3://audit/history", "2026-11-02", "2026-11-09", profile="audit"
    )
    assert len(stored) == 53


def analyzer_cli_app() -> Any:
    from analyzer.entry.cli import app

    return app


def test_delivery_failure_is_a_run_error_after_the_report(profile_only: None) -> None:
    request = sample_request(
        delivery=Delivery(report_s3="s3://no-such-bucket/r.json"),
        aws=analyzer.Aws(profile="audit"),
    )
    with pytest.raises(RunError, match="cannot deliver the report"):
        run_audit(request)


def test_suppressed_findings_travel_in_the_result_and_the_report() -> None:
    """The run applies the config's suppressions through `evaluate_rules`: the silenced
    findings leave `findings` (and so the exit status) and are listed, with their entry, in
    the result and in the report's `suppressed` section."""
    from analyzer.findings.config import parse_config

    plain = run_audit(sample_request())
    no_mfa = [f for f in plain.findings if f.rule_id == "no_mfa"]
    assert no_mfa
    users = sorted({u for f in no_mfa for u in f.evidence["user_name"].dropna()})
    config = parse_config({"suppress": [{"rules": ["no_mfa"], "users": users, "reason": "x"}]})
    result = run_audit(sample_request(findings=config))
    assert "no_mfa" not in {f.rule_id for f in result.findings}
    assert len(result.findings) == len(plain.findings) - len(no_mfa)
    assert {(s.rule_id, s.entries) for s in result.suppressed} == {("no_mfa", ("suppress[0] (x)",))}
    assert len(result.suppressed) == len(no_mfa)
    assert result.report.suppressed == result.suppressed
    by_entry = json.loads(result.text)["suppressed"]["by_entry"]
    assert by_entry == {"suppress[0] (x)": len(no_mfa)}


def test_save_raw_notes_are_warnings_of_the_run(tmp_path: Path) -> None:
    """A record whose account would lead `save_raw` out of its folder is saved inside it,
    and the run says so once in `warnings` (the CLI prints each as one warning line)."""
    logs = tmp_path / "logs"
    write_trail(
        logs / "trail.json.gz",
        [console_login(eventTime="2026-11-03T09:00:00Z", recipientAccountId="../../x")],
    )
    seen: list[str] = []
    raw = tmp_path / "raw"
    request = sample_request(
        sources=Sources(logs=(logs,)), rendering=Rendering(format=OutputFormat.json, save_raw=raw)
    )
    from analyzer.audit.run import AuditRun

    result = AuditRun(request, warn=seen.append).execute()
    notes = [w for w in result.warnings if "'../../x' is not a 12-digit account id" in w]
    assert len(notes) == 1
    assert seen == result.warnings
    assert [p.name for p in (raw / "AWSLogs").iterdir()] == ["unknown-account"]


def test_s3_objects_a_recorded_run_read_count_as_read() -> None:
    """A weekly S3 run whose objects were all read before, beside one failing new object, is
    a report with a problem, not "nothing could be read"."""
    from analyzer.audit.run import nothing_read
    from analyzer.domain.coverage import Coverage

    class S3TrailSource:  # (nothing_read tells S3 sources by their class name)
        def __init__(self, known_skipped: int) -> None:
            self.known_skipped = known_skipped

    coverage = Coverage()
    coverage.skip_file("s3://bucket/AWSLogs/new.json.gz", "AccessDenied")
    sources: list[Any] = [S3TrailSource(known_skipped=12)]
    assert nothing_read(coverage, sources, []) is None
    sources = [S3TrailSource(known_skipped=0)]
    assert nothing_read(coverage, sources, []) == (
        "nothing could be read from S3 (1 problem(s) reported)"
    )


def test_account_and_region_filters_are_exact_names() -> None:
    """Twelve digits, whole (not a prefix match); region names of every partition."""
    from analyzer.audit.run import check_filters
    from analyzer.domain.errors import RequestError

    def check(**sources: Any) -> None:
        check_filters(AuditRequest(window=WEEK, sources=Sources(**sources)))

    for bad in ("12345678901", "1234567890123", "123456789012x"):
        with pytest.raises(RequestError, match="is not a 12-digit account id"):
            check(s3=("s3://b",), accounts=(bad,))
    check(s3=("s3://b",), accounts=("123456789012",))  # S3 sources take accounts
    regions = ("us-gov-west-1", "cn-north-1", "us-isob-east-1", "eu-isoe-west-1", "eusc-de-east-1")
    check(trails=("t",), regions=regions)
    for bad in ("US-EAST-1", "eu_west!1", "us-east"):
        with pytest.raises(RequestError, match="is not an AWS region name"):
            check(trails=("t",), regions=(bad,))


def test_regions_with_a_history_report_alone_are_refused_not_ignored(tmp_path: Path) -> None:
    from analyzer.audit.run import check_filters
    from analyzer.domain.errors import RequestError

    alone = AuditRequest(window=WEEK, sources=Sources(regions=("eu-west-1",)), history="h")
    with pytest.raises(RequestError, match="a history report alone reads no region"):
        check_filters(alone)
    check_filters(AuditRequest(window=WEEK, sources=Sources(regions=("eu-west-1",))))
