"""Tables for the terminal, readable at any width. Cells are `Text` objects, never markup
strings, so a user agent like `[bold red]` or an ANSI escape is printed as the characters it
is.

A report is read in an 80-column terminal as often as in a wide one. Left to itself rich
shrinks every column of a wide table until names are zero or one character wide, so each
table names the columns that say who (user, account, address) and the key counts: those are
always shown in full. When a table fits the width with its other text columns folded to a
readable width, it is drawn boxed; otherwise it is drawn compact, with the columns that do not
fit on a second, indented line under each row (`name: value`), so nothing is ever dropped.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

import pandas as pd
from rich.cells import cell_len
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from analyzer.render.cells import cell_text, printable
from analyzer.render.formats import DEFAULT_ROWS, TABLE_SECTIONS
from analyzer.render.interface import Renderer
from analyzer.render.sections import incomplete_note, listed, section_blocks
from analyzer.reports.report import SigninReport

PIPED_WIDTH = 200  # a file or pipe without COLUMNS: wide, so a saved report wraps little
FOLD_MIN = 12  # a folded text column narrower than this is no longer readable
WORD_MAX = 32  # words longer than this (user agents, ARNs) may be cut to fold a column
GAP = "  "  # between columns of the compact layout
DETAIL_INDENT = 4  # cells before the `name: value` line under a row

# Per section, the columns that identify the row and its key counts: never wrapped, never
# abbreviated, never moved off the row. Sections not listed keep their first column.
MUST_SHOW: dict[str, tuple[str, ...]] = {
    "summary": ("metric", "value"),
    "coverage": ("metric", "value"),
    "findings": ("severity", "rule", "finding", "events"),
    "suppressed": ("rule", "finding", "suppressed by"),
    "users": ("account_id", "user_name", "sign_ins", "successes", "failures"),
    "endpoints": ("endpoint", "region", "sign_ins", "successes", "failures"),
    "mfa_by_identity": (
        "identity_type",
        "successes_with_mfa",
        "successes_without_mfa",
        "successes_federated_idp",
        "successes_mfa_unknown",
    ),
    "without_mfa": ("event_time", "account_id", "user_name", "source_ip"),
    "failures_by_kind": ("failure_kind", "failures", "users", "source_ips"),
    "failures_by_user": ("account_id", "user_name", "failures"),
    "failures_by_source_ip": ("source_ip", "failures", "users"),
    "regions": ("region", "source", "status", "events"),
}
# Must-show columns holding prose rather than a name: shown in full, folded over lines.
FOLDED_PROSE = frozenset({"finding", "value"})


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


def terminal_width(requested: int | None, color: bool) -> int | None:
    """The width to lay out for: the caller's, else `COLUMNS` (also when piped, as `ls` and
    the AWS CLI do), else the terminal's own (rich asks it), else PIPED_WIDTH."""
    if requested:
        return requested
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if color else PIPED_WIDTH


def _display_header(name: str) -> str:
    """`successes_with_mfa` is shown as `successes with mfa`: words wrap, underscores do not."""
    return name.replace("_", " ")


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _fold(text: str, width: int) -> list[str]:
    """`text` cut into pieces at most `width` cells wide (a name wider than the column is
    shown over several lines, never cut off)."""
    if cell_len(text) <= width:
        return [text]
    pieces: list[str] = []
    current, used = "", 0
    for char in text:
        size = cell_len(char)
        if used + size > width and current:
            pieces.append(current)
            current, used = "", 0
        current += char
        used += size
    pieces.append(current)
    return pieces


def _wrap(text: str, width: int) -> list[str]:
    """Prose (a finding's title) wraps at words; a word wider than the column is folded."""
    lines = textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    return [piece for line in lines for piece in _fold(line, width)]


CELL_CHARS = 1000  # a terminal cell's text at most; the other formats carry it whole


def _bounded(text: str) -> str:
    """A cell cut to `CELL_CHARS`, saying how much more there is: a user agent of megabytes
    (a hostile record) took the table twenty seconds and thousands of wrapped lines."""
    if len(text) <= CELL_CHARS:
        return text
    return f"{text[:CELL_CHARS]}\u2026 ({len(text) - CELL_CHARS} more characters: --format json)"


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - cell_len(text))
    return space + text if right else text + space


class _Block:
    """One table's cells as printable text, with what the layout needs to know about them."""

    def __init__(self, key: str, header: list[str], rows: list[list[Any]]) -> None:
        self.header = [_display_header(h) for h in header]
        self.cells = [[_bounded(printable(cell_text(v))) for v in row] for row in rows]
        self.numeric = _numeric_columns(rows, len(header))
        self.times = _time_columns(rows, len(header))
        wanted = MUST_SHOW.get(key, tuple(header[:1]))
        self.must = [i for i, name in enumerate(header) if name in wanted] or [0]
        self.prose = {i for i, name in enumerate(header) if name in FOLDED_PROSE}

    def natural(self, index: int) -> int:
        """Width that shows every cell of the column on one line (headers may wrap)."""
        cells = [cell_len(row[index]) for row in self.cells]
        return max([_longest_word(self.header[index]), 1, *cells])

    def fold_minimum(self, index: int) -> int:
        """Narrowest a folding column may get: FOLD_MIN, or its longest word (a user name in
        a list, up to WORD_MAX cells) so that names are wrapped between, not cut in two."""
        words = [_longest_word(row[index]) for row in self.cells]
        return min(self.natural(index), max(FOLD_MIN, min(WORD_MAX, max(words, default=0))))

    def folds(self, index: int) -> bool:
        """Text columns that are not a must-show name may fold; numbers and times never."""
        if index in self.numeric or index in self.times:
            return False
        return index not in self.must or index in self.prose

    def boxed_width(self) -> int:
        """The narrowest boxed table: unfolded columns at full width, folded ones at their
        fold minimum, plus rich's padding and borders (three cells per column, one more)."""
        widths = [
            self.fold_minimum(i) if self.folds(i) else self.natural(i)
            for i in range(len(self.header))
        ]
        return sum(widths) + 3 * len(widths) + 1


class _Console(Console):
    """rich exits the process with status 1 when its output pipe closes (`| head`): 1 is
    this command's code for findings. The error goes to the caller, which says it and
    exits with the code for output that could not be written."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


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
        console = _Console(
            file=out,
            force_terminal=self.color,
            no_color=not self.color,
            width=terminal_width(self.width, self.color),
            highlight=False,
            soft_wrap=False,
        )
        note = incomplete_note(report)
        if note:
            console.print(Text(note, style="bold red"))
            console.print()
        for key, title, header, table in section_blocks(report, sections):
            caption = None
            limit = None
            if self.max_rows and key in CAPPED_SECTIONS and len(table) > self.max_rows:
                caption = Text(
                    # (one line of an 80-column terminal, a six-digit count included)
                    f"{self.max_rows} of {len(table)} rows shown; all: --rows 0, or "
                    "--format csv/json/markdown/html",
                    style="italic",
                )
                limit = self.max_rows  # only the rows shown become Python values
            rows = listed(table, limit)
            block = _Block(key, header, rows)
            if not rows:  # at any width: the table is there, and empty
                console.print(Text(title, style="bold"))
                console.print(Text("none", style="italic"))
            elif block.boxed_width() <= console.width:
                console.print(_boxed(block, title, caption, console.width))
            else:
                _compact(console, block, title, caption)
            console.print()


CAPPED_SECTIONS = frozenset(
    {"findings", "suppressed", "problems", *(key for key, _ in TABLE_SECTIONS)}
)


def _boxed_widths(block: _Block, width: int) -> list[int]:
    """Column widths for the boxed table: each column as wide as its cells and its whole
    header when that fits; otherwise the columns with the most room above their minimum
    (one line per cell, headers wrapped at words; folding text at FOLD_MIN) give way first.
    Rich left to itself widens numeric columns to their headers and crops the table."""
    count = len(block.header)
    available = width - (3 * count + 1)
    minimum = [block.fold_minimum(i) if block.folds(i) else block.natural(i) for i in range(count)]
    widths = [max(block.natural(i), cell_len(block.header[i])) for i in range(count)]
    excess = sum(widths) - available
    while excess > 0:
        room = [(widths[i] - minimum[i], widths[i], i) for i in range(count)]
        slack, _, index = max(room)
        if slack <= 0:
            break
        step = min(excess, max(1, slack - max((r[0] for r in room if r[2] != index), default=0)))
        widths[index] -= step
        excess -= step
    return widths


def _boxed(block: _Block, title: str, caption: Text | None, width: int) -> Table:
    table = Table(
        title=Text(title, style="bold"),
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    for index, (name, size) in enumerate(
        zip(block.header, _boxed_widths(block, width), strict=True)
    ):
        table.add_column(
            Text(name),
            justify="right" if index in block.numeric else "left",
            overflow="fold",
            width=size,
        )
    for row in block.cells:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _compact_columns(block: _Block, width: int) -> tuple[list[int], dict[int, int]]:
    """The columns kept on the row and their widths: every must-show column (the widest ones
    folded when even they do not fit), then the others in table order while they fit."""
    widths = {i: block.natural(i) for i in block.must}

    def used(columns: dict[int, int]) -> int:
        return sum(columns.values()) + len(GAP) * (len(columns) - 1)

    while used(widths) > width:
        shrinkable = [i for i in widths if i not in block.numeric and widths[i] > FOLD_MIN]
        if not shrinkable:
            break  # only numbers and short names left: let the terminal wrap the line
        widest = max(shrinkable, key=lambda i: (i in block.prose, widths[i]))
        widths[widest] = max(FOLD_MIN, widths[widest] - (used(widths) - width))
    for index in range(len(block.header)):
        if index not in widths and used({**widths, index: block.natural(index)}) <= width:
            widths[index] = block.natural(index)
    # Room left: put whole headers on one line, the ones that need least room first.
    for index in sorted(widths, key=lambda i: cell_len(block.header[i]) - widths[i]):
        wanted = cell_len(block.header[index]) - widths[index]
        if 0 < wanted <= width - used(widths):
            widths[index] += wanted
    return sorted(widths), widths


def _print_lines(
    console: Console,
    block: _Block,
    shown: list[int],
    widths: dict[int, int],
    pieces: list[list[str]],
    style: str = "",
) -> None:
    """One table row whose cells are already cut into lines, side by side."""
    for line in range(max(len(p) for p in pieces)):
        parts = [
            _pad(p[line] if line < len(p) else "", widths[i], i in block.numeric)
            for i, p in zip(shown, pieces, strict=True)
        ]
        console.print(Text(GAP.join(parts).rstrip(), style=style))


def _compact(console: Console, block: _Block, title: str, caption: Text | None) -> None:
    width = console.width
    shown, widths = _compact_columns(block, width)
    moved = [i for i in range(len(block.header)) if i not in widths]
    console.print(Text(title, style="bold"))
    headers = [textwrap.wrap(block.header[i], widths[i]) or [""] for i in shown]
    _print_lines(console, block, shown, widths, headers, style="bold")
    console.print(Text(GAP.join("─" * widths[i] for i in shown)))
    for row in block.cells:
        pieces = [
            _wrap(row[i], widths[i]) if i in block.prose else _fold(row[i], widths[i])
            for i in shown
        ]
        _print_lines(console, block, shown, widths, pieces)
        if moved:
            detail = " · ".join(f"{block.header[i]}: {row[i] or '-'}" for i in moved)
            console.print(
                Padding(Text(detail, style="dim", overflow="fold"), (0, 0, 0, DETAIL_INDENT))
            )
    if caption is not None:
        console.print(caption)
