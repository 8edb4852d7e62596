"""`collect` (row batches, columnar window and dedup) against `collect_records` (record by
record, the reference): the same frame and the same coverage, problem lines in the same
order, on the sample logs and on generated inputs holding every case the collection
decides (duplicates, eventID conflicts, rows without a time, outside the window, with data
issues, rejected by normalization), read whole, in spans and by the worker pool."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window
from analyzer.frame.collect import Collection, collect, collect_records
from analyzer.sources import FileSource, RawRecord, Source
from tests.conftest import api_call, console_login

SAMPLE = Path(__file__).resolve().parents[2] / "analyzer" / "sample_logs"
WINDOW = Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC))


def same(batched: Collection, reference: Collection) -> None:
    pd.testing.assert_frame_equal(batched.frame, reference.frame)
    assert [p.line() for p in batched.coverage.problems] == [
        p.line() for p in reference.coverage.problems
    ]
    assert asdict(batched.coverage) == asdict(reference.coverage)


def generated_record(rng: random.Random, index: int) -> dict[str, Any]:
    day = rng.randrange(1, 12)
    record = console_login(
        eventID=f"id-{rng.randrange(0, 40)}",  # reused ids: copies and conflicts
        eventTime=f"2026-11-{day:02d}T{rng.randrange(0, 24):02d}:00:00Z",
        sourceIPAddress=rng.choice(["192.0.2.1", "198.51.100.7", "signin.amazonaws.com"]),
        userAgent=rng.choice(["Mozilla/5.0", "curl", "Mozilla/5.0 (X11)"]),
    )
    roll = rng.random()
    if roll < 0.05:
        del record["eventID"]  # content hash
    elif roll < 0.1:
        del record["eventTime"]
    elif roll < 0.13:
        del record["eventName"]  # rejected by normalization
    elif roll < 0.16:
        record["eventTime"] = "yesterday"
    elif roll < 0.2:
        record["responseElements"] = {"ConsoleLogin": "Failure"}
        record["errorMessage"] = "Failed authentication"
    return record


def generated_lines(rng: random.Random, count: int) -> bytes:
    lines: list[str] = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.08 and lines:
            lines.append(rng.choice(lines))  # the same record again: a duplicate
        elif roll < 0.15:
            lines.append(json.dumps(api_call(f"noise-{index}")))
        elif roll < 0.18:
            lines.append('{"eventSource": "signin.amazonaws.com", broken')
        else:
            lines.append(json.dumps(generated_record(rng, index)))
    return ("\n".join(lines) + "\n").encode()


def both(sources: Any, window: Window | None) -> tuple[Collection, Collection]:
    reference = collect_records(sources(), window)
    return collect(sources(), window), reference


@pytest.mark.parametrize("window", [WINDOW, None])
def test_sample_logs(window: Window | None) -> None:
    batched, reference = both(lambda: [FileSource([SAMPLE], keep_records=False)], window)
    assert len(reference.frame) > 0
    same(batched, reference)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("window", [WINDOW, None])
def test_generated_files_whole_and_in_spans(
    tmp_path: Path, seed: int, window: Window | None
) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    big = tmp_path / "export.jsonl"
    big.write_bytes(generated_lines(rng, 600))
    small = tmp_path / "small.jsonl"
    small.write_bytes(generated_lines(rng, 40))
    paths = [big, small]

    def sources() -> list[Source]:
        return [FileSource(paths, keep_records=False, workers=1, span_bytes=4096)]

    batched, reference = both(sources, window)
    assert reference.coverage.duplicates_dropped > 0
    assert any("event_id_conflict" in p.message for p in reference.coverage.problems)
    same(batched, reference)
    whole = collect_records([FileSource(paths, keep_records=False, span_bytes=2**30)], window)
    same(batched, whole)


class Interleaved(Source):
    """A source that adds problems between its records, as S3 and LookupEvents do."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.items = records

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        for index, record in enumerate(self.items):
            if index % 7 == 3:
                coverage.skip_file(f"object-{index}", "access denied")
            coverage.records_scanned += 1
            yield RawRecord(record, f"mem#{index}")


@pytest.mark.parametrize("window", [WINDOW, None])
def test_a_source_that_adds_problems_as_it_goes(window: Window | None) -> None:
    rng = random.Random(99)  # noqa: S311 - reproducible test data
    records = [generated_record(rng, index) for index in range(300)]
    batched, reference = both(lambda: [Interleaved(records), Interleaved(records[:50])], window)
    assert len(reference.coverage.problems) > 60
    same(batched, reference)


def test_keep_raw_takes_the_record_path(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(generated_lines(random.Random(3), 300))  # noqa: S311 - reproducible test data
    kept: list[object] = []
    source = FileSource([path], keep_records=True, workers=1, span_bytes=4096)
    collection = collect([source], WINDOW, keep_raw=kept.append)
    assert len(kept) == len(collection.frame) > 0
    reference = collect([FileSource([path], keep_records=False, span_bytes=4096)], WINDOW)
    same(collection, reference)
