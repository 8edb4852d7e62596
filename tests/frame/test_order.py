"""The frame's row order (`frame.order.time_order`): by time, then eventID, each with its
missing values last, stable, and asked of pyarrow in the form the installed version takes
without a deprecation warning."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pyarrow as pa

from analyzer.frame.order import time_order


def test_rows_by_time_then_id_missing_values_last_ties_in_place() -> None:
    at = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    later = datetime(2026, 11, 3, 11, 0, tzinfo=UTC)
    table = pa.table(
        {
            "event_time": pa.array(
                [later, None, at, at, at, None, at], pa.timestamp("us", tz="UTC")
            ),
            "event_id": pa.array(["a", "b", None, "c", "b", None, "b"]),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (pyarrow 25+ deprecates the one-placement form)
        order = time_order(table).to_pylist()
    assert order == [4, 6, 3, 2, 0, 1, 5]
