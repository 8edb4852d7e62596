"""The HTML charts draw the report's series: the renderer formats, it does not count."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from analyzer.api import read_logs
from analyzer.domain.window import Window
from analyzer.render.charts import LABEL_CHARS
from analyzer.render.formats import SECTION_NAMES, OutputFormat
from analyzer.render.registry import renderer_for
from analyzer.reports import SigninReport, build_report
from tests.test_import_graph import import_graph

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"
NOW = datetime(2026, 11, 9, tzinfo=UTC)
WEEK = Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC))


def html_of(report: SigninReport) -> str:
    out = io.StringIO()
    renderer_for(OutputFormat.html).render(report, out, list(SECTION_NAMES))
    return out.getvalue()


def test_charts_come_from_the_report_series() -> None:
    frame = read_logs(SAMPLE, since=WEEK.since, until=WEEK.until)
    report = build_report(frame, None, window=WEEK, generated_at=NOW, charts=True)
    assert report.charts is not None
    assert html_of(report).count("<svg") == 4
    edited = replace(report, charts=replace(report.charts, users=[("series-user", 7)]))
    assert "series-user (7)" in html_of(edited)  # drawn from the report, not recounted
    plain = build_report(frame, None, window=WEEK, generated_at=NOW)
    assert plain.charts is None
    assert "<svg" not in html_of(plain)


def test_chart_formatting_reads_no_report_tables() -> None:
    imported = import_graph()["analyzer.render.charts"]
    assert {m for m in imported if m.startswith("analyzer.reports")} == {
        "analyzer.reports",
        "analyzer.reports.charts",
    }


def test_a_long_label_is_cut_before_its_bar_and_whole_in_its_tooltip() -> None:
    frame = read_logs(SAMPLE, since=WEEK.since, until=WEEK.until)
    report = build_report(frame, None, window=WEEK, generated_at=NOW, charts=True)
    assert report.charts is not None
    name = "dana (IdentityCenterUser in 111122223333)" + "x" * 60
    html = html_of(replace(report, charts=replace(report.charts, users=[(name, 12)])))
    assert f"<title>{name}: 12</title>" in html
    shown = "dana (IdentityCen\u2026" + "x" * 17 + " (12)"  # its start and its end, cut between
    assert f">{shown}</text>" in html
    assert name + " (12)" not in html
    assert len(shown) == LABEL_CHARS
    place = "eu-west-1.signin.aws.amazon.com @ eu-west-1"  # the logged region stays in sight
    html = html_of(replace(report, charts=replace(report.charts, places=[(place, 6)])))
    assert ">eu-west-1.signin.a\u2026n.com @ eu-west-1 (6)</text>" in html
