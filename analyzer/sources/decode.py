"""One file's CloudTrail records, recognised by content, never by name.

Handles what people actually have: trail log files (gzip, multi-member gzip or plain
`{"Records": [...]}`), the JSON `aws cloudtrail lookup-events` prints, JSON Lines exports, a
JSON array of records, with or without a UTF-8 byte order mark. Compact trail files go
through the byte-level fast path in `scan.py`; everything else is decoded here, streaming
where the format allows (JSON Lines). `read_file` is what a worker process runs: it returns
only the records that can be sign-in events, with a coverage of its own that the parent
merges, so nothing but candidates crosses the process boundary.

One bad record costs one record: a record nested too deeply, holding a number too long for
Python, or with bytes that are not UTF-8 is rejected with a line naming it (when it may be a
sign-in, `scan.might_be_signin`) and the rest of the file is read. A file cut short (a
truncated gzip or JSON) keeps the complete records before the cut. Every reader stops at the
size limit (`limits.py`), with a line naming the file.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from analyzer.domain.coverage import Coverage
from analyzer.normalize.selection import is_signin_candidate
from analyzer.sources.interface import RawRecord
from analyzer.sources.limits import DEFAULT_MAX_FILE_BYTES, describe
from analyzer.sources.scan import (
    GZIP_MAGIC,
    NOT_UTF8,
    ScanError,
    TooLarge,
    inflate,
    is_trail_document,
    is_trail_head,
    might_be_signin,
    scan_trail,
    unparseable,
    value_end,
)

_DIGEST_KEYS = frozenset({"digestStartTime", "digestEndTime", "digestPublicKeyFingerprint"})
_RECORD_KEYS = frozenset({"eventName", "eventSource", "eventVersion", "eventID", "eventTime"})
# Names a log file goes by; a file named so (or gzip) that cannot be read is worth a warning.
LOG_SUFFIXES = (".json", ".gz", ".jsonl", ".ndjson", ".log")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # surrogateescape's stand-ins for invalid bytes
_PROBE = 4096  # characters read to tell JSON from anything else

DIGEST = "CloudTrail digest file"
HIDDEN = "hidden file"
NOT_JSON = "not a JSON file"
_QUIET_SKIPS = frozenset({DIGEST})


class UnreadableFile(Exception):
    """The whole file cannot be used; the message is the reason shown to the user."""


class NotJson(UnreadableFile):
    """Content that is not JSON at all: quiet for files plainly not logs (READMEs), a warning
    for a file named or compressed like a log."""

    def __init__(self, start: str) -> None:
        super().__init__(NOT_JSON)
        self.start = start


def _looks_like_record(value: object) -> bool:
    return isinstance(value, Mapping) and not _RECORD_KEYS.isdisjoint(value)


def _has_escaped_bytes(text: str) -> bool:
    return not text.isascii() and _ESCAPED_BYTE.search(text) is not None


class _Source(Protocol):
    """What `_Bounded` reads from: a buffered file, a BytesIO or gzip being inflated."""

    def readinto(self, buffer: Any, /) -> int | None: ...

    def close(self) -> None: ...


class _Stream(_Source, Protocol):
    """A buffered file or a BytesIO: what gzip is inflated from."""

    def read(self, size: int = ..., /) -> bytes: ...

    def peek(self, size: int, /) -> bytes: ...


class _Bounded(io.RawIOBase):
    """Counts the bytes read (inflated, for gzip) and stops at the limit. A gzip stream that
    breaks (cut short, corrupt after a while) reads as its end, and says why in `broken`, so
    the decoder keeps the complete records before the break. gzip's reader continues into
    the next member of a multi-member file (`cat a.gz b.gz`)."""

    def __init__(self, raw: _Source, limit: int) -> None:
        super().__init__()
        self._raw = raw
        self.limit = limit
        self.total = 0
        self.broken: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.broken is not None:
            return 0
        try:
            count = self._raw.readinto(buffer)
        except EOFError:
            self.broken = (
                "truncated gzip (the file ends inside the compressed data)"
                if self.total
                else "corrupt gzip (ends before any data)"
            )
            return 0
        except (OSError, zlib.error) as err:
            self.broken = f"corrupt gzip ({err})" if str(err) else "corrupt gzip"
            return 0
        self.total += count or 0
        if self.total > self.limit:
            raise TooLarge(f"inflates to more than the {describe(self.limit)} limit")
        return count or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Inflating:
    """gzip members inflated as they are read, one after another (`cat a.gz b.gz`; zero
    bytes between or after members are padding, as gzip(1) reads them).

    Not `gzip.GzipFile`: it inflates ahead and, at a cut, raises EOFError without handing
    out what it inflated last, up to 8 KiB of records before the cut (a short file cut
    anywhere read as nothing at all). zlib hands out everything it can inflate from the
    bytes it got, so a file cut short keeps every record before the cut; it checks each
    member's CRC and length too."""

    _INPUT = 64 * 1024

    def __init__(self, binary: _Stream) -> None:
        self._binary = binary
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""  # compressed bytes read and not yet inflated
        self._between = True  # before a member: only padding may end the file here

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if not self._pending:
                self._pending = self._binary.read(self._INPUT)
                if not self._pending:
                    if self._between:
                        return 0
                    raise EOFError("the file ends inside the compressed data")
            if self._between:
                self._pending = self._pending.lstrip(b"\0")
                if not self._pending:
                    continue
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self._between = False
            out = self._inflater.decompress(self._pending, len(view))
            if self._inflater.eof:
                self._pending, self._between = self._inflater.unused_data, True
            else:
                self._pending = self._inflater.unconsumed_tail
            if out:
                view[: len(out)] = out
                return len(out)

    def close(self) -> None:
        self._binary.close()


def _bounded(binary: _Stream, limit: int) -> _Bounded:
    if binary.peek(2)[:2] == GZIP_MAGIC:
        return _Bounded(_Inflating(binary), limit)
    return _Bounded(binary, limit)


def _text(stream: _Bounded) -> IO[str]:
    """UTF-8 with an optional byte order mark (PowerShell and Notepad write one); invalid
    bytes become escapes so that only the record holding them is rejected."""
    return io.TextIOWrapper(
        io.BufferedReader(stream), encoding="utf-8-sig", errors="surrogateescape"
    )


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


def _scan_payload(payload: bytes, result: FileResult, limit: int) -> bytes | bytearray | None:
    """Compact trail files take the byte-level scan (one-shot inflate, marker search, parse
    only around hits). Returns None when done, else the (inflated) bytes for the full
    decoder: a layout the scan cannot vouch for, or a gzip libdeflate cannot inflate in one
    shot (multi-member, cut short), which is handed over still compressed."""
    try:
        raw = inflate(payload, limit)
    except TooLarge:
        raise
    except ScanError:
        return payload  # the streaming decoder reads what it can and says what is wrong
    if not is_trail_document(raw):
        return raw
    scanned = scan_trail(raw)
    if scanned is None:
        return raw
    coverage = result.coverage
    coverage.records_scanned += scanned.records
    for index, record in scanned.candidates:
        if is_signin_candidate(record):
            result.candidates.append(RawRecord(record, f"{result.name}#{index}"))
    for index, record in scanned.not_utf8:
        if is_signin_candidate(record):
            coverage.reject_record(f"{result.name}#{index}", NOT_UTF8)
    for index, reason in scanned.rejected:
        coverage.reject_record(f"{result.name}#{index}", reason)
    coverage.files_read += 1
    return None


def _finish(result: FileResult, reason: str, *, warn: bool = True) -> FileResult:
    """Report an input that broke, keeping the records read before the break."""
    coverage = result.coverage
    kept = coverage.records_scanned
    if kept:
        coverage.cut_file(
            result.name, f"{reason}; kept the {kept} record{'s' * (kept != 1)} before it"
        )
    else:
        coverage.skip_file(result.name, reason, warn=warn)
    return result


def looks_like_log(name: str, gzipped: bool) -> bool:
    """Named or compressed like a log; or a stream (`--logs -`, `<(...)`), which is only
    ever read because the user named it (it said nothing when it held no JSON)."""
    return gzipped or name.lower().endswith(LOG_SUFFIXES) or name.startswith("/dev/")


def _decode_stream(result: FileResult, stream: _Bounded, gzipped: bool) -> FileResult:
    """The full decoder over a bounded stream; every failure becomes one reported problem,
    and a file that breaks part-way keeps the records read before it."""
    name = result.name
    try:
        with _text(stream) as handle:
            _keep(result, decode_text(handle, name, result.coverage))
    except TooLarge as err:
        return _finish(result, str(err))
    except NotJson as err:
        if stream.broken is not None:
            return _finish(result, stream.broken)
        if not looks_like_log(name, gzipped):
            return _finish(result, NOT_JSON, warn=False)
        start = err.start.replace("\x00", "")
        what = "NUL bytes" if not start.strip() else "text that is not JSON"
        return _finish(result, f"{NOT_JSON} (holds {what}); named or compressed like a log")
    except UnreadableFile as err:
        if stream.broken is not None:
            return _finish(result, stream.broken)
        return _finish(result, str(err), warn=str(err) not in _QUIET_SKIPS)
    if stream.broken is not None:
        return _finish(result, stream.broken)
    result.coverage.files_read += 1
    return result


def _read_bytes(result: FileResult, payload: bytes, limit: int) -> FileResult:
    try:
        rest = _scan_payload(payload, result, limit)
    except TooLarge as err:
        return _finish(result, str(err))
    if rest is None:
        return result
    gzipped = payload[:2] == GZIP_MAGIC  # compressed like a log, wherever it was inflated
    binary = io.BufferedReader(io.BytesIO(rest))
    return _decode_stream(result, _bounded(binary, limit), gzipped)


def read_file(path: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileResult:
    """A regular file goes through the fast path when it is a compact trail file small
    enough to inflate in one shot; anything else (and a pipe, read once) is streamed."""
    result = FileResult(str(path))
    try:
        handle = path.open("rb")
    except OSError as err:
        return _finish(result, f"cannot open ({err.strerror or err})")
    with handle:
        try:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size <= max_file_bytes:
                head = handle.read(4096)
                if is_trail_head(_head(head)):
                    return _read_bytes(result, head + handle.read(), max_file_bytes)
                handle.seek(0)
            gzipped = handle.peek(2)[:2] == GZIP_MAGIC
            return _decode_stream(result, _bounded(handle, max_file_bytes), gzipped)
        except OSError as err:
            return _finish(result, f"cannot read ({err.strerror or err})")


def read_payload(
    payload: bytes, name: str, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> FileResult:
    """The same as `read_file` for an object already in memory (an S3 GET)."""
    return _read_bytes(FileResult(name), payload, max_file_bytes)


def read_and_normalize(
    path: Path, keep_records: bool = True, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> FileResult:
    """`read_file` for worker processes: candidates come back already normalized, and without
    the raw record unless the caller keeps raw records (`--save-raw`), so only rows cross the
    process boundary."""
    result = read_file(path, max_file_bytes)
    result.candidates = [raw.prepare(keep_record=keep_records) for raw in result.candidates]
    return result


def _first_line(handle: IO[str]) -> tuple[str, int, str]:
    """The first line that is not blank, how many blank lines came before it (so that JSON
    Lines numbers stay the file's own), and the lines read after it: none, unless the first
    line is text followed by a record (a JSON Lines export with a header or a garbled first
    line: the lines up to that record). Anything else that does not start like JSON is
    refused after a few kB (a gzip of zeros has no newline to wait for)."""
    blank = 0
    probe = handle.readline(_PROBE)
    while probe and not probe.strip():
        blank += probe.endswith("\n")
        probe = handle.readline(_PROBE)
    if not probe:
        raise UnreadableFile("empty file")
    if probe.lstrip()[0] not in "{[":
        held = _record_line_after(handle) if probe.endswith("\n") else None
        if held is None:
            # READMEs, notes and other non-log files beside a synced trail are expected
            raise NotJson(probe[:64])
        return probe, blank, held
    return (probe if probe.endswith("\n") else probe + handle.readline()), blank, ""


def _record_line_after(handle: IO[str]) -> str | None:
    """The next lines up to and with the first non-blank one, if that one is a whole record
    on its line (at most a few kB read); None otherwise."""
    held = ""
    line = handle.readline(_PROBE)
    while line and not line.strip():
        held += line
        line = handle.readline(_PROBE)
    try:
        record: object = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return held + line if _looks_like_record(record) else None


def starts_json_lines(first: str) -> bool:
    """Whether a file whose first non-blank line is `first` is read as JSON Lines: a record
    per line, or a first record broken but on one line. Shared with `spans.py`, which cuts
    such files into spans for the worker pool."""
    try:
        head: object = json.loads(first)
    except (ValueError, RecursionError):
        head = None
    return _looks_like_record(head) or (head is None and _one_object_line(first))


def json_lines(
    lines: Iterable[tuple[int, str]], name: str, coverage: Coverage
) -> Iterator[RawRecord]:
    """The records of numbered lines of a JSON Lines file (`name:line` each); a line that is
    not a record costs that line, with a problem naming it when it may be a sign-in."""
    return _json_lines(lines, name, coverage)


def keep_candidates(result: FileResult, records: Iterator[RawRecord]) -> None:
    """Count every record read and keep only those that may be sign-ins."""
    _keep(result, records)


def decode_text(handle: IO[str], name: str, coverage: Coverage) -> Iterator[RawRecord]:
    first, blank, held = _first_line(handle)
    if held or starts_json_lines(first):
        lines = _numbered(first + held, handle, first_number=blank + 1)
        yield from _json_lines(lines, name, coverage)
        return
    try:
        head: object = json.loads(first)
    except (ValueError, RecursionError):
        head = None
    text = first + handle.read()
    if _broken_first_line(head, text, len(first)):
        yield from _json_lines(_numbered(text, first_number=blank + 1), name, coverage)
        return
    if head is None:
        yield from _whole_text(text, name, coverage)
        return
    if text.strip() != first.strip():
        if isinstance(head, dict) and first.strip().endswith("}"):
            yield from _json_lines(  # documents, one a line
                _numbered(text, first_number=blank + 1), name, coverage
            )
            return
        raise UnreadableFile("unexpected data after the JSON document")
    if _has_escaped_bytes(text):
        yield from _records_one_by_one(text, name, coverage, None)
        return
    yield from _document(head, name, coverage)


def _whole_text(text: str, name: str, coverage: Coverage) -> Iterator[RawRecord]:
    """A document whose first line is not one: decoded whole, as documents one after the
    other, or record by record when neither works."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        # (bytes that are not UTF-8 are placed record by record, as in one document)
        whole = err.msg == "Extra data" and not _has_escaped_bytes(text)
        documents = _concatenated(text) if whole else None
        if documents is None:
            yield from _records_one_by_one(text, name, coverage, err)
            return
        index = events = 0
        for each in documents:  # `cat a.json b.json`, members of one gzip, appended pages
            if not isinstance(each.get("Records"), list):
                yield from _lookup_events(each["Events"], name, coverage, first=events)
                events += len(each["Events"])
                continue
            for record in each["Records"]:
                yield from _item(record, name, index, coverage)
                index += 1
        return
    except (ValueError, RecursionError):
        yield from _records_one_by_one(text, name, coverage, None)
        return
    if _has_escaped_bytes(text):
        yield from _records_one_by_one(text, name, coverage, None)
        return
    yield from _document(document, name, coverage)


def _concatenated(text: str) -> list[dict[str, Any]] | None:
    """Trail documents one after the other (`cat a.json.gz b.json.gz` inflates to that), or
    None when the text is anything else."""
    decoder = json.JSONDecoder()
    documents: list[dict[str, Any]] = []
    position = 0
    try:
        while position < len(text):
            document, position = decoder.raw_decode(text, position)
            if not isinstance(document, dict) or not any(
                isinstance(document.get(key), list) for key in ("Records", "Events")
            ):
                return None
            documents.append(document)
            while position < len(text) and text[position] in " \t\r\n":
                position += 1
    except (ValueError, RecursionError):
        return None
    return documents


def _broken_first_line(head: object, text: str, first_end: int) -> bool:
    """A JSON Lines file whose first line is broken beyond `_one_object_line` (a record cut
    short, a value that is no record) but whose next line is a record: read line by line,
    so the first line costs that line only, not the file. A document whose records follow
    one a line (`{"Records": [` or a lone `[`, then `{...}`) opens on a line ending with
    its opening bracket, and is read as a document."""
    holds_objects = isinstance(head, list) and any(isinstance(item, dict) for item in head)
    if isinstance(head, dict) or holds_objects:
        return False  # a document or records (read below), not a broken line
    if head is None and text[:first_end].strip()[-1:] in ("[", "{"):
        return False  # a document's opening line
    try:
        second: object = json.loads(_next_line(text, first_end))
    except (ValueError, RecursionError):
        return False
    return _looks_like_record(second)


def _next_line(text: str, start: int) -> str:
    """The first non-blank line of `text` from `start` ("" if none)."""
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        if text[start:end].strip():
            return text[start:end]
        start = end
    return ""


def _one_object_line(line: str) -> bool:
    """A first line that is one whole object but not a document of records: a JSON Lines
    file whose first record is broken (the lines after it are still read)."""
    stripped = line.strip()
    return (
        stripped.startswith("{")
        and stripped.endswith("}")
        and '"Records"' not in stripped[:200]
        and '"Events"' not in stripped[:200]
    )


def _numbered(
    text: str, rest: IO[str] | None = None, first_number: int = 1
) -> Iterator[tuple[int, str]]:
    number = first_number - 1
    for number, line in enumerate(io.StringIO(text), start=first_number):
        yield number, line
    if rest is not None:
        yield from enumerate(rest, start=number + 1)


def _json_lines(
    lines: Iterable[tuple[int, str]], name: str, coverage: Coverage
) -> Iterator[RawRecord]:
    for number, line in lines:
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            coverage.reject_record(where, f"line is not JSON ({_column(_without_end(line, err))})")
            continue
        except (ValueError, RecursionError) as err:
            coverage.records_scanned += 1
            if might_be_signin(line):
                coverage.reject_record(where, unparseable(err))
            continue
        if _has_escaped_bytes(line) and is_signin_candidate(value):
            coverage.records_scanned += 1
            coverage.reject_record(where, NOT_UTF8)
            continue
        if isinstance(value, dict) and not _looks_like_record(value):
            try:  # a whole document on one line (trail files concatenated with newlines)
                yield from _document(value, where, coverage, _has_escaped_bytes(line))
            except UnreadableFile as err:
                coverage.reject_record(where, str(err))
            continue
        yield RawRecord(value, where)


def _without_end(line: str, err: json.JSONDecodeError) -> json.JSONDecodeError:
    """The decoder's objection to the line without its line end: readers that hand a line
    over with or without it (a span split on newlines) name the same fault ("Unterminated
    string", not "Invalid control character" at the newline). Only a failing line pays."""
    bare = line.rstrip("\r\n")
    if bare == line:
        return err
    try:
        json.loads(bare)
    except json.JSONDecodeError as again:
        return again
    return err


def _array_start(text: str, offset: int = 0) -> tuple[int, int, str] | None:
    """Where the document from `offset` starts, where its array of records starts, and what
    its items are (records or events)."""
    stripped = len(text) - len(text[offset:].lstrip())
    if text.startswith("[", stripped):
        return stripped, stripped, "Records"
    if not text.startswith("{", stripped):
        return None
    for key in ("Records", "Events"):
        at = text.find(f'"{key}"', stripped, stripped + 200)
        if at >= 0:
            start = text.find("[", at)
            return (stripped, start, key) if start >= 0 else None
    return None


def _after_document(text: str, document: int, array_end: int) -> int | None:
    """Where what follows a document starts: the position after its array when the array is
    the document, else after the object around it (`, "NextToken": ...}` and any other keys
    after the array); None when the object is cut short. Documents one after the other are
    each read: pages of `lookup-events` appended to one file, `cat` of trail files."""
    if text.startswith("[", document):
        return array_end
    return value_end(text, document)


def _records_one_by_one(
    text: str, name: str, coverage: Coverage, error: json.JSONDecodeError | None
) -> Iterator[RawRecord]:
    """Decode the records of a `{"Records": [...]}` (or Events, or array) document one by
    one: a record that breaks the decoder costs that record, and a document cut short keeps
    the complete records before the cut."""
    found = _array_start(text)
    if found is None:
        if error is None:
            raise UnreadableFile("JSON that cannot be decoded")
        raise UnreadableFile(f"invalid JSON{_at(error)}")
    document, start, key = found
    decoder = json.JSONDecoder()
    position = start + 1
    length = len(text)
    index = 0
    while True:
        while position < length and text[position] in " \t\r\n,":
            position += 1
        if position >= length:
            where = f"after record {index - 1}" if index else "before its first record"
            raise UnreadableFile(f"truncated JSON {where}{_at(error)}")
        if text[position] == "]":
            after = _after_document(text, document, position + 1)
            if after is None:
                raise UnreadableFile(f"truncated JSON after record {index - 1}")
            if not text[after:].strip():
                return
            following = _array_start(text, after)
            if following is None:
                raise UnreadableFile("invalid JSON after the Records array")
            document, start, key = following
            position = start + 1
            continue
        where = f"{name}#Events[{index}]" if key == "Events" else f"{name}#{index}"
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as err:
            # A record the decoder refuses (a raw control character, a stray byte) ends
            # where its brackets and strings say, if a separator or the array's end follows:
            # it costs that record, not every record after it.
            reason = f"record is not valid JSON ({_column(err)})"
            skipped = _skip_record(text, position, where, reason, coverage, _record_end)
            if skipped is None:
                raise UnreadableFile(
                    f"truncated or invalid JSON in record {index}{_at(error)}"
                ) from None
            position, index = skipped, index + 1
            continue
        except (ValueError, RecursionError) as err:
            skipped = _skip_record(text, position, where, unparseable(err), coverage, value_end)
            if skipped is None:
                raise UnreadableFile(f"truncated JSON in record {index}") from None
            position, index = skipped, index + 1
            continue
        escaped = _has_escaped_bytes(text[position:end])
        if key == "Events":
            yield from _lookup_events([value], name, coverage, first=index, escaped=escaped)
        elif escaped and is_signin_candidate(value):
            coverage.records_scanned += 1
            coverage.reject_record(where, NOT_UTF8)
        else:
            yield from _item(value, name, index, coverage, escaped)
        position = end
        index += 1


def _skip_record(
    text: str,
    start: int,
    where: str,
    reason: str,
    coverage: Coverage,
    end_of: Callable[[str, int], int | None],
) -> int | None:
    """Where a record the decoder refused ends (`end_of`; None when that is not found): it
    is counted, and rejected with `reason` when its bytes may be a sign-in's."""
    end = end_of(text, start)
    if end is None:
        return None
    coverage.records_scanned += 1
    if might_be_signin(text[start:end]):
        coverage.reject_record(where, reason)
    return end


def _record_end(text: str, start: int) -> int | None:
    """Where the record starting at `start` ends by its brackets and strings, when an item
    separator or the array's end follows it and it holds one `eventVersion` key; None
    otherwise (the file is cut short, or the record's damage hides where it ends: a stray
    quote pairs the later strings the wrong way round, and what it took for one record held
    every record after it, gone without a line of their own)."""
    if text[start] != "{":
        return None
    end = value_end(text, start)
    if end is None or text.count('"eventVersion"', start, end) > 1:
        return None
    following = end
    while following < len(text) and text[following] in " \t\r\n":
        following += 1
    return end if following < len(text) and text[following] in ",]" else None


def _column(error: json.JSONDecodeError) -> str:
    """The decoder's words and where on the line it stopped ("Invalid control character
    at: column 12"; its words alone end in a dangling "at")."""
    return f"{error.msg}: column {error.colno}"


def _at(error: json.JSONDecodeError | None) -> str:
    """Where the decoder stopped, after its own words ("Expecting value", "Unterminated
    string starting at"), as Python prints them: with a colon, never "at at line"."""
    return "" if error is None else f" ({error.msg}: line {error.lineno}, column {error.colno})"


def _is_lookup_event(value: object) -> bool:
    """One event of `lookup-events` output on its own: the items of `--query Events` or
    `jq '.Events[]'`, which carry the record in `CloudTrailEvent`."""
    return (
        isinstance(value, Mapping) and "CloudTrailEvent" in value and not _looks_like_record(value)
    )


def _item(
    value: object, name: str, index: int, coverage: Coverage, escaped: bool = False
) -> Iterator[RawRecord]:
    """An item of a document's array: a record, or a `lookup-events` event holding one."""
    if _is_lookup_event(value):
        yield from _lookup_events([value], name, coverage, first=index, escaped=escaped)
    else:
        yield RawRecord(value, f"{name}#{index}")


def _document(
    document: Any, name: str, coverage: Coverage, escaped: bool = False
) -> Iterator[RawRecord]:
    """`escaped`: the text it was decoded from held bytes that are not UTF-8 (only a line of
    JSON Lines comes here with such bytes; a document with them is read record by record)."""
    if isinstance(document, list):
        if document and not any(_looks_like_record(r) or _is_lookup_event(r) for r in document):
            # (an object without Records said so; an array of other objects read as nothing)
            raise UnreadableFile(
                "JSON that is not CloudTrail (an array whose items have no CloudTrail event fields)"
            )
        for index, record in enumerate(document):
            yield from _item(record, name, index, coverage, escaped)
        return
    if not isinstance(document, Mapping):
        raise UnreadableFile("JSON that is not CloudTrail (top level is not an object)")
    if _is_lookup_event(document):
        yield from _lookup_events([document], name, coverage, escaped=escaped)
        return
    if isinstance(document.get("Records"), list):
        for index, record in enumerate(document["Records"]):
            yield from _item(record, name, index, coverage, escaped)
        return
    if isinstance(document.get("Events"), list):
        yield from _lookup_events(document["Events"], name, coverage, escaped=escaped)
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


def lookup_event_record(
    event: object, escaped: bool = False
) -> tuple[object, None] | tuple[None, str]:
    """The record inside one LookupEvents event (`CloudTrailEvent`, a JSON string), or why
    there is none. Shared by `lookup-events` output files and the live LookupEvents source.

    `escaped`: the file text the event was decoded from held bytes that are not UTF-8 (kept
    as lone surrogates). Only then is a lone surrogate in the record a byte: one written as
    a JSON escape (`\udcff`) is text, read as the trail path reads it (such a record was
    rejected as not UTF-8 here and kept from a trail file)."""
    payload = event.get("CloudTrailEvent") if isinstance(event, Mapping) else None
    if isinstance(payload, Mapping):  # the record itself (a tool that decoded the string)
        if (
            escaped
            and _has_escaped_bytes(json.dumps(payload, ensure_ascii=False))
            and is_signin_candidate(payload)
        ):
            return None, NOT_UTF8
        return payload, None
    if not isinstance(payload, str):
        return None, "event has no CloudTrailEvent string"
    try:
        record = json.loads(payload)
    except json.JSONDecodeError as err:
        return None, f"CloudTrailEvent is not JSON ({_column(err)})"
    except (ValueError, RecursionError) as err:
        return None, f"CloudTrailEvent: {unparseable(err)}"
    if escaped and _has_escaped_bytes(payload) and is_signin_candidate(record):
        return None, NOT_UTF8  # bytes of a saved file that are not UTF-8, as in other files
    return record, None


def _lookup_events(
    events: list[object], name: str, coverage: Coverage, first: int = 0, escaped: bool = False
) -> Iterator[RawRecord]:
    """`aws cloudtrail lookup-events` output: each event carries the full record as a JSON
    string in `CloudTrailEvent` (`escaped`: see `lookup_event_record`)."""
    for index, event in enumerate(events, start=first):
        where = f"{name}#Events[{index}]"
        record, reason = lookup_event_record(event, escaped)
        if reason is not None:
            coverage.reject_record(where, reason)
            continue
        yield RawRecord(record, where)


ReadFile = Callable[[Path], FileResult]
