"""What every report agrees on: which rows are sign-ins, and how lists of values are shown."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Literal, ParamSpec

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.frame.compact import plain, schema_text, stored
from analyzer.frame.schema import REPORT_COLUMNS
from analyzer.frame.take import taken
from analyzer.reports.grouping import ArrowColumn, Encoded, Mask, Positions, Times, paired

LOGIN = "login"
# How charts and tables name the endpoint of sign-ins no record tells it of (JSON: null).
UNKNOWN_ENDPOINT = "(unknown)"


def analyzed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame narrowed to `REPORT_COLUMNS`, the columns reports and findings read (no
    copy: the columns are shared). The findings narrow the frame first: every boolean
    selection copies each column it carries, and the other columns made a large run's
    selections twice as slow (benchmarks/README.md). The report reads columns one by one
    through `Rows`, which never copies a whole frame."""
    return frame[list(REPORT_COLUMNS)]


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
        return stored(column)
    return pa.array(column, from_pandas=True)


def as_series_data(values: ArrowColumn) -> pd.api.extensions.ExtensionArray:
    """Arrow values as a pandas column of the matching `ArrowDtype`."""
    return pd.arrays.ArrowExtensionArray(values)


class Rows:
    """The frame's row subsets, each selected once per report and shared by every section.

    A boolean selection of a DataFrame copies every column it carries, and each section used
    to select the sign-in rows again (26 times per run with the rules): over a million rows
    that was half of the report's time and a gigabyte of copies. Here a subset is an array of
    row positions found once. The columns the sections group and count by are encoded once
    for the whole frame (`grouping.Encoded`: integer codes), so a subset of them is a NumPy
    take of integers; only the without-MFA listing takes real values, one Arrow `take` per
    column.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = schema_text(frame)
        self._positions: dict[str, Positions | None] = {"all": None}
        self._encoded: dict[tuple[str, str], Encoded] = {}
        self._times: dict[tuple[str, str], Times] = {}
        self._flags: dict[tuple[str, str], Mask] = {}
        self._persons: dict[str, Encoded] = {}

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
        identity = self.encoded("successes", "identity_type")
        mask = identity.equals("IAMUser") | identity.equals("Root")
        mask &= self.equals("successes", "mfa_status", "no_mfa")
        within = self.positions("successes")
        assert within is not None
        chosen: Positions = within[mask]
        return chosen

    def size(self, subset: Subset) -> int:
        chosen = self.positions(subset)
        return len(self.frame) if chosen is None else len(chosen)

    def column(self, subset: Subset, name: str) -> ArrowColumn:
        """One column of a subset as Arrow data, decoded if the frame is compact (the
        tables a report hands out have the frame contract's types)."""
        whole = arrow_column(self.frame[name])
        chosen = self.positions(subset)
        return plain(whole if chosen is None else taken(whole, chosen))

    def encoded(self, subset: Subset, name: str) -> Encoded:
        """One column of a subset as codes (the frame's column encoded once)."""
        key = (subset, name)
        if key not in self._encoded:
            if ("all", name) not in self._encoded:
                self._encoded[("all", name)] = Encoded.shared(arrow_column(self.frame[name]))
            self._encoded[key] = self._encoded[("all", name)].take(self.positions(subset))
        return self._encoded[key]

    def times(self, subset: Subset, name: str) -> Times:
        """A timestamp column of a subset as integers and a validity mask."""
        key = (subset, name)
        if key not in self._times:
            if ("all", name) not in self._times:
                self._times[("all", name)] = Times.of(arrow_column(self.frame[name]))
            self._times[key] = self._times[("all", name)].take(self.positions(subset))
        return self._times[key]

    def equals(self, subset: Subset, name: str, value: object) -> Mask:
        """Rows of the subset whose column equals `value` (a null is never equal)."""
        return self.encoded(subset, name).equals(value)

    def flag(self, subset: Subset, name: str) -> Mask:
        """A boolean column of the subset with nulls as False."""
        key = (subset, name)
        if key not in self._flags:
            if ("all", name) not in self._flags:
                filled = pc.fill_null(arrow_column(self.frame[name]), False)
                whole = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)
                self._flags[("all", name)] = whole
            chosen = self.positions(subset)
            flags = self._flags[("all", name)]
            self._flags[key] = flags if chosen is None else flags[chosen]
        return self._flags[key]

    def person(self, subset: Subset) -> Encoded:
        """`person` of each row of the subset, encoded."""
        if subset not in self._persons:
            if "all" not in self._persons:
                account = self.encoded("all", "account_id")
                self._persons["all"] = paired(account, self.encoded("all", "user_name"), "/", "?")
            self._persons[subset] = self._persons["all"].take(self.positions(subset))
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


Params = ParamSpec("Params")


def _in_arrow(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.ArrowDtype):
        return column
    if pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return column.astype(pd.ArrowDtype(pa.from_numpy_dtype(column.dtype)))
    if pd.api.types.is_string_dtype(column.dtype):
        return column.astype(pd.ArrowDtype(pa.string()))
    return column


def arrow_dtypes(build: Callable[Params, pd.DataFrame]) -> Callable[Params, pd.DataFrame]:
    """A report table with the frame's kind of columns: counts made by numpy sums (int64)
    stood beside counts made by Arrow group-bys (int64[pyarrow]), and a label of Python
    strings beside Arrow text, which a notebook sees as two kinds of integer and of text."""

    @wraps(build)
    def built(*args: Params.args, **kwargs: Params.kwargs) -> pd.DataFrame:
        table = build(*args, **kwargs)
        if all(isinstance(dtype, pd.ArrowDtype) for dtype in table.dtypes):
            return table
        return pd.DataFrame(
            {name: _in_arrow(table[name]) for name in table.columns}, index=table.index
        )

    return built
