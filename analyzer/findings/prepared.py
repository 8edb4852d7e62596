"""What every rule reads, prepared once per run: the sign-in subsets as boolean masks, the
event times as integers, and key columns as integer codes.

Selecting rows of an Arrow-backed frame copies every column, and the rules used to select
the same login, success and failure rows over and over (and group them by string keys in
Python). Here each subset is a NumPy mask computed once, and each key column a code array
whose order is the order of its values (so grouping by codes visits groups in the order
`DataFrame.groupby` does, nulls last); rules work on positions and only the evidence rows of
a finding are ever taken out of the frame (see `analyzer.findings.evidence`).
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
from analyzer.reports.common import LOGIN, analyzed

T = TypeVar("T")
NULL_TEXT = str(pd.NA)  # how a null group key prints in a title ("<NA>")
MICROS = 1_000_000


@dataclass(frozen=True)
class Codes:
    """A column as integer codes: `codes[i]` indexes `values` (sorted as pandas sorts group
    keys), -1 for a null. `group` puts nulls after every value, as `groupby(dropna=False)`."""

    codes: np.ndarray
    values: list[Any]

    @property
    def null(self) -> np.ndarray:
        return np.asarray(self.codes < 0)

    @property
    def group(self) -> np.ndarray:
        return np.where(self.codes < 0, len(self.values), self.codes)

    def label(self, code: int) -> Any:
        """The group key as `groupby(dropna=False)` gives it (pd.NA for the null group)."""
        return self.values[code] if 0 <= code < len(self.values) else pd.NA


def encode(*columns: pd.Series) -> list[Codes]:
    """Codes for one or more columns sharing one set of values (a frame's column and the
    baseline's, so equal values get equal codes on both sides)."""
    arrays = [arrow_of(c) for c in columns]
    chunks = [chunk for array in arrays for chunk in array.chunks]
    kind = arrays[0].type
    together = pa.chunked_array(chunks, type=kind) if chunks else pa.chunked_array([], kind)
    uniques = pc.unique(together).drop_null()
    order = np.asarray(pc.array_sort_indices(uniques), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    values = uniques.take(pa.array(order)).to_pylist()
    found = []
    for array in arrays:
        index = pc.index_in(array, value_set=uniques)
        raw = np.asarray(index.fill_null(-1).to_numpy(), dtype=np.int64)
        codes = np.where(raw < 0, -1, rank[np.maximum(raw, 0)]) if len(rank) else raw
        found.append(Codes(codes, values))
    return found


@dataclass
class RuleInput:
    """One frame (the report window's analyzed rows, or the history baseline) prepared for
    the rules. Masks and codes are computed on first use and kept for the run."""

    frame: pd.DataFrame
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, frame: pd.DataFrame, *, narrow: bool = True) -> RuleInput:
        """`narrow`: keep only the analyzed columns (the report window's frame); a history
        baseline is read as given."""
        return cls(analyzed(frame) if narrow else frame)

    def __len__(self) -> int:
        return len(self.frame)

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
        return self._cached(f"codes:{column}", lambda: encode(self.frame[column])[0])

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

    def groups(self, mask: np.ndarray, column: str, *, dropna: bool = False) -> Groups:
        """The rows of `mask` grouped by `column` as `groupby(column, dropna=...)` orders
        them, each group's rows in evidence order."""
        codes = self.codes(column)
        positions = np.flatnonzero(mask)
        if dropna:
            positions = positions[codes.codes[positions] >= 0]
        group = codes.group[positions]
        ordered = self.in_time_order(positions, group)
        return Groups.of(ordered, codes.group[ordered], codes)


@dataclass(frozen=True)
class Groups:
    """Rows split into groups: `positions[bounds[k]:bounds[k + 1]]` are group k's rows, and
    `keys[k]` its code (`Codes.group` space; `codes.label` gives the groupby key)."""

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
