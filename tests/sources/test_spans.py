"""A large JSON Lines file read in spans reads exactly what reading it whole reads.

The reference is `decode.read_file` (one pass over the whole file, the path every JSON Lines
file took before spans). Files are generated at random with what breaks line splitting:
CRLF and lone CR line ends, blank and whitespace lines, a first line preceded by blank
lines, a byte order mark, bad lines (not JSON, invalid UTF-8, too deep), a last line without
a newline, and lines that end exactly at a span's cut point or straddle it."""

from __future__ import annotations

import io
import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from analyzer.domain.coverage import Coverage
from analyzer.sources import FileSource
from analyzer.sources.decode import read_file
from analyzer.sources.limits import MIB
from analyzer.sources.spans import (
    SPAN_BYTES,
    Span,
    is_large_json_lines,
    plan_spans,
    read_span,
    span_size,
)
from tests.conftest import api_call, console_login

SPAN = 512  # bytes: tiny spans, so a few dozen lines cross many cut points


def _lines_before(data: bytes) -> int:
    """Lines as Python's text reader splits them (the reference for line numbers); `data`
    ends after a newline."""
    return len(list(io.StringIO(data.decode("latin-1"), newline=None)))


def _record_line(rng: random.Random, index: int) -> bytes:
    kind = rng.random()
    if kind < 0.55:
        record = console_login(eventID=f"e-{index}", userAgent="x" * rng.randrange(0, 300))
    elif kind < 0.8:
        record = api_call(f"n-{index}")
    elif kind < 0.85:
        return b'{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", oops'
    elif kind < 0.9:
        return (
            json.dumps(console_login(eventID=f"u-{index}"))
            .encode()
            .replace(b"Mozilla", b"Moz\xffilla")
        )
    elif kind < 0.95:
        deep = "[" * 2000 + "]" * 2000
        return (
            b'{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "d": '
            + deep.encode()
            + b"}"
        )
    else:
        record = console_login(eventID=f"w-{index}", eventName="ConsoleLogin")
        del record["eventTime"]
    return json.dumps(record).encode()


def random_json_lines(rng: random.Random, lines: int) -> bytes:
    ends = [b"\n"] * 8 + [b"\r\n"] * 3 + [b"\r"]
    parts: list[bytes] = []
    if rng.random() < 0.3:
        parts.append(b"\xef\xbb\xbf")
    for _ in range(rng.randrange(0, 3)):
        parts.append(b"\n" if rng.random() < 0.5 else b"  \r\n")
    parts.append(json.dumps(console_login(eventID="first")).encode() + b"\n")
    for index in range(lines):
        if rng.random() < 0.1:
            parts.append(rng.choice([b"", b"   ", b"\t"]) + rng.choice(ends))
        parts.append(_record_line(rng, index) + rng.choice(ends))
    data = b"".join(parts)
    return data.rstrip(b"\r\n") if rng.random() < 0.4 else data


def whole(path: Path) -> tuple[list[tuple[str, Any]], list[str], int]:
    result = read_file(path)
    records = [(raw.where, raw.record) for raw in result.candidates]
    problems = [p.line() for p in result.coverage.problems]
    return records, problems, result.coverage.records_scanned


def in_spans(
    path: Path, workers: int = 0, span: int = SPAN
) -> tuple[list[tuple[str, Any]], list[str], int]:
    coverage = Coverage()
    source = FileSource([path], workers=workers, keep_records=True, span_bytes=span)
    records = [(raw.where, raw.record) for raw in source.records(coverage)]
    return records, [p.line() for p in coverage.problems], coverage.records_scanned


def check_spans(path: Path, spans: list[Span]) -> None:
    """Spans cover the file, each byte once, cut after newlines, with their line numbers."""
    data = path.read_bytes()
    assert spans[0].start == 0
    assert spans[-1].end == len(data)
    assert [s.last for s in spans] == [False] * (len(spans) - 1) + [True]
    for before, after in itertools.pairwise(spans):
        assert before.end == after.start  # every byte in exactly one span
        assert data[before.end - 1 : before.end] == b"\n"  # cut after a newline
    for span in spans:
        assert span.first_line == _lines_before(data[: span.start]) + 1


@pytest.mark.parametrize("seed", range(40))
def test_spans_read_what_one_pass_reads(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    path = tmp_path / "export.jsonl"
    path.write_bytes(random_json_lines(rng, rng.randrange(20, 120)))
    spans = plan_spans(path, SPAN)
    assert len(spans) > 2
    check_spans(path, spans)
    assert is_large_json_lines(path, 2 * SPAN, 2**28)
    assert in_spans(path) == whole(path)


def test_cut_points_at_and_across_block_ends(tmp_path: Path) -> None:
    """A line ending exactly at a block's end, and a CRLF split by the block boundary."""
    block = 2048
    base = len(json.dumps(console_login(eventID="exact", userAgent="")).encode())
    exact = json.dumps(console_login(eventID="exact", userAgent="a" * (block - base - 1)))
    first = exact.encode() + b"\n"
    assert len(first) == block
    straddle = json.dumps(console_login(eventID="crlf", userAgent="b" * (block - base)))
    again = first.replace(b"exact", b"again")
    data = first + straddle.encode() + b"\r\n" + b"\n" + again + b"bad line"
    assert data[2 * block - 1 : 2 * block + 1] == b"\r\n"
    path = tmp_path / "edges.jsonl"
    path.write_bytes(data)
    spans = plan_spans(path, block)
    check_spans(path, spans)
    assert spans[0].end == block
    records, problems, scanned = in_spans(path, span=block)
    assert (records, problems, scanned) == whole(path)
    assert [where.rsplit(":", 1)[1] for where, _ in records] == ["1", "2", "4"]
    assert problems == [f"{path}:5: line is not JSON (Expecting value: column 1)"]


def test_line_numbers_count_leading_blank_lines(tmp_path: Path) -> None:
    """Reading whole numbered the first record line 1 whatever came before it; spans and
    the whole-file reader now both give the file's own line numbers."""
    bad = b'{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", x}'
    good = json.dumps(console_login()).encode()
    data = b"\n\r\n  \n" + good + b"\n" + bad + b"\n" + (good + b"\n") * 40
    path = tmp_path / "blank-start.jsonl"
    path.write_bytes(data)
    records, problems, _ = whole(path)
    assert records[0][0] == f"{path}:4"
    reason = "line is not JSON (Expecting property name enclosed in double quotes: column 70)"
    assert problems == [f"{path}:5: {reason}"]
    assert in_spans(path) == whole(path)


def test_the_pool_reads_spans_in_order(tmp_path: Path) -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    path = tmp_path / "pooled.jsonl"
    path.write_bytes(random_json_lines(rng, 400))
    assert in_spans(path, workers=2) == whole(path)


def test_a_line_longer_than_the_limit_costs_that_line(tmp_path: Path) -> None:
    """Read in spans, `max_file_bytes` bounds each line, not the file (which is never held
    whole): the long line is named, the lines around it are read."""
    good = json.dumps(console_login()).encode() + b"\n"
    long_line = json.dumps(console_login(eventID="long", userAgent="L" * 5000)).encode()
    path = tmp_path / "long.jsonl"
    path.write_bytes(good * 3 + long_line + b"\n" + good * 3)
    coverage = Coverage()
    source = FileSource([path], workers=0, max_file_bytes=4096, span_bytes=SPAN)
    records = list(source.records(coverage))
    assert [raw.where for raw in records] == [f"{path}:{n}" for n in (1, 2, 3, 5, 6, 7)]
    assert [p.line() for p in coverage.problems] == [
        f"{path}:4: line longer than the 4096 bytes limit"
    ]
    assert coverage.files_read == 1


def test_a_long_span_reads_lines_longer_than_a_block(tmp_path: Path) -> None:
    long_line = json.dumps(console_login(eventID="long", userAgent="L" * (3 * SPAN))).encode()
    path = tmp_path / "wide.jsonl"
    path.write_bytes(b"\n" + long_line + b"\r\n" + json.dumps(console_login()).encode())
    spans = plan_spans(path, SPAN)
    check_spans(path, spans)
    assert any(span.long for span in spans)
    assert in_spans(path) == whole(path)
    long = next(span for span in spans if span.long)
    result = read_span(long, 2**20, keep_records=True)
    assert [raw.where for raw in result.candidates] == [f"{path}:2"]


def test_small_gzip_and_trail_files_are_not_cut(tmp_path: Path) -> None:
    lines = (json.dumps(console_login()).encode() + b"\n") * 50
    plain = tmp_path / "a.jsonl"
    plain.write_bytes(lines)
    trail = tmp_path / "t.json"
    trail.write_bytes(json.dumps({"Records": [console_login()] * 50}).encode())
    assert is_large_json_lines(plain, 2 * SPAN, 2**28)
    assert not is_large_json_lines(plain, len(lines) + 1, 2**28)
    assert is_large_json_lines(plain, len(lines) + 1, len(lines) - 1)  # over the limit
    assert not is_large_json_lines(trail, 2 * SPAN, 2**28)


@pytest.mark.parametrize(
    ("configured", "size"),
    [("1", MIB), ("0.5", MIB // 2), ("0", SPAN_BYTES), ("abc", SPAN_BYTES), ("inf", SPAN_BYTES)],
)
def test_the_span_size_setting_is_a_size_or_ignored(
    monkeypatch: pytest.MonkeyPatch, configured: str, size: int
) -> None:
    """0 read nothing of a large file, a word ended in a traceback."""
    monkeypatch.setenv("SIGNIN_SPAN_MB", configured)
    assert span_size() == size


def test_a_line_cut_inside_a_string_is_named_alike_in_spans_and_whole(tmp_path: Path) -> None:
    """A span split on newlines handed the line over without its end, the whole-file reader
    with it: the same line was "Invalid control character" in one and "Unterminated string"
    in the other (an adversarial review)."""
    lines = [json.dumps(console_login(eventID=f"e{i}")) for i in range(400)]
    lines[1] = '{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "note": "abc'
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert len(plan_spans(path, SPAN)) > 2
    got, expected = in_spans(path), whole(path)
    assert got == expected
    assert expected[1] == [
        f"{path}:2: line is not JSON (Unterminated string starting at: column 78)"
    ]
