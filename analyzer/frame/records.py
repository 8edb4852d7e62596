"""Frames as plain Python records (JSON-ready values, ISO-8601 times). Shared by the report's
tables and the findings' evidence, so neither needs the other to serialise itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def column_values(column: pd.Series) -> list[Any]:
    """Plain Python values of one column. Arrow-backed columns convert in one `to_pylist`
    call; iterating them value by value goes through a pandas scalar each time, which made
    this conversion the slowest step of a large JSON report."""
    if isinstance(column.dtype, pd.ArrowDtype):
        values: list[Any] = pa.array(column).to_pylist()
        if pa.types.is_timestamp(column.dtype.pyarrow_dtype):
            return [None if v is None else v.isoformat() for v in values]
        return values
    return [_plain(value) for value in column.tolist()]


def row_tuples(table: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """`table`'s rows as tuples of its values: an empty tuple for each row of a table without
    columns, which pandas 2 iterated as no rows at all (pandas 3 as empty rows)."""
    if not len(table.columns):
        return iter([()] * len(table))
    rows: Iterator[tuple[Any, ...]] = table.itertuples(index=False, name=None)
    return rows


def records_of(table: pd.DataFrame) -> list[dict[str, Any]]:
    names = [str(column) for column in table.columns]
    columns = [column_values(table.iloc[:, i]) for i in range(len(names))]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
