"""One part of the history (a day's or a closed month's rows): Parquet bytes <-> a table in
the current schema.

The schema-version path: every part carries `signin_schema_version` in its Parquet
metadata. When a column is added to `analyzer.frame.schema` (and SCHEMA_VERSION bumped),
parts written before it are read with that column null, and the next write of their day
stores them in the new schema; nothing is rewritten up front. A part that does not fit is
refused with its reason (no version mark, a newer version, a column of another type, a
column missing that its own version should have), and the caller skips it with a warning
naming the file: its day is then reported incomplete, never silently short.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from analyzer.frame.schema import ARROW_SCHEMA, SCHEMA_VERSION

VERSION_KEY = b"signin_schema_version"


class PartError(ValueError):
    """The part cannot be used; the message is the reason shown with its name."""


def encode_part(table: pa.Table) -> bytes:
    table = table.replace_schema_metadata({VERSION_KEY: str(SCHEMA_VERSION).encode()})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _version(metadata: dict[bytes, bytes] | None) -> int:
    raw = (metadata or {}).get(VERSION_KEY)
    if raw is None:
        raise PartError("no signin_schema_version in its metadata (not a history part)")
    try:
        return int(raw.decode())
    except (UnicodeDecodeError, ValueError):
        raise PartError(f"unreadable signin_schema_version {raw[:20]!r}") from None


def decode_part(
    data: bytes, columns: Sequence[str] | None = None, encoded: Collection[str] = ()
) -> pa.Table:
    """The part as a table in ARROW_SCHEMA (see the module docstring), or PartError.
    `columns`: only these (in schema order): a baseline read decodes a third of the columns,
    and Parquet is columnar, so the others are never decompressed. A part is refused for a
    column it lacks or cannot cast whether or not that column is read, so reading fewer
    columns never lets a damaged part through. `encoded`: text columns given as Parquet
    stores them, dictionary-encoded (a compact frame's, `frame.compact`), not spelled out."""
    chosen = None if columns is None else set(columns)
    wanted_fields = [
        _as_read(field, encoded) for field in ARROW_SCHEMA if chosen is None or field.name in chosen
    ]
    file, table = _opened(data, [f.name for f in wanted_fields], encoded)
    stored_schema = file.schema_arrow  # (built anew on each access)
    present = set(stored_schema.names)
    version = _checked_version(stored_schema)
    arrays: dict[str, pa.Array | pa.ChunkedArray] = {}
    given = {field.name: field.type for field in wanted_fields}
    for wanted in ARROW_SCHEMA:
        read = wanted.name in given
        if wanted.name not in present:
            if version == SCHEMA_VERSION:
                raise PartError(f"column {wanted.name} missing (schema version {version})")
            if read:  # (a column added after this part was written)
                arrays[wanted.name] = pa.nulls(table.num_rows, given[wanted.name])
            continue
        stored = stored_schema.field(wanted.name).type
        if stored == wanted.type:
            if read:
                arrays[wanted.name] = table.column(wanted.name)
            continue
        # Another type: usable if every value casts, so an unread column is read to see.
        column = table.column(wanted.name) if read else _column(file, wanted.name)
        cast = _cast(column, wanted, stored)
        if read:
            arrays[wanted.name] = cast.dictionary_encode() if wanted.name in encoded else cast
    # By name, not by schema: a schema would cast a column of another type silently.
    return pa.Table.from_arrays(
        [arrays[f.name] for f in wanted_fields], names=[f.name for f in wanted_fields]
    )


def _opened(
    data: bytes, names: list[str], encoded: Collection[str]
) -> tuple[pq.ParquetFile, pa.Table]:
    """The part's file and the columns of `names` it has, those in `encoded` as Parquet
    stores them (asking for a column the part lacks that way would fail the whole read)."""
    try:
        file = pq.ParquetFile(io.BytesIO(data))
        present = set(file.schema_arrow.names)
        names = [name for name in names if name in present]
        dictionaries = [name for name in encoded if name in present]
        if dictionaries:  # (set when the file is opened: again, its footer not parsed twice)
            reader = pq.ParquetFile(
                io.BytesIO(data), metadata=file.metadata, read_dictionary=dictionaries
            )
            table = reader.read(names)
        else:
            table = file.read(columns=names)
    except (pa.ArrowException, OSError, ValueError) as err:
        raise PartError(f"not a readable Parquet file ({type(err).__name__}: {err})") from None
    return file, table


def _checked_version(stored: pa.Schema) -> int:
    """The part's schema version, once its columns and version are ones this tool reads."""
    version = _version(stored.metadata)
    repeated = sorted({name for name in stored.names if stored.names.count(name) > 1})
    if repeated:
        raise PartError(f"column {repeated[0]} appears more than once")
    if version > SCHEMA_VERSION:
        raise PartError(
            f"written with schema version {version}, newer than this tool's {SCHEMA_VERSION}"
        )
    return version


def _cast(column: pa.ChunkedArray, wanted: pa.Field, stored: pa.DataType) -> pa.ChunkedArray:
    try:
        cast: pa.ChunkedArray = column.cast(wanted.type)
    except (pa.ArrowException, ValueError):
        raise PartError(f"column {wanted.name} is {stored}, expected {wanted.type}") from None
    return cast


def _as_read(field: pa.Field, encoded: Collection[str]) -> pa.Field:
    if field.name in encoded:
        return field.with_type(pa.dictionary(pa.int32(), field.type))
    return field


def _column(file: pq.ParquetFile, name: str) -> pa.ChunkedArray:
    try:
        return file.read(columns=[name]).column(name)
    except (pa.ArrowException, OSError, ValueError) as err:
        raise PartError(f"not a readable Parquet file ({type(err).__name__}: {err})") from None
