"""The per-line limit of a JSON Lines file read in spans holds for any line longer than the
limit, not only for lines longer than a span."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.domain.coverage import Coverage
from analyzer.sources import FileSource
from tests.conftest import console_login


def test_a_line_over_the_limit_inside_a_span_costs_that_line(tmp_path: Path) -> None:
    good = json.dumps(console_login()).encode() + b"\n"
    long_line = json.dumps(console_login(eventID="long", userAgent="L" * 5000)).encode()
    path = tmp_path / "long.jsonl"
    path.write_bytes(good * 3 + long_line + b"\n" + good * 3)
    coverage = Coverage()
    source = FileSource([path], workers=0, max_file_bytes=4096, span_bytes=1 << 16)
    records = list(source.records(coverage))
    assert [raw.where for raw in records] == [f"{path}:{n}" for n in (1, 2, 3, 5, 6, 7)]
    assert [p.line() for p in coverage.problems] == [
        f"{path}:4: line longer than the 4096 bytes limit"
    ]
