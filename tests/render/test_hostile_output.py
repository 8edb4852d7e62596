"""Attacker-chosen text stays inert in every output: no CSV row injection through a bare
carriage return, no live Markdown links, no bidirectional or zero-width spoofing."""

from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from analyzer.render.events import write_events
from analyzer.render.formats import OutputFormat
from analyzer.render.text import json_visible, markdown_safe, printable, visible
from tests.render.test_render import render as render_report
from tests.render.test_render import report_frame

CR_PAYLOAD = "Mozilla/5.0\r=cmd|' /C calc'!A0"
SPOOFED = "admin\u202egnp.exe\u200b"
LINK_AGENT = "Mozilla/5.0 see https://evil.example/reset and www.evil.example or a@evil.example"


def hostile_frame(user_agent: str, user_name: str = "alice") -> pd.DataFrame:
    return report_frame(user_agent, user_name)


def render(frame: pd.DataFrame, fmt: OutputFormat) -> str:
    return render_report(fmt, frame)


def spreadsheet_rows(text: str) -> list[list[str]]:
    """Rows as a spreadsheet sees them: a bare CR outside quotes ends a row."""
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_report_quotes_a_bare_carriage_return() -> None:
    rows = spreadsheet_rows(render(hostile_frame(CR_PAYLOAD), OutputFormat.csv))
    cells = [cell for row in rows for cell in row]
    assert CR_PAYLOAD.replace("\r", "\r'") in cells  # one cell, its second line neutralized
    assert not any(cell.startswith(("=", "+", "@", "-")) for cell in cells if cell)


def test_events_csv_quotes_a_bare_carriage_return(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events(hostile_frame(CR_PAYLOAD), path)
    rows = spreadsheet_rows(path.read_bytes().decode("utf-8"))
    assert len(rows) == 2  # header and the one event, not a third injected row
    assert rows[1][list(rows[0]).index("user_agent")] == "Mozilla/5.0\r'=cmd|' /C calc'!A0"


def test_invisible_class_matches_unicode_categories() -> None:
    """Every format, line/paragraph separator and surrogate code point is made visible, and
    nothing else (so ordinary text in other scripts is untouched)."""
    expected = {
        point
        for point in range(sys.maxunicode + 1)
        if unicodedata.category(chr(point)) in {"Cf", "Zl", "Zp", "Cs"}
    }
    shown = {point for point in range(sys.maxunicode + 1) if visible(chr(point)) != chr(point)}
    assert shown == expected


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_bidi_and_zero_width_are_visible_in_every_text_format(fmt: OutputFormat) -> None:
    text = render(hostile_frame(SPOOFED, user_name=SPOOFED), fmt)
    if fmt is OutputFormat.json:
        assert "admin\\u202egnp.exe\\u200b" in text  # JSON escapes; the value stays verbatim
        assert json.loads(text)["users"][0]["user_name"] == SPOOFED
        return
    assert "\u202e" not in text
    assert "\u200b" not in text
    assert "u202egnp.exe\\u200b" in text.replace("\\\\", "\\")


def test_json_escapes_keep_the_values(tmp_path: Path) -> None:
    value = "a\U000e0041\u2028b"  # a tag character (above the BMP), a line separator
    path = tmp_path / "events.jsonl"
    write_events(hostile_frame(value), path)
    raw = path.read_bytes().decode("ascii", errors="strict").replace("\\", "")
    assert "u2028" in raw
    assert "udb40udc41" in raw
    assert json.loads(path.read_bytes())["user_agent"] == value
    assert json.loads(json_visible(json.dumps("\ud800", ensure_ascii=False))) == "\ud800"


TERMINAL_PAYLOAD = "ua \x1b]0;pwned\x07\x1b[2J \x9b2J \x85 \x7f tab\tend"


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_no_output_carries_a_terminal_control(fmt: OutputFormat) -> None:
    """`signin-report --format F` printed to a terminal (or a file later `cat`ed) must not let
    a user agent clear the screen or retitle the window: no raw C0 control (but tab and line
    breaks), DEL or C1 control (an 8-bit CSI, U+009B, is obeyed by terminals honouring C1)."""
    text = render(hostile_frame(TERMINAL_PAYLOAD, user_name="bob\x1b[2J"), fmt)
    raw = {chr(point) for point in [*range(0x20), *range(0x7F, 0xA0)]} - {"\t", "\n", "\r"}
    assert not raw & set(text), sorted(raw & set(text))
    if fmt is OutputFormat.json:  # escaped in the JSON text, the value itself unchanged
        assert json.loads(text)["users"][0]["user_name"] == "bob\x1b[2J"
    elif fmt is OutputFormat.csv:  # shown the way the terminal table shows them
        cells = [cell for row in spreadsheet_rows(text) for cell in row]
        assert "ua \\x1b]0;pwned\\x07\\x1b[2J \\x9b2J \\x85 \\x7f tab\tend" in cells


def test_events_files_carry_no_terminal_control(tmp_path: Path) -> None:
    for name in ("events.csv", "events.jsonl"):
        path = tmp_path / name
        write_events(hostile_frame(TERMINAL_PAYLOAD), path)
        text = path.read_text(encoding="utf-8")
        assert not {"\x1b", "\x07", "\x9b", "\x85", "\x7f"} & set(text), name
    [event] = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert event["user_agent"] == TERMINAL_PAYLOAD


def test_terminal_text_is_one_inert_line() -> None:
    assert printable("a\nsignin-report: warning: forged") == "a\\x0asignin-report: warning: forged"
    assert printable("\x1b]0;pwned\x07\x1b[2J") == "\\x1b]0;pwned\\x07\\x1b[2J"
    assert printable("\ud800") == "\\ud800"  # a lone surrogate cannot break the encoder


def _links(markdown: str) -> list[str]:
    parser = MarkdownIt("commonmark").enable("table")
    found = []
    for token in parser.parse(markdown):
        for child in token.children or []:
            if child.type in {"link_open", "html_inline"}:
                found.append(str(child.attrs.get("href", child.content)))
    return found


def test_markdown_links_are_code_spans() -> None:
    frame = hostile_frame(LINK_AGENT, user_name="<https://evil.example>")
    text = render(frame, OutputFormat.markdown)
    assert "`https://evil.example/reset`" in text
    assert "`www.evil.example`" in text
    assert "`a@evil.example`" in text
    assert _links(text) == []
    assert markdown_safe("see https://x.example/a.") == "see `https://x.example/a`."
    assert markdown_safe("a`|b https://x") == "a\\`\\|b `https://x`"
    assert markdown_safe("``https://x") == "``` ``https://x ```"


HOSTILE_FILE = "=cmd|' \\C calc'!A0 <b>x</b> www.evil.example\u202e.json.gz"


@pytest.mark.parametrize("fmt", [f for f in OutputFormat if f is not OutputFormat.json])
def test_problems_are_listed_with_their_culprits_inert(fmt: OutputFormat) -> None:
    """Every format names what it could not read (JSON always did, in coverage.problems);
    the culprit, a file name anyone can choose, stays text."""
    from datetime import UTC, datetime

    from analyzer.domain.coverage import Coverage, Problem
    from analyzer.render.registry import renderer_for
    from analyzer.reports import build_report

    coverage = Coverage()
    coverage.problems += [
        Problem(HOSTILE_FILE, "not a JSON file", skipped=True),
        Problem("trail.json#3", "kept with no eventID", skipped=False),
    ]
    report = build_report(
        report_frame(), coverage, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC)
    )
    out = io.StringIO()
    renderer_for(fmt, max_rows=1).render(report, out, ["coverage", "problems"])
    text = out.getvalue()
    assert "\u202e" not in text
    assert "not a JSON file" in text
    assert "Problems (2)" in text or fmt is OutputFormat.csv
    if fmt is OutputFormat.csv:
        rows = spreadsheet_rows(text)
        assert rows[rows.index(["section", "problems"]) + 2][0] == "'" + HOSTILE_FILE.replace(
            "\u202e", "\\u202e"
        )
        assert ["trail.json#3", "kept with no eventID", "kept"] in rows
    elif fmt is OutputFormat.html:
        assert "&lt;b&gt;x&lt;/b&gt;" in text
        assert "<b>x" not in text
        assert "trail.json#3" in text
    elif fmt is OutputFormat.markdown:
        assert _links(text) == []
        assert "trail.json\\#3" in text
    else:  # the terminal table: capped like any long list
        assert "1 of 2 rows shown" in text
        assert "not a JSON file" in text
        assert "kept with no eventID" not in text


def _problems_report(problems: list[tuple[str, str, bool]]) -> Any:
    from datetime import UTC, datetime

    from analyzer.domain.coverage import Coverage, Problem
    from analyzer.reports import build_report

    coverage = Coverage()
    coverage.problems += [Problem(*p) for p in problems]
    return build_report(
        report_frame(), coverage, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC)
    )


def _csv(report: Any, sections: list[str]) -> list[list[str]]:
    from analyzer.render.registry import renderer_for

    out = io.StringIO()
    renderer_for(OutputFormat.csv).render(report, out, sections)
    return spreadsheet_rows(out.getvalue())


def test_one_problem_is_listed_and_single_sections_stay_single_tables() -> None:
    """A whole report lists even one problem; `--section coverage` alone is still one plain
    table when there are problems, and `--section problems` alone is its table, empty or not."""
    report = _problems_report([("bad.json.gz", "truncated gzip", True)])
    whole = _csv(report, ["summary", "coverage", "problems"])
    assert ["section", "problems"] in whole
    assert ["bad.json.gz", "truncated gzip", "skipped"] in whole
    coverage = _csv(report, ["coverage"])
    assert coverage[0] == ["metric", "value"]
    assert all(row[:1] != ["section"] for row in coverage)
    assert _csv(report, ["problems"]) == [
        ["culprit", "problem", "input"],
        ["bad.json.gz", "truncated gzip", "skipped"],
    ]
    assert _csv(_problems_report([]), ["problems"]) == [["culprit", "problem", "input"]]
    assert ["section", "problems"] not in _csv(_problems_report([]), ["summary", "problems"])


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_a_hostile_account_id_is_inert_in_every_format_header_included(fmt: OutputFormat) -> None:
    """The account ids reach the HTML report's header line, which wrote them raw (escaped
    for HTML only): `cat report.html` retitled the terminal, and a bidi override reordered
    the line in a browser (an adversarial review)."""
    from analyzer.frame.schema import frame_from_rows
    from analyzer.normalize import normalize_record
    from tests.conftest import console_login

    hostile = "\x1b]0;PWNED\x07\x1b[2J\u202eevil"
    record = console_login(recipientAccountId=hostile)
    record["userIdentity"] = {"type": "IAMUser", "userName": "alice", "accountId": hostile}
    normalized = normalize_record(record, "t#0")
    assert normalized is not None
    text = render(frame_from_rows([normalized.row]), fmt)
    raw = {chr(point) for point in [*range(0x20), *range(0x7F, 0xA0)]} - {"\t", "\n", "\r"}
    assert not (raw | {"\u202e"}) & set(text), sorted((raw | {"\u202e"}) & set(text))
