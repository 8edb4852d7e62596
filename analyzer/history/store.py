"""History of collected sign-ins: a Parquet dataset partitioned by day, local or in S3.

Layout under the root (a folder, or `s3://bucket/prefix`):

    history.json                          schema version, progress per source scope, runs
    events/day=YYYY-MM-DD/part-<hash>.parquet
    .history.lock                         (local only) held by the one run writing

Recording a run merges the new rows into each touched day, drops copies of stored events
(a record reusing an eventID with different content is kept beside it), writes the merged
day as a new part (a temporary name renamed into place, or one S3 PUT), and only then
removes the day's older parts it read; `history.json` is updated last (under the lock, or
with a conditional PUT on S3). A run killed at any point leaves history that reads
complete: at worst a day has an old and a new part for a moment, reading drops such
copies, and the progress not yet recorded makes the next run read that span again.

A part that cannot be used (unreadable, truncated, another schema, a GET error) is skipped
with a problem naming it, and is never deleted; `history.json` that cannot be trusted stops
the run with one line naming the field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
from analyzer.frame.compact import COMPACT_COLUMNS, compacted
from analyzer.frame.distinct import all_distinct, repeated_rows
from analyzer.frame.memory import Trimmer, release_free_memory
from analyzer.frame.order import time_order
from analyzer.frame.schema import ARROW_SCHEMA, COLUMNS, SCHEMA_VERSION, empty_frame
from analyzer.history.backends import (
    HistoryBusy,
    LocalStore,
    S3Store,
    Store,
    StoreReadError,
    wait_seconds,
)
from analyzer.history.meta import META, HistoryError, Meta, parse_meta
from analyzer.history.parts import PartError, decode_part, encode_part
from analyzer.history.progress import record
from analyzer.normalize.names import canonical_user_names

__all__ = ["History", "HistoryBusy", "HistoryError", "PartProblem", "RunResult"]

UNDATED = "undated"
READERS = 4  # parts fetched and decoded at once
RELISTS = 5  # listings of a read whose parts a recording run replaced meanwhile
DAY = "day="
MONTH = "month="
# What `canonical_user_names` reads: a projected read brings them along with `user_name`.
NAME_COLUMNS = (
    "account_id", "principal_id", "user_name", "identity_type", "unknown_user", "outcome",
    "event_time",
)  # fmt: skip


@dataclass(frozen=True)
class PartProblem:
    """A part that was skipped: its name (file or s3:// key), its day and why."""

    name: str
    day: str
    reason: str

    def line(self) -> str:
        return f"{self.name}: skipped, day {self.day} incomplete in history ({self.reason})"


@dataclass(frozen=True)
class RunResult:
    added: int
    duplicates: int
    days: int
    cleaned: tuple[str, ...] = ()  # leftover temporary files removed
    # The eventIDs and times of the rows this run stored first (`added` of them): a record
    # reusing a stored event's id with other content is one, an overlap's copy is not.
    added_rows: pa.Table | None = field(default=None, repr=False, compare=False)


@dataclass
class _Merge:
    added: int = 0
    duplicates: int = 0
    days: int = 0
    added_rows: list[pa.Table] = field(default_factory=list)


@dataclass
class _Plan:
    """What recording a frame merges where (`History._plan`)."""

    new_rows: dict[str, pd.DataFrame]
    stored: dict[str, list[_Part]]
    compact: set[str]
    empty: pd.DataFrame  # no rows, the frame's columns


def _day_of(moment: Any) -> str:
    if moment is None or moment is pd.NaT or pd.isna(moment):
        return UNDATED
    return str(pd.Timestamp(moment).date())


def _day_of_part(name: str) -> str:
    """The day a part is named for; a month part's first day's month (`YYYY-MM`)."""
    for marker in (DAY, MONTH):
        if marker in name:
            return name.split(marker, 1)[-1].split("/", 1)[0]
    return name


@dataclass(frozen=True, order=True)
class _Part:
    """A part's place in time: [first, last] days it may hold (None: undated or unknown).
    Sorting gives the order copies are kept in: older periods first, a month part before the
    day parts of its month (those are its leftovers: rows it already holds)."""

    first: date
    rank: int  # 0 month part, 1 day part, 2 undated or not understood
    name: str
    last: date

    @property
    def period(self) -> str:
        """The folder the part belongs in: `day=YYYY-MM-DD`, `month=YYYY-MM` or `day=undated`."""
        return self.name.split("/")[1] if self.name.count("/") >= 2 else self.name


def _part(name: str) -> _Part:
    marker = _day_of_part(name)
    try:
        if f"/{MONTH}" in name:
            first = date.fromisoformat(f"{marker}-01")
            return _Part(first, 0, name, _month_end(first) - timedelta(days=1))
        day = date.fromisoformat(marker)
        return _Part(day, 1, name, day)
    except ValueError:
        return _Part(date.max, 2, name, date.max)


def _month_end(day: date) -> date:
    """The first day of the next month."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _target(day: str, closed_before: date, compacted: Set[str] = frozenset()) -> str:
    """Where rows of `day` (or a day part) are stored: a closed month's part, else the day's.
    A month that has a part stays compacted whatever this run's window (a backfill starting
    inside it merges into that part, never beside it)."""
    try:
        moment = date.fromisoformat(day)
    except ValueError:
        return f"{DAY}{day}"
    month = f"{MONTH}{moment:%Y-%m}"
    if _month_end(moment) <= closed_before or month in compacted:
        return month
    return f"{DAY}{day}"


def _stored_by_target(
    parts: list[_Part], closed_before: date, compacted: Set[str]
) -> dict[str, list[_Part]]:
    """The stored parts by the period they belong in now: a day part of a closed month goes
    with its month (to be folded in), the others stay where they are."""
    stored: dict[str, list[_Part]] = {}
    for part in parts:
        if part.rank == 1:
            target = _target(part.first.isoformat(), closed_before, compacted)
        else:  # a month part, or undated / not understood: where it is
            target = part.period
        stored.setdefault(target, []).append(part)
    return stored


def _closed_before(collected: Window, started: datetime, overlap: timedelta) -> date:
    """Months ending by this date are closed: the first day of the month this run's collection
    starts in, not counting the `overlap` it reads again before its progress mark (never
    later than the run's own month). A weekly run reads from where the last one stopped, so
    once a run starts in a new month no regular run writes the old one again; late or
    backfilled rows for it, the overlap's among them, are merged into its month part. (With
    the overlap counted, a month stayed open a week longer: the first run of each month read
    every day part of the month before, 30-odd parts, as separate files.)"""
    since = collected.since + overlap if collected.since else started
    start = min(since, started).astimezone(UTC).date()
    return start.replace(day=1)


def _time_mask(table: pa.Table, since: datetime | None, until: datetime | None) -> pa.Array:
    times = table.column("event_time")
    mask: Any = None
    for bound, compare in ((since, pc.greater_equal), (until, pc.less)):
        if bound is None:
            continue
        scalar = pa.scalar(bound.astimezone(UTC), type=times.type)
        test = pc.fill_null(compare(times, scalar), False)
        mask = test if mask is None else pc.and_(mask, test)
    return mask


def _within(table: pa.Table, since: datetime | None, until: datetime | None) -> pa.Table:
    """The rows with `since <= event_time < until`; a part wholly inside is not copied."""
    if since is None and until is None:
        return table
    times = table.column("event_time")
    if times.null_count == 0 and table.num_rows:
        first, last = pc.min_max(times).values()
        inside = (since is None or first.as_py() >= since) and (
            until is None or last.as_py() < until
        )
        if inside:
            return table
    return table.filter(_time_mask(table, since, until))


def _read_columns(
    columns: Sequence[str] | None, compact: bool
) -> tuple[list[str] | None, list[str]]:
    """The columns a read decodes (None: all), and those of them it keeps encoded."""
    if columns is not None:
        wanted = {"event_id", "event_time", *columns}
        if "user_name" in wanted:
            wanted |= set(NAME_COLUMNS)
        columns = [c for c in COLUMNS if c in wanted]
    encoded = [
        name
        for name in (COLUMNS if columns is None else columns)
        if compact and name in COMPACT_COLUMNS and name not in NAME_COLUMNS
    ]
    return columns, encoded


# What tells a copy of an event from a different record that reuses its eventID, when
# rows are stored: every column a row takes from one field of the record as written (the
# outcome is `responseElements.ConsoleLogin`, the typed name `userIdentity.userName`). Left
# out are where a copy was read from and the classifications made of several fields (kind,
# MFA status, failure kind, endpoint and its scope, the settled user name, data issues): a
# newer version of the tool may classify otherwise, and a sign-in read again (the overlap)
# after an upgrade must stay a copy of the stored row, not become a conflict.
_CLASSIFIED = frozenset({
    "collected_from", "event_kind", "user_name", "unknown_user", "failure_kind", "mfa_status",
    "endpoint", "endpoint_scope", "endpoint_inferred", "data_issues",
})  # fmt: skip
SAME_EVENT = tuple(name for name in COLUMNS if name not in _CLASSIFIED)
_SAME_EVENT_SCHEMA = pa.schema([ARROW_SCHEMA.field(name) for name in SAME_EVENT])


def _first_copies(table: pa.Table, parts: Sequence[int] | None = None) -> pa.Table:
    """Rows that are not a copy of an earlier row of `table` (the first copy wins). A record
    that reuses an eventID with different content is kept beside the other, as the
    collection keeps it (`event_id_conflict`): dropping either would let a forged copy
    replace the real record, or hide the tampering.

    Merging into a part (`parts` None), copies are compared on `SAME_EVENT`. A read gives
    how many rows each part it read holds (`parts`, in `table`'s order): a part holds no
    two copies, so a read drops only a row equal, in the columns it decoded, to a row of an
    earlier part (a part and the part replacing it, left side by side by a run killed in
    between); records stored side by side in one part stay apart whatever a read decodes."""
    if table.num_rows < 2:
        return table
    ids = table.column("event_id")
    if all_distinct(ids):
        return table  # the usual case: no copy
    suspects = repeated_rows(ids)
    if parts is None:
        compared = [name for name in table.column_names if name in SAME_EVENT]
        part_of = np.zeros(table.num_rows, dtype=np.int64)
    else:
        compared = [name for name in table.column_names if name != "collected_from"]
        part_of = np.repeat(np.arange(len(parts)), parts)
    first_part: dict[tuple[object, ...], int] = {}
    copies: list[int] = []
    rows = table.select(compared).take(suspects).to_pylist()
    for position, row in zip(suspects.to_pylist(), rows, strict=True):
        said = tuple(row.values())
        part = int(part_of[position])
        if said not in first_part:
            first_part[said] = part
        elif parts is None or first_part[said] != part:
            copies.append(position)
    if not copies:
        return table
    keep = np.ones(table.num_rows, dtype=bool)
    keep[copies] = False
    return table.filter(pa.array(keep))


def _sorted(table: pa.Table) -> pa.Table:
    """By time, then eventID; undated rows last (the order every reader has had). Parts are
    written in this order and read oldest first, so the concatenation usually is sorted
    already: checked in one vectorized pass, and then no column is copied."""
    if _in_order(table):
        return table
    return table.take(time_order(table))


def _in_order(table: pa.Table) -> bool:
    """Each row after the one before by (event_time, event_id), no undated row."""
    if table.num_rows < 2:
        return True
    times = table.column("event_time")
    if times.null_count:
        return False
    times = times.combine_chunks()
    ids = table.column("event_id").combine_chunks()
    last = table.num_rows - 1
    earlier, later = times.slice(0, last), times.slice(1)
    ties = pc.and_(pc.equal(earlier, later), pc.less(ids.slice(0, last), ids.slice(1)))
    return bool(pc.all(pc.or_(pc.less(earlier, later), ties)).as_py())


class History:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.problems: list[PartProblem] = []
        try:
            raw = store.read(META)
        except StoreReadError as err:
            raise HistoryError(str(err)) from None
        self.meta: Meta = parse_meta(raw, str(store))

    @classmethod
    def open(cls, location: str, s3_client: Any = None) -> History:
        if location.startswith("s3://"):
            bucket, _, prefix = location[5:].partition("/")
            if prefix and not prefix.endswith("/"):
                prefix += "/"
            if s3_client is None:
                import boto3  # only when history lives in S3

                s3_client = boto3.client("s3")
            return cls(S3Store(s3_client, bucket, prefix))
        return cls(LocalStore(Path(location)))

    @property
    def exists(self) -> bool:
        return self.meta.exists

    def known_keys(self, scope: str, day: str) -> frozenset[str]:
        """S3 object names of `scope`'s delivery day `day` a recorded run read completely."""
        progress = self.meta.scopes.get(scope)
        return frozenset(progress.keys.get(day, ())) if progress else frozenset()

    def leftovers(self) -> list[str]:
        """Temporary files of interrupted writes: readers ignore them, the next writer
        removes them."""
        return self.store.leftovers()

    def _tables(
        self,
        parts: Iterable[_Part],
        columns: Sequence[str] | None = None,
        encoded: Sequence[str] = (),
    ) -> tuple[list[pa.Table], list[str], list[str]]:
        """Each readable part decoded (in `parts`' order), the names of those read, and of
        those gone since they were listed; the unreadable ones are added to `problems`.
        Parts are fetched and decoded a few at a time: S3 GETs wait on the network and
        Parquet decoding releases the GIL."""
        names = [part.name for part in parts]
        scratch = Trimmer()

        def fetch(name: str) -> pa.Table | Exception | None:
            try:
                data = self.store.read(name)
                if data is None:
                    return None  # removed by a run recording between list and read
                decoded = decode_part(data, columns, encoded)
                del data
                scratch.made(decoded.nbytes)
                return decoded
            except (StoreReadError, PartError) as err:
                return err

        if len(names) > 1:
            with ThreadPoolExecutor(max_workers=READERS) as pool:
                fetched = list(pool.map(fetch, names))
        else:
            fetched = [fetch(name) for name in names]
        tables: list[pa.Table] = []
        used: list[str] = []
        vanished: list[str] = []
        for name, got in zip(names, fetched, strict=True):
            if isinstance(got, Exception):
                text = str(got).removeprefix(f"cannot read {self._where(name)}: ")
                problem = PartProblem(self._where(name), _day_of_part(name), text)
                if problem not in self.problems:
                    self.problems.append(problem)
            elif got is not None:
                tables.append(got)
                used.append(name)
            else:
                vanished.append(name)
        return tables, used, vanished

    def _where(self, name: str) -> str:
        return f"{str(self.store).rstrip('/')}/{name}"

    def _parts(self) -> list[_Part]:
        return sorted(_part(name) for name in self.store.names("events/"))

    def read(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: Sequence[str] | None = None,
        *,
        compact: bool = False,
    ) -> pd.DataFrame:
        """Every stored sign-in with `since <= event_time < until`, sorted by time and
        eventID, each eventID once. Parts outside the days asked are never fetched, rows
        outside the window are dropped as each part is decoded, and `columns` (with
        `event_id`, `event_time` and what `canonical_user_names` reads, if `user_name` is
        asked) are the only ones decoded, so a baseline read of a year costs a fraction of
        the whole rows. The work is done in Arrow; pandas sees only the result.

        `compact`: the repeated text columns as Parquet stores them, dictionary-encoded
        (`frame.compact`), except the ones the user names are settled from (plain text)."""
        columns, encoded = _read_columns(columns, compact)
        tables = self._current_tables(since, until, columns, encoded)
        tables = [_within(t, since, until) for t in tables]
        if not tables:
            empty = empty_frame()
            empty = empty if columns is None else empty[columns]
            return compacted(empty, encoded) if encoded else empty
        table = _sorted(_first_copies(pa.concat_tables(tables), [t.num_rows for t in tables]))
        frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
        del tables, table
        # Runs stored the spelling each one saw; one person is one user_name across runs.
        named = canonical_user_names(frame).reset_index(drop=True)
        release_free_memory()  # the decoded parts' scratch memory, handed back
        return named

    def _current_tables(
        self,
        since: datetime | None,
        until: datetime | None,
        columns: Sequence[str] | None,
        encoded: Sequence[str],
    ) -> list[pa.Table]:
        """The parts of the days asked, decoded. A run recording meanwhile writes a day's
        merged part before it removes the parts it replaces, so a part that vanished between
        the listing and its read has a successor: the parts are listed and read again (a
        reader that skipped it lost that day's rows without a word). After `RELISTS` tries
        the vanished part is a problem naming it, its day incomplete."""
        for _ in range(RELISTS):
            parts = self._parts()
            if since is not None or until is not None:
                first = (since or datetime.min.replace(tzinfo=UTC)).astimezone(UTC).date()
                last = (until or datetime.max.replace(tzinfo=UTC)).astimezone(UTC).date()
                parts = [p for p in parts if p.rank < 2 and p.first <= last and p.last >= first]
            tables, _, vanished = self._tables(parts, columns, encoded)
            if not vanished:
                return tables
        for name in vanished:
            problem = PartProblem(
                self._where(name),
                _day_of_part(name),
                f"removed while it was read, {RELISTS} times (another run kept rewriting it)",
            )
            if problem not in self.problems:
                self.problems.append(problem)
        return tables

    def _plan(self, frame: pd.DataFrame, closed_before: date) -> _Plan:
        """The new rows by period, the stored parts by the period they belong in, and the
        months whose day parts are to be folded into one part."""
        rows = frame[list(COLUMNS)]
        parts = self._parts()
        compacted = {part.period for part in parts if part.rank == 0}
        targets = (
            rows["event_time"].map(_day_of).map(lambda d: _target(d, closed_before, compacted))
        )
        new_rows = dict(list(rows.groupby(targets)))
        stored = _stored_by_target(parts, closed_before, compacted)
        compact = {
            target
            for target, found in stored.items()
            if target.startswith(MONTH) and (len(found) > 1 or found[0].period != target)
        }
        return _Plan(new_rows, stored, compact, rows.iloc[:0])

    def _stored_first(self, plan: _Plan) -> list[pa.Table]:
        """(event_id, event_time) of the rows that merging `plan` will store first, found as
        `_merge_period` finds them (on the columns telling a copy) but writing nothing: what
        a run noting its rows notes before it writes a part."""
        found: list[pa.Table] = []
        for target, new in sorted(plan.new_rows.items()):
            tables, _, _ = self._tables(plan.stored.get(target, []), SAME_EVENT)
            existing = _first_copies(pa.concat_tables(tables)) if tables else None
            before = 0 if existing is None else existing.num_rows
            incoming = pa.Table.from_pandas(
                new[list(SAME_EVENT)], schema=_SAME_EVENT_SCHEMA, preserve_index=False
            )
            merged = _first_copies(
                incoming if existing is None else pa.concat_tables([existing, incoming])
            )
            found.append(merged.select(["event_id", "event_time"]).slice(before))
        return found

    def _merge(self, plan: _Plan) -> _Merge:
        """Merge the new rows into their periods (a day, or a closed month), and fold the
        day parts of closed months into their month's part (histories written before months
        were compacted, and the days of a month that just closed)."""
        merge = _Merge()
        for target in sorted(set(plan.new_rows) | plan.compact):
            new = plan.new_rows.get(target, plan.empty)
            fresh, days, added = self._merge_period(target, new, plan.stored.get(target, []))
            merge.duplicates += len(new) - fresh
            merge.added += fresh
            merge.days += days
            merge.added_rows.append(added)
        return merge

    def _merge_period(
        self, target: str, new: pd.DataFrame, parts: list[_Part]
    ) -> tuple[int, int, pa.Table]:
        """(rows added, days they fall on, their eventIDs and times). The merged part is
        written first, the parts it replaces are deleted after, so a crash between the two
        leaves rows twice, never once less; readers keep each eventID once."""
        tables, used, _ = self._tables(parts)  # (under the lock: nothing vanishes)
        existing = _first_copies(pa.concat_tables(tables)) if tables else None
        before = 0 if existing is None else existing.num_rows
        incoming = pa.Table.from_pandas(new, schema=ARROW_SCHEMA, preserve_index=False)
        merged = _first_copies(
            incoming if existing is None else pa.concat_tables([existing, incoming])
        )
        fresh = merged.num_rows - before
        # (existing rows first) A copy, not a view: a slice kept the whole period's columns
        # alive in the run's result even when nothing was added.
        added = merged.select(["event_id", "event_time"]).take(
            pa.array(np.arange(before, merged.num_rows), pa.int64())
        )
        if fresh == 0 and len(used) <= 1 and all(_part(u).period == target for u in used):
            return 0, 0, added  # nothing new, nothing to fold
        data = encode_part(_sorted(merged))  # read back without a sort
        name = f"events/{target}/part-{hashlib.sha256(data).hexdigest()[:16]}.parquet"
        self.store.write(name, data)
        for old in used:  # a part that could not be read is kept as it is
            if old != name:
                self.store.delete(old)
        times = added.column("event_time").to_pandas()
        return fresh, len({_day_of(t) for t in times.tolist()}), added

    def record(
        self,
        frame: pd.DataFrame,
        outcomes: Sequence[ScopeOutcome],
        *,
        collected: Window,
        started: datetime,
        overlap: timedelta,
        note_unreported: bool = False,
    ) -> RunResult:
        """Store the collected rows and this run's progress, as the one writer: rows first,
        then `history.json` merged with what other runs recorded meanwhile. With
        `note_unreported` (a run about to report them), the rows it will store first are
        noted in `history.json` as unreported before any part is written, so that a run that
        ends before its report is out, even between a part and its progress, leaves them to
        the next one (`unreported_rows`, `settle`): a copy of a stored row is not stored, so
        a run reading a reported week again notes nothing."""
        with self.store.writer(wait_seconds()):
            cleaned: tuple[str, ...] = tuple(self.store.clean())
            plan = self._plan(frame, _closed_before(collected, started, overlap))
            if note_unreported:
                self._note(_dated(self._stored_first(plan)))
            merge = self._merge(plan)
            line = {
                "at": datetime.now(UTC).isoformat(),
                "since": collected.since.isoformat() if collected.since else None,
                "until": collected.until.isoformat() if collected.until else None,
                "added": merge.added,
                "duplicates": merge.duplicates,
                "complete": all(o.complete for o in outcomes),
                "incomplete_scopes": sorted(o.scope for o in outcomes if not o.complete),
            }

            def change(raw: bytes | None) -> bytes:
                meta = parse_meta(raw, str(self.store))
                record(meta, outcomes, collected, started, overlap)
                meta.schema_version = SCHEMA_VERSION
                meta.runs.append(line)
                self.meta = meta
                return meta.to_bytes()

            self.store.update(META, change)
        self.meta.exists = True
        added_rows = pa.concat_tables(merge.added_rows) if merge.added_rows else None
        return RunResult(merge.added, merge.duplicates, merge.days, cleaned, added_rows)

    def _note(self, keys: list[tuple[str, datetime]]) -> None:
        """Note rows as unreported before they are stored (under the writer's lock): a run
        that dies between writing a part and `history.json` leaves them noted, and the next
        run reports them (finding them stored, it would not store them first again). A row
        noted and never stored (the run died before its part) is stored and shown by the
        run that collects it again."""
        if not keys:
            return

        def change(raw: bytes | None) -> bytes:
            meta = parse_meta(raw, str(self.store))
            known = set(meta.unreported)
            meta.unreported += [key for key in keys if key not in known]
            self.meta = meta
            return meta.to_bytes()

        self.store.update(META, change)

    def unreported_rows(self) -> pa.Table:
        """(event_id, event_time) of the rows collecting runs stored first that no report
        showed yet, as of the last read or write of `history.json`."""
        ids, times = zip(*self.meta.unreported, strict=True) if self.meta.unreported else ((), ())
        return pa.table(
            {
                "event_id": pa.array(ids, pa.string()),
                "event_time": pa.array(times, ARROW_SCHEMA.field("event_time").type),
            }
        )

    def settle(self, shown: Iterable[tuple[str, datetime]]) -> None:
        """Forget the unreported rows a report showed (called once it is written and
        delivered); other runs' unreported rows noted meanwhile stay."""
        gone = set(shown)
        if not gone:
            return
        with self.store.writer(wait_seconds()):

            def change(raw: bytes | None) -> bytes:
                meta = parse_meta(raw, str(self.store))
                meta.unreported = [key for key in meta.unreported if key not in gone]
                self.meta = meta
                return meta.to_bytes()

            self.store.update(META, change)


def _dated(added: list[pa.Table]) -> list[tuple[str, datetime]]:
    """(eventID, time) of the added rows that have a time (an undated row is in no window)."""
    if not added:
        return []
    rows = pa.concat_tables(added)
    rows = rows.filter(pc.is_valid(rows.column("event_time")))
    ids, times = rows.column("event_id").to_pylist(), rows.column("event_time").to_pylist()
    return list(zip(ids, times, strict=True))


def rows_before(rows: pa.Table, since: datetime) -> pa.Table:
    """The rows of `rows` (with an `event_time`) from before `since`; undated ones are not."""
    return rows.filter(_time_mask(rows, None, since))
