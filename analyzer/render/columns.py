"""The report's tables written column by column, by Arrow, a batch of rows at a time.

Writing row by row made a Python dict (JSON) or list (CSV) per row and encoded every cell
through Python: over a million sign-ins that was most of the JSON and CSV time and memory.
Here each column of a batch of rows is turned into its texts by Arrow kernels (quoting,
integer and time formatting) wherever the value is plain (ASCII text without characters to
escape, integers, booleans, UTC times); the other cells (non-ASCII text, quotes, line
breaks, formulas, other types) go through the very conversion the row-wise path applies
(`records.column_values` + `json.dumps` + `json_visible`; iteration of the pandas column +
`safe_cell` + the csv module), remembered per distinct text. The rows are then joined by
Arrow and the batch's text is decoded at once: no Python object per row. The result is the
same text, byte for byte, as `json.dumps(..., indent=2, ensure_ascii=False)` and
`csv_out.SafeCsvWriter`; tests/render/test_columns.py compares them on hostile values.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.findings.model import ShownRows
from analyzer.frame.records import column_values, records_of, row_tuples
from analyzer.render.text import json_visible

BATCH_ROWS = 10_000  # rows joined into one text at a time: a piece of 5 MB (50,000 rows: 108 MB of
# scratch at the peak of a million-row JSON, for no speed measured)
SMALL_TABLE_ROWS = 1_000  # tables this small are written together (`_small_tables`)
_JSON_SCALAR = (str, int, float, bool, type(None))
_TEXT = pa.large_string()  # 64-bit offsets: a batch's text may exceed 2 GB in principle


def arrow_values(column: pd.Series) -> pa.Array | None:
    """The column as one Arrow array when its values are ones the Arrow path formats: any
    Arrow-backed column (its chunks joined), NumPy integers and booleans (which both paths
    turn into Python ints and bools); None for other columns (floats, objects)."""
    if isinstance(column.dtype, pd.ArrowDtype):
        values = column.array.__arrow_array__()
        return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
        return pa.array(column.to_numpy())
    return None


def _completed(
    fast: pa.Array | None, count: int, exact: Callable[[list[int]], list[str]]
) -> pa.Array:
    """`fast` (texts, null where not plain) with the null rows written by `exact`."""
    if fast is None:
        missing = list(range(count))
    else:
        missing = np.flatnonzero(fast.is_null().to_numpy(zero_copy_only=False)).tolist()
        if not missing:
            return fast.cast(_TEXT)
    filler = np.full(count, None, dtype=object)
    filler[missing] = exact(missing)
    written = pa.array(filler, type=_TEXT)
    return written if fast is None else pc.coalesce(fast.cast(_TEXT), written)


def _joined_text(parts: list[pa.Array | str]) -> str:
    """Row i is the concatenation of parts[k][i] (a str part is the same in every row); the
    rows are concatenated into one text, decoded once from Arrow's buffer."""
    return _decoded(_joined_rows(parts))


def _joined_rows(parts: list[pa.Array | str]) -> pa.Array:
    """Row i's text is the concatenation of parts[k][i] (a str part is in every row)."""
    rows = pc.binary_join_element_wise(
        *[pa.scalar(p, _TEXT) if isinstance(p, str) else p.cast(_TEXT) for p in parts],
        pa.scalar("", _TEXT),
    )
    return rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows


def _decoded(rows: pa.Array, start: int = 0, stop: int | None = None) -> str:
    """Rows `start:stop` of a large_string array as one text, decoded once."""
    stop = len(rows) if stop is None else stop
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    first, last = offsets[rows.offset + start], offsets[rows.offset + stop]
    data = rows.buffers()[2]
    return "" if data is None else str(memoryview(data)[first:last], "utf-8")


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


def _seconds(values: pa.Array, after: str) -> pa.Array:
    """Times to the second (floored, as Python's datetime fields are) as
    `YYYY-MM-DDTHH:MM:SS` + `after`: Arrow's cast to text, ten times faster than its
    `strftime`, writes `YYYY-MM-DD HH:MM:SS` for whole seconds of a zone-less time."""
    floored = pc.floor_temporal(values, unit="second").cast(pa.timestamp("s"))
    text = pc.replace_substring(floored.cast(pa.string()), " ", "T", max_replacements=1)
    return pc.binary_join_element_wise(text, after, "")


def _iso(values: pa.Array) -> pa.Array:
    """`datetime.isoformat()` of UTC times: the fraction only when there is one."""
    whole = pc.floor_temporal(values, unit="second")
    micros = pc.subtract(values.cast(pa.int64()), whole.cast(pa.int64()))
    fraction = pc.if_else(
        pc.equal(micros, 0),
        "",
        pc.binary_join_element_wise(".", pc.utf8_lpad(micros.cast(pa.string()), 6, "0"), ""),
    )
    return pc.binary_join_element_wise(_seconds(values, ""), fraction, "+00:00", "")


def _plain_text(values: pa.Array, special: str) -> pa.Array:
    """ASCII strings holding none of the `special` regex class (null for null)."""
    return pc.and_(pc.string_is_ascii(values), pc.invert(pc.match_substring_regex(values, special)))


def _only(done: pa.Array, where: pa.Array) -> pa.Array:
    """`done` where `where` holds, null elsewhere (left for the exact path)."""
    return pc.if_else(pc.fill_null(where, False), done, pa.scalar(None, done.type))


# --- JSON -----------------------------------------------------------------------------

# What `json.dumps(..., ensure_ascii=False)` escapes in a string, and the one ASCII character
# `json_visible` escapes.
_JSON_CONTROL = r"[\x00-\x1f\x7f]"  # \n, \u001b, ... (json.dumps), \u007f (json_visible)


def _json_fast(values: pa.Array) -> pa.Array | None:
    """JSON texts computed by Arrow for the plain values (null where the exact path must
    write them), or None for a type it does not handle."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
        mark = pa.scalar('"', kind)
        quoted = pc.binary_join_element_wise(mark, escaped, mark, pa.scalar("", kind))
        done = _only(quoted, _plain_text(values, _JSON_CONTROL))
    elif pa.types.is_integer(kind):
        done = values.cast(pa.string())
    elif pa.types.is_boolean(kind):
        done = pc.if_else(values, "true", "false")
    elif _utc_micros(values):
        done = pc.binary_join_element_wise('"', _iso(values), '"', "")
    else:
        return None
    return pc.if_else(pc.is_null(values), "null", done)


class _Nested(Exception):
    """A cell holds a list or dict: `json.dumps` lays those out over lines."""


def _json_exact(values: pd.Series, memo: dict[str, str]) -> Callable[[list[int]], list[str]]:
    def exact(rows: list[int]) -> list[str]:
        texts = []
        for value in column_values(values.iloc[rows]):
            if not isinstance(value, _JSON_SCALAR):
                raise _Nested
            if type(value) is str and value in memo:
                texts.append(memo[value])
                continue
            text = json_visible(json.dumps(value, ensure_ascii=False))
            if type(value) is str:
                memo[value] = text
            texts.append(text)
        return texts

    return exact


def json_rows(table: pd.DataFrame, indent: str) -> Iterator[str]:
    """`table`'s records (`records_of`) as `json.dumps(records, indent=2,
    ensure_ascii=False)` writes them at a nesting whose lines start with `indent`, with
    invisible characters escaped (`json_visible`), in pieces of `BATCH_ROWS` rows."""
    names = [str(column) for column in table.columns]
    if table.empty or not names or len(set(names)) < len(names):
        yield _json_whole(table, indent)  # (records of repeated names keep the last)
        return
    try:
        first = _json_batch(table.iloc[:BATCH_ROWS], names, indent)
    except _Nested:
        yield _json_whole(table, indent)
        return
    yield "[" + first
    for start in range(BATCH_ROWS, len(table), BATCH_ROWS):
        yield "," + _json_batch(table.iloc[start : start + BATCH_ROWS], names, indent)
    yield f"\n{indent}]"


def _json_batch(rows: pd.DataFrame, names: list[str], indent: str) -> str:
    """The batch's row objects, comma-separated (no brackets)."""
    return _decoded(_json_objects(rows, names, indent))[:-1]  # the last row's comma


def _json_objects(rows: pd.DataFrame, names: list[str], indent: str) -> pa.Array:
    """Each row's object, followed by a comma, as one text per row."""
    inner, field = indent + "  ", "\n" + indent + "    "
    parts: list[pa.Array | str] = [f"\n{inner}{{"]
    for position, name in enumerate(names):
        column = rows.iloc[:, position]
        values = arrow_values(column)
        fast = _json_fast(values) if values is not None else None
        texts = _completed(fast, len(rows), _json_exact(column, {}))
        key = json_visible(json.dumps(name, ensure_ascii=False))
        parts += [f",{field}{key}: " if position else f"{field}{key}: ", texts]
    parts.append(f"\n{inner}}},")
    return _joined_rows(parts)


def _json_whole(table: pd.DataFrame, indent: str) -> str:
    """The row-wise form: a nested value's lines are the top-level dump's, indented."""
    text = json.dumps(records_of(table), indent=2, ensure_ascii=False)
    return json_visible(text.replace("\n", "\n" + indent))


Written = pd.DataFrame | ShownRows  # a table, or a finding's rows of a shared one


def json_pieces(build: Callable[[Callable[[Written], Any]], Any], token: str) -> Iterator[str]:
    """The JSON text of the document `build(table_value)` returns, in pieces, each table
    written by `json_rows` instead of being listed as records.

    `build` is called with a function that stands a table in for a placeholder string
    (`token` plus a number: a random token, so that no value of the data can be one); the
    small document is dumped as usual, then each placeholder is replaced by its table's text
    at the indentation of the line holding it. Raises ValueError (before any piece) when a
    placeholder is not found exactly once."""
    tables: list[Written] = []

    def placeholder(table: Written) -> str:
        tables.append(table)
        return f"{token}-{len(tables) - 1}"

    skeleton = json_visible(json.dumps(build(placeholder), indent=2, ensure_ascii=False))
    # Every placeholder found in one pass over the skeleton (searching it once per table
    # was quadratic: 15,000 findings' evidence took twenty seconds to place).
    places: dict[int, list[int]] = {}
    for match in re.finditer(f'"{re.escape(token)}-(\\d+)"', skeleton):
        places.setdefault(int(match.group(1)), []).append(match.start())
    if sorted(places) != list(range(len(tables))) or any(len(at) != 1 for at in places.values()):
        raise ValueError("placeholder not found once in the document")
    found: list[tuple[int, int, str, Written]] = []
    for number, table in enumerate(tables):  # (in the document's order, whatever the calls')
        [at] = places[number]
        end = at + len(f'"{token}-{number}"')
        line = skeleton[skeleton.rfind("\n", 0, at) + 1 : at]
        found.append((at, end, line[: len(line) - len(line.lstrip(" "))], table))
    found.sort(key=lambda span: span[0])
    spans = [(start, end, indent) for start, end, indent, _ in found]
    return _spliced(skeleton, spans, [table for *_, table in found])


def _spliced(
    skeleton: str, spans: list[tuple[int, int, str]], tables: list[Written]
) -> Iterator[str]:
    indents = [indent for _, _, indent in spans]
    written = _shared_rows(tables, indents)
    placed = pd.DataFrame()  # (a span already written needs no frame of its own)
    plain = [
        table if isinstance(table, pd.DataFrame) else placed if n in written else table.frame()
        for n, table in enumerate(tables)
    ]
    written.update(_small_tables(plain, indents, skip=set(written)))
    done = 0
    for number, ((start, end, indent), table) in enumerate(zip(spans, plain, strict=True)):
        yield skeleton[done:start]
        if number in written:
            yield written[number]
        else:
            yield from json_rows(table, indent)
        done = end
    yield skeleton[done:]


def _shared_rows(tables: list[Written], indents: list[str]) -> dict[int, str]:
    """The texts of findings' rows that are spans of one shared table (by number): the
    table's row objects written once, each span cut out of them."""
    groups: dict[tuple[int, str], list[int]] = {}
    for number, (table, indent) in enumerate(zip(tables, indents, strict=True)):
        if isinstance(table, ShownRows) and len(table):
            groups.setdefault((id(table.table), indent), []).append(number)
    written: dict[int, str] = {}
    for (_, indent), numbers in groups.items():
        shared = tables[numbers[0]]
        assert isinstance(shared, ShownRows)
        names = [str(column) for column in shared.table.columns]
        labels = all(isinstance(column, str) for column in shared.table.columns)
        if not names or not labels or len(set(names)) != len(names):
            continue
        try:
            objects = _json_objects(shared.table, names, indent)
        except _Nested:
            continue
        for number in numbers:
            rows = tables[number]
            assert isinstance(rows, ShownRows)
            body = _decoded(objects, rows.start, rows.stop)[:-1]  # the last row's comma
            written[number] = f"[{body}\n{indent}]"
    return written


def _small_tables(
    tables: list[pd.DataFrame], indents: list[str], skip: set[int] | frozenset[int] = frozenset()
) -> dict[int, str]:
    """The texts of the small tables (by number), written together: a report holds a few
    hundred findings of up to fifty evidence rows each, and the Arrow kernels of one table
    cost about the same for fifty rows as for ten thousand. Tables alike (column names and
    types, indentation) are concatenated, their row objects written at once and cut apart
    again; a group holding a nested value is left to `json_rows`, table by table."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...], str], list[int]] = {}
    for number, (table, indent) in enumerate(zip(tables, indents, strict=True)):
        if number in skip:
            continue
        names = tuple(str(column) for column in table.columns)
        labels = all(isinstance(column, str) for column in table.columns)  # (concat aligns
        # by label: 1 and "1" print alike but are two columns, 1 and 1.0 one)
        alike = names and labels and len(set(names)) == len(names)
        if 0 < len(table) <= SMALL_TABLE_ROWS and alike:
            key = (names, tuple(str(kind) for kind in table.dtypes), indent)
            groups.setdefault(key, []).append(number)
    written: dict[int, str] = {}
    for (names, _, indent), numbers in groups.items():
        members = [tables[number] for number in numbers]
        together = pd.concat(members, ignore_index=True) if len(members) > 1 else members[0]
        try:
            objects = _json_objects(together, list(names), indent)
        except _Nested:
            continue
        start = 0
        for number, table in zip(numbers, members, strict=True):
            stop = start + len(table)
            body = _decoded(objects, start, stop)[:-1]  # the last row's comma
            written[number] = f"[{body}\n{indent}]"
            start = stop
    return written


def json_document(build: Callable[[Callable[[pd.DataFrame], Any]], Any], token: str) -> str:
    """`json_pieces` joined."""
    return "".join(json_pieces(build, token))


# --- CSV ------------------------------------------------------------------------------

_PLAIN = re.compile(r'[^,"\r\n]+\Z')


def _probe_plain() -> bool:
    """Whether this Python's csv writer writes fields the way the Arrow path does: a field
    without `, " CR LF` as it is, one with `,` or `"` in quotes with its quotes doubled, and
    every field in plain quotes under QUOTE_ALL."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["a b\t'x", 12, "=y", 'x,"y"', ""])
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(["a b", 12, ""])
    return buffer.getvalue() == 'a b\t\'x,12,=y,"x,""y""",\n"a b","12",""\n'


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


# A cell `spreadsheet_safe` does not touch: ASCII (so `visible` keeps it), no line break,
# no control character but the tab, no formula start; of those, a cell with a delimiter or
# a quote is quoted.
_CSV_EXACT = r"[\x00-\x08\x0a-\x1f\x7f]|^[=+\-@\t]"
_CSV_QUOTED = r'[,"]'


def _csv_fast(values: pa.Array) -> tuple[pa.Array, pa.Array] | None:
    """Fields computed by Arrow for the plain values, as a row without and with a carriage
    return has them (null where the exact path must write them), or None for a type it
    does not handle."""
    if not _PLAIN_FIELDS:
        return None
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = values.cast(_TEXT)
        doubled = _quoted(pc.replace_substring(text, '"', '""'))
        plain = _plain_text(values, _CSV_EXACT)
        needs_quotes = pc.match_substring_regex(values, _CSV_QUOTED)
        nulls = pc.is_null(values)  # an empty cell (`cell_text`), left empty by the writer
        return (
            pc.if_else(
                nulls, pa.scalar("", _TEXT), _only(pc.if_else(needs_quotes, doubled, text), plain)
            ),
            pc.if_else(nulls, pa.scalar('""', _TEXT), _only(doubled, plain)),
        )
    if pa.types.is_integer(kind):
        done = values.cast(_TEXT)
    elif pa.types.is_boolean(kind):
        done = pc.if_else(values, "true", "false").cast(_TEXT)
    elif _utc_micros(values):
        done = _seconds(values, "Z").cast(_TEXT)  # `cell_text`'s layout
    else:
        return None
    done = pc.if_else(pc.is_null(values), pa.scalar("", _TEXT), done)
    return done, _quoted(done)


def _quoted(texts: pa.Array) -> pa.Array:
    mark = pa.scalar('"', _TEXT)
    return pc.binary_join_element_wise(mark, texts.cast(_TEXT), mark, pa.scalar("", _TEXT))


def csv_rows(table: pd.DataFrame, safe: Callable[[Any], str | int | float]) -> Iterator[str] | None:
    """The rows of `table` as `SafeCsvWriter` writes them, `safe` turning a value into its
    cell, in pieces of `BATCH_ROWS` rows; None for a table of fewer than two columns (a row
    of one empty field is special to the csv writer; the row-wise writer handles it)."""
    if len(table.columns) < 2:
        return None
    return (
        _csv_batch(table.iloc[start : start + BATCH_ROWS], safe)
        for start in range(0, len(table), BATCH_ROWS)
    )


def _csv_batch(rows: pd.DataFrame, safe: Callable[[Any], str | int | float]) -> str:
    fields = _Fields()
    memo: dict[str, tuple[str, str]] = {}
    count = len(rows)
    minimal: list[pa.Array | str] = []
    quoted: list[pa.Array | str] = []
    breaks = np.zeros(count, dtype=bool)
    for position in range(len(rows.columns)):
        column = rows.iloc[:, position]
        values = arrow_values(column)
        fast = _csv_fast(values) if values is not None else None
        if fast is None:
            missing = list(range(count))
        else:
            missing = np.flatnonzero(fast[0].is_null().to_numpy(zero_copy_only=False)).tolist()
        plain, all_quoted = fast if fast is not None else (None, None)
        if missing:
            written: list[tuple[str, str]] = []
            for row, value in zip(missing, column.iloc[missing], strict=True):
                cell = safe(value)
                if type(cell) is str:
                    breaks[row] |= "\r" in cell
                    if cell in memo:
                        written.append(memo[cell])
                        continue
                both = (fields.field(cell, False), fields.field(cell, True))
                if type(cell) is str:
                    memo[cell] = both
                written.append(both)
            plain = _merged(plain, count, missing, [w[0] for w in written])
            all_quoted = _merged(all_quoted, count, missing, [w[1] for w in written])
        assert plain is not None
        assert all_quoted is not None
        end = "," if position < len(rows.columns) - 1 else "\n"
        minimal += [plain, end]
        quoted += [all_quoted, end]
    if breaks.any():
        chosen = pa.array(breaks)
        minimal = [
            p if isinstance(p, str) else pc.if_else(chosen, q, p)
            for p, q in zip(minimal, quoted, strict=True)
        ]
    return _joined_text(minimal)


def _merged(fast: pa.Array | None, count: int, rows: list[int], texts: list[str]) -> pa.Array:
    """`fast` with `texts` at `rows` (where it is null)."""
    filler = np.full(count, None, dtype=object)
    filler[rows] = texts
    written = pa.array(filler, type=_TEXT)
    return written if fast is None else pc.coalesce(fast.cast(_TEXT), written)


# --- Cell text (HTML, Markdown) -------------------------------------------------------


def _cell_texts(values: pa.Array) -> pa.Array | None:
    """`cell_text` of each value where Arrow spells it alike (texts, integers, booleans, UTC
    times to the second), or None for another type."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        done = values
    elif pa.types.is_integer(kind):
        done = values.cast(pa.string())
    elif pa.types.is_boolean(kind):
        done = pc.if_else(values, "True", "False")  # `str()` of a bool
    elif _utc_micros(values):
        done = _seconds(values, "Z")
    else:
        return None
    return pc.if_else(pc.is_null(values), pa.scalar("", done.type), done)


def _exact_cells(
    cell: Callable[[str], str],
) -> Callable[[pd.Series], Callable[[list[int]], list[str]]]:
    """The exact path of a text writer: `cell(cell_text(value))` of each value the fast path
    left, remembered per distinct text."""

    def of(values: pd.Series) -> Callable[[list[int]], list[str]]:
        from analyzer.render.cells import cell_text

        memo: dict[str, str] = {}

        def exact(rows: list[int]) -> list[str]:
            texts = []
            for value in values.iloc[rows]:
                text = cell_text(value)
                if text not in memo:
                    memo[text] = cell(text)
                texts.append(memo[text])
            return texts

        return exact

    return of


def _cell_rows(
    rows: pd.DataFrame,
    fast: Callable[[pa.Array], pa.Array | None],
    exact: Callable[[pd.Series], Callable[[list[int]], list[str]]],
    marks: tuple[str, Sequence[str], str],
) -> str:
    """Each row's cells after its opening mark, between the separators (one fewer than the
    columns) and before its closing mark, one text for the batch: the cells `fast` writes,
    the others `exact`."""
    opening, separators, closing = marks
    parts: list[pa.Array | str] = [opening]
    for position in range(len(rows.columns)):
        column = rows.iloc[:, position]
        values = arrow_values(column)
        done = fast(values) if values is not None else None
        parts.append(_completed(done, len(rows), exact(column)))
        parts.append(separators[position] if position < len(rows.columns) - 1 else closing)
    return _joined_text(parts)


# --- HTML ------------------------------------------------------------------------------

# What `printable` changes in an ASCII text: C0 controls and DEL (a non-ASCII text, whose C1
# controls and invisible characters it also escapes, is left to the exact path).
_HTML_EXACT = r"[\x00-\x1f\x7f]"
# MarkupSafe's escapes, the ones Jinja2's autoescaping writes (`&` first).
_HTML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;"))


def _html_fast(values: pa.Array) -> pa.Array | None:
    """Cells (`printable(cell_text(value))`, HTML-escaped) computed by Arrow for the plain
    values (null where the exact path must write them), or None for a type it does not
    handle (floats, whose `str` Arrow does not spell alike)."""
    texts = _cell_texts(values)
    if texts is None:
        return None
    escaped = texts
    for character, escape in _HTML_ESCAPES:
        escaped = pc.replace_substring(escaped, character, escape)
    return _only(escaped, _plain_text(texts, _HTML_EXACT))


def _html_cell(text: str) -> str:
    from markupsafe import escape

    from analyzer.render.cells import printable

    return str(escape(printable(text)))


def html_rows(table: pd.DataFrame) -> Iterator[str]:
    """`table`'s rows as the report template writes them (`<tr><td>…</td></tr>`, each cell
    `printable(cell_text(value))` escaped as Jinja2's autoescaping escapes it), one line per
    row, in pieces of `BATCH_ROWS` rows."""
    if not len(table.columns):
        yield "<tr></tr>\n" * len(table)
        return
    exact = _exact_cells(_html_cell)
    for start in range(0, len(table), BATCH_ROWS):
        rows = table.iloc[start : start + BATCH_ROWS]
        marks = ("<tr><td>", ["</td><td>"] * len(rows.columns), "</td></tr>\n")
        yield _cell_rows(rows, _html_fast, exact, marks)


# --- Markdown --------------------------------------------------------------------------

# A cell `markdown_safe` may do more with than escape: a control character (`printable`), or
# a possible link (its `_may_link` pre-check): left to the exact path.
_MARKDOWN_EXACT = r"[\x00-\x1f\x7f@]|://|(?i:www\.|mailto:|xmpp:)"
_MARKDOWN_SPECIAL = r"([\\`*_{}\[\]()#+!|~>-])"  # backslashed, as `text._MARKDOWN_SPECIAL`


def _markdown_fast(values: pa.Array) -> pa.Array | None:
    """`markdown_safe(cell_text(value))` computed by Arrow for plain cells (null where the
    exact path must write them): HTML's three escapes, then a backslash before each
    Markdown punctuation character."""
    texts = _cell_texts(values)
    if texts is None:
        return None
    escaped = texts
    for character, escape in _HTML_ESCAPES[:3]:
        escaped = pc.replace_substring(escaped, character, escape)
    escaped = pc.replace_substring_regex(escaped, _MARKDOWN_SPECIAL, r"\\\1")
    return _only(escaped, _plain_text(texts, _MARKDOWN_EXACT))


def markdown_rows(table: pd.DataFrame) -> Iterator[str] | None:
    """`table`'s rows as the Markdown renderer writes them (`| a | b |`, each cell
    `markdown_safe(cell_text(value))`), in pieces of `BATCH_ROWS` rows; None for a table
    without columns (the renderer's own loop writes those)."""
    if not len(table.columns):
        return None
    from analyzer.render.cells import markdown_safe

    exact = _exact_cells(markdown_safe)
    marks = ("| ", [" | "] * len(table.columns), " |\n")
    return (
        _cell_rows(table.iloc[start : start + BATCH_ROWS], _markdown_fast, exact, marks)
        for start in range(0, len(table), BATCH_ROWS)
    )


# --- JSON Lines of the normalized rows (`--events x.jsonl`) ----------------------------


def _event_value(value: Any) -> Any:
    """What `--events x.jsonl` writes for a value: null for missing, a time as its table cell
    (`cell_text`: to the second, `Z`), anything else as it is."""
    from analyzer.render.cells import cell_text

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return cell_text(value)
    return value


def event_line(names: list[str], row: tuple[Any, ...]) -> str:
    """One row as its line: the reference the column-wise writer matches byte for byte."""
    record = {name: _event_value(value) for name, value in zip(names, row, strict=True)}
    return json_visible(json.dumps(record, ensure_ascii=False)) + "\n"


def _event_fast(values: pa.Array) -> pa.Array | None:
    """`_json_fast`, but a UTC time written as its table cell, as `_event_value` has it."""
    if _utc_micros(values):
        quoted = pc.binary_join_element_wise('"', _seconds(values, "Z"), '"', "")
        return pc.if_else(pc.is_null(values), "null", quoted)
    return _json_fast(values)


def _event_exact(values: pd.Series) -> Callable[[list[int]], list[str]]:
    def exact(rows: list[int]) -> list[str]:
        return [
            json_visible(json.dumps(_event_value(value), ensure_ascii=False))
            for value in values.iloc[rows]
        ]

    return exact


def jsonl_rows(table: pd.DataFrame) -> Iterator[str]:
    """`table`'s rows as `event_line` writes them, one JSON object a line, in pieces of
    `BATCH_ROWS` rows (a million rows of every column took a minute row by row)."""
    names = [str(column) for column in table.columns]
    if not names or len(set(names)) < len(names):  # (a record keeps a repeated name's last)
        for row in row_tuples(table):
            yield event_line(names, row)
        return
    keys = [json_visible(json.dumps(name, ensure_ascii=False)) + ": " for name in names]
    marks = ("{" + keys[0], [", " + key for key in keys[1:]], "}\n")
    for start in range(0, len(table), BATCH_ROWS):
        yield _cell_rows(table.iloc[start : start + BATCH_ROWS], _event_fast, _event_exact, marks)
