"""A report read from a history decodes only the columns the rules and the report read
(`Rendering.every_column=False`, as the CLI asks), and is the same report; rows written
with `events` keep every column. The rendered text streams as it is kept whole."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from analyzer.audit.request import AuditRequest, Rendering, Sources
from analyzer.audit.run import run_audit
from analyzer.frame.schema import COLUMNS, REPORT_COLUMNS
from analyzer.history.store import NAME_COLUMNS
from analyzer.render.formats import OutputFormat
from tests.audit.test_run import SAMPLE, WEEK

MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00|Z| UTC)?")


def from_history(history: Path, fmt: OutputFormat, **rendering: Any) -> Any:
    return run_audit(
        AuditRequest(
            window=WEEK, history=str(history), rendering=Rendering(format=fmt, **rendering)
        )
    )


def test_a_history_report_reads_only_what_it_needs_and_is_the_same(tmp_path: Path) -> None:
    history = tmp_path / "h"
    run_audit(AuditRequest(window=WEEK, sources=Sources(logs=(SAMPLE,)), history=str(history)))
    for fmt in OutputFormat:
        whole = from_history(history, fmt)
        narrow = from_history(history, fmt, every_column=False)
        assert list(whole.frame.columns) == list(COLUMNS)
        assert set(narrow.frame.columns) == {*REPORT_COLUMNS, *NAME_COLUMNS}
        assert len(narrow.frame) == len(whole.frame) > 0
        assert _timeless(narrow.text) == _timeless(whole.text)
        assert [f.title for f in narrow.findings] == [f.title for f in whole.findings]
        pd.testing.assert_frame_equal(
            narrow.frame[list(REPORT_COLUMNS)], whole.frame[list(REPORT_COLUMNS)]
        )


def test_rows_written_from_a_history_keep_every_column(tmp_path: Path) -> None:
    history = tmp_path / "h"
    run_audit(AuditRequest(window=WEEK, sources=Sources(logs=(SAMPLE,)), history=str(history)))
    events = tmp_path / "rows.parquet"
    result = from_history(history, OutputFormat.json, every_column=False, events=events)
    assert list(result.frame.columns) == list(COLUMNS)
    assert list(pd.read_parquet(events).columns) == list(COLUMNS)


def test_the_streamed_report_is_the_kept_text() -> None:
    for fmt in OutputFormat:
        result = run_audit(
            AuditRequest(window=WEEK, sources=Sources(logs=(SAMPLE,)), rendering=Rendering(fmt))
        )
        out = io.StringIO()
        result.write_report(out)
        assert out.getvalue() == result.text


def _timeless(text: str) -> str:
    """The text with its moments masked: each run names the time it was generated at."""
    return MOMENT.sub("T", text)


def test_a_damaged_part_is_skipped_whatever_columns_are_read(tmp_path: Path) -> None:
    """A part lacking a column the report does not read is refused by the narrow read too:
    reading fewer columns must not let it through (its day is then reported incomplete)."""
    history = tmp_path / "h"
    run_audit(AuditRequest(window=WEEK, sources=Sources(logs=(SAMPLE,)), history=str(history)))
    (part,) = sorted(history.glob("events/day=2026-11-03/*.parquet"))
    table = pq.read_table(part)
    pq.write_table(table.drop_columns(["error_message"]), part)  # (keeps the version mark)
    whole = from_history(history, OutputFormat.json)
    narrow = from_history(history, OutputFormat.json, every_column=False)
    assert any("error_message missing" in p.message for p in narrow.coverage.problems)
    assert narrow.skipped == whole.skipped == 1
    assert _timeless(narrow.text) == _timeless(whole.text)


def test_load_history_reads_the_columns_asked(tmp_path: Path) -> None:
    import pytest

    import analyzer

    history = tmp_path / "h"
    run_audit(AuditRequest(window=WEEK, sources=Sources(logs=(SAMPLE,)), history=str(history)))
    narrow = analyzer.load_history(history, WEEK.since, WEEK.until, columns=REPORT_COLUMNS)
    whole = analyzer.load_history(history, WEEK.since, WEEK.until)
    assert set(narrow.columns) == {*REPORT_COLUMNS, *NAME_COLUMNS}
    pd.testing.assert_frame_equal(narrow[list(REPORT_COLUMNS)], whole[list(REPORT_COLUMNS)])
    with pytest.raises(TypeError, match="list of column names"):
        analyzer.load_history(history, columns="source_ip")
    with pytest.raises(ValueError, match=r"no such column.*sourceIP"):
        analyzer.load_history(history, columns=["sourceIP"])


def test_a_collection_neither_stored_nor_written_keeps_the_report_columns(
    tmp_path: Path,
) -> None:
    """--logs without --history or --events: the frame holds what the report reads, and the
    report, findings and coverage are the same as from the whole frame."""
    for fmt in OutputFormat:
        request = AuditRequest(window=WEEK, sources=Sources(logs=(SAMPLE,)))
        whole = run_audit(replace(request, rendering=Rendering(fmt)))
        narrow = run_audit(replace(request, rendering=Rendering(fmt, every_column=False)))
        assert set(narrow.frame.columns) == {*REPORT_COLUMNS, *NAME_COLUMNS}
        assert _timeless(narrow.text) == _timeless(whole.text)
        assert narrow.coverage.as_dict() == whole.coverage.as_dict()
    stored = run_audit(
        AuditRequest(
            window=WEEK, sources=Sources(logs=(SAMPLE,)), history=str(tmp_path / "h"),
            rendering=Rendering(every_column=False),
        )
    )  # fmt: skip
    part = next((tmp_path / "h").rglob("*.parquet"))
    assert list(pd.read_parquet(part).columns) == list(COLUMNS)
    assert stored.appended is not None
    assert stored.appended.added > 0


def test_load_history_takes_columns_from_an_iterator(tmp_path: Path) -> None:
    import analyzer

    history = tmp_path / "h"
    run_audit(AuditRequest(window=WEEK, sources=Sources(logs=(SAMPLE,)), history=str(history)))
    frame = analyzer.load_history(history, columns=(c for c in ["source_ip"]))
    assert "source_ip" in frame.columns


def test_rows_written_from_a_collection_keep_every_column(tmp_path: Path) -> None:
    events = tmp_path / "rows.parquet"
    result = run_audit(
        AuditRequest(
            window=WEEK, sources=Sources(logs=(SAMPLE,)),
            rendering=Rendering(every_column=False, events=events),
        )
    )  # fmt: skip
    assert list(result.frame.columns) == list(COLUMNS)
    assert list(pd.read_parquet(events).columns) == list(COLUMNS)


def test_the_text_is_rendered_once(monkeypatch: Any) -> None:
    from analyzer.audit.request import AuditResult

    result = run_audit(AuditRequest(window=WEEK, sources=Sources(logs=(SAMPLE,))))
    calls: list[int] = []
    real = AuditResult.write_report

    def counted(self: AuditResult, out: Any) -> None:
        calls.append(1)
        real(self, out)

    monkeypatch.setattr(AuditResult, "write_report", counted)
    assert result.text is result.text
    assert len(calls) == 1


def test_a_part_with_an_unread_column_that_does_not_cast_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa

    from analyzer.frame.schema import SCHEMA_VERSION
    from analyzer.history import parts
    from analyzer.history.store import History
    from tests.history.test_store import _write_part, frame

    table = pa.Table.from_pandas(frame(("a", "2026-11-01T10:00:00Z")), preserve_index=False)
    index = table.column_names.index("error_message")
    table = table.set_column(index, "error_message", pa.array([[1, 2]], pa.list_(pa.int64())))
    version = str(SCHEMA_VERSION).encode()
    _write_part(tmp_path, "2026-11-01", table.replace_schema_metadata({parts.VERSION_KEY: version}))
    history = History.open(str(tmp_path))
    assert history.read(columns=REPORT_COLUMNS).empty
    assert "column error_message is list<element: int64>, expected string" in (
        history.problems[0].reason
    )
