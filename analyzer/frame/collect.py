"""Sources -> normalized, windowed, deduplicated frame, with the coverage that proves it.

Two paths with one meaning. `collect_records` takes records one by one (the reference, and
what `--save-raw` needs: the raw record of each kept row). `collect` takes the sources' Arrow
row batches (`Source.batches()`), filters the window per batch and deduplicates once at the
end, in Arrow: only the rows of an eventID seen more than once are looked at in Python. It
holds the kept rows as Arrow columns, never a dict per row, so a million sign-ins read in
worker processes cost their columns, not gigabytes of Python objects. The problem lines
come out in the same order as the reference's (`tests/frame/test_collect_batches.py`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from analyzer.domain.coverage import Coverage, Problem
from analyzer.domain.window import Window
from analyzer.frame.compact import COMPACT_COLUMNS, compacted
from analyzer.frame.distinct import all_distinct, repeated_rows
from analyzer.frame.memory import Trimmer, release_free_memory
from analyzer.frame.order import time_order
from analyzer.frame.schema import ARROW_SCHEMA, COLUMNS, conform, frame_from_rows, frame_from_table
from analyzer.normalize import RecordRejected
from analyzer.normalize.names import canonical_user_names, resolve_identity_center_names
from analyzer.sources.batches import POSITION, WHERE, Anchor, RowBatch
from analyzer.sources.interface import Source

if TYPE_CHECKING:
    import pandas as pd

_ISSUE_TEXT = {
    "no_event_id": "no eventID (deduplicated by content hash)",
    "no_event_time": "no eventTime",
    "bad_event_time": "unparseable eventTime",
    "no_user_identity": "no userIdentity",
    "event_source_inferred": "no eventSource (taken as signin.amazonaws.com from eventName)",
    "source_ip_not_ip": "sourceIPAddress is not an IP address",
}


# Where a row was read from is not part of what the event says.
_NOT_CONTENT = frozenset({"collected_from"})


def _content(row: dict[str, object]) -> tuple[object, ...]:
    """What an event says, to tell a copy (the same file read twice, a trail and event
    history) from a different record that reuses its eventID."""
    return tuple(value for key, value in row.items() if key not in _NOT_CONTENT)


@dataclass(frozen=True)
class Collection:
    frame: pd.DataFrame
    coverage: Coverage


def collect(
    sources: Iterable[Source],
    window: Window | None = None,
    keep_raw: Callable[[object], None] | None = None,
    columns: Sequence[str] | None = None,
    compact: bool = False,
) -> Collection:
    """The frame of the sources' sign-ins in the window (`collect_records` says what is
    kept and why); from row batches unless `keep_raw` needs each raw record.

    `columns`: the frame holds only these (and what settles user names), in schema order;
    rows are still compared whole for duplicates, and problems found as before. A report
    that writes no rows needs `REPORT_COLUMNS`: the plain frame is then half the size.
    `compact`: the repeated text columns stay dictionary-encoded (`frame.compact`)."""
    if keep_raw is not None:
        collection = collect_records(sources, window, keep_raw)
        if not compact:
            return collection
        return Collection(compacted(collection.frame), collection.coverage)
    columnar = _Columnar(window, columns, compact)
    for source in sources:
        for batch in source.batches(columnar.coverage):
            columnar.add(batch)
    return columnar.finish()


def collect_records(
    sources: Iterable[Source],
    window: Window | None = None,
    keep_raw: Callable[[object], None] | None = None,
) -> Collection:
    """Only sign-in rows and their event ids are held; every other record is dropped as soon
    as it is read, so memory does not grow with the size of the trail. `keep_raw` receives the
    raw record of every row kept (for `--save-raw`).

    An identical copy of an event is a duplicate, dropped and counted. A record that reuses
    a kept event's eventID with different content is kept too, with a line naming both: one
    of them was forged or altered, and dropping either would let a record hide a real
    sign-in (the `event_id_conflict` rule raises it as a finding)."""
    coverage = Coverage()
    seen: dict[str, list[tuple[tuple[object, ...], str]]] = {}
    rows: list[dict[str, object]] = []
    for source in sources:
        for raw in source.records(coverage):
            try:
                normalized = raw.normalized()
            except RecordRejected as err:
                coverage.reject_record(raw.where, str(err))
                continue
            if normalized is None:
                continue
            coverage.signin_records += 1
            row = normalized.row
            if window is not None:
                moment = row["event_time"]
                if moment is None:
                    coverage.reject_record(
                        raw.where, "no parseable eventTime, so it cannot be placed in the window"
                    )
                    continue
                if not window.contains(moment):
                    coverage.outside_window += 1
                    continue
            event_id = str(row["event_id"])
            content = _content(row)
            earlier = seen.setdefault(event_id, [])
            if any(content == known for known, _ in earlier):
                coverage.duplicates_dropped += 1
                continue
            if earlier:
                coverage.flag_record(
                    raw.where,
                    f"eventID {event_id} also names a different record ({earlier[0][1]}); "
                    "both kept (event_id_conflict)",
                )
            earlier.append((content, raw.where))
            if normalized.issues:
                described = "; ".join(_ISSUE_TEXT.get(i, i) for i in normalized.issues)
                coverage.flag_record(raw.where, f"kept with {described}")
            rows.append(row)
            if keep_raw is not None:
                keep_raw(raw.record)
    coverage.kept = len(rows)
    frame = canonical_user_names(resolve_identity_center_names(frame_from_rows(rows)))
    if len(frame):
        frame = frame.sort_values(
            ["event_time", "event_id"], na_position="last", kind="stable"
        ).reset_index(drop=True)
    return Collection(frame=frame, coverage=coverage)


_NO_TIME = "no parseable eventTime, so it cannot be placed in the window"
_SEQUENCE = "_sequence"  # a row's candidate number in the whole collection


@dataclass(order=True)
class _Late:
    """A problem the collection finds (not the source): where it goes among the source's
    problems (`at`), then candidate order, then its rank among one candidate's lines."""

    at: int
    sequence: int
    rank: int
    problem: Problem = field(compare=False)


class _Columnar:
    """The state of one `collect` over row batches."""

    def __init__(self, window: Window | None, columns: Sequence[str] | None, compact: bool) -> None:
        self.window = window
        self.compact = compact
        wanted = set(COLUMNS if columns is None else [*columns, *_NAME_INPUTS])
        self.kept = [name for name in COLUMNS if name in wanted]
        # Dropped as rows arrive: not kept, and no part of what duplicates are compared by
        # (where a row was read: a path per row, 180 MB for a million rows of a tree).
        self.dropped = [name for name in _NOT_CONTENT if name not in wanted]
        self.coverage = Coverage()
        self.tables: list[pa.Table] = []
        self.late: list[tuple[Anchor, int, int, Problem]] = []
        self.starts: list[int] = []  # first candidate number of each batch
        self.anchors: list[Anchor] = []
        self.sequence = 0

    def _later(self, anchor: Anchor, sequence: int, rank: int, problem: Problem) -> None:
        self.late.append((anchor, sequence, rank, problem))

    def _reject(self, anchor: Anchor, sequence: int, where: str, reason: str) -> None:
        self.coverage.records_rejected += 1
        self._later(anchor, sequence, 0, Problem(where, reason, skipped=True))

    def add(self, batch: RowBatch) -> None:
        first = self.sequence
        self.sequence += batch.candidates
        self.starts.append(first)
        self.anchors.append(batch.anchor)
        for position, where, reason in batch.rejected:
            self._reject(batch.anchor, first + position, where, reason)
        if batch.rows is None:
            return
        self.coverage.signin_records += batch.rows.num_rows
        sequence = pc.add(batch.rows.column(POSITION).cast(pa.int64()), first)
        table = conform(batch.rows).append_column(WHERE, batch.rows.column(WHERE))
        table = table.append_column(_SEQUENCE, sequence)
        if self.window is not None:
            table = self._in_window(table, batch.anchor)
        self.tables.append(_encoded(table.drop_columns(self.dropped)))

    def _in_window(self, table: pa.Table, anchor: Anchor) -> pa.Table:
        assert self.window is not None
        times = table.column("event_time")
        missing = pc.is_null(times)
        for row in table.filter(missing).select([WHERE, _SEQUENCE]).to_pylist():
            self._reject(anchor, row[_SEQUENCE], row[WHERE], _NO_TIME)
        inside = pc.invert(missing)
        if self.window.since is not None:
            since = pa.scalar(self.window.since, ARROW_SCHEMA.field("event_time").type)
            inside = pc.and_(inside, pc.greater_equal(times, since))
        if self.window.until is not None:
            until = pa.scalar(self.window.until, ARROW_SCHEMA.field("event_time").type)
            inside = pc.and_(inside, pc.less(times, until))
        inside = pc.fill_null(inside, False)
        kept = table.filter(inside)
        self.coverage.outside_window += len(table) - kept.num_rows - (pc.sum(missing).as_py() or 0)
        return kept

    def _anchor_of(self, sequence: int) -> Anchor:
        return self.anchors[bisect.bisect_right(self.starts, sequence) - 1]

    def _deduplicate(self, table: pa.Table) -> pa.Table:
        """An identical copy of a kept row is dropped; another row reusing its eventID is
        kept with a line naming both. Only eventIDs seen more than once are looked at."""
        ids = table.column("event_id")
        if all_distinct(ids):
            return table  # the usual case, answered without a hash table of every id
        positions = repeated_rows(ids)
        if not len(positions):
            return table
        suspects = table.take(positions)
        content = [c for c in COLUMNS if c not in _NOT_CONTENT]
        seen: dict[str, list[tuple[tuple[Any, ...], str]]] = {}
        dropped: list[int] = []
        for row in suspects.to_pylist():
            event_id = str(row["event_id"])
            said = tuple(row[c] for c in content)
            earlier = seen.setdefault(event_id, [])
            if any(said == known for known, _ in earlier):
                self.coverage.duplicates_dropped += 1
                dropped.append(row[_SEQUENCE])
                continue
            if earlier:
                problem = Problem(
                    row[WHERE],
                    f"eventID {event_id} also names a different record ({earlier[0][1]}); "
                    "both kept (event_id_conflict)",
                    skipped=False,
                )
                self._later(self._anchor_of(row[_SEQUENCE]), row[_SEQUENCE], 1, problem)
            earlier.append((said, row[WHERE]))
        if not dropped:
            return table
        drop = pc.is_in(table.column(_SEQUENCE), value_set=pa.array(dropped, pa.int64()))
        return table.filter(pc.invert(drop))

    def _flag_issues(self, table: pa.Table) -> None:
        flagged = table.filter(pc.is_valid(table.column("data_issues")))
        for row in flagged.select([WHERE, _SEQUENCE, "data_issues"]).to_pylist():
            issues = str(row["data_issues"]).split(";")
            described = "; ".join(_ISSUE_TEXT.get(i, i) for i in issues)
            problem = Problem(row[WHERE], f"kept with {described}", skipped=False)
            self._later(self._anchor_of(row[_SEQUENCE]), row[_SEQUENCE], 2, problem)

    def _place_problems(self) -> None:
        """The collection's problem lines among the source's, where the record-by-record
        path adds them."""
        own = self.coverage.problems
        ordered = sorted(
            _Late(len(own) if a.value is None else a.value, sequence, rank, problem)
            for a, sequence, rank, problem in self.late
        )
        placed: list[Problem] = []
        done = 0
        for late in ordered:
            placed.extend(own[done : late.at])
            done = max(done, late.at)
            placed.append(late.problem)
        placed.extend(own[done:])
        self.coverage.problems = placed

    def finish(self) -> Collection:
        extra = [pa.field(WHERE, pa.string()), pa.field(_SEQUENCE, pa.int64())]
        fields = [field for field in ARROW_SCHEMA if field.name not in self.dropped]
        schema = pa.schema([*fields, *extra])
        empty = _encoded(schema.empty_table())
        table = pa.concat_tables(self.tables) if self.tables else empty
        self.tables = []
        release_free_memory()  # what receiving the batches left free, handed back first
        table = self._deduplicate(table)
        self._flag_issues(table)
        self._place_problems()
        self.coverage.kept = table.num_rows
        table = table.drop_columns([WHERE, _SEQUENCE])
        if not table.num_rows:
            frame = frame_from_table(_decoded(table))
            named = canonical_user_names(resolve_identity_center_names(frame))[self.kept]
            return Collection(compacted(named) if self.compact else named, self.coverage)
        table = _with_names(table)
        columns = {name: table.column(name) for name in self.kept}
        del table  # each encoded column is released once its plain one is made
        release_free_memory()  # what the batches and the other columns held, handed back
        frame = frame_from_table(_sorted(columns, self.compact))
        release_free_memory()
        return Collection(frame, self.coverage)


# What the name passes read (`normalize/names.py`); they change only `user_name`.
_NAME_INPUTS = (
    "account_id",
    "event_time",
    "identity_center_user_id",
    "identity_type",
    "outcome",
    "principal_id",
    "unknown_user",
    "user_name",
)


def _with_names(table: pa.Table) -> pa.Table:
    """The name passes run on the columns they read, in collection order (their ties are
    broken by first appearance, as on the whole frame), and only `user_name` is taken back:
    the whole frame is never decoded twice."""
    inputs = frame_from_table(_decoded(table.select(list(_NAME_INPUTS))))
    named = canonical_user_names(resolve_identity_center_names(inputs))
    user_name = pa.array(named["user_name"])
    del inputs, named
    index = table.schema.get_field_index("user_name")
    return table.set_column(index, "user_name", user_name)


def _sorted(columns: dict[str, Any], compact: bool) -> pa.Table:
    """By time (no time last), then eventID, stable, as `sort_values` orders the frame; each
    column taken on its own and its collected form dropped from `columns`, so the frame is
    made once, column by column (`sort_values` held it twice). An encoded column is taken
    while still encoded (the row order moves codes, not texts), then decoded into the
    documented type, unless the frame is `compact`."""
    keys = pa.table({name: columns[name] for name in ("event_time", "event_id")})
    order = time_order(keys)
    del keys
    made: dict[str, Any] = {}
    scratch = Trimmer()
    for name in [name for name in COLUMNS if name in columns]:
        column = columns.pop(name).take(order)
        if compact and pa.types.is_dictionary(column.type):
            made[name] = column  # (the take gave its chunks one dictionary)
        else:
            made[name] = column.cast(ARROW_SCHEMA.field(name).type)
        scratch.made(made[name].nbytes)
    return pa.table(made)


def _encoded(table: pa.Table) -> pa.Table:
    """The columns with few distinct values (`frame.compact`) dictionary-encoded, as rows
    arrive: a quarter of their size while collecting; `_sorted` decodes them at the end, one
    at a time, unless the frame is compact."""
    for name in COMPACT_COLUMNS:
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, pc.dictionary_encode(table.column(index)))
    return table


def _decoded(table: pa.Table) -> pa.Table:
    """The schema's plain columns again, decoded one at a time (each encoded column is
    released as its plain one is made)."""
    for name in COMPACT_COLUMNS:
        index = table.schema.get_field_index(name)
        if index < 0:
            continue  # not among the columns selected
        plain = table.column(index).cast(ARROW_SCHEMA.field(name).type)
        table = table.set_column(index, name, plain)
    return table
