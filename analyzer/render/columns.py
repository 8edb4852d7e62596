"""The report's tables written column by column: each distinct value of a column is encoded
once (JSON string, CSV field), and the rows are assembled from those pieces in one join.

Writing row by row made a Python dict (JSON) or list (CSV) per row and encoded every cell
again, although a large table's columns hold few distinct values (a user, a region, a time
repeated across rows): over a million sign-ins that was most of the JSON and CSV time. The
text is the same, byte for byte, as `json.dumps(..., indent=2, ensure_ascii=False)` and
`csv_out.SafeCsvWriter` write, because each piece comes from the same conversion the row-wise
path applies (`records.column_values`, iteration of the pandas column, `safe_cell`), only
applied to the distinct values instead of every cell; tests/render/test_columns.py compares
the two on hostile values.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.frame.records import column_values, records_of
from analyzer.render.text import json_visible

Codes = npt.NDArray[np.intp]
# Arrow types whose equal values always look alike (not floats: 0.0 and -0.0 are equal).
_DISTINCT_ARROW: tuple[Callable[[pa.DataType], bool], ...] = (
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_integer,
    pa.types.is_boolean,
    pa.types.is_timestamp,
)
_JSON_SCALAR = (str, int, float, bool, type(None))


def distinct(column: pd.Series) -> tuple[Codes, pd.Series]:
    """A code per row and the distinct values as a Series of the column's own dtype (so they
    convert exactly as the column's cells would). Columns whose equal values may print
    differently (floats: 0.0 and -0.0; object columns: 1 and True) get one code per row."""
    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype) and any(
        check(dtype.pyarrow_dtype) for check in _DISTINCT_ARROW
    ):
        values = _contiguous(column)  # one array: one dictionary for every chunk
        encoded = pc.dictionary_encode(values, null_encoding="encode")
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
        return codes, pd.Series(pd.arrays.ArrowExtensionArray(encoded.dictionary))
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        found, uniques = pd.factorize(column.to_numpy())
        return np.asarray(found, dtype=np.intp), pd.Series(uniques, dtype=dtype)
    return np.arange(len(column), dtype=np.intp), column.reset_index(drop=True)


def _contiguous(column: pd.Series) -> pa.Array:
    """An Arrow-backed column as one Arrow array (its chunks joined)."""
    values = column.array.__arrow_array__()
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _dictionary(uniques: pd.Series) -> pa.Array | None:
    """The distinct values as Arrow data, when they are (see `distinct`)."""
    if isinstance(uniques.dtype, pd.ArrowDtype):
        return _contiguous(uniques)
    return None


def _utc_micros(values: pa.Array) -> bool:
    """Microsecond UTC times within years 1000-9999, where Arrow's formatting matches
    Python's `isoformat` and `strftime` (both pad years to four digits only there)."""
    kind = values.type
    if not (pa.types.is_timestamp(kind) and kind.unit == "us" and kind.tz == "UTC"):
        return False
    years = pc.min_max(pc.year(values))
    return not years["min"].is_valid or (
        years["min"].as_py() >= 1000 and years["max"].as_py() <= 9999
    )


def _seconds(values: pa.Array, layout: str) -> pa.Array:
    """Times to the second (floored, as Python's datetime fields are) in `layout`."""
    floored = pc.floor_temporal(values, unit="second").cast(pa.timestamp("s", tz="UTC"))
    return pc.strftime(floored, format=layout)


def _iso(values: pa.Array) -> pa.Array:
    """`datetime.isoformat()` of UTC times: the fraction only when there is one."""
    whole = pc.floor_temporal(values, unit="second")
    micros = pc.subtract(values.cast(pa.int64()), whole.cast(pa.int64()))
    fraction = pc.if_else(
        pc.equal(micros, 0),
        "",
        pc.binary_join_element_wise(".", pc.utf8_lpad(micros.cast(pa.string()), 6, "0"), ""),
    )
    return pc.binary_join_element_wise(
        _seconds(values, "%Y-%m-%dT%H:%M:%S"), fraction, "+00:00", ""
    )


def _plain_text(values: pa.Array, special: str) -> pa.Array:
    """ASCII strings holding none of the `special` regex class (null for null)."""
    return pc.and_(pc.string_is_ascii(values), pc.invert(pc.match_substring_regex(values, special)))


def _only(done: pa.Array, where: pa.Array) -> pa.Array:
    """`done` where `where` holds, null elsewhere (left for the exact path)."""
    return pc.if_else(pc.fill_null(where, False), done, pa.scalar(None, pa.string()))


def _filled(texts: list[str | None], exact: Callable[[int], str]) -> list[str]:
    return [text if text is not None else exact(i) for i, text in enumerate(texts)]


def _picked(pieces: list[str], codes: Codes) -> npt.NDArray[np.object_]:
    table = np.empty(len(pieces), dtype=object)
    table[:] = pieces
    return table[codes]


def _interleaved(parts: Sequence[npt.NDArray[np.object_]]) -> str:
    """Row i is parts[0][i] + parts[1][i] + ...: the parts are laid out row by row in one
    array and joined once."""
    rows = len(parts[0])
    flat = np.empty(rows * len(parts), dtype=object)
    for index, part in enumerate(parts):
        flat[index :: len(parts)] = part
    return "".join(flat.tolist())


# --- JSON -----------------------------------------------------------------------------

# What `json.dumps(..., ensure_ascii=False)` escapes in a string; `json_visible` touches no
# ASCII character.
_JSON_SPECIAL = r'["\\\x00-\x1f]'


def _json_fast(values: pa.Array) -> pa.Array | None:
    """JSON texts computed by Arrow for the plain values (null where the exact path must
    write them), or None for a type it does not handle."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        mark = pa.scalar('"', kind)
        quoted = pc.binary_join_element_wise(mark, values, mark, pa.scalar("", kind))
        done = _only(quoted, _plain_text(values, _JSON_SPECIAL))
    elif pa.types.is_integer(kind):
        done = values.cast(pa.string())
    elif pa.types.is_boolean(kind):
        done = pc.if_else(values, "true", "false")
    elif _utc_micros(values):
        done = pc.binary_join_element_wise('"', _iso(values), '"', "")
    else:
        return None
    return pc.if_else(pc.is_null(values), "null", done)


def json_texts(uniques: pd.Series) -> list[str] | None:
    """Each value's JSON text as the whole document writes it (`records_of`'s conversion,
    `json.dumps`, `json_visible`); None when a value is not a scalar."""
    arrow = _dictionary(uniques)
    fast = _json_fast(arrow) if arrow is not None else None
    texts: list[str | None] = fast.to_pylist() if fast is not None else [None] * len(uniques)
    missing = [index for index, text in enumerate(texts) if text is None]
    if missing:
        values = column_values(uniques.iloc[missing])
        if not all(isinstance(value, _JSON_SCALAR) for value in values):
            return None  # nested values: json.dumps lays them out over lines
        for index, value in zip(missing, values, strict=True):
            texts[index] = json_visible(json.dumps(value, ensure_ascii=False))
    return [text or "" for text in texts]


def json_rows(table: pd.DataFrame, indent: str) -> str:
    """`table`'s records (`records_of`) as `json.dumps(records, indent=2,
    ensure_ascii=False)` writes them at a nesting whose lines start with `indent`, with
    invisible characters escaped (`json_visible`)."""
    names = [str(column) for column in table.columns]
    if table.empty or not names or len(set(names)) < len(names):
        return _json_whole(table, indent)  # (records of repeated names keep the last)
    inner, field = indent + "  ", "\n" + indent + "    "
    parts: list[npt.NDArray[np.object_]] = []
    last = len(names) - 1
    for position, name in enumerate(names):
        codes, uniques = distinct(table.iloc[:, position])
        texts = json_texts(uniques)
        if texts is None:
            return _json_whole(table, indent)
        start = json_visible(f"{field}{json.dumps(name, ensure_ascii=False)}: ")
        end = "," if position < last else ""
        parts.append(_picked([f"{start}{text}{end}" for text in texts], codes))
    rows = len(table)
    opening = np.full(rows, f"\n{inner}{{", dtype=object)
    closing = np.full(rows, f"\n{inner}}},", dtype=object)
    closing[-1] = f"\n{inner}}}"
    return "[" + _interleaved([opening, *parts, closing]) + f"\n{indent}]"


def _json_whole(table: pd.DataFrame, indent: str) -> str:
    """The row-wise form: a nested value's lines are the top-level dump's, indented."""
    text = json.dumps(records_of(table), indent=2, ensure_ascii=False)
    return json_visible(text.replace("\n", "\n" + indent))


def json_document(build: Callable[[Callable[[pd.DataFrame], Any]], Any], token: str) -> str:
    """The JSON text of the document `build(table_value)` returns, where each table is
    written by `json_rows` instead of being listed as records.

    `build` is called with a function that stands a table in for a placeholder string
    (`token` plus a number: a random token, so that no value of the data can be one); the
    small document is dumped as usual, then each placeholder is replaced by its table's text
    at the indentation of the line holding it."""
    tables: list[pd.DataFrame] = []

    def placeholder(table: pd.DataFrame) -> str:
        tables.append(table)
        return f"{token}-{len(tables) - 1}"

    skeleton = json_visible(json.dumps(build(placeholder), indent=2, ensure_ascii=False))
    pieces: list[str] = []
    done = 0
    for number, table in enumerate(tables):
        quoted = f'"{token}-{number}"'
        found = skeleton.find(quoted, done)
        if found < 0 or skeleton.count(quoted) != 1:
            raise ValueError("placeholder not found once in the document")
        line = skeleton[skeleton.rfind("\n", 0, found) + 1 : found]
        indent = line[: len(line) - len(line.lstrip(" "))]
        pieces += [skeleton[done:found], json_rows(table, indent)]
        done = found + len(quoted)
    pieces.append(skeleton[done:])
    return "".join(pieces)


# --- CSV ------------------------------------------------------------------------------

_PLAIN = re.compile(r'[^,"\r\n]+\Z')


def _probe_plain() -> bool:
    """Whether this Python's csv writer leaves a field without `, " CR LF` as it is (and
    quotes it with plain quotes under QUOTE_ALL): the fast path below relies on it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["a b\t'x", 12, "=y"])
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(["a b", 12])
    return buffer.getvalue() == 'a b\t\'x,12,=y\n"a b","12"\n'


_PLAIN_FIELDS = _probe_plain()


class _Fields:
    """One field's text as Python's csv writer writes it (minimal quoting, or QUOTE_ALL for
    a row holding a carriage return), asked of the csv module itself unless plain."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._minimal = csv.writer(self._buffer, lineterminator="\n")
        self._quoted = csv.writer(self._buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def _written(self, cell: str | int | float, quote_all: bool) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        # A trailing empty field: a row of one empty field would be written as `""`.
        (self._quoted if quote_all else self._minimal).writerow([cell, ""])
        text = self._buffer.getvalue()
        suffix = ',""\n' if quote_all else ",\n"
        assert text.endswith(suffix)
        return text[: -len(suffix)]

    def field(self, cell: str | int | float, quote_all: bool) -> str:
        if _PLAIN_FIELDS and ((type(cell) is str and _PLAIN.match(cell)) or type(cell) is int):
            return f'"{cell}"' if quote_all else str(cell)
        return self._written(cell, quote_all)


# A cell the csv writer leaves as it is and `spreadsheet_safe` does not touch: ASCII (so
# `visible` keeps it), no delimiter, quote or line break, no formula start.
_CSV_SPECIAL = r'[,"\r\n]|^[=+\-@\t]'


def _csv_fast(values: pa.Array) -> pa.Array | None:
    """Cells computed by Arrow for the plain values (null where the exact path must write
    them), or None for a type it does not handle."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        done = _only(values, _plain_text(values, _CSV_SPECIAL))
    elif pa.types.is_integer(kind):
        done = values.cast(pa.string())
    elif pa.types.is_boolean(kind):
        done = pc.if_else(values, "true", "false")
    elif _utc_micros(values):
        done = _seconds(values, "%Y-%m-%dT%H:%M:%SZ")  # `cell_text`'s layout
    else:
        return None
    return pc.if_else(pc.is_null(values), "", done)


def csv_fields(
    uniques: pd.Series, safe: Callable[[Any], str | int | float]
) -> tuple[list[str], list[str], list[bool]]:
    """Each value's field as `SafeCsvWriter` writes it in a row without a carriage return
    (minimal quoting) and in one with (every field quoted), and whether its cell holds a
    carriage return."""
    arrow = _dictionary(uniques)
    fast = _csv_fast(arrow) if arrow is not None else None
    plain: list[str | None] = fast.to_pylist() if fast is not None else [None] * len(uniques)
    minimal = [text or "" for text in plain]
    quoted = [f'"{text}"' for text in minimal]
    carriage = [False] * len(plain)
    missing = [index for index, text in enumerate(plain) if text is None]
    if missing:
        fields = _Fields()
        for index, value in zip(missing, uniques.iloc[missing], strict=True):
            cell = safe(value)
            minimal[index] = fields.field(cell, False)
            quoted[index] = fields.field(cell, True)
            carriage[index] = isinstance(cell, str) and "\r" in cell
    return minimal, quoted, carriage


def csv_rows(table: pd.DataFrame, safe: Callable[[Any], str | int | float]) -> str | None:
    """The rows of `table` as `SafeCsvWriter` writes them, `safe` turning a value into its
    cell; None for a table of fewer than two columns (a row of one empty field is special
    to the csv writer; the row-wise writer handles it)."""
    if len(table.columns) < 2:
        return None
    if table.empty:
        return ""
    minimal: list[npt.NDArray[np.object_]] = []
    quoted: list[npt.NDArray[np.object_]] = []
    breaks = np.zeros(len(table), dtype=bool)
    last = len(table.columns) - 1
    for position in range(len(table.columns)):
        codes, uniques = distinct(table.iloc[:, position])
        plain, all_quoted, carriage = csv_fields(uniques, safe)
        end = "," if position < last else "\n"
        minimal.append(_picked([text + end for text in plain], codes))
        quoted.append(_picked([text + end for text in all_quoted], codes))
        breaks |= np.array(carriage, dtype=bool)[codes]
    if breaks.any():
        minimal = [np.where(breaks, q, m) for q, m in zip(quoted, minimal, strict=True)]
    return _interleaved(minimal)
