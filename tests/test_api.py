from __future__ import annotations

from pathlib import Path

import pytest

import analyzer
from analyzer import SkippedInputError, SkippedInputWarning, read_logs
from tests.conftest import console_login, write_trail

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs"


def test_read_logs_warns_about_skipped_input(tmp_path: Path) -> None:
    write_trail(tmp_path / "good.json.gz", [console_login()])
    (tmp_path / "bad.json").write_text('{"Records": [')
    with pytest.warns(SkippedInputWarning, match=r"bad\.json"):
        frame = read_logs(tmp_path)
    assert len(frame) == 1
    with pytest.raises(SkippedInputError, match=r"bad\.json"):
        read_logs(tmp_path, strict=True)


def test_public_api_exports() -> None:
    for name in [
        "read_logs",
        "collect_logs",
        "SCHEMA",
        "summary",
        "by_user",
        "by_endpoint",
        "without_mfa",
        "failures_by_user",
        "failures_by_source_ip",
        "failures_by_kind",
        "build_report",
        "schema_frame",
    ]:
        assert hasattr(analyzer, name), name
    schema = analyzer.schema_frame()
    assert list(schema.columns) == ["column", "dtype", "meaning"]
    assert len(schema) == len(analyzer.SCHEMA)


def test_collect_trails_reads_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip
    import json

    import boto3
    from moto import mock_aws

    from tests.conftest import console_login, fake_aws_credentials

    fake_aws_credentials(monkeypatch)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="trail")
        body = gzip.compress(json.dumps({"Records": [console_login()]}).encode())
        s3.put_object(
            Bucket="trail",
            Key="AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/03/a.json.gz",
            Body=body,
        )
        collection = analyzer.collect_trails(
            locations=["s3://trail"], since="2026-11-01", until="2026-11-05", region="us-east-1"
        )
    assert len(collection.frame) == 1
    assert collection.coverage.files_read == 1


def test_collect_live_goes_through_the_audit_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """collect_live is the audit run's collect stage: same planning, same checks (event
    history's 90 days) and setup warnings in the coverage, never printed."""
    from datetime import UTC, datetime, timedelta

    from moto import mock_aws

    from analyzer.domain.errors import LiveSetupError
    from tests.conftest import console_login, fake_aws_credentials
    from tests.fakes import install_in_moto

    fake_aws_credentials(monkeypatch)
    recent = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    records = {
        region: [console_login(eventID=f"live-{region}", eventTime=recent, awsRegion=region)]
        for region in ("us-east-1", "eu-west-1")
    }
    with mock_aws():
        remove = install_in_moto({("123456789012", r): found for r, found in records.items()})
        try:
            collection = analyzer.collect_live(days=7, regions=["us-east-1", "eu-west-1"])
        finally:
            remove()
        with pytest.raises(LiveSetupError):
            analyzer.collect_live(days=120, regions=["us-east-1"])
    assert sorted(collection.frame["event_id"]) == ["live-eu-west-1", "live-us-east-1"]
    assert {r.region: r.status for r in collection.coverage.regions} == {
        "us-east-1": "ok",
        "eu-west-1": "ok",
    }


def test_every_name_exported_resolves_and_readme_names_are_exported() -> None:
    """README's notebook paragraphs name these as `analyzer.<name>`; a name it uses that the
    package does not export (`Engine`, `RuleResults` were missing) fails here."""
    for name in analyzer.__all__:
        assert getattr(analyzer, name) is not None, name
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in ("Engine", "AthenaOptions", "RuleResults", "run_rules", "evaluate_rules"):
        assert name in readme, name
        assert name in analyzer.__all__, name


def test_rules_run_with_their_documented_defaults() -> None:
    frame = analyzer.read_logs(SAMPLE, since="2026-11-02", until="2026-11-09")
    explicit = analyzer.run_rules(frame, None, analyzer.FindingsConfig())
    assert [f.title for f in analyzer.run_rules(frame)] == [f.title for f in explicit]
    results = analyzer.evaluate_rules(frame)
    assert isinstance(results, analyzer.RuleResults)
    assert [f.title for f in results.findings] == [f.title for f in explicit]
    assert explicit


def test_write_report_takes_a_path_or_a_stream(tmp_path: Path) -> None:
    import io

    result = analyzer.run_audit_job(
        logs=[SAMPLE], since="2026-11-02", until="2026-11-09", report_format="json"
    )
    path = tmp_path / "report.json"
    result.write_report(path)
    result.write_report(str(tmp_path / "again.json"))
    stream = io.StringIO()
    result.write_report(stream)
    assert path.read_text(encoding="utf-8") == stream.getvalue() == result.text
    assert (tmp_path / "again.json").read_text(encoding="utf-8") == result.text


@pytest.mark.parametrize("reader", ["read_logs", "collect_logs", "load_history"])
def test_an_empty_window_is_refused_by_every_reader(reader: str, tmp_path: Path) -> None:
    """As the CLI refuses it: a reversed window read nothing and said nothing."""
    import analyzer

    read = getattr(analyzer, reader)
    with pytest.raises(analyzer.WindowError, match="the window is empty: since 2026-11-09"):
        read(tmp_path, since="2026-11-09", until="2026-11-02")
    with pytest.raises(analyzer.WindowError, match="the window is empty"):
        read(tmp_path, since="2026-11-02", until="2026-11-02")
