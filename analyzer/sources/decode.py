"""One file's CloudTrail records, recognised by content, never by name.

Handles what people actually have: trail log files (gzip or plain `{"Records": [...]}`), the
JSON `aws cloudtrail lookup-events` prints, JSON Lines exports, a JSON array of records.
Compact trail files go through the byte-level fast path in `scan.py`; everything else is
decoded here, streaming where the format allows (JSON Lines). `read_file` is what a worker
process runs: it returns only the records that can be sign-in events, with a coverage of its
own that the parent merges, so nothing but candidates crosses the process boundary.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from analyzer.domain.coverage import Coverage
from analyzer.normalize.selection import is_signin_candidate
from analyzer.sources.interface import RawRecord
from analyzer.sources.scan import (
    GZIP_MAGIC,
    ScanError,
    inflate,
    is_trail_document,
    is_trail_head,
    scan_trail,
)

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
    if magic == GZIP_MAGIC:
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


ONE_SHOT_LIMIT = 256 * 1024 * 1024  # bytes: larger files are streamed, never held whole


@dataclass
class FileResult:
    name: str
    candidates: list[RawRecord] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)


def _keep(result: FileResult, records: Iterator[RawRecord]) -> None:
    for raw in records:
        result.coverage.records_scanned += 1
        if is_signin_candidate(raw.record):
            result.candidates.append(raw)


def _head(payload: bytes) -> bytes:
    """The first bytes of the content, inflating only the start of a gzip payload."""
    if not payload.startswith(GZIP_MAGIC):
        return payload[:64]
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload[:4096], 64)
    except zlib.error:
        return b""


def _scan_payload(payload: bytes, result: FileResult) -> bool:
    """Compact trail files take the byte-level scan (one-shot inflate, marker search, parse
    only around hits). Returns False when the payload needs the generic decoder."""
    raw = inflate(payload)
    if not is_trail_document(raw):
        return False
    try:
        scanned = scan_trail(raw)
    except ScanError:
        return False  # odd layout: the generic decoder handles it and says what is wrong
    result.coverage.records_scanned += scanned.records
    for index, record in scanned.candidates:
        if is_signin_candidate(record):
            result.candidates.append(RawRecord(record, f"{result.name}#{index}"))
    result.coverage.files_read += 1
    return True


def _fast_path(path: Path, result: FileResult) -> bool:
    if path.stat().st_size > ONE_SHOT_LIMIT:
        return False
    with path.open("rb") as handle:
        payload = handle.read(4096)
        if not is_trail_head(_head(payload)):
            return False  # not a trail file: stream it, never hold it whole
        payload += handle.read()
    return _scan_payload(payload, result)


def _finish(result: FileResult, reason: str) -> FileResult:
    """Report an input that broke, keeping the records read before the break."""
    coverage = result.coverage
    if coverage.records_scanned:
        coverage.files_read += 1
        reason += f"; kept the {coverage.records_scanned} records before it"
    coverage.skip_file(result.name, reason)
    return result


def _decode_error(err: Exception) -> str:
    corrupt = isinstance(err, OSError | EOFError | zlib.error)
    kind = "corrupt gzip" if corrupt else "not UTF-8 text"
    return f"{kind} ({err})" if str(err) else kind


def _read(name: str, fast: Callable[[FileResult], bool], text: Callable[[], IO[str]]) -> FileResult:
    """The fast path if it applies, else the generic decoder; every failure becomes one
    reported problem, and a file that breaks part-way keeps the records read before it."""
    result = FileResult(name)
    try:
        if fast(result):
            return result
        with text() as handle:
            _keep(result, decode_text(handle, name, result.coverage))
    except (ScanError, UnreadableFile) as err:
        if str(err) in _QUIET_SKIPS:
            result.coverage.skip_file(name, str(err), warn=False)
            return result
        return _finish(result, str(err))
    except _DECODE_ERRORS as err:
        return _finish(result, _decode_error(err))
    result.coverage.files_read += 1
    return result


def read_file(path: Path) -> FileResult:
    return _read(str(path), lambda result: _fast_path(path, result), lambda: _open_text(path))


def read_payload(payload: bytes, name: str) -> FileResult:
    """The same as `read_file` for an object already in memory (an S3 GET)."""
    return _read(
        name,
        lambda result: _scan_payload(payload, result),
        lambda: io.TextIOWrapper(io.BytesIO(inflate(payload)), encoding="utf-8"),
    )


def read_and_normalize(path: Path, keep_records: bool = True) -> FileResult:
    """`read_file` for worker processes: candidates come back already normalized, and without
    the raw record unless the caller keeps raw records (`--save-raw`), so only rows cross the
    process boundary."""
    result = read_file(path)
    result.candidates = [raw.prepare(keep_record=keep_records) for raw in result.candidates]
    return result


def decode_text(handle: IO[str], name: str, coverage: Coverage) -> Iterator[RawRecord]:
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
        yield from _json_lines(head, handle, name, coverage)
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
    yield from _document(head, name, coverage)


def _json_lines(
    head: object, handle: IO[str], name: str, coverage: Coverage
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


def _document(document: Any, name: str, coverage: Coverage) -> Iterator[RawRecord]:
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
        yield from _lookup_events(document["Events"], name, coverage)
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


def _lookup_events(events: list[object], name: str, coverage: Coverage) -> Iterator[RawRecord]:
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
