"""Group-by for the report tables: keys numbered once, every aggregate computed by Arrow or
NumPy over whole columns.

pandas' `groupby(...).agg` with a Python function (`joined`) cut each group out as its own
Series: over a million rows the `failures_by_source_ip` table alone made 76,000 of them and
took three seconds. Here the rows get one group number each, in the order a group first
appears, which is the order `groupby(sort=False, dropna=False)` gives (a null key is a group
of its own, as there), so the tables' stable sorts break ties exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Positions = npt.NDArray[np.intp]
Counts = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
ArrowColumn: TypeAlias = pa.Array | pa.ChunkedArray

_ONLY_VALID = pc.CountOptions(mode="only_valid")


def codes_of(values: ArrowColumn) -> npt.NDArray[np.int64]:
    """One integer per row, equal for equal values; a null is a value of its own."""
    encoded = pc.dictionary_encode(_whole(values), null_encoding="encode")
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _whole(values: ArrowColumn) -> pa.Array:
    """One contiguous array (dictionary encoding of a chunked array may give each chunk its
    own dictionary)."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    return values


class Groups:
    """Rows grouped by the values of one or more key columns (all of one length)."""

    def __init__(self, keys: Sequence[ArrowColumn]) -> None:
        if not keys:
            raise ValueError("at least one key column")
        self._keys = [_whole(key) for key in keys]
        combined = np.zeros(len(self._keys[0]), dtype=np.int64)
        for key in self._keys:
            codes = codes_of(key)
            width = int(codes.max()) + 1 if len(codes) else 1
            # Renumbered densely after each key, so the product never outgrows the row count.
            combined, _ = pd.factorize(combined * width + codes, sort=False)
        self.ids: npt.NDArray[np.int64] = np.asarray(combined, dtype=np.int64)
        self.count = int(self.ids.max()) + 1 if len(self.ids) else 0
        # The first row of each group, in group order (ids are numbered by first appearance).
        self.first: Positions = np.flatnonzero(~pd.Series(self.ids).duplicated().to_numpy())

    def key(self, index: int) -> pa.Array:
        """The values of key column `index`, one per group."""
        return self._keys[index].take(pa.array(self.first))

    def size(self) -> Counts:
        return np.bincount(self.ids, minlength=self.count).astype(np.int64)

    def count_true(self, mask: Mask) -> Counts:
        """Rows per group where `mask` holds."""
        return np.bincount(self.ids[mask], minlength=self.count).astype(np.int64)

    def _aggregate(self, values: ArrowColumn, function: str, options: object = None) -> pa.Array:
        """Arrow's hash aggregation over the group numbers, put back in group order."""
        table = pa.table({"group": pa.array(self.ids), "value": _whole(values)})
        aggregate = ("value", function) if options is None else ("value", function, options)
        done = table.group_by("group", use_threads=False).aggregate([aggregate])
        order = pc.sort_indices(done["group"])
        return done[f"value_{function}"].take(order).combine_chunks()

    def minimum(self, values: ArrowColumn) -> pa.Array:
        """Smallest non-null value per group (null when the group has none)."""
        return self._aggregate(values, "min")

    def maximum(self, values: ArrowColumn) -> pa.Array:
        return self._aggregate(values, "max")

    def distinct_count(self, values: ArrowColumn) -> Counts:
        """Distinct non-null values per group (pandas `nunique`)."""
        counted = self._aggregate(values, "count_distinct", _ONLY_VALID)
        return np.asarray(counted.to_numpy(zero_copy_only=False), dtype=np.int64)

    def joined(self, values: ArrowColumn) -> pa.Array:
        """Per group, the distinct non-null values sorted and comma-separated, as
        `reports.common.joined` writes them: Arrow sorts strings by their UTF-8 bytes, which is
        the code point order Python's `sorted` uses."""
        lists = self._aggregate(values, "distinct", _ONLY_VALID)
        flat = pc.list_flatten(lists)
        parents = pc.list_parent_indices(lists)
        order = pc.sort_indices(
            pa.table({"parent": parents, "value": flat}),
            sort_keys=[("parent", "ascending"), ("value", "ascending")],
        )
        lengths = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        ordered = pa.ListArray.from_arrays(pa.array(offsets), flat.take(order))
        return pc.binary_join(ordered, ", ")
