"""History of collected sign-ins: a Parquet dataset partitioned by day, local or in S3.

Layout under the root (a folder, or `s3://bucket/prefix`):

    history.json                          schema version, progress per source scope, runs
    events/day=YYYY-MM-DD/part-<hash>.parquet
    .history.lock                         (local only) held by the one run writing

Recording a run merges the new rows into each touched day, drops duplicate eventIDs (the
first copy wins), writes the merged day as a new part (a temporary name renamed into place,
or one S3 PUT), and only then removes the day's older parts it read; `history.json` is
updated last (under the lock, or with a conditional PUT on S3). A run killed at any point
leaves history that reads complete: at worst a day has an old and a new part for a moment,
reading deduplicates by eventID, and the progress not yet recorded makes the next run read
that span again.

A part that cannot be used (unreadable, truncated, another schema, a GET error) is skipped
with a problem naming it, and is never deleted; `history.json` that cannot be trusted stops
the run with one line naming the field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
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


@dataclass
class _Merge:
    added: int = 0
    duplicates: int = 0
    days: int = 0


def _day_of(moment: Any) -> str:
    if moment is None or moment is pd.NaT or pd.isna(moment):
        return UNDATED
    return str(pd.Timestamp(moment).date())


def _day_of_part(name: str) -> str:
    return name.split("day=", 1)[-1].split("/", 1)[0]


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

    def _read_parts(self, names: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
        """Rows of the parts (duplicates dropped) and the names of the parts that were read;
        the others are added to `problems`."""
        tables = []
        used: list[str] = []
        for name in names:
            try:
                data = self.store.read(name)
                if data is None:
                    continue  # removed by a concurrent append between list and read
                tables.append(decode_part(data))
            except (StoreReadError, PartError) as err:
                text = str(err).removeprefix(f"cannot read {self._where(name)}: ")
                problem = PartProblem(self._where(name), _day_of_part(name), text)
                if problem not in self.problems:
                    self.problems.append(problem)
                continue
            used.append(name)
        if not tables:
            return empty_frame(), used
        table = pa.concat_tables(tables)
        frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
        return frame.drop_duplicates("event_id", keep="first").reset_index(drop=True), used

    def _where(self, name: str) -> str:
        return f"{str(self.store).rstrip('/')}/{name}"

    def read(self, since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
        """Every stored sign-in with `since <= event_time < until` (days pruned by folder)."""
        names = self.store.names("events/")
        if since is not None or until is not None:
            first = (since or datetime.min.replace(tzinfo=UTC)).date()
            last = (until or datetime.max.replace(tzinfo=UTC)).date()
            names = [n for n in names if _in_days(n, first, last)]
        frame, _ = self._read_parts(names)
        if since is not None:
            frame = frame[(frame["event_time"] >= since).fillna(False).astype(bool)]
        if until is not None:
            frame = frame[(frame["event_time"] < until).fillna(False).astype(bool)]
        # Runs stored the spelling each one saw; one person is one user_name across runs.
        return canonical_user_names(
            frame.sort_values(["event_time", "event_id"], na_position="last", kind="stable")
        ).reset_index(drop=True)

    def _merge(self, frame: pd.DataFrame) -> _Merge:
        merge = _Merge()
        rows = frame[list(COLUMNS)]
        for day, new in rows.groupby(rows["event_time"].map(_day_of), sort=True):
            old_parts = self.store.names(f"events/day={day}/")
            existing, used = self._read_parts(old_parts)
            merged = pd.concat([existing, new], ignore_index=True)
            merged = merged.drop_duplicates("event_id", keep="first")
            fresh = len(merged) - len(existing)
            merge.duplicates += len(new) - fresh
            if fresh == 0:
                continue
            table = pa.Table.from_pandas(merged, schema=ARROW_SCHEMA, preserve_index=False)
            data = encode_part(table)
            name = f"events/day={day}/part-{hashlib.sha256(data).hexdigest()[:16]}.parquet"
            self.store.write(name, data)
            for old in used:  # a part that could not be read is kept as it is
                if old != name:
                    self.store.delete(old)
            merge.added += fresh
            merge.days += 1
        return merge

    def record(
        self,
        frame: pd.DataFrame,
        outcomes: Sequence[ScopeOutcome],
        *,
        collected: Window,
        started: datetime,
        overlap: timedelta,
    ) -> RunResult:
        """Store the collected rows and this run's progress, as the one writer: rows first,
        then `history.json` merged with what other runs recorded meanwhile."""
        with self.store.writer(wait_seconds()):
            cleaned: tuple[str, ...] = tuple(self.store.clean())
            merge = self._merge(frame)
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
        return RunResult(merge.added, merge.duplicates, merge.days, cleaned)


def _in_days(name: str, first: date, last: date) -> bool:
    marker = _day_of_part(name)
    if marker == UNDATED:
        return False
    try:
        day = date.fromisoformat(marker)
    except ValueError:
        return False
    return first <= day <= last
