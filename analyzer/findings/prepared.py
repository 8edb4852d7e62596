"""What every rule reads, prepared once per run: the sign-in subsets as boolean masks, the
event times as integers, and key columns as integer codes.

Selecting rows of an Arrow-backed frame copies every column, and the rules used to select
the same login, success and failure rows over and over (and group them by string keys in
Python). Here each subset is a NumPy mask computed once, and each key column a code array
(`Codes.ranks` orders the few a rule reports as `DataFrame.groupby` orders its keys, nulls
last); rules work on positions, and only the evidence rows of a finding are ever taken out of
the frame, when read (`analyzer.findings.model.EvidenceRows`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.findings.columns import NAT, arrow_of, equals, flag, micros_of, starts_with
from analyzer.findings.model import EVIDENCE_COLUMNS, EvidenceRows
from analyzer.findings.windows import segment_starts
from analyzer.frame.compact import schema_text
from analyzer.reports.common import LOGIN, analyzed, arrow_column
from analyzer.reports.grouping import Encoded, sharing

T = TypeVar("T")
NULL_TEXT = str(pd.NA)  # how a null group key prints in a title ("<NA>")
MICROS = 1_000_000


@dataclass(frozen=True)
class Codes:
    """A column as integer codes: `codes[i]` indexes `uniques` (in order of first sight, a
    hash table's order), -1 for a null. Sorting a million distinct addresses costs more
    than every rule together, so codes carry no order; `ranks` orders just the codes a rule
    reports, as `groupby` sorts its keys (by value, nulls last)."""

    codes: np.ndarray
    uniques: pa.Array

    @staticmethod
    def of(column: pd.Series) -> Codes:
        """`encode(column)[0]`; inside `shared_encodings()`, for a text column of the frame
        contract, from the report's encoding of it (`Encoded.shared`: one encoding serves
        both), its null code taken out; a compact frame's encoded column from its codes.
        Otherwise (no report to share with, a hand-made frame's categorical or objects)
        encoded as `encode` does: the same codes."""
        values = arrow_column(column)
        kind = values.type.value_type if pa.types.is_dictionary(values.type) else values.type
        text = isinstance(values, pa.ChunkedArray) and pa.types.is_string(kind)
        if text and sharing():
            return Codes.of_encoded(Encoded.shared(values))
        if text and pa.types.is_dictionary(values.type):  # (`encode` would decode it)
            return Codes.of_encoded(Encoded.of(values))
        return encode(column)[0]

    @staticmethod
    def of_encoded(encoded: Encoded) -> Codes:
        """The codes of an `Encoded` column, its null value taken out (code -1)."""
        codes = encoded.codes.astype(np.int64)
        nulls = np.flatnonzero(encoded.values.is_null().to_numpy(zero_copy_only=False))
        if not len(nulls):
            return Codes(codes, encoded.values)
        null = int(nulls[0])  # (one null value at most: it is encoded as a value)
        renumbered = np.arange(len(encoded.values), dtype=np.int64)
        renumbered[null + 1 :] -= 1
        renumbered[null] = -1
        return Codes(renumbered[codes], encoded.values.drop_null())

    @property
    def size(self) -> int:
        return len(self.uniques)

    @property
    def group(self) -> np.ndarray:
        """Codes with the nulls as one more code, `size` (`groupby(dropna=False)`)."""
        return np.where(self.codes < 0, self.size, self.codes)

    def label(self, code: int) -> Any:
        """The group key as `groupby(dropna=False)` gives it (pd.NA for the null group)."""
        return self.uniques[code].as_py() if 0 <= code < self.size else pd.NA

    def labels(self, codes: np.ndarray) -> list[Any]:
        """`label` of many codes at once (one Arrow take instead of a scalar per code)."""
        valid = (codes >= 0) & (codes < self.size)
        picked = self.uniques.take(pa.array(codes, pa.int64(), mask=~valid)).to_pylist()
        return [pd.NA if value is None else value for value in picked]

    def index(self, value: str) -> int:
        """The code of `value`, or `size` (a code no row has) when no row holds it."""
        found = pc.index(self.uniques, value).as_py()
        return self.size if found is None or found < 0 else int(found)

    def ranks(self, codes: np.ndarray) -> np.ndarray:
        """For each code (-1 or `size` for a null), a number ordered as its value is, nulls
        after every value; only the distinct codes given are sorted."""
        valued = (codes >= 0) & (codes < self.size)
        present = np.unique(codes[valued])
        order = np.asarray(
            pc.array_sort_indices(self.uniques.take(pa.array(present, pa.int64()))),
            dtype=np.int64,
        )
        rank = np.empty(len(present), dtype=np.int64)
        rank[order] = np.arange(len(present), dtype=np.int64)
        found = np.full(len(codes), len(present), dtype=np.int64)
        found[valued] = rank[np.searchsorted(present, codes[valued])]
        return found


def encode(*columns: pd.Series) -> list[Codes]:
    """Codes for one or more columns sharing one set of values (a frame's column and the
    baseline's, so equal values get equal codes on both sides)."""
    arrays = [arrow_of(c) for c in columns]
    kind = arrays[0].type
    chunks = [chunk.cast(kind) for array in arrays for chunk in array.chunks]
    together = pa.chunked_array(chunks, type=kind)
    if len(together) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return [Codes(empty, pa.array([], kind)) for _ in arrays]
    encoded = pc.dictionary_encode(together)
    uniques = encoded.chunks[-1].dictionary if encoded.num_chunks else pa.array([], kind)
    indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks], pa.int32())
    codes = np.asarray(indices.fill_null(-1).to_numpy(), dtype=np.int64)
    bounds = np.cumsum([0, *(len(array) for array in arrays)])
    return [Codes(codes[bounds[i] : bounds[i + 1]], uniques) for i in range(len(arrays))]


@dataclass
class RuleInput:
    """One frame (the report window's analyzed rows, or the history baseline) prepared for
    the rules. Masks and codes are computed on first use and kept for the run."""

    frame: pd.DataFrame
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, frame: pd.DataFrame, *, narrow: bool = True) -> RuleInput:
        """`narrow`: keep only the analyzed columns (the report window's frame); a history
        baseline is read as given. Text in another string type (`compact.schema_text`) is
        made the schema's, so that evidence has the documented dtypes."""
        return cls(schema_text(analyzed(frame) if narrow else frame))

    def __len__(self) -> int:
        return len(self.frame)

    def joint(self, history: RuleInput, column: str) -> tuple[Codes, Codes]:
        """Codes of `column` here and in `history`, one set of values for both."""

        def build() -> tuple[Codes, Codes]:
            if len(history) == 0:  # (a first run): this frame's own codes, encoded once
                here = self.codes(column)
                return here, Codes(np.zeros(0, dtype=np.int64), here.uniques)
            here, there = encode(self.frame[column], history.frame[column])
            return here, there

        return self.cached(f"joint:{id(history)}:{column}", build)

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """`build()`, once per run and key (what several rules derive alike)."""
        return self._cached(key, build)

    def _cached(self, key: str, build: Callable[[], T]) -> T:
        if key not in self._cache:
            self._cache[key] = build()
        held: T = self._cache[key]
        return held

    @property
    def micros(self) -> np.ndarray:
        return self._cached("micros", lambda: micros_of(self.frame["event_time"]))

    @property
    def timed(self) -> np.ndarray:
        return np.asarray(self.micros != NAT)

    @property
    def seconds(self) -> np.ndarray:
        """Whole seconds, as the window rules have always counted (floor of the micros)."""
        return self._cached("seconds", lambda: self.micros // MICROS)

    @property
    def login(self) -> np.ndarray:
        return self._cached("login", lambda: equals(self.frame["event_kind"], LOGIN))

    @property
    def success(self) -> np.ndarray:
        return self._cached(
            "success", lambda: self.login & equals(self.frame["outcome"], "success")
        )

    @property
    def failure(self) -> np.ndarray:
        return self._cached(
            "failure", lambda: self.login & equals(self.frame["outcome"], "failure")
        )

    def equals(self, column: str, value: str) -> np.ndarray:
        return self._cached(f"eq:{column}:{value}", lambda: equals(self.frame[column], value))

    def flag(self, column: str) -> np.ndarray:
        return self._cached(f"flag:{column}", lambda: flag(self.frame[column]))

    def starts_with(self, column: str, prefix: str) -> np.ndarray:
        return self._cached(
            f"prefix:{column}:{prefix}", lambda: starts_with(self.frame[column], prefix)
        )

    def codes(self, column: str) -> Codes:
        return self._cached(f"codes:{column}", lambda: Codes.of(self.frame[column]))

    @property
    def evidence_table(self) -> pd.DataFrame:
        """The evidence columns, shared by every finding's `EvidenceRows`."""
        return self._cached("evidence", lambda: self.frame[EVIDENCE_COLUMNS])

    def evidence(self, positions: np.ndarray) -> EvidenceRows:
        return EvidenceRows(self.evidence_table, positions)

    def in_time_order(self, positions: np.ndarray, *keys: np.ndarray) -> np.ndarray:
        """`positions` sorted by `keys` (first key first), then time (missing times last),
        then position: the order of a stable sort by time inside `groupby` groups."""
        return positions[np.lexsort((positions, self.micros[positions], *reversed(keys)))]

    def by_key(
        self, positions: np.ndarray, codes: Codes
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`positions` in groupby order of `codes` (nulls last), each group in evidence
        order; with each row's group rank (nondecreasing) and its code (for the label)."""
        raw = codes.codes[positions]
        rank = codes.ranks(raw)
        order = self.time_order(positions, rank)
        return positions[order], rank[order], raw[order]

    def time_order(self, positions: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """The order of increasing `positions` by `rank`, then time (missing last), then
        position. One stable radix sort of a combined key when it fits in 63 bits (a
        three-key lexsort of a million rows costs several times more)."""
        micros = self.micros[positions]
        timed = micros != NAT
        if not len(positions) or not timed.any():
            return np.lexsort((positions, micros, rank))
        low, high = int(micros[timed].min()), int(micros[timed].max())
        width = high - low + 2
        if (int(rank.max()) + 1) * width >= 2**62:
            return np.lexsort((positions, micros, rank))
        offset = np.where(timed, micros - np.int64(low), np.int64(width - 1))
        found: np.ndarray = np.argsort(rank * np.int64(width) + offset, kind="stable")
        return found

    def groups(self, mask: np.ndarray, column: str, *, dropna: bool = False) -> Groups:
        """The rows of `mask` grouped by `column` as `groupby(column, dropna=...)` orders
        them, each group's rows in evidence order."""
        codes = self.codes(column)
        positions = np.flatnonzero(mask)
        if dropna:
            positions = positions[codes.codes[positions] >= 0]
        raw = codes.codes[positions]
        order = self.time_order(positions, codes.ranks(raw))
        return Groups.of(positions[order], raw[order], codes)


@dataclass(frozen=True)
class Groups:
    """Rows split into groups: `positions[bounds[k]:bounds[k + 1]]` are group k's rows, and
    `keys[k]` its code (`codes.label` gives the groupby key)."""

    keys: np.ndarray
    bounds: np.ndarray
    positions: np.ndarray
    codes: Codes

    @classmethod
    def of(cls, positions: np.ndarray, group: np.ndarray, codes: Codes) -> Groups:
        starts = segment_starts(group)
        bounds = np.append(starts, len(positions)).astype(np.int64)
        return cls(group[starts], bounds, positions, codes)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.bounds)

    def __iter__(self) -> Iterator[tuple[Any, np.ndarray]]:
        for k, key in enumerate(self.keys.tolist()):
            yield self.codes.label(key), self.positions[self.bounds[k] : self.bounds[k + 1]]
