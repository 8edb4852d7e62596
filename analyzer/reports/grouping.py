"""Group-by for the report tables: columns turned into integer codes once, keys numbered
once, every aggregate computed by NumPy over the codes.

pandas' `groupby(...).agg` with a Python function (`joined`) cut each group out as its own
Series: over a million rows the `failures_by_source_ip` table alone made 76,000 of them and
took three seconds. Here a text column is dictionary-encoded once per report (`Encoded`:
a code per row, the distinct values once), a subset of rows takes the codes (integers, not
strings), and the rows get one group number each, in the order a group first appears, which
is the order `groupby(sort=False, dropna=False)` gives (a null key is a group of its own, as
there), so the tables' stable sorts break ties exactly as before. Strings are only touched
again for the groups' own values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Positions = npt.NDArray[np.intp]
Codes = npt.NDArray[np.int64]
# A row's code into a column's distinct values: 32 bits (Arrow's dictionary indices), half
# the memory of the dozen columns a report encodes; arithmetic on them widens to 64 bits.
ValueCodes = npt.NDArray[np.int32]
Counts = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
ArrowColumn: TypeAlias = pa.Array | pa.ChunkedArray


def whole(values: ArrowColumn) -> pa.Array:
    """One contiguous array (a chunked column joined)."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    return values


@dataclass(frozen=True)
class Encoded:
    """A column as a code per row into its distinct values (`values`, where a null is one
    value like the others, so every row has a code)."""

    codes: ValueCodes
    values: pa.Array

    @staticmethod
    def of(column: ArrowColumn) -> Encoded:
        """Arrow encodes the chunks of a column with one table of values, so the codes of
        every chunk index the last chunk's dictionary (which holds every value, in order of
        first appearance): the column is never joined into one copy first (a year's
        history is a chunk per part; joining its `user_agent` copied 115 MB). An encoded
        column (a compact frame's) is renumbered from its codes (`_of_dictionary`)."""
        if pa.types.is_dictionary(column.type):
            return _of_dictionary(column)
        if isinstance(column, pa.ChunkedArray):
            encoded = pc.dictionary_encode(column, null_encoding="encode")
            if encoded.num_chunks:  # (none for a column without rows)
                values = encoded.chunks[-1].dictionary
                indices = np.concatenate(
                    [chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks]
                )
                return Encoded(np.asarray(indices, dtype=np.int32), values)
        encoded = pc.dictionary_encode(whole(column), null_encoding="encode")
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
        return Encoded(codes, encoded.dictionary)

    @staticmethod
    def shared(column: ArrowColumn) -> Encoded:
        """`of(column)`, computed once per Arrow column inside `shared_encodings()`."""
        held = _SHARED.get()
        if held is None or not isinstance(column, pa.ChunkedArray):
            return Encoded.of(column)
        found = held.get(id(column))
        if found is None:  # (the entry holds its column: no other one can take the id)
            found = held[id(column)] = (column, Encoded.of(column))
        return found[1]

    def take(self, positions: Positions | None) -> Encoded:
        return self if positions is None else Encoded(self.codes[positions], self.values)

    def code_of(self, value: object) -> int | None:
        """The code of `value` (None: no row holds it)."""
        found = pc.index(self.values, pa.scalar(value, self.values.type)).as_py()
        return None if found is None or found < 0 else int(found)

    @property
    def null_code(self) -> int | None:
        nulls = np.flatnonzero(self.values.is_null().to_numpy(zero_copy_only=False))
        return int(nulls[0]) if len(nulls) else None

    def equals(self, value: object) -> Mask:
        code = self.code_of(value)
        if code is None:
            return np.zeros(len(self.codes), dtype=bool)
        return np.asarray(self.codes == code)

    def recoded(self, values: pa.Array) -> Encoded:
        """The same rows with each distinct value replaced (`values[i]` for code i); values
        that became equal share one code again."""
        again = Encoded.of(values)
        return Encoded(again.codes[self.codes], again.values)

    def decoded(self) -> pa.Array:
        return self.values.take(pa.array(self.codes))


def _of_dictionary(column: ArrowColumn) -> Encoded:
    """`Encoded.of` the decoded column, from the codes: the values numbered in order of first
    appearance, a null as one value, equal values one code even where a dictionary spells
    them twice or chunks bring dictionaries of their own. Only the dictionaries' values are
    hashed as text, never the rows."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    kind = column.type.value_type
    if not chunks:
        return Encoded.of(pa.array([], kind))
    # Every chunk's dictionary, one after the other, encoded as one: each entry's value code.
    spelled = [chunk.dictionary.cast(kind) for chunk in chunks]
    distinct = pc.dictionary_encode(pa.concat_arrays(spelled), null_encoding="encode")
    values = distinct.dictionary  # each distinct value once (a null among them, if any)
    nulls = np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))
    null = int(nulls[0]) if len(nulls) else len(values)  # the code of a null row
    entries = np.append(distinct.indices.to_numpy(zero_copy_only=False), null)
    starts = np.cumsum([0] + [len(d) for d in spelled])
    rows = np.concatenate(
        [np.zeros(0, dtype=np.int64)]
        + [
            # A null row points past every entry, at the null code appended last.
            np.where(
                np.asarray(chunk.indices.is_null().to_numpy(zero_copy_only=False)),
                len(entries) - 1,
                chunk.indices.fill_null(0).to_numpy(zero_copy_only=False) + start,
            )
            for chunk, start in zip(chunks, starts, strict=False)
        ]
    )
    codes, present = pd.factorize(entries[rows], sort=False)
    with_null = pa.concat_arrays([values, pa.nulls(1, kind)])
    found = with_null.take(pa.array(np.asarray(present, dtype=np.int64)))
    return Encoded(np.asarray(codes, dtype=np.int32), found)


# Encodings by the id of their column, which they hold (so no other column takes the id).
_SHARED: ContextVar[dict[int, tuple[pa.ChunkedArray, Encoded]] | None] = ContextVar(
    "shared_encodings", default=None
)


def sharing() -> bool:
    """True inside `shared_encodings()`."""
    return _SHARED.get() is not None


@contextmanager
def shared_encodings() -> Iterator[None]:
    """Within it, the rules and the report encode each column of a frame once: both turn the
    same columns into codes (a million distinct source addresses take 0.12 s a time). An
    Arrow column is immutable and shared by every frame that selects it, so the encoding
    found under it is its own; all are let go when the block ends."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def filled(column: Encoded, text: str) -> Encoded:
    """Nulls read as `text` (pandas `fillna`): a null and a `text` value become one."""
    return column.recoded(pc.fill_null(column.values, text))


def paired(first: Encoded, second: Encoded, separator: str, missing: str) -> Encoded:
    """`first + separator + second` per row, nulls read as `missing` (the `person` string):
    the text is built for each distinct pair only, then encoded, so two pairs that spell the
    same text (`a/b` + `c`, `a` + `b/c`) are one value, as the strings are."""
    combined = first.codes.astype(np.int64) * len(second.values) + second.codes
    pairs, unique = pd.factorize(combined, sort=False)
    unique = np.asarray(unique, dtype=np.int64)
    left = pc.fill_null(first.values.take(pa.array(unique // len(second.values))), missing)
    right = pc.fill_null(second.values.take(pa.array(unique % len(second.values))), missing)
    text = Encoded.of(pc.binary_join_element_wise(left, right, separator))
    return Encoded(text.codes[np.asarray(pairs, dtype=np.intp)], text.values)


@dataclass(frozen=True)
class Times:
    """A timestamp column as integers (its unit since the epoch) and a validity mask."""

    numbers: npt.NDArray[np.int64]
    valid: Mask
    kind: pa.DataType

    @staticmethod
    def of(column: ArrowColumn) -> Times:
        values = whole(column)
        numbers = pc.fill_null(values.view(pa.int64()), 0).to_numpy(zero_copy_only=False)
        valid = values.is_valid().to_numpy(zero_copy_only=False)
        return Times(np.asarray(numbers, dtype=np.int64), np.asarray(valid), values.type)

    def take(self, positions: Positions | None) -> Times:
        if positions is None:
            return self
        return Times(self.numbers[positions], self.valid[positions], self.kind)


class Groups:
    """Rows grouped by the values of one or more key columns (all of one length)."""

    def __init__(self, keys: Sequence[Encoded]) -> None:
        if not keys:
            raise ValueError("at least one key column")
        self._keys = list(keys)
        combined = np.zeros(len(keys[0].codes), dtype=np.int64)
        for key in keys:
            # Renumbered densely after each key, so the product never outgrows the row count.
            found, _ = pd.factorize(combined * len(key.values) + key.codes, sort=False)
            combined = np.asarray(found, dtype=np.int64)
        self.ids: Codes = combined
        self.count = int(combined.max()) + 1 if len(combined) else 0
        # The first row of each group, in group order (ids are numbered by first appearance).
        self.first: Positions = np.flatnonzero(~pd.Series(combined).duplicated().to_numpy())

    def key(self, index: int) -> pa.Array:
        """The values of key column `index`, one per group."""
        key = self._keys[index]
        return key.values.take(pa.array(key.codes[self.first]))

    def size(self) -> Counts:
        return np.bincount(self.ids, minlength=self.count).astype(np.int64)

    def count_true(self, mask: Mask) -> Counts:
        """Rows per group where `mask` holds."""
        return np.bincount(self.ids[mask], minlength=self.count).astype(np.int64)

    def _extreme(self, times: Times, smallest: bool) -> pa.Array:
        """Smallest or largest valid time per group (null when the group has none)."""
        limit = np.iinfo(np.int64).max if smallest else np.iinfo(np.int64).min
        found = np.full(self.count, limit, dtype=np.int64)
        (np.minimum if smallest else np.maximum).at(
            found, self.ids[times.valid], times.numbers[times.valid]
        )
        present = self.count_true(times.valid) > 0
        return pa.array(found, type=pa.int64(), mask=~present).view(times.kind)

    def minimum(self, times: Times) -> pa.Array:
        return self._extreme(times, smallest=True)

    def maximum(self, times: Times) -> pa.Array:
        return self._extreme(times, smallest=False)

    def _pairs(self, values: Encoded) -> tuple[Codes, Codes]:
        """The distinct (group, code) pairs of non-null values."""
        null = values.null_code
        keep = None if null is None else values.codes != null
        ids = self.ids if keep is None else self.ids[keep]
        codes = values.codes if keep is None else values.codes[keep]
        width = max(len(values.values), 1)
        unique = np.asarray(pd.unique(ids * width + codes), dtype=np.int64)
        return unique // width, unique % width

    def distinct_count(self, values: Encoded) -> Counts:
        """Distinct non-null values per group (pandas `nunique`)."""
        groups, _ = self._pairs(values)
        return np.bincount(groups, minlength=self.count).astype(np.int64)

    def joined(self, values: Encoded) -> pa.Array:
        """Per group, the distinct non-null values sorted and comma-separated, as
        `reports.common.joined` writes them: Arrow sorts strings by their UTF-8 bytes, which is
        the code point order Python's `sorted` uses."""
        groups, codes = self._pairs(values)
        # Rank only the values that occur here: a subset's dictionary is the whole frame's.
        present = np.unique(codes)
        order = pc.sort_indices(values.values.take(pa.array(present))).to_numpy()
        ranked = np.empty(len(present), dtype=np.int64)
        ranked[np.asarray(order, dtype=np.int64)] = np.arange(len(present))
        rank = ranked[np.searchsorted(present, codes)]
        arranged = np.lexsort((rank, groups))
        lengths = np.bincount(groups, minlength=self.count)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        listed = values.values.take(pa.array(codes[arranged]))
        return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), listed), ", ")
