"""CSV: one block per section (a `section` line, a header, rows, a blank line)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any, TextIO

from analyzer.render.cells import cell_text, spreadsheet_safe
from analyzer.render.interface import Renderer
from analyzer.render.sections import section_rows
from analyzer.reports.report import SigninReport


def safe_cell(value: Any) -> str | int | float:
    """Numbers stay numbers; every string is neutralized against formula injection."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return spreadsheet_safe(cell_text(value))


class CsvRenderer(Renderer):
    """With one `--section`, the output is a plain single-table CSV."""

    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        writer = csv.writer(out, lineterminator="\n")
        blocks = section_rows(report, sections)
        for number, (key, _title, header, rows) in enumerate(blocks):
            if len(blocks) > 1:
                if number:
                    writer.writerow([])
                writer.writerow(["section", key])
            writer.writerow(header)
            for row in rows:
                writer.writerow([safe_cell(v) for v in row])
