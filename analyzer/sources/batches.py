"""Normalized rows in Arrow record batches: what crosses from a worker to the caller.

A million sign-ins as Python dicts took gigabytes in the calling process and most of the
time went into pickling them between processes. A `RowBatch` holds the rows of consecutive
sign-in candidates as Arrow columns (a few bytes a value, one buffer a column), plus what
the caller needs to tell the story exactly as the record-by-record path does: the raw
`where` of each row (problem lines name it), each row's position among the candidates
(problem lines come out in record order) and the candidates normalization rejected.

This module knows the row only as normalization makes it (`normalize_record`'s keys); the
frame's column types are applied by `frame/collect.py`, which casts the batches to its
schema, so `sources/` stays below `frame/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analyzer.normalize import RecordRejected

if TYPE_CHECKING:
    import pyarrow as pa

    from analyzer.sources.interface import RawRecord

BATCH_ROWS = 4096  # candidates per batch: large enough for Arrow, small enough to stream
WHERE = "_where"  # the raw `where` of each row (`collected_from` is its printable form)
POSITION = "_position"  # the row's candidate position within its batch


@dataclass
class Anchor:
    """Where, among the problems the source itself added to the coverage, the problems the
    collection finds in a batch's rows belong (its `value`: how many source problems come
    before them). The record-by-record path adds them as it goes, so a file's decoding
    problems come first and its rows' problems after; a large file read in spans learns
    its value only after its last span."""

    value: int | None = None


@dataclass
class RowBatch:
    """`candidates` consecutive sign-in candidates: the rows normalization made of them
    (None when it made none) and the ones it rejected, as (position, where, reason)."""

    rows: pa.RecordBatch | None
    candidates: int
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    anchor: Anchor = field(default_factory=Anchor)


def _arrow_batch(rows: list[dict[str, Any]], wheres: list[str], positions: list[int]) -> Any:
    """Columns as normalization names them, types inferred (the caller casts them to the
    frame's schema: an all-null column comes as the null type). A list per column converts
    about three times faster than a list of row dicts."""
    import pyarrow as pa

    columns: dict[str, Any] = {name: [row[name] for row in rows] for name in rows[0]}
    columns[WHERE] = pa.array(wheres, pa.string())
    columns[POSITION] = pa.array(positions, pa.int32())
    return pa.RecordBatch.from_pydict(columns)


def row_batches(
    candidates: Iterable[RawRecord], anchor: Anchor | None = None, size: int = BATCH_ROWS
) -> Iterator[RowBatch]:
    """Normalize candidates (or take what a worker prepared) into batches of `size`. Each
    candidate is normalized as it arrives and its decoded record let go: a batch holds
    4096 rows, not 4096 parsed CloudTrail records besides (each several times its row)."""
    shared = anchor if anchor is not None else Anchor()
    batch = PendingBatch()
    for raw in candidates:
        batch.add(raw)
        if batch.candidates == size:
            yield batch.finished(shared)
            batch = PendingBatch()
    if batch.candidates:
        yield batch.finished(shared)


class PendingBatch:
    """A batch being filled: the rows normalized so far, with each one's raw `where` and
    candidate position, and the candidates normalization rejected. `add` normalizes a
    candidate at once, so its decoded record can go before the next is read."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.wheres: list[str] = []
        self.positions: list[int] = []
        self.rejected: list[tuple[int, str, str]] = []
        self.candidates = 0

    def add(self, raw: RawRecord) -> None:
        position = self.candidates
        self.candidates += 1
        try:
            normalized = raw.normalized()
        except RecordRejected as err:
            self.rejected.append((position, raw.where, str(err)))
            return
        if normalized is not None:
            self.rows.append(normalized.row)
            self.wheres.append(raw.where)
            self.positions.append(position)

    def finished(self, anchor: Anchor) -> RowBatch:
        table = _arrow_batch(self.rows, self.wheres, self.positions) if self.rows else None
        return RowBatch(table, self.candidates, self.rejected, anchor)
