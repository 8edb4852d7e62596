"""Many small files share row batches when reading them adds no problem; where a file's
reading does add problems, the rows before it keep their place among the problem lines.
Checked against the record-by-record reference (`collect_records`)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from analyzer.frame.collect import collect, collect_records
from analyzer.sources import FileSource, Source
from tests.frame.test_collect_batches import WINDOW, generated_lines, same


@pytest.mark.parametrize("seed", range(6))
def test_many_small_files_with_problems_between(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    paths = []
    for index in range(40):
        path = tmp_path / f"part-{index:03d}.jsonl"
        path.write_bytes(generated_lines(rng, rng.randrange(1, 12)))
        paths.append(path)

    def sources() -> list[Source]:
        return [FileSource(paths, keep_records=False, workers=1)]

    reference = collect_records(sources(), WINDOW)
    lines = [p.line() for p in reference.coverage.problems]
    assert any("broken" in line or "JSON" in line for line in lines)  # reading problems
    assert any("part-" in line and "time" in line.lower() for line in lines)  # row problems
    same(collect(sources(), WINDOW), reference)
