"""A large JSON Lines file cut into spans of whole lines, read by the worker pool.

A JSON Lines export of a year of sign-ins is one file of a gigabyte or more. Read as one
file it kept one core busy for minutes and every parsed record in memory. Its lines are
independent, so the file is cut into spans of about `SPAN_BYTES` that end just after a
newline, and each span is a job of its own in the shared pool (`pool.py`): workers parse and
normalize a span and send back Arrow row batches (`batches.py`), never the records.

What stays the same as reading the file whole (`decode.read_file`), checked against it by
`tests/sources/test_spans.py`: the same lines (universal newlines: `\\n`, `\\r\\n` and a lone
`\\r`, as Python's text reader splits them; a UTF-8 byte order mark at the start dropped),
the same `file:line` numbers (the planner counts the line breaks before each span, so a
worker numbers its lines from where its span starts), and one problem line per bad record.

What differs: `--max-file-mb` bounds what is held at once. A file read whole is held whole,
so the limit applied to the file; a file read in spans never is, so the limit applies to
each line instead. A line longer than the limit is skipped with a line naming it, and the
rest of the file is read (README "Size limits").
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from analyzer.domain.coverage import Coverage
from analyzer.normalize.selection import is_signin_candidate
from analyzer.sources.batches import RowBatch, row_batches
from analyzer.sources.decode import json_lines, starts_json_lines
from analyzer.sources.interface import RawRecord
from analyzer.sources.limits import MIB, describe
from analyzer.sources.scan import GZIP_MAGIC

# A worker holds one span's text and parsed records at a time; beside the calling process
# that is the scan's whole memory. 4 MiB instead of 16 MiB: a million-line file's process
# tree 610 -> 494 MB resident at the end of its scan, for 2 % more time (benchmarks/).
SPAN_BYTES = 4 * MIB
MIN_SPAN_BYTES = 64 * 1024  # the least SIGNIN_SPAN_MB may ask
_BOM = b"\xef\xbb\xbf"
_SKIP_BLOCK = MIB  # how much of an over-long line is read at a time to skip it


@dataclass(frozen=True)
class Span:
    """Bytes [start, end) of `path`, whole lines; `first_line` is the number of its first
    line in the file. `long` spans hold a line longer than `SPAN_BYTES` and are read line by
    line, each line bounded by the limit; `last` is the file's last span."""

    path: Path
    start: int
    end: int
    first_line: int
    last: bool
    long: bool = False

    @property
    def name(self) -> str:
        return str(self.path)


@dataclass
class SpanResult:
    """What a worker read in one span: the coverage of its lines, and the candidates as
    row batches (or, when raw records are kept for `--save-raw`, as prepared records)."""

    span: Span
    coverage: Coverage = field(default_factory=Coverage)
    batches: list[RowBatch] = field(default_factory=list)
    candidates: list[RawRecord] = field(default_factory=list)


def _first_line(handle: IO[bytes], limit: int) -> str | None:
    """The first non-blank line as the text reader would see it, or None when there is none
    within `limit` bytes."""
    line = handle.readline(limit + 1)
    if line.startswith(_BOM):
        line = line[len(_BOM) :]
    while line and not line.strip():
        line = handle.readline(limit + 1)
    if not line or len(line) > limit:
        return None
    return line.decode("utf-8", "surrogateescape")


def _breaks(data: bytes) -> int:
    """Line breaks as universal newlines count them: `\\n`, `\\r\\n` and a lone `\\r`."""
    newlines = data.count(b"\n")
    returns = data.count(b"\r")
    return newlines + returns - data.count(b"\r\n") if returns else newlines


def is_large_json_lines(path: Path, threshold: int, limit: int) -> bool:
    """A plain regular file of `threshold` bytes or more (or larger than the limit, which a
    file read whole could not pass) whose first non-blank line makes it JSON Lines, as
    `decode.decode_text` decides. Anything else (gzip, a trail document, a pipe) is read
    whole as before."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size < min(threshold, limit + 1):
            return False
        with path.open("rb") as handle:
            if handle.read(2) == GZIP_MAGIC:
                return False
            handle.seek(0)
            first = _first_line(handle, limit)
    except OSError:
        return False
    return first is not None and starts_json_lines(first)


def plan_spans(path: Path, span_bytes: int = SPAN_BYTES) -> list[Span]:
    """Cut the file after the last newline of each block of `span_bytes`, counting line
    breaks on the way (one sequential read of the file, about a second per GB from the page
    cache). A block without a newline (a line longer than the block) joins the next one."""
    spans: list[Span] = []
    start = 0  # file offset where the current span starts
    position = 0  # file offset of the next block
    breaks = 0  # line breaks in [start, position)
    line = 1  # number of the current span's first line
    carriage = False  # the bytes before `position` end with "\r"
    with path.open("rb", buffering=0) as handle:
        while block := handle.read(span_bytes):
            lead = 1 if carriage and block.startswith(b"\n") else 0  # "\r" | "\n" across reads
            cut = block.rfind(b"\n")
            if cut < 0:
                breaks += _breaks(block) - lead
            else:
                breaks += _breaks(block[: cut + 1]) - lead
                end = position + cut + 1
                spans.append(Span(path, start, end, line, False, end - start > span_bytes))
                line += breaks
                start = end
                breaks = _breaks(block[cut + 1 :])
            carriage = block.endswith(b"\r")
            position += len(block)
    if position > start or not spans:
        spans.append(Span(path, start, position, line, True, position - start > span_bytes))
    else:
        last = spans[-1]
        spans[-1] = Span(path, last.start, last.end, last.first_line, True, last.long)
    return spans


def _lines(text: str, first: int) -> Iterator[tuple[int, str]]:
    """Numbered lines; a split on `\\n` when there is no `\\r` (the common case, and the
    fastest), else the text reader's universal newlines."""
    if "\r" in text:
        return enumerate(io.StringIO(text, newline=None), start=first)
    return enumerate(text.split("\n"), start=first)


def _bounded_lines(
    handle: IO[bytes], span: Span, limit: int, coverage: Coverage
) -> Iterator[tuple[int, str]]:
    """Numbered lines of a span holding a line longer than a block, never holding more than
    `limit` bytes up to a newline: a longer line is skipped with a problem naming it (a
    file whose lines end in a lone `\r` only is one such line)."""
    handle.seek(span.start)
    remaining = span.end - span.start
    number = span.first_line
    while remaining > 0:
        line = handle.readline(min(limit, remaining) + 1)
        if not line:
            return
        remaining -= len(line)
        if len(line) > limit and not line.endswith(b"\n"):
            while remaining > 0 and not line.endswith(b"\n"):
                line = handle.readline(min(_SKIP_BLOCK, remaining))
                if not line:
                    return
                remaining -= len(line)
            coverage.reject_record(
                f"{span.name}:{number}", f"line longer than the {describe(limit)} limit"
            )
            number += 1
            continue
        if number == 1 and span.start == 0 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        text = line.decode("utf-8", "surrogateescape")
        for part in io.StringIO(text, newline=None) if "\r" in text else (text,):
            yield number, part  # a lone "\r" ends a line too
            number += 1


def _records(handle: IO[bytes], span: Span, limit: int, coverage: Coverage) -> Iterator[RawRecord]:
    if span.long or limit < span.end - span.start:  # a line of the span may pass the limit
        yield from json_lines(_bounded_lines(handle, span, limit, coverage), span.name, coverage)
        return
    handle.seek(span.start)
    data = handle.read(span.end - span.start)
    if span.start == 0 and data.startswith(_BOM):
        data = data[len(_BOM) :]
    text = data.decode("utf-8", "surrogateescape")
    del data
    yield from json_lines(_lines(text, span.first_line), span.name, coverage)


def read_span(span: Span, limit: int, keep_records: bool = False) -> SpanResult:
    """What a worker runs for one span: parse its lines, keep the sign-in candidates and
    normalize them into row batches (prepared records when raw records are kept)."""
    result = SpanResult(span)
    coverage = result.coverage

    def candidates(records: Iterator[RawRecord]) -> Iterator[RawRecord]:
        for raw in records:
            coverage.records_scanned += 1
            if is_signin_candidate(raw.record):
                yield raw

    try:
        with span.path.open("rb") as handle:
            found = candidates(_records(handle, span, limit, coverage))
            if keep_records:
                result.candidates = [raw.prepare() for raw in found]
            else:
                result.batches = list(row_batches(found))
    except OSError as err:
        coverage.skip_file(
            span.name, f"cannot read bytes {span.start}-{span.end} ({err.strerror or err})"
        )
        return result
    if span.last:
        coverage.files_read += 1
    return result


def span_size() -> int:
    """`SIGNIN_SPAN_MB` overrides the span size (tests and benchmarks try others); a value
    that is not a size of at least 64 KiB is ignored (0 read nothing of a large file)."""
    configured = os.environ.get("SIGNIN_SPAN_MB")
    try:
        size = int(float(configured) * MIB) if configured else SPAN_BYTES
    except (ValueError, OverflowError):  # not a number, nan, inf
        return SPAN_BYTES
    return size if size >= MIN_SPAN_BYTES else SPAN_BYTES
