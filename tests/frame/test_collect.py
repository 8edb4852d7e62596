from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from analyzer import collect_logs, read_logs
from analyzer.frame.schema import COLUMNS
from tests.conftest import api_call, console_login, write_trail


def test_frame_has_the_documented_columns_and_dtypes(logs_dir: Path) -> None:
    frame = read_logs(logs_dir)
    assert tuple(frame.columns) == COLUMNS
    assert str(frame["event_time"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    assert str(frame["mfa_used"].dtype) == "bool[pyarrow]"
    assert str(frame["user_name"].dtype) == "string[pyarrow]"
    assert len(frame) == 1


def test_empty_result_keeps_the_schema(tmp_path: Path) -> None:
    write_trail(tmp_path / "x.json.gz", [api_call()])
    frame = read_logs(tmp_path)
    assert frame.empty
    assert tuple(frame.columns) == COLUMNS
    assert str(frame["event_time"].dtype) == "timestamp[us, tz=UTC][pyarrow]"


def test_duplicates_across_files_are_counted_once(tmp_path: Path) -> None:
    write_trail(tmp_path / "a.json.gz", [console_login(), console_login()])
    write_trail(tmp_path / "b.json.gz", [console_login(eventID="other")])
    collection = collect_logs(tmp_path)
    assert len(collection.frame) == 2
    assert collection.coverage.duplicates_dropped == 1


def test_records_without_event_id_dedupe_by_content(tmp_path: Path) -> None:
    record = console_login()
    del record["eventID"]
    write_trail(tmp_path / "a.json.gz", [record])
    write_trail(tmp_path / "b.json.gz", [record, console_login(eventID="2")])
    collection = collect_logs(tmp_path)
    assert len(collection.frame) == 2
    assert collection.coverage.duplicates_dropped == 1


def test_window_is_half_open(tmp_path: Path) -> None:
    write_trail(
        tmp_path / "a.json.gz",
        [
            console_login(eventID="start", eventTime="2026-11-01T00:00:00Z"),
            console_login(eventID="inside", eventTime="2026-11-01T12:00:00Z"),
            console_login(eventID="end", eventTime="2026-11-02T00:00:00Z"),
        ],
    )
    collection = collect_logs(tmp_path, since="2026-11-01", until=datetime(2026, 11, 2, tzinfo=UTC))
    assert list(collection.frame["event_id"]) == ["start", "inside"]
    assert collection.coverage.outside_window == 1


def test_record_without_time_is_kept_without_window_and_skipped_with_one(tmp_path: Path) -> None:
    record = console_login(eventTime="redacted")
    write_trail(tmp_path / "a.json.gz", [record])
    assert len(read_logs(tmp_path)) == 1
    collection = collect_logs(tmp_path, since="2026-01-01")
    assert collection.frame.empty
    [problem] = collection.coverage.problems
    assert problem.skipped
    assert problem.culprit.endswith("a.json.gz#0")
    assert "eventTime" in problem.message


def test_rows_are_ordered_by_time(tmp_path: Path) -> None:
    write_trail(
        tmp_path / "a.json.gz",
        [
            console_login(eventID="late", eventTime="2026-11-03T00:00:00Z"),
            console_login(eventID="early", eventTime="2026-11-01T00:00:00Z"),
        ],
    )
    assert list(read_logs(tmp_path)["event_id"]) == ["early", "late"]
