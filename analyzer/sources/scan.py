"""Fast path for CloudTrail trail log files: inflate in one shot, look for sign-in markers in
the bytes, and parse only the records around each hit.

Most trail files hold no sign-in at all, and parsing JSON is what costs: a file without the
marker bytes is counted and dropped without parsing. The byte searches run through StringZilla
(SIMD substring search, about ten times CPython's `bytes.find`/`count` on this JSON): with
CPython's search, looking for markers and counting records cost more than inflating.

CloudTrail writes compact JSON whose records each begin with `{"eventVersion":`, so the record
around a hit is cut out between the record start before it and the next record start after
it. Only files in that exact compact form take this path. Anything unexpected (no record
start, a slice that is not one JSON object) falls back to parsing the whole file, so the fast
path can only be faster, never different.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import deflate
import stringzilla

GZIP_MAGIC = b"\x1f\x8b"
# In compact JSON as CloudTrail writes it, the event sources that can hold a sign-in:
# signin.amazonaws.com and the sso* sources (sso, sso-oauth; other sso* sources are dropped by
# the normalizer).
SIGNIN_MARKERS = (b'"eventSource":"signin.amazonaws.com"', b'"eventSource":"sso')
RECORD_START = b'{"eventVersion":'
NEXT_RECORD = b"," + RECORD_START
COMPACT_HEADS = (b'{"Records":[{"eventVersion":', b'{"Records":[]}')


class ScanError(ValueError):
    """The payload cannot be used; the message is the reason shown to the user."""


@dataclass
class Scanned:
    """Candidate records (the normalizer decides which are sign-ins; decoys that merely
    mention the marker are parsed and then dropped there) and how many records the file held."""

    candidates: list[tuple[int, object]] = field(default_factory=list)  # (record index, record)
    records: int = 0
    parsed_whole_file: bool = False


def inflate(payload: bytes) -> bytes | bytearray:
    """libdeflate inflates into a bytearray; it is searched and sliced as it is, since a copy
    to bytes would cost a memcpy and page faults per file."""
    if not payload.startswith(GZIP_MAGIC):
        return payload
    try:
        return deflate.gzip_decompress(payload)
    except (deflate.DeflateError, ValueError) as err:
        raise ScanError(f"corrupt gzip ({err})") from None


def is_trail_head(head: bytes | bytearray) -> bool:
    """The first bytes of a compact trail log file as CloudTrail writes it. The markers are
    compact JSON, so a file written any other way (spaces after colons) must not take the
    fast path: it would be scanned for bytes it does not contain."""
    return head.startswith(COMPACT_HEADS)


def is_trail_document(raw: bytes | bytearray) -> bool:
    """Head and tail both intact; a cut-off file goes to the generic decoder, which keeps the
    complete records and reports the truncation."""
    return is_trail_head(raw[:64]) and raw[-64:].rstrip().endswith(b"]}")


def _hits(text: stringzilla.Str) -> list[int]:
    positions: list[int] = []
    for marker in SIGNIN_MARKERS:
        at = text.find(marker)
        while at >= 0:
            positions.append(at)
            at = text.find(marker, at + len(marker))
    positions.sort()
    return positions


def _slices(
    raw: bytes | bytearray, text: stringzilla.Str, hits: list[int]
) -> tuple[list[tuple[int, bytes | bytearray]], int] | None:
    """(record index, bytes) of the records enclosing the hits and the file's record count,
    or None when the layout is not the expected one. Record starts are counted once, in
    order: up to each hit for its index, then the rest of the file for the total."""
    end_of_array = text.rfind(b"]}")  # searched from the end; rstrip() would copy the file
    if end_of_array < 0:
        return None
    slices: list[tuple[int, bytes | bytearray]] = []
    counted_to = 0  # record starts before this offset are already in `index`
    index = -1
    last_start = -1
    for hit in hits:
        start = text.rfind(RECORD_START, 0, hit)
        if start < 0:
            return None
        if start == last_start:
            continue  # another hit inside the record already cut out
        index += text.count(RECORD_START, counted_to, start + len(RECORD_START))
        counted_to = start + len(RECORD_START)
        last_start = start
        end = text.find(NEXT_RECORD, hit)
        slices.append((index, raw[start : end if end >= 0 else end_of_array]))
    return slices, index + 1 + text.count(RECORD_START, counted_to)


def scan_trail(raw: bytes | bytearray) -> Scanned:
    """`raw` is an inflated `{"Records": [...]}` document."""
    text = stringzilla.Str(raw)  # a view: the buffer is not copied
    hits = _hits(text)
    if not hits:
        return Scanned(records=text.count(RECORD_START))
    found = _slices(raw, text, hits)
    if found is not None:
        slices, records = found
        try:
            parsed = [(index, json.loads(piece)) for index, piece in slices]
        except json.JSONDecodeError:
            parsed = None
        if parsed is not None and all(isinstance(p, dict) for _, p in parsed):
            return Scanned(candidates=parsed, records=records)
    return _whole_file(raw)


def _whole_file(raw: bytes | bytearray) -> Scanned:
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ScanError(
            f"invalid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        ) from None
    entries = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ScanError("JSON that is not CloudTrail (no Records array)")
    return Scanned(
        candidates=list(enumerate(entries)), records=len(entries), parsed_whole_file=True
    )
