"""History of collected sign-ins: a Parquet dataset partitioned by day, local or in S3.

Layout under the root (a folder, or `s3://bucket/prefix`):

    history.json                          schema version, watermark, one line per run
    events/day=YYYY-MM-DD/part-<hash>.parquet

Appending merges the new rows into each touched day, drops duplicate eventIDs (the first copy
wins), writes the merged day as a new part under a temporary name, moves it into place, and
only then removes the day's older parts; `history.json` (and so the watermark) is written
last. A run killed at any point leaves history that reads complete: at worst a day has an old
and a new part for a moment, and reading deduplicates by eventID.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analyzer.frame.schema import ARROW_SCHEMA, COLUMNS, SCHEMA_VERSION, empty_frame
from analyzer.normalize.names import canonical_user_names

META = "history.json"
UNDATED = "undated"


class HistoryError(RuntimeError):
    """History that cannot be used as it is (another schema version, unreadable metadata)."""


class _Store(Protocol):
    def read(self, name: str) -> bytes | None: ...
    def write(self, name: str, data: bytes) -> None: ...
    def delete(self, name: str) -> None: ...
    def list(self, prefix: str) -> list[str]: ...
    def __str__(self) -> str: ...


class _LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, name: str) -> bytes | None:
        path = self.root / name
        return path.read_bytes() if path.exists() else None

    def write(self, name: str, data: bytes) -> None:
        """Write to a temporary name and rename: readers never see half a file."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*.parquet") if p.is_file())

    def __str__(self) -> str:
        return str(self.root)


class _S3Store:
    """S3 PUTs are atomic per object, so no temporary names are needed."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def read(self, name: str) -> bytes | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"]
        except self.client.exceptions.NoSuchKey:
            return None
        data: bytes = body.read()
        return data

    def write(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def list(self, prefix: str) -> list[str]:
        names: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        ):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if key.endswith(".parquet"):
                    names.append(key[len(self.prefix) :])
        return sorted(names)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class AppendResult:
    added: int
    duplicates: int
    days: int


def _day_of(moment: Any) -> str:
    if moment is None or moment is pd.NaT or pd.isna(moment):
        return UNDATED
    return str(pd.Timestamp(moment).date())


class History:
    def __init__(self, store: _Store) -> None:
        self.store = store
        raw = store.read(META)
        try:
            self.meta: dict[str, Any] = json.loads(raw) if raw else {}
        except json.JSONDecodeError as err:
            raise HistoryError(f"{store}/{META} is not JSON ({err.msg})") from None
        version = self.meta.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise HistoryError(
                f"{store} holds schema version {version}; this version of the tool writes "
                f"{SCHEMA_VERSION}"
            )

    @classmethod
    def open(cls, location: str, s3_client: Any = None) -> History:
        if location.startswith("s3://"):
            bucket, _, prefix = location[5:].partition("/")
            if prefix and not prefix.endswith("/"):
                prefix += "/"
            if s3_client is None:
                import boto3  # only when history lives in S3

                s3_client = boto3.client("s3")
            return cls(_S3Store(s3_client, bucket, prefix))
        return cls(_LocalStore(Path(location)))

    @property
    def watermark(self) -> datetime | None:
        """End of the last collection that was written completely."""
        value = self.meta.get("watermark")
        return datetime.fromisoformat(value) if value else None

    def _day_parts(self, day: str) -> list[str]:
        return self.store.list(f"events/day={day}/")

    def _read_parts(self, names: Iterable[str]) -> pd.DataFrame:
        tables = []
        for name in names:
            data = self.store.read(name)
            if data is None:
                continue  # removed by a concurrent append between list and read
            tables.append(pq.read_table(io.BytesIO(data), schema=ARROW_SCHEMA))
        if not tables:
            return empty_frame()
        table = pa.concat_tables(tables)
        frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
        return frame.drop_duplicates("event_id", keep="first").reset_index(drop=True)

    def read(self, since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
        """Every stored sign-in with `since <= event_time < until` (days pruned by folder)."""
        names = self.store.list("events/")
        if since is not None or until is not None:
            first = (since or datetime.min.replace(tzinfo=UTC)).date()
            last = (until or datetime.max.replace(tzinfo=UTC)).date()
            names = [n for n in names if _in_days(n, first, last)]
        frame = self._read_parts(names)
        if since is not None:
            frame = frame[(frame["event_time"] >= since).fillna(False).astype(bool)]
        if until is not None:
            frame = frame[(frame["event_time"] < until).fillna(False).astype(bool)]
        # Runs stored the spelling each one saw; one person is one user_name across runs.
        return canonical_user_names(
            frame.sort_values(["event_time", "event_id"], na_position="last", kind="stable")
        ).reset_index(drop=True)

    def append(
        self, frame: pd.DataFrame, *, collected_until: datetime, advance_watermark: bool = True
    ) -> AppendResult:
        """Merge `frame` into history. The watermark moves to `collected_until` only when the
        collection was complete (`advance_watermark`), so a gap is collected again next run."""
        added = duplicates = days = 0
        rows = frame[list(COLUMNS)]
        for day, new in rows.groupby(rows["event_time"].map(_day_of), sort=True):
            old_parts = self._day_parts(str(day))
            existing = self._read_parts(old_parts)
            merged = pd.concat([existing, new], ignore_index=True)
            merged = merged.drop_duplicates("event_id", keep="first")
            fresh = len(merged) - len(existing)
            duplicates += len(new) - fresh
            if fresh == 0:
                continue
            table = pa.Table.from_pandas(merged, schema=ARROW_SCHEMA, preserve_index=False)
            table = table.replace_schema_metadata(
                {b"signin_schema_version": str(SCHEMA_VERSION).encode()}
            )
            sink = io.BytesIO()
            pq.write_table(table, sink)
            data = sink.getvalue()
            name = f"events/day={day}/part-{hashlib.sha256(data).hexdigest()[:16]}.parquet"
            self.store.write(name, data)
            for old in old_parts:
                if old != name:
                    self.store.delete(old)
            added += fresh
            days += 1
        previous = self.watermark
        if not advance_watermark:
            mark = previous
        else:
            mark = max(previous, collected_until) if previous else collected_until
        runs = list(self.meta.get("runs", []))[-199:]
        runs.append(
            {
                "at": datetime.now(UTC).isoformat(),
                "until": collected_until.isoformat(),
                "added": added,
                "duplicates": duplicates,
            }
        )
        self.meta = {
            "schema_version": SCHEMA_VERSION,
            "watermark": mark.isoformat() if mark else None,
            "runs": runs,
        }
        self.store.write(META, json.dumps(self.meta, indent=2).encode())
        return AppendResult(added=added, duplicates=duplicates, days=days)


def _in_days(name: str, first: date, last: date) -> bool:
    marker = name.split("day=", 1)[-1].split("/", 1)[0]
    if marker == UNDATED:
        return False
    try:
        day = date.fromisoformat(marker)
    except ValueError:
        return False
    return first <= day <= last + timedelta(days=0)
