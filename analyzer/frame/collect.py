"""Sources -> normalized, windowed, deduplicated frame, with the coverage that proves it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window
from analyzer.frame.schema import frame_from_rows
from analyzer.normalize import RecordRejected
from analyzer.normalize.names import canonical_user_names, resolve_identity_center_names
from analyzer.sources.interface import Source

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
