"""The history baseline the rules compare with, reduced to what they read of it.

The first-seen, dormancy and organization rules never look at a baseline row by itself: they
ask which values each (account, user) was seen with (`source_ip`, `user_agent`, `region`),
when a user last signed in, and which addresses each person (Identity Center user, or
provider and session name) used, all over the successful sign-ins before the report window.
Those are sets and maxima, so one row per distinct value with its latest time answers them
exactly as every row does; a year of history becomes a few rows per user and address.

`reduce_baseline` keeps, with their latest `event_time`:
- per successful sign-in (`event_kind` login, `outcome` success): the distinct (account,
  user, source IP, person columns), (account, user, user agent) and (account, user, region),
  the other value columns null;
- per other row of an IAM user: its distinct (account, principal, name, outcome, kind), all
  value columns null, because `canonical_user_names` picks a person's spelling from the
  latest success and latest attempt of each spelling.
The name columns travel with every row, so the result is canonicalized exactly like the
rows it replaces, and reducing reduced baselines together gives the same as reducing their
rows at once (what per-period summaries rely on). `tests/findings/test_baseline.py` checks
that every rule gives the same findings with the reduced baseline as with the full one.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.frame.schema import ARROW_SCHEMA
from analyzer.normalize.names import CASE_INSENSITIVE_TYPES
from analyzer.reports.common import LOGIN

# Who a row is: kept on every reduced row (what the rules group by and names are made from).
WHO = [
    "event_kind", "outcome", "account_id", "user_name", "principal_id", "identity_type",
    "unknown_user",
]  # fmt: skip
# The values the rules look up in the baseline; each is reduced in its own group.
PERSON = ["identity_center_user_id", "identity_provider", "session_name"]
VALUE_GROUPS = [["source_ip", *PERSON], ["user_agent"], ["region"]]
BASELINE_COLUMNS = [
    name
    for name in ARROW_SCHEMA.names
    if name in {"event_time", *WHO, *(c for group in VALUE_GROUPS for c in group)}
]


JOIN_LIMIT = 2**31 - 1  # bytes of a string column joined with 32-bit offsets


def _codes(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.Array]:
    """A text column as int32 codes into its distinct values (a null stays a null code), and
    those values. Grouping a year's rows by their text columns hashed the strings of WHO
    once per group and held every key's text in the hash tables (1.5 s and 480 MB over a
    million rows); coded, each column is hashed once and the groups are made of integers
    (0.45 s, 240 MB). Coding the value columns too, though each is a key of one group only,
    measured steadier and smaller than grouping them as text."""
    # One array, so one dictionary by construction. Text past 32-bit offsets (2 GiB: a long
    # history of long user agents) is joined with 64-bit ones; below that the cast's copy of
    # the offsets costs a million-row baseline 0.07 s and 40 MB for nothing.
    if pa.types.is_string(column.type) and column.nbytes > JOIN_LIMIT:
        column = column.cast(pa.large_string())
    whole = column.combine_chunks()
    encoded = pc.dictionary_encode(whole)
    return pa.chunked_array([encoded.indices], pa.int32()), encoded.dictionary


def _grouped(coded: pa.Table, keys: list[str], values: dict[str, pa.Array]) -> pa.Table:
    """Distinct `keys` with the latest event_time, every other baseline column null; `coded`
    holds the text columns as codes into `values`."""
    latest = coded.group_by(keys, use_threads=False).aggregate([("event_time", "max")])
    columns = {
        name: values[name].take(latest.column(name)) if name in values else latest.column(name)
        for name in keys
    }
    columns["event_time"] = latest.column("event_time_max")
    schema = pa.schema([ARROW_SCHEMA.field(name) for name in BASELINE_COLUMNS])
    return pa.table(
        {
            field.name: columns.get(field.name, pa.nulls(latest.num_rows, field.type))
            for field in schema
        },
        schema=schema,
    )


def reduce_table(table: pa.Table) -> pa.Table:
    """`reduce_baseline` in Arrow, on a table holding at least BASELINE_COLUMNS."""
    table = table.select(BASELINE_COLUMNS)
    success = pc.fill_null(
        pc.and_(pc.equal(table["event_kind"], LOGIN), pc.equal(table["outcome"], "success")),
        False,
    )
    named = pc.fill_null(
        pc.and_(
            pc.and_(
                pc.is_in(table["identity_type"], pa.array(CASE_INSENSITIVE_TYPES)),
                pc.invert(pc.fill_null(table["unknown_user"], False)),
            ),
            pc.is_valid(table["user_name"]),
        ),
        False,
    )
    values: dict[str, pa.Array] = {}
    coded_columns: dict[str, pa.ChunkedArray] = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            coded_columns[name], values[name] = _codes(column)
        else:
            coded_columns[name] = column
    coded = pa.table(coded_columns)
    successes = coded.filter(success)
    others = coded.filter(pc.and_(pc.invert(success), named))
    pieces = [_grouped(successes, [*WHO, *group], values) for group in VALUE_GROUPS]
    pieces.append(_grouped(others, WHO, values))
    return pa.concat_tables(pieces)


def reduce_baseline(baseline: pd.DataFrame | None) -> pd.DataFrame | None:
    """The baseline reduced to BASELINE_COLUMNS and to one row per distinct value the rules
    look up (see the module docstring); None stays None (no history: those rules stay
    silent). The rules give the same findings with it as with `baseline`."""
    if baseline is None:
        return None
    table = pa.Table.from_pandas(baseline[BASELINE_COLUMNS], preserve_index=False)
    frame: pd.DataFrame = reduce_table(table).to_pandas(types_mapper=pd.ArrowDtype)
    return frame
