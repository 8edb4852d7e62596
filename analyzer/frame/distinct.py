"""Whether a text column holds no value twice, answered without a hash table of strings.

Every eventID is distinct in a healthy trail, and two places ask it of a million rows: the
history read (a copy of an event stored under two days) and the eventID-conflict rule. A
hash table over a million strings costs 0.15-0.3 s each time. CloudTrail's eventIDs all
have one length (a UUID), so the texts are rows of a fixed-width byte matrix: mixing each
row into one 64-bit number is a few NumPy passes over the bytes where Arrow holds them, and
distinct numbers (sorted in place, no neighbour equal) prove distinct texts (equal texts
always mix to equal numbers). A million ids: 0.02 s and 16 MB of scratch. Only when two
numbers collide, or the texts differ in length or hold a null, is the exact Arrow count
asked, so the answer is always the exact one.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Odd 64-bit multipliers (from a fixed seed) for the words of a row: any fixed choice is
# exact, since a collision only sends the question to the exact count.
_MULTIPLIERS = np.random.default_rng(0x5EED).integers(1, 2**63, size=64, dtype=np.uint64) | 1


# A chunked column this small is joined first: each chunk costs a few Arrow and NumPy calls,
# which a weekly history's fifty small parts felt more than the copy (2.4 ms against 1.1).
JOIN_BYTES = 8 << 20


def all_distinct(values: pa.Array | pa.ChunkedArray) -> bool:
    """True when no value occurs twice (a null counts as a value, as `count_distinct`'s
    mode "all" counts it). False when one does, or for a type Arrow cannot count (a
    dictionary or all-null column of a hand-made frame): the caller's own path decides."""
    if len(values) < 2:
        return True
    if isinstance(values, pa.ChunkedArray) and values.nbytes <= JOIN_BYTES:
        values = values.combine_chunks()  # many small parts: one pass beats one per chunk
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    mixed = _mixed_rows([chunk for chunk in chunks if len(chunk)])
    if mixed is not None:
        mixed.sort()  # in place: a vectorized sort is ten times faster than a hash table
        if not np.any(mixed[1:] == mixed[:-1]):
            return True
    try:
        return bool(pc.count_distinct(values, mode="all").as_py() == len(values))
    except pa.ArrowNotImplementedError:
        return False


def repeated_rows(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The positions, in order, of the rows whose value occurs more than once: the only rows
    a deduplication by eventID looks at (in Python) once `all_distinct` said no."""
    counts = pc.value_counts(values)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    return pc.indices_nonzero(pc.fill_null(pc.is_in(values, value_set=repeated), False))


def _mixed_rows(chunks: list[pa.Array]) -> np.ndarray | None:
    """One 64-bit number per value, equal for equal values; None when the values are not
    non-null texts of one length (the exact count then answers). Each chunk's bytes are read
    where Arrow holds them, a word of every row at a time: no joined or padded copy of the
    texts (80 MB of scratch for a million UUIDs), only the 8 bytes a row the answer needs."""
    widths: set[int] = set()
    for chunk in chunks:
        kind = chunk.type
        if chunk.null_count or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return None
        lengths = pc.binary_length(chunk)
        widths.update(scalar.as_py() for scalar in pc.min_max(lengths).values())
    if len(widths) != 1:
        return None
    (width,) = widths
    if not width or width > 8 * len(_MULTIPLIERS):
        return None
    return np.concatenate([_mixed_chunk(chunk, int(width)) for chunk in chunks])


def _mixed_chunk(chunk: pa.Array, width: int) -> np.ndarray:
    """The rows of one chunk of `width`-byte texts, mixed: its text bytes are a row-major
    matrix of `width` columns, read as 8-byte words through strided views (a last word
    shorter than 8 bytes is assembled byte by byte)."""
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=offset_type)
    start = int(offsets[chunk.offset])
    data = chunk.buffers()[2]
    rows = len(chunk)

    def column(at: int, dtype: str) -> np.ndarray:
        return np.ndarray(
            (rows,), dtype=dtype, buffer=data, offset=start + at, strides=(width,)
        ).astype(np.uint64)

    mixed = np.zeros(rows, dtype=np.uint64)
    for word in range(-(-width // 8)):
        at = 8 * word
        if width - at >= 8:
            value = column(at, "<u8")
        else:
            value = np.zeros(rows, dtype=np.uint64)
            for byte in range(width - at):
                value |= column(at + byte, "u1") << np.uint64(8 * byte)
        mixed = (mixed << np.uint64(29)) | (mixed >> np.uint64(35))
        mixed ^= value * _MULTIPLIERS[word]
    return mixed
