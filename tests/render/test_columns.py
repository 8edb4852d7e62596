"""The column-wise JSON, CSV, HTML and Markdown writers against the row-wise forms they
replace.

`render.columns` formats the plain cells of a column with Arrow kernels, the others through
the row-wise conversion, and joins the rows in Arrow a batch at a time. The reference is the
plain row-wise path: the records of a table dumped by `json.dumps(..., indent=2,
ensure_ascii=False)` then `json_visible`, `SafeCsvWriter` writing each row, the report
template's own loop over each row's cells (Jinja2, autoescaping), and `markdown_safe` of
each cell joined by pipes. Each must give the same
text, byte for byte, on hostile values: quotes, line breaks, formulas, markup, invisible
and non-BMP characters, NaN and null, huge and negative integers, times with and without a
fraction, before 1970 and before the year 1000, booleans, mixed Python objects and nested
values.
"""

from __future__ import annotations

import functools
import io
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analyzer.frame.records import records_of
from analyzer.frame.schema import COLUMNS, frame_from_rows
from analyzer.render.cells import cell_text, markdown_safe
from analyzer.render.columns import csv_rows as csv_pieces
from analyzer.render.columns import event_line, html_rows, json_document, jsonl_rows, markdown_rows
from analyzer.render.csv_out import CsvRenderer, SafeCsvWriter, safe_cell
from analyzer.render.events import write_events
from analyzer.render.formats import SECTION_NAMES
from analyzer.render.html import HtmlRenderer, _environment
from analyzer.render.json_out import JsonRenderer
from analyzer.render.markdown import MarkdownRenderer
from analyzer.render.sections import listed, section_rows
from analyzer.render.text import json_visible
from analyzer.reports import build_report
from tests.reports.test_reference import ACCOUNTS, random_rows

TEXTS = [
    "", " ", "plain", "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\tlead", "\rlead",
    "a\r\nb", "a\n=b", "a\r+b", 'q"uote', '"', "a,b", "back\\slash", "\x00nul", "\x1b[31m",
    "\x7f", "é", "😀", "\u202egnp.exe", "zero\u200bwidth", "\u2028", "\U000e0041", "\uff21\uff22",
    "<script>alert('x')</script>", "a&amp;b", "<&>\"'", "<é>", "\x1f", "a\x01b",
    "a-b #c [x](y) |z~ !+*{}`_", "see http://evil.example/x", "WWW.Evil.example", "a@b.c",
    "MailTo:x", "xmpp:y", "x://", "@", "www", "-5", "\x9b2J", "a\x85b", "\x0bv\x0cf", "a\tb",
]  # fmt: skip
MOMENTS = [
    datetime(2026, 11, 1, 8, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 8, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 1, 8, 0, 0, 999999, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
INTEGERS = [0, 1, -1, 2**62, -(2**63), 2**63 - 1, 10]
FLOATS = [0.0, -0.0, 1.5, float("nan"), float("inf"), -float("inf"), 1e300, 0.1]
OBJECTS = [1, True, 1.0, "1", None, float("nan"), pd.NA, 2**100, -0.0, "x\ud800y"]


def arrow(values: list[Any], kind: pa.DataType) -> pd.Series:
    """An Arrow-backed column in several chunks, as a frame read from many files has."""
    third = max(len(values) // 3, 1)
    chunks = [values[:third], values[third : 2 * third], values[2 * third :]]
    data = pa.chunked_array([pa.array(chunk, type=kind) for chunk in chunks], type=kind)
    return pd.Series(pd.arrays.ArrowExtensionArray(data))


def columns(rng: random.Random, rows: int) -> dict[str, pd.Series]:
    """One column of each kind, values drawn with repeats (distinct values matter) and
    nulls."""

    def draw(pool: list[Any], nulls: bool = True) -> list[Any]:
        return [None if nulls and rng.random() < 0.2 else rng.choice(pool) for _ in range(rows)]

    return {
        "text": arrow(draw(TEXTS), pa.string()),
        "big text": arrow(draw(TEXTS), pa.large_string()),
        "time": arrow(draw(MOMENTS), pa.timestamp("us", tz="UTC")),
        "time_s": arrow(draw(MOMENTS[:4]), pa.timestamp("s", tz="UTC")),
        "time_ns": arrow(draw(MOMENTS[:4]), pa.timestamp("ns", tz="UTC")),
        "time_paris": arrow(draw(MOMENTS[:4]), pa.timestamp("us", tz="Europe/Paris")),
        "int": arrow(draw(INTEGERS), pa.int64()),
        "int8": arrow(draw([-128, 0, 127]), pa.int8()),
        "uint": arrow(draw([0, 2**64 - 1]), pa.uint64()),
        "flag": arrow(draw([True, False]), pa.bool_()),
        "float": arrow(draw(FLOATS), pa.float64()),
        "numpy int": pd.Series(draw(INTEGERS, nulls=False), dtype="int64"),
        "numpy bool": pd.Series(draw([True, False], nulls=False), dtype=bool),
        "numpy float": pd.Series(draw(FLOATS, nulls=False), dtype="float64"),
        "objects": pd.Series(draw(OBJECTS, nulls=False), dtype=object),
        "strings": pd.Series(draw(["a", "=b", "c\rd", None], nulls=False), dtype="str"),
        'na"me\u202e': arrow(draw(TEXTS[:5]), pa.string()),
    }


def csv_text(table: pd.DataFrame) -> str | None:
    pieces = csv_pieces(table, safe_cell)
    return None if pieces is None else "".join(pieces)


def json_reference(document: Any) -> str:
    return json_visible(json.dumps(document, indent=2, ensure_ascii=False))


def csv_reference(table: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    for row in table.itertuples(index=False, name=None):
        writer.writerow(list(row))
    return buffer.getvalue()


def nest(table_value: Callable[[pd.DataFrame], Any], table: pd.DataFrame) -> Any:
    """Tables at two depths, beside other values, as in the report's document."""
    return {
        "top": table_value(table),
        "other": ["x", {"y": None}],
        "inner": {"rows": table_value(table.iloc[::-1]), "empty": table_value(table.iloc[:0])},
    }


def random_table(seed: int, monkeypatch: pytest.MonkeyPatch, fewest: int = 1) -> pd.DataFrame:
    """A random choice of at least `fewest` of the columns, written in batches of a random
    size (one row, a few, all)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    monkeypatch.setattr("analyzer.render.columns.BATCH_ROWS", rng.choice([1, 7, 50_000]))
    data = columns(rng, rng.choice([1, 3, 40, 200]))
    names = rng.sample(sorted(data), rng.randint(fewest, len(data)))
    return pd.DataFrame({name: data[name] for name in names})


@pytest.mark.parametrize("seed", range(12))
def test_json_tables_equal_the_dumped_records(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    table = random_table(seed, monkeypatch)
    expected = json_reference(nest(records_of, table))
    assert json_document(lambda value: nest(value, table), "tok" + str(seed)) == expected


@pytest.mark.parametrize("seed", range(12))
def test_csv_rows_equal_the_row_writer(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    table = random_table(seed, monkeypatch, fewest=2)
    assert csv_text(table) == csv_reference(table)


# The report template's row loop, as it writes a table's listed rows.
HTML_LOOP = (
    "{% for row in rows %}\n"
    "<tr>{% for value in row %}<td>{{ value | cell }}</td>{% endfor %}</tr>\n"
    "{% endfor %}\n"
)


def html_reference(table: pd.DataFrame) -> str:
    return str(_environment().from_string(HTML_LOOP).render(rows=listed(table)))


@pytest.mark.parametrize("seed", range(12))
def test_html_rows_equal_the_template_loop(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    table = random_table(seed, monkeypatch)
    assert "".join(html_rows(table)) == html_reference(table)


def test_html_rows_of_no_rows_or_no_columns() -> None:
    for table in (
        pd.DataFrame({"a": pd.Series([], dtype="string[pyarrow]")}),
        pd.DataFrame(index=[0, 1]),
    ):
        assert "".join(html_rows(table)) == html_reference(table)


def markdown_reference(table: pd.DataFrame) -> str:
    return "".join(
        "| " + " | ".join(markdown_safe(cell_text(v)) for v in row) + " |\n"
        for row in listed(table)
    )


def markdown_text(table: pd.DataFrame) -> str | None:
    pieces = markdown_rows(table)
    return None if pieces is None else "".join(pieces)


@pytest.mark.parametrize("seed", range(12))
def test_markdown_rows_equal_the_row_writer(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    table = random_table(seed, monkeypatch)
    assert markdown_text(table) == markdown_reference(table)


def jsonl_reference(table: pd.DataFrame) -> str:
    names = [str(column) for column in table.columns]
    return "".join(event_line(names, row) for row in table.itertuples(index=False, name=None))


@pytest.mark.parametrize("seed", range(12))
def test_jsonl_rows_equal_the_line_writer(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    table = random_table(seed, monkeypatch)
    assert "".join(jsonl_rows(table)) == jsonl_reference(table)


def test_jsonl_rows_of_repeated_names_or_no_columns_fall_back_to_the_line_writer() -> None:
    repeated = pd.DataFrame([[1, "x"], [2, "y"]], columns=["a", "a"])
    assert "".join(jsonl_rows(repeated)) == '{"a": "x"}\n{"a": "y"}\n'
    empty = pd.DataFrame(index=[0, 1])
    assert "".join(jsonl_rows(empty)) == "{}\n{}\n"


@pytest.mark.parametrize("seed", range(6))
def test_events_files_as_written_row_by_row(seed: int, tmp_path: Path) -> None:
    """`--events` CSV and JSON Lines of a frame of the contract, hostile values in it, as the
    row writers wrote them."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    frame = frame_from_rows(random_rows(rng, rng.choice([1, 5, 300])))
    rows = list(frame[list(COLUMNS)].itertuples(index=False, name=None))
    write_events(frame, tmp_path / "e.jsonl")
    lines = "".join(event_line(list(COLUMNS), row) for row in rows)
    assert (tmp_path / "e.jsonl").read_text(encoding="utf-8") == lines
    write_events(frame, tmp_path / "e.csv")
    expected = io.StringIO()
    writer = SafeCsvWriter(expected)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row)
    written = (tmp_path / "e.csv").read_bytes().decode("utf-8")
    assert written == expected.getvalue()


def test_a_table_without_columns_is_left_to_the_markdown_loop() -> None:
    assert markdown_text(pd.DataFrame(index=[0, 1])) is None


def test_each_column_alone() -> None:
    """Every kind of column, in a table of its own (with a plain neighbour for CSV)."""
    rng = random.Random(5)  # noqa: S311 - reproducible test data, not secrets
    for name, column in columns(rng, 300).items():
        alone = pd.DataFrame({name: column})

        def document(value: Callable[[pd.DataFrame], Any], table: pd.DataFrame = alone) -> Any:
            return {"t": value(table)}

        assert json_document(document, "tok") == json_reference(document(records_of)), name
        pair = pd.DataFrame({name: column, "n": np.arange(300)})
        assert csv_text(pair) == csv_reference(pair), name
        assert "".join(html_rows(alone)) == html_reference(alone), name
        assert markdown_text(alone) == markdown_reference(alone), name
        assert "".join(jsonl_rows(alone)) == jsonl_reference(alone), name


def test_nested_values_and_repeated_names_fall_back_to_the_dump() -> None:
    nested = pd.DataFrame({"a": pd.Series([[1, 2], {"k": "v"}, None], dtype=object)})
    assert json_document(lambda value: {"t": value(nested)}, "tok") == json_reference(
        {"t": records_of(nested)}
    )
    repeated = pd.DataFrame([[1, "x"], [2, "y"]], columns=["a", "a"])
    assert json_document(lambda value: {"t": value(repeated)}, "tok") == json_reference(
        {"t": records_of(repeated)}
    )


def test_a_placeholder_in_the_data_is_refused() -> None:
    table = pd.DataFrame({"a": ["x"]})
    with pytest.raises(ValueError, match="placeholder"):
        json_document(lambda value: {"t": value(table), "u": "tok-0"}, "tok")


def test_a_one_column_table_is_left_to_the_row_writer() -> None:
    assert csv_text(pd.DataFrame({"a": ["", "x"]})) is None


def old_csv(report: Any) -> str:
    """CsvRenderer as it was: every block's rows listed, written row by row."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    blocks = section_rows(report, list(SECTION_NAMES))
    for number, (key, _title, header, rows) in enumerate(blocks):
        if number:
            writer.writerow([])
        writer.writerow(["section", key])
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
    return buffer.getvalue()


def markdown(report: Any, sections: list[str]) -> str:
    out = io.StringIO()
    MarkdownRenderer().render(report, out, sections)
    return out.getvalue()


def old_markdown(report: Any, sections: list[str]) -> str:
    """MarkdownRenderer as it was: every block's rows listed, written row by row."""
    out = io.StringIO()
    out.write("# AWS console sign-in report\n")
    for _key, title, header, rows in section_rows(report, sections):
        out.write(f"\n## {title}\n\n")
        if not rows:
            out.write("_none_\n")
            continue
        out.write("| " + " | ".join(markdown_safe(h) for h in header) + " |\n")
        out.write("|" + "---|" * len(header) + "\n")
        for row in rows:
            out.write("| " + " | ".join(markdown_safe(cell_text(v)) for v in row) + " |\n")
    return out.getvalue()


def html(report: Any, sections: list[str]) -> str:
    out = io.StringIO()
    HtmlRenderer().render(report, out, sections)
    return out.getvalue()


def old_html(report: Any, sections: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """HtmlRenderer as it was: every table's rows listed and written by the template."""
    with monkeypatch.context() as patched:
        patched.setattr("analyzer.render.html._block", _listed_block)
        return html(report, sections)


def _listed_block(block: Any) -> tuple[Any, ...]:
    _, title, header, rows = block
    return title, header, listed(rows), None, len(rows) > 0


@pytest.mark.parametrize("seed", range(8))
def test_whole_reports_render_as_before(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.domain.coverage import Coverage

    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    frame = frame_from_rows(random_rows(rng, rng.choice([0, 5, 300])))
    report = build_report(
        frame,
        Coverage(accounts=ACCOUNTS),
        window=None,
        generated_at=datetime(2026, 11, 26, tzinfo=timezone(timedelta(hours=2))),
    )
    sections = list(SECTION_NAMES)
    out = io.StringIO()
    JsonRenderer().render(report, out, sections)
    assert out.getvalue() == json_reference(report.as_dict()) + "\n"
    out = io.StringIO()
    CsvRenderer().render(report, out, sections)
    assert out.getvalue() == old_csv(report)
    assert html(report, sections) == old_html(report, sections, monkeypatch)
    assert markdown(report, sections) == old_markdown(report, sections)
    if len(frame):  # a token the data holds: the renderer falls back to the whole dump
        user = report.tables["users"]["user_name"].dropna()
        if len(user):
            monkeypatch.setattr("secrets.token_hex", lambda _n: str(user.iloc[0])[:-2])
            out = io.StringIO()
            JsonRenderer().render(report, out, sections)
            assert out.getvalue() == json_reference(report.as_dict()) + "\n"


@pytest.mark.parametrize("seed", range(6))
def test_small_tables_written_together_equal_the_dump(seed: int) -> None:
    """Many small tables (a report's evidence lists): alike ones are written at once and cut
    apart, at each one's own depth, whatever order their placeholders were made in."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    hostile = pd.DataFrame(columns(rng, 40))
    pieces = [hostile.iloc[start : start + rng.randint(1, 9)] for start in range(0, 40, 7)]
    other = pd.DataFrame({"n": np.arange(5), "t": arrow(["a", "b", None, "é", "x"], pa.string())})

    def document(value: Callable[[pd.DataFrame], Any]) -> Any:
        later = [value(piece) for piece in pieces]  # made first, placed last
        return {
            "first": value(other),
            "deeper": {"lists": [{"evidence": value(piece)} for piece in reversed(pieces)]},
            "empty": value(other.iloc[:0]),
            "last": later,
        }

    assert json_document(document, "tok") == json_reference(document(records_of))


def test_a_report_with_findings_is_written_without_the_whole_dump() -> None:
    from analyzer.domain.coverage import Coverage
    from analyzer.findings.config import FindingsConfig
    from analyzer.findings.engine import run_rules

    rng = random.Random(3)  # noqa: S311 - reproducible test data, not secrets
    frame = frame_from_rows(random_rows(rng, 400))
    findings = run_rules(frame, None, FindingsConfig())
    assert len(findings) > 3
    report = build_report(
        frame, Coverage(accounts=ACCOUNTS), window=None,
        generated_at=datetime(2026, 11, 26, tzinfo=UTC), findings=findings,
    )  # fmt: skip
    # json_document raises where the renderer would fall back to dumping as_dict()
    assert json_document(report.document, "tok") == json_reference(report.as_dict())
    # findings' evidence as spans of the tables they share (what the renderer writes)
    shared = functools.partial(report.document, spans=True)
    assert json_document(shared, "tok") == json_reference(report.as_dict())
    out = io.StringIO()
    JsonRenderer().render(report, out, list(SECTION_NAMES))
    assert out.getvalue() == json_reference(report.as_dict()) + "\n"


@pytest.mark.parametrize("seed", range(4))
def test_findings_sharing_evidence_tables_are_written_as_the_dump(seed: int) -> None:
    """With a history, first-seen rules report a finding per new value, each a span of one
    shared table: written once and cut, the same text as each finding's records."""
    from analyzer.domain.coverage import Coverage
    from analyzer.findings.config import FindingsConfig
    from analyzer.findings.engine import run_rules
    from tests.findings.test_rules_differential import START, _rng, random_frame

    rng = _rng(seed)
    frame = random_frame(rng, 300)
    history = random_frame(rng, 200, START.replace(year=START.year - 1))
    findings = run_rules(frame, history, FindingsConfig())
    assert sum(f.evidence_rows is not None for f in findings) > 3
    report = build_report(
        frame, Coverage(accounts=ACCOUNTS), window=None,
        generated_at=datetime(2026, 11, 26, tzinfo=UTC), findings=findings,
    )  # fmt: skip
    shared = functools.partial(report.document, spans=True)
    assert json_document(shared, "tok") == json_reference(report.as_dict())


def test_small_tables_with_labels_that_print_alike_stay_apart() -> None:
    """1 and "1" print as one key but are two columns to pandas: never written together."""
    first = pd.DataFrame({1: [1], "x": [2]})
    second = pd.DataFrame({"1": [3], "x": [4]})
    columnless = pd.DataFrame(index=range(2))

    def document(value: Callable[[pd.DataFrame], Any]) -> Any:
        return [value(first), value(second), value(columnless), value(first)]

    assert json_document(document, "tok") == json_reference(document(records_of))


def test_small_tables_of_other_types_stay_apart() -> None:
    """The same names with an integer and a float column: written apart (1 stays 1)."""
    whole = pd.DataFrame({"n": [1], "t": ["x"]})
    fraction = pd.DataFrame({"n": [1.5], "t": ["y"]})

    def document(value: Callable[[pd.DataFrame], Any]) -> Any:
        return [value(whole), value(fraction)]

    assert json_document(document, "tok") == json_reference(document(records_of))


def test_the_findings_evidence_goes_through_the_table_writer() -> None:
    """`document(table_value)` hands every finding's evidence to `table_value`, as it does
    the tables (the JSON renderer's placeholders): records would render the same bytes,
    only slower, so the output alone cannot show it."""
    from analyzer.findings.config import FindingsConfig
    from analyzer.findings.engine import run_rules

    frame = frame_from_rows(random_rows(random.Random(3), 400))  # noqa: S311 - test data
    report = build_report(
        frame, None, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC),
        findings=run_rules(frame, None, FindingsConfig()),
    )  # fmt: skip
    document = report.document(lambda table: "TABLE")
    assert document["findings"]
    assert all(finding["evidence"] == "TABLE" for finding in document["findings"])


def test_csv_fast_path_agrees_on_each_lone_control() -> None:
    """Each C0 control and DEL alone in a cell: the Arrow path sends it to the exact one."""
    from analyzer.render.columns import csv_rows
    from analyzer.render.csv_out import SafeCsvWriter, safe_cell

    texts = [f"a{chr(p)}b" for p in [*range(0x20), 0x7F]]
    table = pd.DataFrame(
        {"t": pd.Series(texts, dtype=pd.ArrowDtype(pa.string())), "n": range(len(texts))}
    )
    pieces = csv_rows(table, safe_cell)
    assert pieces is not None
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    for row in table.itertuples(index=False, name=None):
        writer.writerow(list(row))
    assert "".join(pieces) == buffer.getvalue()
