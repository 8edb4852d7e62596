"""Row batches let each candidate's decoded record go once it is normalized: a batch holds
its rows, not thousands of parsed CloudTrail records besides (memory, and the collector's
time walking them: a JSON Lines span worker took a fifth less CPU once they went)."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator

import pytest

from analyzer.domain.coverage import Coverage
from analyzer.sources.batches import WHERE, RowBatch, row_batches
from analyzer.sources.interface import RawRecord, Source
from tests.conftest import console_login

COUNT = 60


class Record(dict[str, object]):
    """A decoded record that can be weakly referenced (a plain dict cannot)."""


class Candidates:
    """Candidates made one at a time, noting how many earlier records were still alive
    when each was asked for (all but the one just handed over must be gone)."""

    def __init__(self) -> None:
        self.records: list[weakref.ref[Record]] = []
        self.alive_before: list[int] = []

    def __iter__(self) -> Iterator[RawRecord]:
        for index in range(COUNT):
            self.alive_before.append(sum(ref() is not None for ref in self.records[:-1]))
            record = Record(console_login(eventID=f"e-{index}"))
            self.records.append(weakref.ref(record))
            yield RawRecord(record, f"mem#{index}")


class InMemory(Source):
    def __init__(self, candidates: Candidates) -> None:
        self.candidates = candidates

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        yield from self.candidates


def _by_row_batches(candidates: Candidates) -> list[RowBatch]:
    return list(row_batches(candidates))


def _by_a_source(candidates: Candidates) -> list[RowBatch]:
    return list(InMemory(candidates).batches(Coverage()))


@pytest.mark.parametrize("batches", [_by_row_batches, _by_a_source])
def test_a_record_is_let_go_once_normalized(
    batches: Callable[[Candidates], list[RowBatch]],
) -> None:
    candidates = Candidates()
    made = batches(candidates)
    assert sum(b.rows.num_rows for b in made if b.rows is not None) == COUNT
    assert [b.candidates for b in made] == [COUNT]  # one batch: the records were not held
    assert max(candidates.alive_before) == 0


def _where_of(batches: list[RowBatch]) -> list[str]:
    return [w for b in batches if b.rows is not None for w in b.rows.column(WHERE).to_pylist()]


def test_full_batches_start_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the batch size, each batch holds the next candidates once (the collection would
    drop a repeated row as a duplicate, so the count is checked here)."""
    monkeypatch.setattr("analyzer.sources.interface._BATCH_ROWS", 16)
    expected = [f"mem#{index}" for index in range(COUNT)]
    made = list(row_batches(Candidates(), size=16))
    assert [b.candidates for b in made] == [16, 16, 16, 12]
    assert _where_of(made) == expected
    made = _by_a_source(Candidates())
    assert [b.candidates for b in made] == [16, 16, 16, 12]
    assert _where_of(made) == expected
