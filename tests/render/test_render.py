"""Renderers keep attacker-controlled text inert and the JSON structure stable."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analyzer.domain.window import Window
from analyzer.frame.schema import COLUMNS, SCHEMA_VERSION, frame_from_rows
from analyzer.normalize import normalize_record
from analyzer.render.cells import markdown_safe, printable, spreadsheet_safe
from analyzer.render.events import write_events
from analyzer.render.formats import OutputFormat
from analyzer.render.registry import renderer_for
from analyzer.render.table import TableRenderer
from analyzer.reports import SECTION_NAMES, build_report
from tests.conftest import console_login

EVIL_UA = '<script>alert(1)</script> [bold red]x[/] \x1b[31mred =cmd|"/c calc"!A1'
EVIL_USER = '=HYPERLINK("http://evil")'


def report_frame(user_agent: str = EVIL_UA, user_name: str = EVIL_USER) -> pd.DataFrame:
    record = console_login(userAgent=user_agent)
    record["userIdentity"] = {"type": "IAMUser", "userName": user_name, "accountId": "1"}
    normalized = normalize_record(record, "t#0")
    assert normalized is not None
    return frame_from_rows([normalized.row])


def render(fmt: OutputFormat, frame: pd.DataFrame | None = None) -> str:
    """Every section of a one-event report; with `frame`, the HTML report draws its charts."""
    report = build_report(
        report_frame() if frame is None else frame,
        None,
        window=Window(datetime(2026, 11, 1, tzinfo=UTC), None),
        generated_at=datetime(2026, 11, 26, tzinfo=UTC),
    )
    out = io.StringIO()
    renderer_for(fmt, frame=frame).render(report, out, list(SECTION_NAMES))
    return out.getvalue()


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        ("a\n=1+1", "a\n'=1+1"),  # every line start: importers may split cells on line breaks
        ("a\r\n@SUM(A1)", "a\r\n'@SUM(A1)"),
        ("\r-1", "'\r'-1"),
        ("line\nplain", "line\nplain"),
    ],
)
def test_spreadsheet_safe(text: str, safe: str) -> None:
    assert spreadsheet_safe(text) == safe


def test_csv_neutralizes_formulas() -> None:
    rows = list(csv.reader(io.StringIO(render(OutputFormat.csv))))
    cells = [cell for row in rows for cell in row]
    assert "'" + EVIL_USER in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_markdown_escapes_html_and_pipes() -> None:
    text = render(OutputFormat.markdown)
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert markdown_safe("a|b") == "a\\|b"


def test_terminal_table_prints_markup_and_escapes_as_text() -> None:
    report = build_report(
        report_frame(), None, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC)
    )
    out = io.StringIO()
    TableRenderer(color=True, width=600).render(report, out, ["without_mfa"])
    text = out.getvalue()
    assert "\x1b[31mred" not in text  # the record's escape never reaches the terminal
    assert "\\x1b[31mred" in text  # it is shown as visible characters
    assert "[bold red]x[/]" in text  # markup-looking text is printed, not interpreted
    assert printable("a\nb") == "a\\x0ab"


def many_without_mfa(count: int) -> pd.DataFrame:
    rows = []
    for index in range(count):
        record = console_login(eventID=f"e{index}", sourceIPAddress=f"198.51.100.{index}")
        normalized = normalize_record(record, f"t#{index}")
        assert normalized is not None
        rows.append(normalized.row)
    return frame_from_rows(rows)


@pytest.mark.parametrize(("max_rows", "shown"), [(3, 3), (0, 7), (7, 7)])
def test_terminal_table_caps_long_tables_and_says_so(max_rows: int, shown: int) -> None:
    report = build_report(
        many_without_mfa(7), None, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC)
    )
    out = io.StringIO()
    TableRenderer(width=400, max_rows=max_rows).render(report, out, ["summary", "without_mfa"])
    text = out.getvalue()
    assert sum(f"198.51.100.{i} " in text for i in range(7)) == shown
    assert ("3 of 7 rows shown" in text) is (shown < 7)
    csv_out = io.StringIO()
    renderer_for(OutputFormat.csv).render(report, csv_out, ["without_mfa"])
    assert len(list(csv.reader(io.StringIO(csv_out.getvalue())))) == 1 + 7  # header + all


def test_json_structure_is_stable() -> None:
    data = json.loads(render(OutputFormat.json))
    assert list(data) == [
        "report_version",
        "generated_at",
        "window",
        "summary",
        "findings",
        "suppressed",
        "users",
        "endpoints",
        "mfa",
        "failures",
        "coverage",
    ]
    assert list(data["mfa"]) == ["by_identity", "without_mfa"]
    assert list(data["failures"]) == ["by_kind", "by_user", "by_source_ip"]
    assert data["users"][0]["user_name"] == EVIL_USER  # JSON carries the text verbatim
    assert data["window"] == {"since": "2026-11-01T00:00:00+00:00", "until": None}
    assert data["mfa"]["without_mfa"][0]["event_time"] == "2026-11-03T21:44:40+00:00"


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_events_files(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    write_events(report_frame(), path)
    if suffix == ".parquet":
        table = pq.read_table(path)
        assert tuple(table.column_names) == COLUMNS
        assert table.schema.metadata[b"signin_schema_version"] == str(SCHEMA_VERSION).encode()
    elif suffix == ".csv":
        rows = list(csv.DictReader(path.open()))
        assert rows[0]["user_name"] == "'" + EVIL_USER
        assert tuple(rows[0]) == COLUMNS
    else:
        row = json.loads(path.read_text().splitlines()[0])
        assert tuple(row) == COLUMNS
        assert row["user_agent"] == EVIL_UA
        assert row["event_time"] == "2026-11-03T21:44:40Z"


def test_events_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown extension \.xlsx"):
        write_events(report_frame(), tmp_path / "x.xlsx")


def test_terminal_table_caps_the_findings_list_too() -> None:
    """Listed sections (findings) are cut like report tables, with the same caption."""
    from analyzer.findings.config import FindingsConfig
    from analyzer.findings.engine import run_rules

    rows = []
    for index in range(5):
        identity = {
            "type": "IAMUser",
            "userName": f"u{index}",
            "accountId": "111111111111",
            "arn": f"arn:aws:iam::111111111111:user/u{index}",
            "principalId": f"P{index}",
        }
        record = console_login(eventID=f"e{index}", userIdentity=identity)
        normalized = normalize_record(record, f"t#{index}")
        assert normalized is not None
        rows.append(normalized.row)
    frame = frame_from_rows(rows)
    findings = run_rules(frame, None, FindingsConfig())
    assert len(findings) == 5
    report = build_report(
        frame, None, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC), findings=findings
    )
    out = io.StringIO()
    TableRenderer(width=400, max_rows=4).render(report, out, ["findings"])
    text = out.getvalue()
    assert sum(f"without MFA: u{i} " in text for i in range(5)) == 4
    assert "4 of 5 rows shown" in text


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_a_sign_in_of_no_known_endpoint_is_labelled_unknown(fmt: OutputFormat) -> None:
    """No host header and no LoginTo: the endpoints table's row reads "(unknown)", as the
    charts do, not a blank first cell; JSON keeps the null."""
    record = console_login()
    record.pop("tlsDetails", None)
    record["additionalEventData"].pop("LoginTo", None)
    normalized = normalize_record(record, "t#0")
    assert normalized is not None
    assert normalized.row["endpoint"] is None
    text = render(fmt, frame_from_rows([normalized.row]))
    if fmt is OutputFormat.json:
        assert [row["endpoint"] for row in json.loads(text)["endpoints"]] == [None]
    else:
        assert "(unknown)" in text.replace("\\(", "(").replace("\\)", ")")
