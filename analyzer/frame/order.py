"""The frame's row order: by event time, then eventID, rows without either last.

Collection and the history read sort by it in Arrow. pyarrow 25 moved where nulls go into
each sort key (a third item) and deprecated the option for all keys; the pyarrow 15 this
project still supports knows only that option. One place asks the installed version."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_KEYS = ("event_time", "event_id")
_PER_KEY_NULLS = int(pa.__version__.split(".")[0]) >= 25


def time_order(table: pa.Table) -> pa.Array:
    """Indices of `table`'s rows in the frame's order (a stable sort)."""
    if _PER_KEY_NULLS:
        keys = [(name, "ascending", "at_end") for name in _KEYS]
        return pc.sort_indices(table, sort_keys=keys)
    pairs = [(name, "ascending") for name in _KEYS]
    return pc.sort_indices(table, sort_keys=pairs, null_placement="at_end")
