"""`history.json`: what the history holds besides events, validated field by field.

The file is the history's commit record: progress per source scope, the S3 object keys read
per delivery day, and one line per run. It is parsed into typed values here, and every value
that is not what it should be is refused with the file and the field named, because a guess
at a damaged progress mark could silently skip sign-ins on the next run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from analyzer.frame.schema import SCHEMA_VERSION

META = "history.json"
MAX_RUNS = 200  # run lines kept in history.json; older ones are dropped


class HistoryError(RuntimeError):
    """History that cannot be used as it is; the message names the file and the field."""


@dataclass
class ScopeProgress:
    """How far one source scope (a `--logs` path, a trail bucket account/region, a
    LookupEvents region) was collected completely.

    `complete_until`: every event before it was collected in an unbroken run of complete
    collections (never later than the start of the run that wrote it). `retry_from`: the
    start of a span that a run could not collect completely; the next run of the scope reads
    again from there. `keys`: for trail files in S3, the object names read completely, per
    delivery day folder (YYYY-MM-DD), so a late object is read next time and none twice."""

    complete_until: datetime | None = None
    retry_from: datetime | None = None
    keys: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "complete_until": _iso(self.complete_until),
            "retry_from": _iso(self.retry_from),
            "keys": {day: sorted(names) for day, names in sorted(self.keys.items())},
        }


@dataclass
class Meta:
    schema_version: int = SCHEMA_VERSION
    scopes: dict[str, ScopeProgress] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    legacy_watermark: datetime | None = None  # the single mark of histories before scopes
    # (eventID, time) of the rows collecting runs stored first that no written and delivered
    # report has held yet: the next run's report shows them (`History.settle` clears them).
    unreported: list[tuple[str, datetime]] = field(default_factory=list)
    exists: bool = False

    def to_bytes(self) -> bytes:
        document: dict[str, Any] = {
            "schema_version": self.schema_version,
            "scopes": {name: s.as_json() for name, s in sorted(self.scopes.items())},
            "runs": self.runs[-MAX_RUNS:],
        }
        if self.legacy_watermark is not None:
            document["watermark"] = _iso(self.legacy_watermark)
        text = json.dumps(document, indent=2)
        if self.unreported:
            # A backfill notes every row it stores: one compact line, made by the C encoder
            # (the indenting one is pure Python: 0.1 s for a week of 20,000 notes).
            pairs = [[event_id, _iso(at)] for event_id, at in self.unreported]
            listed = json.dumps(pairs, separators=(",", ":"))
            text = f'{text.removesuffix("}").rstrip()},\n  "unreported": {listed}\n}}'
        return text.encode()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise HistoryError(f"{where}: expected an ISO time or null, found {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise HistoryError(f"{where}: not an ISO time ({value[:40]!r})") from None
    if moment.tzinfo is None:
        raise HistoryError(f"{where}: time without a zone ({value[:40]!r})")
    return moment


def _scope(value: Any, where: str) -> ScopeProgress:
    if not isinstance(value, dict):
        raise HistoryError(f"{where}: expected an object, found {type(value).__name__}")
    keys_value = value.get("keys", {})
    if not isinstance(keys_value, dict):
        raise HistoryError(f"{where}.keys: expected an object, found {type(keys_value).__name__}")
    keys: dict[str, list[str]] = {}
    for day, names in keys_value.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise HistoryError(f"{where}.keys[{day!r}]: expected a list of object names")
        keys[str(day)] = list(names)
    return ScopeProgress(
        complete_until=_time(value.get("complete_until"), f"{where}.complete_until"),
        retry_from=_time(value.get("retry_from"), f"{where}.retry_from"),
        keys=keys,
    )


def _unreported(value: Any, where: str) -> list[tuple[str, datetime]]:
    if not isinstance(value, list):
        raise HistoryError(f"{where}: expected a list, found {type(value).__name__}")
    rows: list[tuple[str, datetime]] = []
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise HistoryError(f"{at}: expected [eventID, time]")
        moment = _time(item[1], at)
        if moment is None:
            raise HistoryError(f"{at}: expected an ISO time, found null")
        try:  # in UTC, as the rows' times are (year 1 at +05:00 is before any UTC time)
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise HistoryError(f"{at}: time out of range ({item[1][:40]!r})") from None
        rows.append((item[0], moment))
    return rows


def parse_meta(raw: bytes | None, location: str) -> Meta:
    """`raw` is the file's content (None: no history yet)."""
    if raw is None:
        return Meta()
    where = f"{location}/{META}"
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise HistoryError(f"{where} is not JSON ({err})") from None
    if not isinstance(document, dict):
        raise HistoryError(f"{where}: expected a JSON object, found {type(document).__name__}")
    version = document.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise HistoryError(f"{where}: schema_version: expected a positive integer ({version!r})")
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"{where} holds schema version {version}, written by a newer version of the tool; "
            f"this version reads up to {SCHEMA_VERSION}"
        )
    scopes_value = document.get("scopes", {})
    if not isinstance(scopes_value, dict):
        raise HistoryError(f"{where}: scopes: expected an object")
    scopes = {
        str(name): _scope(value, f"{where}: scopes[{name!r}]")
        for name, value in scopes_value.items()
    }
    runs = document.get("runs", [])
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise HistoryError(f"{where}: runs: expected a list of objects")
    meta = Meta(
        schema_version=version,
        scopes=scopes,
        runs=list(runs),
        legacy_watermark=_time(document.get("watermark"), f"{where}: watermark"),
        unreported=_unreported(document.get("unreported", []), f"{where}: unreported"),
        exists=True,
    )
    if "schema_version" not in document:  # every version of the tool wrote it
        raise HistoryError(
            f"{where}: no schema_version: not a history this tool wrote (left as it is; "
            "give --history a folder of its own)"
        )
    return meta
