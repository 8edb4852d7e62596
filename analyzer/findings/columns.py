"""Arrow-backed columns as NumPy: masks with nulls False, times as integers. Comparing with
pyarrow.compute and converting the result once is many times faster than pandas' element-wise
operators on Arrow dtypes (each builds a nullable Series and a Python-level fillna)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

NAT = np.iinfo(np.int64).max  # the time key of a row without a time: sorts after every time


def arrow_of(series: pd.Series) -> pa.ChunkedArray:
    """The column as Arrow, whatever its pandas dtype (frames built by hand may be object)."""
    if isinstance(series.dtype, pd.ArrowDtype):
        return pa.chunked_array(series.array._pa_array)
    return pa.chunked_array([pa.array(series.astype(object), from_pandas=True)])


def equals(series: pd.Series, value: str) -> np.ndarray:
    """`series == value` with nulls False (the rules' `_mask`)."""
    return np.asarray(pc.equal(arrow_of(series), value).fill_null(False).to_numpy(), dtype=bool)


def flag(series: pd.Series) -> np.ndarray:
    """A nullable boolean column with nulls False."""
    array = arrow_of(series)
    if array.type != pa.bool_():
        return np.asarray(series.fillna(False).astype(bool).to_numpy(), dtype=bool)
    return np.asarray(array.fill_null(False).to_numpy(), dtype=bool)


def starts_with(series: pd.Series, prefix: str) -> np.ndarray:
    array = arrow_of(series)
    return np.asarray(pc.starts_with(array, pattern=prefix).fill_null(False).to_numpy(), dtype=bool)


def micros_of(series: pd.Series) -> np.ndarray:
    """Event times as microseconds since the epoch; `NAT` for a missing time."""
    array = arrow_of(series)
    if pa.types.is_timestamp(array.type) and array.type.unit != "us":
        array = pc.cast(array, pa.timestamp("us", array.type.tz))
    as_int = pc.cast(array, pa.int64()) if len(array) else pa.array([], pa.int64())
    return np.asarray(as_int.fill_null(NAT).to_numpy(), dtype=np.int64)
