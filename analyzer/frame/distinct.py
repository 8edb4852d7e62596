"""Whether a text column holds no value twice, answered without a hash table of strings.

Every eventID is distinct in a healthy trail, and two places ask it of a million rows: the
history read (a copy of an event stored under two days) and the eventID-conflict rule. A
hash table over a million strings costs 0.15-0.3 s each time. CloudTrail's eventIDs all
have one length (a UUID), so the texts are rows of a fixed-width byte matrix: mixing each
row into one 64-bit number is a few NumPy passes, and distinct numbers prove distinct texts
(equal texts always mix to equal numbers). Only when two numbers collide, or the texts
differ in length or hold a null, is the exact Arrow count asked, so the answer is always
the exact one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Odd 64-bit multipliers (from a fixed seed) for the words of a row: any fixed choice is
# exact, since a collision only sends the question to the exact count.
_MULTIPLIERS = np.random.default_rng(0x5EED).integers(1, 2**63, size=64, dtype=np.uint64) | 1


def all_distinct(values: pa.Array | pa.ChunkedArray) -> bool:
    """True when no value occurs twice (a null counts as a value, as `count_distinct`'s
    mode "all" counts it). False when one does, or for a type Arrow cannot count (a
    dictionary or all-null column of a hand-made frame): the caller's own path decides."""
    if len(values) < 2:
        return True
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    mixed = _mixed_rows(array)
    if mixed is not None and len(pd.unique(mixed)) == len(array):
        return True
    try:
        return bool(pc.count_distinct(array, mode="all").as_py() == len(array))
    except pa.ArrowNotImplementedError:
        return False


def _mixed_rows(array: pa.Array) -> np.ndarray | None:
    """One 64-bit number per value, equal for equal values; None when the values are not
    non-null texts of one length (the exact count then answers)."""
    kind = array.type
    if array.null_count or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    lengths = pc.binary_length(array)
    shortest, longest = (scalar.as_py() for scalar in pc.min_max(lengths).values())
    if shortest != longest or not longest or longest > 8 * len(_MULTIPLIERS):
        return None
    width = int(longest)
    offset_type = np.int64 if pa.types.is_large_string(kind) else np.int32
    offsets = np.frombuffer(array.buffers()[1], dtype=offset_type)
    start = int(offsets[array.offset])
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)
    matrix = data[start : start + width * len(array)].reshape(len(array), width)
    words = -(-width // 8)
    padded = np.zeros((len(array), 8 * words), dtype=np.uint8)
    padded[:, :width] = matrix
    packed = padded.view(np.uint64)
    mixed = np.zeros(len(array), dtype=np.uint64)
    for column in range(words):
        mixed = (mixed << np.uint64(29)) | (mixed >> np.uint64(35))
        mixed ^= packed[:, column] * _MULTIPLIERS[column]
    return mixed
