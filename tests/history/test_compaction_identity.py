"""A month part keeps what its day parts kept: an eventID is one row per UTC day, so a copy
recorded under another day (an altered or replayed record) survives compaction, and a read
of that day gives the same rows before and after the month is folded."""

from __future__ import annotations

from pathlib import Path

from analyzer.history.store import History
from tests.history.test_compaction import ids, layout, moment, record, rows


def test_a_copy_under_another_day_survives_compaction(tmp_path: Path) -> None:
    history = History.open(str(tmp_path / "h"))
    first = record(history, rows(("X", "2024-01-05T10:00:00"), ("A", "2024-01-05T10:00:00")),
                   "2024-01-05", "2024-01-06")  # fmt: skip
    later = record(history, rows(("X", "2024-01-20T10:00:00"), ("B", "2024-01-20T10:00:00")),
                   "2024-01-20", "2024-01-21")  # fmt: skip
    assert (first.added, later.added) == (2, 2)  # as separate day parts always counted it
    day = (moment("2024-01-20"), moment("2024-01-21"))
    assert sorted(ids(history, *day)) == ["B", "X"]
    span = (moment("2024-01-05T12:00:00"), moment("2024-01-21"))
    before = list(history.read(*span)["event_time"])

    record(history, rows(), "2024-02-01", "2024-02-02")  # January closes: one month part
    assert [p for p in layout(history) if p.startswith("day=2024-01")] == []
    assert sorted(ids(history, *day)) == ["B", "X"]
    assert list(history.read(*span)["event_time"]) == before
