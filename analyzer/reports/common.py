"""What every report agrees on: which rows are sign-ins, and how lists of values are shown."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.reports.grouping import ArrowColumn, Mask, Positions

LOGIN = "login"
# The columns reports and findings read. Both narrow the frame to these first: every boolean
# selection copies each column it carries, and the other 15 columns made a large report's
# selections twice as slow (benchmarks/README.md).
ANALYZED_COLUMNS = [
    "event_id", "event_time", "event_name", "event_kind", "account_id", "user_name",
    "identity_type", "unknown_user", "role_name", "identity_provider", "source_ip",
    "user_agent", "outcome", "failure_kind", "mfa_status", "region", "endpoint",
    "endpoint_scope", "endpoint_inferred", "session_name", "identity_center_user_id",
]  # fmt: skip


def analyzed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame narrowed to ANALYZED_COLUMNS (no copy: the columns are shared)."""
    return frame[ANALYZED_COLUMNS]


def logins(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that are sign-in attempts (event_kind `login`): CheckMfa, credential steps and
    portal events describe an attempt but are not one, so counting them would inflate totals."""
    return frame[frame["event_kind"] == LOGIN]


def person(frame: pd.DataFrame) -> pd.Series:
    """One value per person: the account and the user name (canonical, see
    `analyzer.normalize.names`). A user is never a bare name across accounts: `admin` in two
    accounts is two people, so every "users" count counts these."""
    return (
        frame["account_id"].astype(object).fillna("?")
        + "/"
        + frame["user_name"].astype(object).fillna("?")
    )


def joined(values: pd.Series) -> str:
    """Distinct non-null values, sorted, comma-separated: stable output for diffs and tests.
    Runs once per group, so it avoids per-call pandas machinery (`dropna` on a small Series
    costs more than the join)."""
    return ", ".join(sorted({str(v) for v in values.tolist() if v is not None and v is not pd.NA}))


def count_of(mask: pd.Series) -> int:
    return int(mask.fillna(False).astype(bool).sum())


# The row subsets the report's sections read: sign-in attempts, and those that succeeded or
# failed. `without_mfa` is the without-MFA listing's rows (a subset of the successes).
Subset = Literal["all", "logins", "successes", "failures", "without_mfa"]
_PARENT: dict[str, tuple[Subset, str, str]] = {
    "logins": ("all", "event_kind", LOGIN),
    "successes": ("logins", "outcome", "success"),
    "failures": ("logins", "outcome", "failure"),
}


def arrow_column(column: pd.Series) -> ArrowColumn:
    """A frame column as Arrow data, without a copy when it already is (the frame contract's
    dtypes); other dtypes (a hand-made frame) are converted."""
    if isinstance(column.dtype, pd.ArrowDtype):
        chunked: pa.ChunkedArray = column.array.__arrow_array__()
        return chunked
    return pa.array(column, from_pandas=True)


def as_series_data(values: ArrowColumn) -> pd.api.extensions.ExtensionArray:
    """Arrow values as a pandas column of the matching `ArrowDtype`."""
    return pd.arrays.ArrowExtensionArray(values)


class Rows:
    """The frame's row subsets, each selected once per report and shared by every section.

    A boolean selection of a DataFrame copies every column it carries, and each section used
    to select the sign-in rows again (26 times per run with the rules): over a million rows
    that was half of the report's time and a gigabyte of copies. Here a subset is an array of
    row positions found once, and a column of a subset is taken (one Arrow `take`) the first
    time a section asks for it and kept for the others.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._positions: dict[str, Positions | None] = {"all": None}
        self._columns: dict[tuple[str, str], ArrowColumn] = {}
        self._persons: dict[str, pa.Array] = {}

    def positions(self, subset: Subset) -> Positions | None:
        """Row positions in the frame (None: every row, in order)."""
        if subset not in self._positions:
            if subset == "without_mfa":
                self._positions[subset] = self._without_mfa()
            else:
                parent, name, value = _PARENT[subset]
                within = self.positions(parent)
                found = np.flatnonzero(self.equals(parent, name, value))
                self._positions[subset] = found if within is None else within[found]
        return self._positions[subset]

    def _without_mfa(self) -> Positions:
        """Successful sign-ins of IAM users and root that AWS saw without MFA."""
        iam = pc.is_in(self.column("successes", "identity_type"), pa.array(["IAMUser", "Root"]))
        mask = np.asarray(iam.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        mask &= self.equals("successes", "mfa_status", "no_mfa")
        within = self.positions("successes")
        assert within is not None
        chosen: Positions = within[mask]
        return chosen

    def size(self, subset: Subset) -> int:
        chosen = self.positions(subset)
        return len(self.frame) if chosen is None else len(chosen)

    def column(self, subset: Subset, name: str) -> ArrowColumn:
        """One column of a subset as Arrow data (taken once, then shared)."""
        key = (subset, name)
        if key not in self._columns:
            whole = self._columns.get(("all", name))
            if whole is None:
                whole = self._columns[("all", name)] = arrow_column(self.frame[name])
            chosen = self.positions(subset)
            self._columns[key] = whole if chosen is None else whole.take(pa.array(chosen))
        return self._columns[key]

    def equals(self, subset: Subset, name: str, value: object) -> Mask:
        """Rows of the subset whose column equals `value` (a null is never equal)."""
        matched = pc.equal(self.column(subset, name), pa.scalar(value)).fill_null(False)
        return np.asarray(matched.to_numpy(zero_copy_only=False), dtype=bool)

    def flag(self, subset: Subset, name: str) -> Mask:
        """A boolean column of the subset with nulls as False."""
        filled = pc.fill_null(self.column(subset, name), False)
        return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)

    def person(self, subset: Subset) -> pa.Array:
        """`person` of each row of the subset, as Arrow strings."""
        if subset not in self._persons:
            parts = [
                pc.fill_null(self.column(subset, name), "?") for name in ("account_id", "user_name")
            ]
            joined_parts = pc.binary_join_element_wise(*parts, "/")
            if isinstance(joined_parts, pa.ChunkedArray):
                joined_parts = joined_parts.combine_chunks()
            self._persons[subset] = joined_parts
        return self._persons[subset]

    def table(self, subset: Subset, names: list[str]) -> pd.DataFrame:
        """The subset's rows and these columns as a frame with a fresh 0..n-1 index, each
        column of the frame's own dtype."""
        chosen = self.positions(subset)
        data: dict[str, object] = {}
        for name in names:
            source = self.frame[name]
            if isinstance(source.dtype, pd.ArrowDtype):
                data[name] = as_series_data(self.column(subset, name))
            elif chosen is None:
                data[name] = source.reset_index(drop=True)
            else:
                data[name] = source.take(chosen).reset_index(drop=True)
        return pd.DataFrame(data, index=pd.RangeIndex(self.size(subset)))
