"""The NumPy window functions against loops over each group, on random sorted groups, through
both search paths (one combined key, and group by group when that key could overflow)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from analyzer.findings import windows


def _groups(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    rows = sorted(
        (rng.randrange(4), rng.choice([0, 60, 120, 600]) + rng.randrange(0, 300), rng.randrange(4))
        for _ in range(rng.randrange(0, 60))
    )
    if not rows:
        return (np.zeros(0, np.int64),) * 3
    group, stamps, values = (np.array(column, dtype=np.int64) for column in zip(*rows, strict=True))
    return group, stamps, values


def _reference(
    group: np.ndarray, stamps: np.ndarray, values: np.ndarray, span: int
) -> list[tuple[int, int, int]]:
    """Per group: most distinct values over windows [first row >= t - span .. row], first."""
    found = []
    for g in sorted(set(group.tolist())):
        rows = [i for i in range(len(group)) if group[i] == g]
        best = (0, 0, 0)
        for end in rows:
            start = min(i for i in rows if stamps[end] - stamps[i] <= span)
            distinct = len({int(values[i]) for i in range(start, end + 1)})
            if distinct > best[0]:
                best = (distinct, start, end + 1)
        found.append(best)
    return found


@pytest.mark.parametrize("combined", [True, False])
@pytest.mark.parametrize("seed", range(30))
def test_windows_match_loops(seed: int, combined: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not combined:
        monkeypatch.setattr(windows, "_LIMIT", 0)  # every search group by group
    group, stamps, values = _groups(seed)
    span = random.Random(seed).choice([0, 60, 120, 300])  # noqa: S311
    n = len(group)
    ends = windows.window_ends(group, stamps, span)
    starts = windows.window_starts(group, stamps, span)
    for i in range(n):
        same = [j for j in range(n) if group[j] == group[i]]
        assert ends[i] == max(j for j in same if stamps[j] <= stamps[i] + span) + 1
        assert starts[i] == min(j for j in same if stamps[j] >= stamps[i] - span)
    best, start, end = windows.most_distinct(group, stamps, values, span)
    got = list(zip(best.tolist(), start.tolist(), end.tolist(), strict=True))
    assert got == _reference(group, stamps, values, span)
