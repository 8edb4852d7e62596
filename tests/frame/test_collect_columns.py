"""`collect(columns=...)`: the frame keeps the columns asked (and the name inputs) and is
otherwise the whole collection's: duplicates compared whole, conflicts that differ only in
a column not kept still both kept, the same coverage and problem lines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analyzer.frame.collect import collect
from analyzer.frame.schema import REPORT_COLUMNS
from analyzer.sources import FileSource
from tests.conftest import console_login, write_trail
from tests.frame.test_collect_batches import WINDOW


def test_the_asked_columns_of_the_whole_collection(tmp_path: Path) -> None:
    at = "2026-11-03T09:00:00Z"
    plain = console_login(eventID="same", eventTime=at)
    other_text = console_login(eventID="conflict", eventTime=at, errorMessage="Failed")
    first = console_login(eventID="conflict", eventTime=at)
    write_trail(tmp_path / "a.json.gz", [plain, first, console_login(eventTime=at)])
    write_trail(tmp_path / "b.json.gz", [plain, other_text])  # a copy, and a conflict
    del plain["eventID"]
    write_trail(tmp_path / "c.json.gz", [plain])  # no eventID: its content hash
    whole = collect([FileSource([tmp_path], keep_records=False)], WINDOW)
    narrow = collect([FileSource([tmp_path], keep_records=False)], WINDOW, columns=REPORT_COLUMNS)
    assert "collected_from" not in narrow.frame.columns
    assert set(REPORT_COLUMNS) <= set(narrow.frame.columns)
    pd.testing.assert_frame_equal(narrow.frame, whole.frame[list(narrow.frame.columns)])
    assert narrow.coverage.as_dict() == whole.coverage.as_dict()
    assert [p.line() for p in narrow.coverage.problems] == [
        p.line() for p in whole.coverage.problems
    ]
    assert whole.coverage.duplicates_dropped == 1
    assert (whole.frame["event_id"] == "conflict").sum() == 2


def test_an_empty_collection_keeps_the_asked_columns(tmp_path: Path) -> None:
    write_trail(tmp_path / "old.json.gz", [console_login(eventTime="2001-01-01T00:00:00Z")])
    narrow = collect([FileSource([tmp_path], keep_records=False)], WINDOW, columns=REPORT_COLUMNS)
    assert narrow.frame.empty
    assert set(narrow.frame.columns) == {*REPORT_COLUMNS, "principal_id"}
