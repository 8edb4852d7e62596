"""Rich tables for the terminal. Cells are `Text` objects, never markup strings, so a user
agent like `[bold red]` or an ANSI escape is printed as the characters it is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from analyzer.render.cells import cell_text, printable
from analyzer.render.formats import DEFAULT_ROWS, TABLE_SECTIONS
from analyzer.render.interface import Renderer
from analyzer.render.sections import section_rows
from analyzer.reports.report import SigninReport


def _numeric_columns(rows: list[list[Any]], width: int) -> set[int]:
    """Columns holding only numbers are right-aligned and never wrapped."""
    return {
        i
        for i in range(width)
        if rows and all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows)
    }


def _time_columns(rows: list[list[Any]], width: int) -> set[int]:
    """A timestamp folded over two lines is hard to read: time columns never wrap."""
    return {
        i
        for i in range(width)
        if rows and all(r[i] is None or isinstance(r[i], datetime) or r[i] is pd.NaT for r in rows)
    }


CAPPED_SECTIONS = frozenset({"findings", *(key for key, _ in TABLE_SECTIONS)})


class TableRenderer(Renderer):
    """`max_rows` caps each data table (0: no cap). A terminal report of a large account
    listed every sign-in without MFA, thousands of lines, and rich took most of a second to
    lay them out; the other formats always carry every row."""

    def __init__(
        self, *, color: bool = False, width: int | None = None, max_rows: int = DEFAULT_ROWS
    ) -> None:
        self.color = color
        self.width = width
        self.max_rows = max_rows

    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        console = Console(
            file=out,
            force_terminal=self.color,
            no_color=not self.color,
            width=self.width or (None if self.color else 200),
            highlight=False,
            soft_wrap=False,
        )
        for key, title, header, rows in section_rows(report, sections):
            caption = None
            if self.max_rows and key in CAPPED_SECTIONS and len(rows) > self.max_rows:
                caption = Text(
                    f"{self.max_rows} of {len(rows)} rows shown; all of them: --rows 0, "
                    "or --format csv / json / html",
                    style="italic",
                )
                rows = rows[: self.max_rows]
            table = Table(
                title=Text(title, style="bold"),
                title_justify="left",
                caption=caption,
                caption_justify="left",
            )
            numeric = _numeric_columns(rows, len(header))
            times = _time_columns(rows, len(header))
            for index, name in enumerate(header):
                if index in numeric:
                    table.add_column(Text(name), justify="right", no_wrap=True)
                elif index in times:
                    table.add_column(Text(name), no_wrap=True)
                else:
                    table.add_column(Text(name), overflow="fold")
            for row in rows:
                table.add_row(*(Text(printable(cell_text(v))) for v in row))
            if not rows:
                table.add_row(*(Text("-") for _ in header))
            console.print(table)
            console.print()
