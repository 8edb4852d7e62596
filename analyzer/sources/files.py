"""CloudTrail records from files on disk, recognised by content, never by name.

Handles what people actually have: a trail bucket after `aws s3 sync` (gzip `{"Records": [...]}`
files next to digests), the JSON `aws cloudtrail lookup-events` prints, and JSON Lines exports.
One file is decoded at a time and only its records are yielded, so memory follows the largest
file (CloudTrail caps them at 50 MB), not the size of the tree.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from analyzer.coverage import Coverage
from analyzer.sources.interface import RawRecord, Source

_GZIP_MAGIC = b"\x1f\x8b"
_DIGEST_KEYS = frozenset({"digestStartTime", "digestEndTime", "digestPublicKeyFingerprint"})
_RECORD_KEYS = frozenset({"eventName", "eventSource", "eventVersion", "eventID", "eventTime"})
_DECODE_ERRORS = (OSError, EOFError, zlib.error, UnicodeDecodeError)

DIGEST = "CloudTrail digest file"
HIDDEN = "hidden file"
NOT_JSON = "not a JSON file"
_QUIET_SKIPS = frozenset({DIGEST, NOT_JSON})


class UnreadableFile(Exception):
    """The whole file cannot be used; the message is the reason shown to the user."""


def _looks_like_record(value: object) -> bool:
    return isinstance(value, Mapping) and not _RECORD_KEYS.isdisjoint(value)


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _salvage_records(text: str) -> tuple[list[object], str]:
    """Decode the complete records of a truncated `{"Records": [...` document one by one, so a
    cut-off file still gives what it holds. Returns the records and why decoding stopped."""
    stripped = text.lstrip()
    key = stripped.find('"Records"', 0, 200)
    if not stripped.startswith("{") or key < 0:
        return [], "not JSON"
    start = stripped.find("[", key)
    if start < 0:
        return [], "invalid JSON"
    text = stripped
    decoder = json.JSONDecoder()
    records: list[object] = []
    position = start + 1
    length = len(text)
    while True:
        while position < length and text[position] in " \t\r\n,":
            position += 1
        if position >= length:
            return records, f"truncated JSON after record {len(records) - 1}"
        if text[position] == "]":
            return records, "invalid JSON after the Records array"
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return records, f"truncated or invalid JSON in record {len(records)}"
        records.append(record)


class FileSource(Source):
    """Files and folders (recursive). Paths that do not exist are reported, not fatal."""

    def __init__(
        self,
        paths: Iterable[str | Path],
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.progress = progress

    def _files(self, coverage: Coverage) -> Iterator[Path]:
        for path in self.paths:
            coverage.inputs.append(str(path))
            if path.is_file():
                yield path
            elif path.is_dir():
                found = False
                for child in sorted(path.rglob("*")):
                    if not child.is_file():
                        continue
                    found = True
                    relative = child.relative_to(path).parts
                    if any(part.startswith(".") for part in relative):
                        coverage.skip_file(str(child), HIDDEN, warn=False)
                        continue
                    yield child
                if not found:
                    coverage.skip_file(str(path), "folder holds no files")
            else:
                coverage.skip_file(str(path), "no such file or folder")

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        for done, path in enumerate(self._files(coverage), start=1):
            name = str(path)
            yield from self._read_file(path, name, coverage)
            if self.progress:
                self.progress(name, done)

    def _read_file(self, path: Path, name: str, coverage: Coverage) -> Iterator[RawRecord]:
        """A file that breaks part-way keeps the records read before the break, and says so."""
        yielded = 0
        try:
            with _open_text(path) as handle:
                for record in self._decode(handle, name, coverage):
                    yielded += 1
                    yield record
        except UnreadableFile as err:
            reason = str(err)
            if reason in _QUIET_SKIPS:
                coverage.skip_file(name, reason, warn=False)
                return
        except _DECODE_ERRORS as err:
            corrupt = isinstance(err, OSError | EOFError | zlib.error)
            kind = "corrupt gzip" if corrupt else "not UTF-8 text"
            reason = f"{kind} ({err})" if str(err) else kind
        else:
            coverage.files_read += 1
            return
        if yielded:
            coverage.files_read += 1
            reason += f"; kept the {yielded} records before it"
        coverage.skip_file(name, reason)

    def _decode(self, handle: IO[str], name: str, coverage: Coverage) -> Iterator[RawRecord]:
        first = handle.readline()
        while first and not first.strip():
            first = handle.readline()
        if not first:
            raise UnreadableFile("empty file")
        if first.lstrip()[0] not in "{[":
            # READMEs, notes and other non-log files beside a synced trail are expected
            raise UnreadableFile(NOT_JSON)
        try:
            head: object = json.loads(first)
        except json.JSONDecodeError:
            head = None
        if _looks_like_record(head):
            yield from self._json_lines(head, first, handle, name, coverage)
            return
        text = first + handle.read()
        if head is None:
            try:
                head = json.loads(text)
            except json.JSONDecodeError as err:
                records, reason = _salvage_records(text)
                for index, record in enumerate(records):
                    yield RawRecord(record, f"{name}#{index}")
                raise UnreadableFile(
                    f"{reason} ({err.msg} at line {err.lineno}, column {err.colno})"
                ) from None
        elif text.strip() != first.strip():
            raise UnreadableFile("unexpected data after the JSON document")
        yield from self._document(head, name, coverage)

    def _json_lines(
        self, head: object, first: str, handle: IO[str], name: str, coverage: Coverage
    ) -> Iterator[RawRecord]:
        yield RawRecord(head, f"{name}:1")
        for number, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as err:
                coverage.reject_record(f"{name}:{number}", f"line is not JSON ({err.msg})")
                continue
            yield RawRecord(value, f"{name}:{number}")

    def _document(self, document: Any, name: str, coverage: Coverage) -> Iterator[RawRecord]:
        if isinstance(document, list):
            for index, record in enumerate(document):
                yield RawRecord(record, f"{name}#{index}")
            return
        if not isinstance(document, Mapping):
            raise UnreadableFile("JSON that is not CloudTrail (top level is not an object)")
        if isinstance(document.get("Records"), list):
            for index, record in enumerate(document["Records"]):
                yield RawRecord(record, f"{name}#{index}")
            return
        if isinstance(document.get("Events"), list):
            yield from self._lookup_events(document["Events"], name, coverage)
            return
        if not _DIGEST_KEYS.isdisjoint(document):
            raise UnreadableFile(DIGEST)
        if _looks_like_record(document):
            yield RawRecord(document, f"{name}#0")
            return
        keys = ", ".join(sorted(str(k) for k in document)[:5]) or "no keys"
        raise UnreadableFile(
            f"JSON that is not CloudTrail (no Records or Events array; top-level keys: {keys})"
        )

    def _lookup_events(
        self, events: list[object], name: str, coverage: Coverage
    ) -> Iterator[RawRecord]:
        """`aws cloudtrail lookup-events` output: each event carries the full record as a JSON
        string in `CloudTrailEvent`."""
        for index, event in enumerate(events):
            where = f"{name}#Events[{index}]"
            payload = event.get("CloudTrailEvent") if isinstance(event, Mapping) else None
            if not isinstance(payload, str):
                coverage.reject_record(where, "event has no CloudTrailEvent string")
                continue
            try:
                record = json.loads(payload)
            except json.JSONDecodeError as err:
                coverage.reject_record(where, f"CloudTrailEvent is not JSON ({err.msg})")
                continue
            yield RawRecord(record, where)
