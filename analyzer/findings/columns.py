"""Arrow-backed columns as NumPy: masks with nulls False, times as integers. Comparing with
pyarrow.compute and converting the result once is many times faster than pandas' element-wise
operators on Arrow dtypes (each builds a nullable Series and a Python-level fillna)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.frame.compact import plain, stored

NAT = np.iinfo(np.int64).max  # the time key of a row without a time: sorts after every time


def _stored(series: pd.Series) -> pa.ChunkedArray:
    """The column as Arrow, whatever its pandas dtype (frames built by hand may be object),
    dictionary-encoded if it is (a compact frame's, `frame.compact`)."""
    if isinstance(series.dtype, pd.ArrowDtype):
        return stored(series)
    return pa.chunked_array([pa.array(series.astype(object), from_pandas=True)])


def arrow_of(series: pd.Series) -> pa.ChunkedArray:
    """The column's values as Arrow, in their own type (decoded if dictionary-encoded)."""
    values: pa.ChunkedArray = plain(_stored(series))
    return values


def _holds(series: pd.Series, test: Callable[[pa.Array], pa.Array]) -> np.ndarray:
    """Rows whose value passes `test` (an element-wise Arrow kernel), nulls False. An
    encoded column is tested once per distinct value, then each row looks its value up."""
    values = _stored(series)
    if not pa.types.is_dictionary(values.type):
        return np.asarray(test(values).fill_null(False).to_numpy(), dtype=bool)
    found = [np.zeros(0, dtype=bool)]
    for chunk in values.chunks:
        passed = test(chunk.dictionary).fill_null(False).to_numpy(zero_copy_only=False)
        lookup = np.append(np.asarray(passed, dtype=bool), False)  # the last: a null row
        codes = chunk.indices.fill_null(len(chunk.dictionary)).to_numpy(zero_copy_only=False)
        found.append(lookup[codes])
    return np.concatenate(found)


def equals(series: pd.Series, value: str) -> np.ndarray:
    """`series == value` with nulls False (the rules' `_mask`)."""
    return _holds(series, lambda values: pc.equal(values, value))


def flag(series: pd.Series) -> np.ndarray:
    """A nullable boolean column with nulls False."""
    array = arrow_of(series)
    if array.type != pa.bool_():
        return np.asarray(series.fillna(False).astype(bool).to_numpy(), dtype=bool)
    return np.asarray(array.fill_null(False).to_numpy(), dtype=bool)


def starts_with(series: pd.Series, prefix: str) -> np.ndarray:
    return _holds(series, lambda values: pc.starts_with(values, pattern=prefix))


def micros_of(series: pd.Series) -> np.ndarray:
    """Event times as microseconds since the epoch; `NAT` for a missing time."""
    array = arrow_of(series)
    if pa.types.is_timestamp(array.type) and array.type.unit != "us":
        array = pc.cast(array, pa.timestamp("us", array.type.tz))
    as_int = pc.cast(array, pa.int64()) if len(array) else pa.array([], pa.int64())
    return np.asarray(as_int.fill_null(NAT).to_numpy(), dtype=np.int64)
