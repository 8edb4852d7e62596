"""Sliding time windows over many groups at once, in NumPy.

Every function takes rows already sorted by group, then time (`group` nondecreasing integer
codes, `stamps` whole seconds), and answers for every row or every group in one pass over
the arrays, instead of a Python loop per group (the brute-force and spray rules had one per
user and per address: hundreds of thousands at organization size).

Per-row windows use one binary search over a combined key, group * width + time, where
`width` is wider than any time difference plus the window, so a search never crosses into
another group. When that key would overflow 64 bits (absurd times), the same searches run
group by group.
"""

from __future__ import annotations

import itertools

import numpy as np

_LIMIT = 2**62


def segment_starts(*keys: np.ndarray) -> np.ndarray:
    """Index of each group's first row (a group: a run of rows equal in every key)."""
    if len(keys[0]) == 0:
        return np.zeros(0, dtype=np.int64)
    differs = np.zeros(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        differs |= key[1:] != key[:-1]
    return np.concatenate(([0], np.flatnonzero(differs) + 1)).astype(np.int64)


def segment_ids(*keys: np.ndarray) -> np.ndarray:
    """For each row, the ordinal of its group (0, 1, ... in row order)."""
    if len(keys[0]) == 0:
        return np.zeros(0, dtype=np.int64)
    differs = np.zeros(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        differs |= key[1:] != key[:-1]
    return np.concatenate(([0], np.cumsum(differs))).astype(np.int64)


def _search(group: np.ndarray, stamps: np.ndarray, offset: int, side: str) -> np.ndarray:
    """For each row, `searchsorted` of its stamp + offset among the rows of its group."""
    n = len(stamps)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ids = segment_ids(group)
    low, high = int(stamps.min()), int(stamps.max())
    width = high - low + abs(offset) + 1
    if (int(ids[-1]) + 1) * width < _LIMIT:
        key = ids * np.int64(width) + (stamps - np.int64(low))
        found: np.ndarray = np.searchsorted(key, key + np.int64(offset), side=side)  # type: ignore[call-overload]
        return found
    found = np.empty(n, dtype=np.int64)
    bounds = np.append(segment_starts(group), n)
    for first, last in itertools.pairwise(bounds.tolist()):
        part = stamps[first:last]
        found[first:last] = first + np.searchsorted(part, part + offset, side=side)  # type: ignore[call-overload]
    return found


def window_starts(group: np.ndarray, stamps: np.ndarray, span: int) -> np.ndarray:
    """For each row, the first row of its group at most `span` seconds earlier."""
    return _search(group, stamps, -span, "left")


def window_ends(group: np.ndarray, stamps: np.ndarray, span: int) -> np.ndarray:
    """For each row, one past the last row of its group at most `span` seconds later."""
    return _search(group, stamps, span, "right")


def first_argmax(values: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group (in row order): the largest value and the first row that holds it."""
    starts = segment_starts(group)
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    best = np.maximum.reduceat(values, starts)
    ids = segment_ids(group)
    rows = np.arange(len(values), dtype=np.int64)
    at = np.minimum.reduceat(np.where(values == best[ids], rows, len(values)), starts)
    return best, at


def previous_same(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each row, the previous row of its group with the same value, or -1."""
    n = len(values)
    order = np.lexsort((np.arange(n), values, group))
    same = np.zeros(n, dtype=bool)
    if n > 1:
        same[1:] = (group[order][1:] == group[order][:-1]) & (
            values[order][1:] == values[order][:-1]
        )
    previous = np.full(n, -1, dtype=np.int64)
    previous[order[1:][same[1:]]] = order[:-1][same[1:]]
    return previous


def distinct_in_windows(
    group: np.ndarray, stamps: np.ndarray, values: np.ndarray, span: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each row e: the number of distinct values among the rows of its group from the
    first one at most `span` seconds before it through e, and that first row.

    A row i whose value also occurs at p = previous_same(i) is a repeat in window e exactly
    when p is inside it too, i.e. e >= i and start(e) <= p; starts never decrease, so those
    e form one range [i, last e with start(e) <= p], added up with a difference array."""
    n = len(stamps)
    starts = window_starts(group, stamps, span)
    previous = previous_same(group, values)
    repeat = np.flatnonzero(previous >= 0)
    until = np.searchsorted(starts, previous[repeat], side="right") - 1
    live = until >= repeat
    change = np.zeros(n + 1, dtype=np.int64)
    np.add.at(change, repeat[live], 1)
    np.add.at(change, until[live] + 1, -1)
    repeats = np.cumsum(change[:n])
    return np.arange(n) - starts + 1 - repeats, starts


def most_distinct(
    group: np.ndarray, stamps: np.ndarray, values: np.ndarray, span: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: the most distinct values inside any `span`-second window, and the first
    window (rows start..end-1) that holds that many, as a two-pointer scan finds it."""
    counts, starts = distinct_in_windows(group, stamps, values, span)
    best, at = first_argmax(counts, group)
    return best, starts[at], at + 1
