"""CSV: one block per section (a `section` line, a header, rows, a blank line)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import pandas as pd

from analyzer.render.cells import cell_text, spreadsheet_safe
from analyzer.render.columns import csv_rows
from analyzer.render.interface import Renderer
from analyzer.render.sections import listed, section_blocks
from analyzer.reports.report import SigninReport


def safe_cell(value: Any) -> str | int | float:
    """Numbers stay numbers; every string is neutralized against formula injection."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return spreadsheet_safe(cell_text(value))


class SafeCsvWriter:
    """Rows of safe cells. Python's writer quotes a cell holding the line terminator (`\\n`)
    but not a bare carriage return, which spreadsheets take as a new row: a row with a CR in
    any cell is written fully quoted, every other row exactly as before."""

    def __init__(self, out: TextIO) -> None:
        self._minimal = csv.writer(out, lineterminator="\n")
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, values: Iterable[Any]) -> None:
        cells = [safe_cell(v) for v in values]
        breaks = any(isinstance(c, str) and "\r" in c for c in cells)
        (self._quoted if breaks else self._minimal).writerow(cells)


class CsvRenderer(Renderer):
    """With one `--section`, the output is a plain single-table CSV. The report's tables are
    written column by column (`render.columns`), the same text as `SafeCsvWriter` row by row."""

    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        writer = SafeCsvWriter(out)
        blocks = section_blocks(report, sections)
        for number, (key, _title, header, rows) in enumerate(blocks):
            if len(blocks) > 1:
                if number:
                    writer.writerow([])
                writer.writerow(["section", key])
            writer.writerow(header)
            if isinstance(rows, pd.DataFrame):
                pieces = csv_rows(rows, safe_cell)
                if pieces is not None:
                    for piece in pieces:
                        out.write(piece)
                    continue
            for row in listed(rows):
                writer.writerow(row)
