"""A frame saved and read back the way a notebook user does (`pd.read_parquet` without
`dtype_backend`, or `astype("string")`) holds pandas' own string dtype, large strings in
Arrow. README promises the same findings and report from such a frame; every report table
but two raised an Arrow error on one (a fresh-eyes run found it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import analyzer
from analyzer.domain.coverage import Coverage

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"
TABLES = [
    "summary", "by_user", "by_endpoint", "mfa_by_identity", "without_mfa", "failures_by_kind",
    "failures_by_user", "failures_by_source_ip", "signins_per_day", "first_seen_ips",
]  # fmt: skip
WINDOW = analyzer.Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC))


@pytest.fixture(scope="module")
def documented() -> pd.DataFrame:
    return analyzer.read_logs(SAMPLE, since=WINDOW.since, until=WINDOW.until)


def _read_back(frame: pd.DataFrame, how: str, folder: Path) -> pd.DataFrame:
    if how == "astype":
        text = [n for n in frame.columns if frame[n].dtype == pd.ArrowDtype(pa.string())]
        return frame.astype(dict.fromkeys(text, "string"))
    path = folder / "events.parquet"
    frame.to_parquet(path)
    if how == "report columns":
        return pd.read_parquet(path, columns=list(analyzer.REPORT_COLUMNS))
    return pd.read_parquet(path)


@pytest.mark.parametrize("how", ["read_parquet", "report columns", "astype"])
def test_a_frame_in_pandas_string_dtypes_reports_like_the_documented_one(
    documented: pd.DataFrame, how: str, tmp_path: Path
) -> None:
    other = _read_back(documented, how, tmp_path)
    assert any(isinstance(dtype, pd.StringDtype) for dtype in other.dtypes)
    for name in TABLES:
        got, expected = getattr(analyzer, name)(other), getattr(analyzer, name)(documented)
        if isinstance(expected, dict):
            assert got == expected, name
        else:
            pd.testing.assert_frame_equal(got, expected, obj=name)
    findings, expected_findings = analyzer.run_rules(other), analyzer.run_rules(documented)
    assert [f.title for f in findings] == [f.title for f in expected_findings]
    for got_finding, expected_finding in zip(findings, expected_findings, strict=True):
        pd.testing.assert_frame_equal(got_finding.evidence, expected_finding.evidence)
    moment = datetime(2026, 11, 10, tzinfo=UTC)
    report = analyzer.build_report(
        other, Coverage(), window=WINDOW, generated_at=moment, findings=findings
    )
    same = analyzer.build_report(
        documented, Coverage(), window=WINDOW, generated_at=moment, findings=expected_findings
    )
    assert report.as_dict() == same.as_dict()
    pd.testing.assert_frame_equal(
        analyzer.user_timeline(other, "alice"), analyzer.user_timeline(documented, "alice")
    )
