"""Fast path for CloudTrail trail log files: inflate in one shot, look for sign-in markers in
the bytes, and parse only the records around each hit.

Most trail files hold no sign-in at all, and parsing JSON is what costs: a file without the
marker bytes is counted and dropped without parsing. The byte searches run through StringZilla
(SIMD substring search, about ten times CPython's `bytes.find`/`count` on this JSON): with
CPython's search, looking for markers and counting records cost more than inflating.

The fast path may skip only what the full decoder (`decode.py`) would also skip, whatever the
bytes. Why a skipped record cannot be a sign-in candidate:

- A candidate's `eventSource` decodes to `signin.amazonaws.com` or an `sso*` source, so its
  bytes hold `"signin.amazonaws.com"` or `"sso` literally, or a `\\u` escape (no other JSON
  escape can stand for a letter, a dot or a dash). All three are markers, whatever the key
  looks like (escaped, spaced, reordered).
- A candidate without an `eventSource` string is recognised by its name alone; the fast path
  runs only when the counts in `scan_trail` show that every record has one (and each record
  cut out around a hit is checked on its own, since an escape can hide a key from them).
  Two layouts still defeat the counts, and only by hand: a record with no `eventName` key
  at all beside one without `eventSource`, or an `"eventSource":"` key nested right after a
  string ending in `Z`. CloudTrail writes neither.

A record is cut out from the `{"eventVersion":` before a hit, and a record's parameters
(written as the caller sent them, a failed call's too) can hold a list of objects shaped like
a sign-in. Counting the starts refuses such an object followed by one starting the same way;
a follower that also carries one of every counted key balances every count, which cannot see
depth (two adversarial reviews). So a file with anything cut out is also parsed whole by
simdjson (`_records_in_place`, about 2 GB/s: a third of a millisecond a file, against 3 ms for
`json`): its Records must number the counted records and the record at each cut's index must
be the cut's. A file without a hit is not parsed: objects nested there can only change its
record count, never a sign-in.

Two more checks keep a record out of sight of the counts from passing: every `"eventSource":`
key (whatever its value) must be a counted one, so a record whose last `eventSource` is not a
string (JSON keeps the last of two keys; it is then a sign-in by its name) goes to the full
decoder; and no `"CloudTrailEvent"` key may appear, since LookupEvents output carries whole
records in escaped strings that no marker or count sees (a lookup document appended after
the trail document, which the full decoder reads too).

What the fast path still reads otherwise than the full decoder, all of it made by hand, none
of it dropping without a line a sign-in the full decoder keeps (an adversarial fuzz of
150,000 files, `tests/sources/test_decoder_fuzz.py` for the rest):
a record that is not valid JSON, holds no marker and whose brackets do not show where it
ends (counted; the full decoder stops there and keeps none after it), a second top-level
`"Records"` key or another top-level key beside it (each needs a separator forged in a
nested object, as above), an item with none of the counted keys between two records (the
later records' indexes shift by one), a gzip member followed by bytes whose last four state
its size (dropped without a line), and a record nested within a few levels of Python's
recursion limit (read or rejected by how deep the caller's stack is, on either path); and,
reachable without writing the file, the record count of a file without a sign-in marker
whose records' parameters hold objects carrying one of every counted key (the count only).

CloudTrail writes compact JSON whose records each begin with `{"eventVersion":`, so the record
around a hit is cut out between the record start before it and the next record start after
it. Anything unexpected (counts that disagree, a slice that is not one JSON object) falls back
to the full decoder: but for the hand-made layouts above, the fast path is only faster.
"""

from __future__ import annotations

import json
import re
import struct
import threading
from dataclasses import dataclass, field

import deflate
import simdjson
import stringzilla

from analyzer.normalize.selection import IDENTITY_CENTER_SOURCES, SIGNIN_ONLY_NAMES, SIGNIN_SOURCE
from analyzer.sources.limits import describe

GZIP_MAGIC = b"\x1f\x8b"
FLAG_HEADER_CRC = 0x02  # FLG.FHCRC of a gzip header (RFC 1952)
ESCAPE = b"\\u"
# Every sign-in candidate's bytes hold one of these (or an escape), see the module docstring.
SOURCE_MARKERS = (b'"' + SIGNIN_SOURCE.encode() + b'"', b'"sso', ESCAPE)
assert all(s.startswith("sso") for s in IDENTITY_CENTER_SOURCES)
NAME_MARKERS = tuple(sorted(b'"' + name.encode() + b'"' for name in SIGNIN_ONLY_NAMES))
SOURCE_KEY = b'"eventSource":"'
ANY_SOURCE_KEY = b'"eventSource":'  # any value: a string one is also a SOURCE_KEY
LOOKUP_KEY = b'"CloudTrailEvent"'  # a LookupEvents event: its record is an escaped string
# CloudTrail writes `eventTime` (a UTC time ending in Z) right before `eventSource`.
TOP_SOURCE_KEY = b'Z",' + SOURCE_KEY
NAME_KEY = b'"eventName"'
RECORD_START = b'{"eventVersion":'
NEXT_RECORD = b"," + RECORD_START
SEPARATOR = b"}" + NEXT_RECORD  # between two records: nothing else is in the array
COMPACT_HEADS = (b'{"Records":[{"eventVersion":', b'{"Records":[]}')


class ScanError(ValueError):
    """The payload cannot be used; the message is the reason shown to the user."""


class TooLarge(ScanError):
    """The payload inflates to more than the limit allows."""


@dataclass
class Scanned:
    """Candidate records (the normalizer decides which are sign-ins; decoys that merely
    mention the marker are parsed and then dropped there), the records that could not be
    parsed (index, reason) and how many records the file held."""

    candidates: list[tuple[int, object]] = field(default_factory=list)  # (record index, record)
    not_utf8: list[tuple[int, object]] = field(default_factory=list)  # decoded with escapes
    rejected: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0


def gzip_size(payload: bytes | bytearray | memoryview) -> int:
    """The inflated size a gzip member's trailer states (modulo 4 GiB, so only a hint: the
    inflater below fails when the real size differs)."""
    return int(struct.unpack("<I", payload[-4:])[0]) if len(payload) >= 18 else 0


def inflate(payload: bytes, limit: int) -> bytes | bytearray:
    """libdeflate inflates into a bytearray; it is searched and sliced as it is, since a copy
    to bytes would cost a memcpy and page faults per file. The buffer is as large as the
    trailer says, so a trailer over `limit` is not inflated in one shot: it is a file too
    large or a file cut short (its last bytes are then compressed data, not a size), and
    only the streaming decoder, which stops at the limit, can tell which (ScanError: the
    caller streams). A trailer that lies otherwise (or a multi-member file) makes libdeflate
    fail, and the caller streams too."""
    if not payload.startswith(GZIP_MAGIC):
        if len(payload) > limit:
            raise TooLarge(f"larger than the {describe(limit)} limit")
        return payload
    stated = gzip_size(payload)
    if stated > limit:
        raise ScanError(f"gzip trailer states more than the {describe(limit)} limit")
    # What libdeflate would read differently from zlib goes to the streaming decoder (zlib):
    # a trailer stating 0 bytes (libdeflate returns nothing at all: padding after the
    # member, or an empty last member), a header checksum (libdeflate does not check it),
    # and a second member (libdeflate inflates the first only, and succeeds whenever its
    # size is the one the last trailer states: a first and last member alike hid every
    # member between them).
    if stated == 0 or payload[3] & FLAG_HEADER_CRC or _second_member(payload, limit):
        raise ScanError("gzip layout left to the streaming decoder")
    try:
        return deflate.gzip_decompress(payload)
    except (deflate.DeflateError, ValueError) as err:
        raise ScanError(f"corrupt gzip ({err})") from None


MEMBER_START = GZIP_MAGIC + b"\x08"  # magic and method (deflate) of a gzip member
MAX_RATIO = 1032  # DEFLATE inflates at most this many bytes per compressed byte
MEMBER_CHECKS = 4  # places checked for a second member before the file is streamed anyway


def _second_member(payload: bytes, limit: int) -> bool:
    """Whether a second gzip member starts somewhere: where the magic and method bytes are,
    the bytes before them must be one whole member, its checksum and size checked (compressed
    data holds the three bytes by chance in about one CloudTrail file in 200; those are not
    streamed for it). An empty first member states no size to check, and counts; so do more
    than `MEMBER_CHECKS` places (each check inflates up to the whole file: a file made of
    the three bytes would cost a quadratic time here, and the stream reads it once)."""
    view = memoryview(payload)
    at = stringzilla.Str(payload).find(MEMBER_START, 10)
    checks = 0
    while at >= 0:
        checks += 1
        if checks > MEMBER_CHECKS:
            return True
        stated = gzip_size(view[:at])
        if at >= 18 and stated == 0:
            return True
        if at >= 18 and stated <= min(limit, at * MAX_RATIO):
            try:
                deflate.gzip_decompress(view[:at])
            except (deflate.DeflateError, ValueError):
                pass
            else:
                return True
        at = stringzilla.Str(payload).find(MEMBER_START, at + 1)
    return False


def is_trail_head(head: bytes | bytearray) -> bool:
    """The first bytes of a compact trail log file as CloudTrail writes it."""
    return head.startswith(COMPACT_HEADS)


def is_trail_document(raw: bytes | bytearray) -> bool:
    """Head and tail both intact (the last record an object); a cut-off file goes to the
    generic decoder, which keeps the complete records and reports the truncation."""
    tail = raw[-64:].rstrip()
    return is_trail_head(raw[:64]) and (tail.endswith(b"}]}") or raw.strip() == COMPACT_HEADS[1])


def might_be_signin(raw: bytes | bytearray | str) -> bool:
    """Whether a record that cannot be parsed (too deep, a number too long) may be a sign-in
    event, from its bytes by the same rule the fast path skips by: such a record is rejected
    with a line, any other is counted and dropped like every non-sign-in record."""
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    if any(marker in data for marker in SOURCE_MARKERS):
        return True
    if SOURCE_KEY in data:
        return False  # its source is another service
    return any(marker in data for marker in NAME_MARKERS)


NOT_UTF8 = "record is not UTF-8 text"


def unparseable(err: BaseException) -> str:
    """Why a record that is JSON in form cannot be decoded (the same words on every path)."""
    if isinstance(err, RecursionError):
        return "record nested too deeply to decode"
    return f"record cannot be decoded ({err})"


def _hits(text: stringzilla.Str) -> list[int]:
    positions: list[int] = []
    for marker in SOURCE_MARKERS:
        at = text.find(marker)
        while at >= 0:
            positions.append(at)
            at = text.find(marker, at + len(marker))
    positions.sort()
    return positions


@dataclass
class _Cut:
    """The records enclosing the hits, (record index, bytes), and how many records start
    before `counted_to` (the last one's start): the rest of the file is counted once more
    for the file's total, not the whole file again."""

    slices: list[tuple[int, bytes | bytearray]]
    counted: int = 0
    counted_to: int = 0


def _slices(raw: bytes | bytearray, text: stringzilla.Str, hits: list[int]) -> _Cut | None:
    """The records enclosing the hits, or None when the layout is not the expected one. A
    record's index is the number of records (`eventSource` keys after an `eventTime`) before
    its start, counted once, in order."""
    end_of_array = text.rfind(b"]}")  # searched from the end; rstrip() would copy the file
    if end_of_array < 0:
        return None
    slices: list[tuple[int, bytes | bytearray]] = []
    counted_to = 0  # records before this offset are already in `index`
    index = 0
    last_end = -1
    for hit in hits:
        if hit < last_end:
            continue  # another hit inside the record already cut out
        start = text.rfind(RECORD_START, 0, hit)
        if start < 0 or start < last_end:
            return None
        index += text.count(TOP_SOURCE_KEY, counted_to, start)
        counted_to = start
        end = text.find(NEXT_RECORD, hit)
        last_end = end if end >= 0 else end_of_array
        slices.append((index, raw[start:last_end]))
    return _Cut(slices, index, counted_to)


def _parse(piece: bytes | bytearray) -> tuple[object, bool]:
    """One record's bytes, and whether they were UTF-8: invalid bytes are kept as escapes so
    that the caller can tell whether the record matters (the full decoder reads text the
    same way)."""
    try:  # decoded strictly first: json.loads(bytes) lets surrogates encoded in UTF-8 pass
        return json.loads(piece.decode("utf-8")), True
    except UnicodeDecodeError:
        return json.loads(bytes(piece).decode("utf-8", "surrogateescape")), False


def _counted_once(piece: bytes | bytearray) -> bool:
    """A record cut out around a hit (an escape may hide its keys from the counts) holds
    exactly one of each counted key, so that the counts still count records."""
    return piece.count(TOP_SOURCE_KEY) == 1 and piece.count(NAME_KEY) == 1


def scan_trail(raw: bytes | bytearray) -> Scanned | None:
    """`raw` is an inflated compact `{"Records": [...]}` document; None when it is laid out
    in a way the fast path cannot vouch for (the full decoder reads it). Records are counted
    by their `"eventTime":"...Z","eventSource":"` (the order CloudTrail writes); the counts
    of `"eventName"` keys and of `},{"eventVersion":` separators must agree with it, so a
    record without a string `eventSource` (a sign-in by its name alone), a record written
    another way, or anything but records in the array sends the file to the full decoder."""
    text = stringzilla.Str(raw)  # a view: the buffer is not copied
    if raw.startswith(COMPACT_HEADS[1]):  # only when it is all there is (not a first document)
        return Scanned(records=0) if raw.strip() == COMPACT_HEADS[1] else None
    hits = _hits(text)
    found = _slices(raw, text, hits) if hits else _Cut([])
    if found is None:
        return None
    records = found.counted + text.count(TOP_SOURCE_KEY, found.counted_to)
    if text.count(NAME_KEY) != records or text.count(SEPARATOR) != records - 1:
        return None
    if text.count(ANY_SOURCE_KEY) != records or text.find(LOOKUP_KEY) >= 0:
        return None
    if text.count(RECORD_START) != records:  # an object nested in a record starts like one
        return None
    scanned = Scanned(records=records)
    for index, piece in found.slices:
        try:
            record, utf8 = _parse(piece)
        except (json.JSONDecodeError, RecursionError):
            # Not one JSON object (the layout is not the expected one), or nested too deeply
            # for the decoder at this depth of the stack: how deep it may go depends on the
            # caller's own depth, so the full decoder's verdict is the one given.
            return None
        except ValueError as err:
            decoded = bytes(piece).decode("utf-8", "surrogateescape")
            if value_end(decoded, 0) != len(decoded) or not _counted_once(piece):
                return None  # the slice is not one counted record: the full decoder decides
            scanned.rejected.append((index, unparseable(err)))
            continue
        if not isinstance(record, dict) or not _counted_once(piece):
            return None
        (scanned.candidates if utf8 else scanned.not_utf8).append((index, record))
    if found.slices and not _records_in_place(raw, scanned):
        return None
    return scanned


_PARSERS = threading.local()
# What tells the record at an index from a copy elsewhere: the whole of it costs a Python
# dict per sign-in (a fifth of the check's time); the count already refuses a nested copy.
_SAME_PLACE = ("eventID", "eventTime", "eventSource", "eventName", "recipientAccountId")


def _parser() -> simdjson.Parser:
    """A parser per thread, kept: a new one allocates its buffers for every file (S3 reads
    objects from a pool of threads; a parser serves one document at a time)."""
    parser: simdjson.Parser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = simdjson.Parser()
    return parser


def _records_in_place(raw: bytes | bytearray, scanned: Scanned) -> bool:
    """Whether the document holds `scanned.records` records and each record cut out is the
    one at its index, value for value, by simdjson's parse of the whole file (a C++ parser,
    about 2 GB/s here: 0.3 ms a file against 3 ms for `json`). The counts cannot see depth:
    an object nested in a record's parameters, shaped like a sign-in and balanced by a
    follower carrying one of every counted key, was cut out as a sign-in the full decoder
    never saw. A rejected or not-UTF-8 cut, and anything simdjson refuses or reads otherwise
    (NaN, a number past 64 bits, a lone surrogate, duplicate keys), is left to the full
    decoder."""
    if scanned.rejected or scanned.not_utf8:
        return False
    document: object = None
    records: object = None
    item: object = None
    try:
        document = _parser().parse(raw)
        records = document.get("Records") if isinstance(document, simdjson.Object) else None
        if not isinstance(records, simdjson.Array) or len(records) != scanned.records:
            return False
        for index, record in scanned.candidates:
            item = records[index]
            if not isinstance(item, simdjson.Object):
                return False
            if any(item.get(key) != record.get(key) for key in _SAME_PLACE):
                return False
    except Exception:  # whatever simdjson objects to, the full decoder reads
        return False
    finally:
        del document, records, item  # the parser is reused only once nothing refers to it
    return True


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)  # (a backslash before a line end)
_SCALAR_END = re.compile(r"[,\]}]")


def value_end(text: str, start: int) -> int | None:
    """Where the JSON value starting at `start` ends, found by brackets and strings alone
    (for a value too deep or too odd for the decoder); None when the text ends first."""
    if text[start] not in "{[":
        match = _SCALAR_END.search(text, start)
        return match.start() if match else None
    depth = 0
    for token in _TOKEN.finditer(text, start):
        mark = token.group()
        if mark in "{[":
            depth += 1
        elif mark in "}]":
            depth -= 1
            if depth == 0:
                return token.end()
    return None
