"""Sign-ins a weekly run reports although they are older than its window."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Self

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.domain.window import Window
from analyzer.findings.columns import arrow_of
from analyzer.frame.distinct import repeated_rows
from analyzer.history.store import rows_before


def event_ids(frame: pd.DataFrame) -> pa.ChunkedArray:
    """A frame's eventIDs as Arrow (the frame's own buffers when it holds them)."""
    return arrow_of(frame["event_id"])


@dataclass(frozen=True)
class EarlierRows(ABC):
    """Rows from before the report window that a report shows beside the window's."""

    event_ids: pa.Array | pa.ChunkedArray
    since: datetime
    last: datetime

    def holds(self, frame: pd.DataFrame) -> pd.Series:
        found = pc.fill_null(pc.is_in(event_ids(frame), value_set=self.event_ids), False)
        return pd.Series(found.to_numpy(zero_copy_only=False), index=frame.index)

    @classmethod
    def of(cls, rows: pd.DataFrame) -> Self | None:
        """The eventIDs of `rows` and the span of their times (None when none has one)."""
        moments = rows["event_time"].dropna()
        if moments.empty:
            return None
        return cls(
            pc.unique(event_ids(rows)),
            pd.Timestamp(moments.min()).to_pydatetime(),  # (pandas 2.2 gives a datetime)
            pd.Timestamp(moments.max()).to_pydatetime(),
        )

    def span(self) -> str:
        return f"({self.since.isoformat()} to {self.last.isoformat()})"

    @abstractmethod
    def note(self) -> str:
        """The line saying which rows and why (a problem of the report, and on stderr)."""


def reported(frame: pd.DataFrame, window: Window, earlier: list[EarlierRows]) -> pd.Series:
    """The window's rows and the earlier rows shown with them."""
    assert window.since is not None
    shown = (frame["event_time"] >= window.since).fillna(False).astype(bool)
    for rows in earlier:
        shown |= rows.holds(frame)
    return shown


@dataclass(frozen=True)
class EarlierCopies(EarlierRows):
    """Records stored before the window that share an eventID with a sign-in of the window:
    a replayed or altered copy of an event reported weeks ago, or a record forged under a
    reported event's id. CloudTrail never reuses an id, so the report shows both and the
    `event_id_conflict` rule raises it; reading the window alone, no report ever did."""

    def note(self) -> str:
        one = len(self.event_ids) == 1
        ids = "1 eventID" if one else f"{len(self.event_ids)} eventIDs"
        return (
            f"{ids} of the window's sign-ins also name{'s' * one} a different record stored "
            f"before it {self.span()}: shown beside them (event_id_conflict)"
        )


def earlier_copies(
    frame: pd.DataFrame, before: pd.DataFrame, window: Window
) -> EarlierCopies | None:
    """The rows of `before` (history before the window) whose eventIDs the window's rows
    carry. A copy of a stored event is never stored twice, so each is a different record."""
    assert window.since is not None
    if frame.empty or before.empty:
        return None
    inside = frame[(frame["event_time"] >= window.since).fillna(False).astype(bool)]
    found = pc.fill_null(pc.is_in(event_ids(before), value_set=event_ids(inside)), False)
    return EarlierCopies.of(before[found.to_numpy(zero_copy_only=False)])


def copies_of_late_rows(held: pd.DataFrame) -> EarlierCopies | None:
    """`held`: the stored rows carrying a late row's eventID (the late rows among them).
    An id held more than once names a late record and a different one stored before it (a
    replayed or altered copy delivered into the overlap): both are shown, so that the
    `event_id_conflict` rule sees the pair."""
    if held.empty:
        return None
    twice = repeated_rows(event_ids(held)).to_numpy(zero_copy_only=False)
    return EarlierCopies.of(held.iloc[twice]) if len(twice) else None


@dataclass(frozen=True)
class LateRows(EarlierRows):
    """Sign-ins from before the report window that no report showed yet: stored first by this
    run (delivered after the run that reported their time, as CloudTrail delivers minutes to
    hours late; fallen between two runs' windows, a scheduler's random delay or a missed run;
    read again after a failed scope), or by another run whose report is not out (`carried`
    of them: it failed before writing or delivering it, a whole week of sign-ins then, or it
    is still running). A weekly job that reported only its window would store them and
    never alert on them."""

    added_times: pa.Table | None = None  # (event_id, event_time) of each row no report showed
    carried: int = 0
    carried_keys: frozenset[tuple[str, datetime]] = frozenset()  # those another run stored

    def added(self, before: pd.DataFrame, held: pd.Series) -> pd.Series:
        """The rows of `before` (the history before the window) this run stored first, out of
        those `held` under a late row's eventID. The original a late altered copy reuses the
        id of was reported before and stays in the baseline (dropping it alerted again on its
        values), told apart by its time; one sharing the copy's time cannot be told apart
        and leaves with it."""
        if self.added_times is None or not held.any():
            return held
        keys = _keys(self.added_times)
        rows = before[held]
        mine = [
            (event_id, pd.Timestamp(moment).to_pydatetime() if moment is not pd.NaT else None)
            in keys
            for event_id, moment in zip(rows["event_id"], rows["event_time"], strict=True)
        ]
        found = pd.Series(False, index=before.index)
        found[rows.index[mine]] = True
        return found

    def found(self, rows: pd.DataFrame) -> LateRows | None:
        """These rows as history holds them (`rows`: those of the noted ones a read found):
        a note can outlive its row (a part that cannot be read), and the report's line
        counts only rows it shows."""
        held = LateRows.of(rows)
        if held is None:
            return None
        keys = {
            (event_id, pd.Timestamp(moment).to_pydatetime())
            for event_id, moment in zip(rows["event_id"], rows["event_time"], strict=True)
        }
        carried = self.carried_keys & keys
        return replace(
            held, added_times=self.added_times, carried=len(carried), carried_keys=carried
        )

    def note(self) -> str:
        events = len(self.event_ids)
        said = f"{events} sign-in event{'s' * (events != 1)} from before the window {self.span()}"
        if not self.carried:
            how = "first stored by this run (delivered late, or between two runs' windows)"
        else:
            how = (
                f"in no report yet ({self.carried} stored by another run whose report was not "
                "out: it failed, or is still being made)"
            )
        return f"{said} {how}: reported here beside the window's sign-ins"


def late_rows(
    unreported: pa.Table, since: datetime | None, added_rows: pa.Table | None = None
) -> LateRows | None:
    """The rows history notes as unreported (`unreported`: eventIDs and times, this run's late
    rows among them) that fall before `since`; `added_rows`, the rows this run stored first,
    tell the ones an earlier run left. Judged by what was stored, not by eventID alone: a
    record reusing a stored event's id with other content (a forged or altered copy
    delivered into the overlap) is stored beside the original, and was never reported."""
    if since is None or unreported.num_rows == 0:
        return None
    early = rows_before(unreported, since)
    if early.num_rows == 0:
        return None
    first, last = pc.min_max(early.column("event_time")).values()
    fresh = set() if added_rows is None else _keys(added_rows)
    carried = frozenset(key for key in _keys(early) if key not in fresh)
    return LateRows(
        pc.unique(early.column("event_id")),
        first.as_py(),
        last.as_py(),
        early,
        len(carried),
        carried,
    )


def _keys(rows: pa.Table) -> set[tuple[str, datetime]]:
    ids, times = rows.column("event_id").to_pylist(), rows.column("event_time").to_pylist()
    return set(zip(ids, times, strict=True))
