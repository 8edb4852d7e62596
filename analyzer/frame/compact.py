"""The compact frame: the same rows and columns as the documented frame, with the text
columns whose values repeat (names, kinds, agents, ARNs) held dictionary-encoded.

A million sign-ins' plain report columns are 401 MB, 115 of them `user_agent`, whose few
hundred distinct values are spelled out again on every row. Dictionary-encoded, such a
column is a 32-bit code per row and its distinct values once. The documented dtypes stay
the default of every public function (a notebook's `str` methods and sorts expect plain
text); the command line, which only reports, asks for the compact frame
(`collect(compact=True)`, `History.read(compact=True)`), and everything between the frame
and the output reads either: the rules and the report work on codes anyway
(`reports.grouping.Encoded`), and every table or row that leaves them is plain again
(`plain`). tests/frame/test_compact.py holds the two forms to the same output.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, TypeAlias

import pyarrow as pa

from analyzer.frame.schema import ARROW_SCHEMA

if TYPE_CHECKING:
    import pandas as pd

ArrowColumn: TypeAlias = pa.Array | pa.ChunkedArray

# Text columns with few distinct values. Event ids, addresses, LoginTo URLs and where a row
# was read are mostly distinct: encoding them would cost more than it saves.
COMPACT_COLUMNS = tuple(
    column.name
    for column in ARROW_SCHEMA
    if pa.types.is_string(column.type)
    and column.name not in {"event_id", "source_ip", "login_to", "collected_from"}
)


def plain(values: ArrowColumn) -> ArrowColumn:
    """Dictionary-encoded values decoded into their value type; any other column as it is."""
    if pa.types.is_dictionary(values.type):
        return values.cast(values.type.value_type)
    return values


def stored(column: pd.Series) -> pa.ChunkedArray:
    """An Arrow-backed column's data as Arrow holds it (no copy), in chunks."""
    values = column.array.__arrow_array__()
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])


def is_compact(column: pd.Series) -> bool:
    """Whether a frame column is dictionary-encoded Arrow data."""
    import pandas as pd

    dtype = column.dtype
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype)


def _series_of(values: ArrowColumn, like: pd.Series) -> pd.Series:
    import pandas as pd

    data = pd.arrays.ArrowExtensionArray(values)
    return pd.Series(data, index=like.index, name=like.name, copy=False)


def compacted(frame: pd.DataFrame, names: Collection[str] = COMPACT_COLUMNS) -> pd.DataFrame:
    """`frame` with these of its text columns dictionary-encoded (one dictionary per
    column); the other columns are shared, not copied."""
    import pandas as pd

    columns: dict[str, pd.Series] = {}
    for name in frame.columns:
        column = frame[name]
        if name in names and isinstance(column.dtype, pd.ArrowDtype):
            chunked = stored(column)
            if pa.types.is_string(chunked.type):
                chunked = chunked.dictionary_encode().unify_dictionaries()
                column = _series_of(chunked, column)
        columns[name] = column
    return pd.DataFrame(columns, index=frame.index)


def _other_text(column: pd.Series) -> bool:
    """Text held in another type than the schema's Arrow string: pandas' own string dtype
    (what `pd.read_parquet` without `dtype_backend="pyarrow"` and `astype("string")` give),
    or Arrow's large or view strings."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype):
        kind = dtype.pyarrow_dtype
        return bool(pa.types.is_large_string(kind) or pa.types.is_string_view(kind))
    return isinstance(dtype, pd.StringDtype)


def schema_text(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its text columns as the schema's Arrow strings; the frame itself when
    they are (the usual case: nothing is copied). A frame read by `pd.read_parquet` holds
    large strings, which Arrow's kernels do not mix with the strings the reports join them
    with: every report table but two failed on one."""
    return _with_columns(
        frame,
        _other_text,
        lambda column: _series_of(pa.array(column, from_pandas=True).cast(pa.string()), column),
    )


def _with_columns(
    frame: pd.DataFrame,
    chosen: Callable[[pd.Series], bool],
    converted: Callable[[pd.Series], pd.Series],
) -> pd.DataFrame:
    """`frame` with its `chosen` columns `converted`, the others shared; the frame itself
    when none is chosen."""
    import pandas as pd

    if not any(chosen(frame[name]) for name in frame.columns):
        return frame
    columns = {
        name: converted(frame[name]) if chosen(frame[name]) else frame[name]
        for name in frame.columns
    }
    return pd.DataFrame(columns, index=frame.index)


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the documented dtypes again (nothing copied when nothing is encoded)."""
    return _with_columns(
        schema_text(frame), is_compact, lambda column: _series_of(plain(stored(column)), column)
    )
