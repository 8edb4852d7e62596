"""Rows by position out of multi-chunk Arrow frames give exactly what `iloc` gives."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analyzer.frame.take import rows_at, taken


def _chunked_frame(rng: np.random.Generator, rows: int, chunks: int) -> pd.DataFrame:
    cuts = np.sort(rng.choice(np.arange(1, rows), size=chunks - 1, replace=False))
    bounds = [0, *cuts.tolist(), rows]
    names = [None if rng.random() < 0.2 else f"user-{rng.integers(50)}" for _ in range(rows)]
    times = pd.date_range("2026-01-01", periods=rows, freq="min", tz="UTC").to_pydatetime()
    spans = list(itertools.pairwise(bounds))
    series = {
        "user_name": pa.chunked_array([pa.array(names[a:b], pa.string()) for a, b in spans]),
        "event_time": pa.chunked_array(
            [pa.array(list(times[a:b]), pa.timestamp("us", tz="UTC")) for a, b in spans]
        ),
    }
    frame = pd.DataFrame({k: pd.arrays.ArrowExtensionArray(v) for k, v in series.items()})
    frame["plain"] = rng.integers(0, 1000, size=rows)  # a NumPy column beside the Arrow ones
    return frame


@pytest.mark.parametrize("seed", range(12))
def test_rows_at_matches_iloc_for_any_positions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = _chunked_frame(rng, rows=200, chunks=int(rng.integers(2, 9)))
    positions = rng.integers(0, 200, size=int(rng.integers(0, 60)))  # unsorted, repeated
    expected = frame.iloc[positions].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows_at(frame, positions), expected)


def test_taken_reads_each_chunk_for_ascending_positions() -> None:
    values = pa.chunked_array([pa.array([0, 1, 2]), pa.array([3]), pa.array([4, 5])])
    chosen = taken(values, np.array([1, 3, 4, 5], dtype=np.intp))
    assert isinstance(chosen, pa.ChunkedArray)
    assert chosen.to_pylist() == [1, 3, 4, 5]
