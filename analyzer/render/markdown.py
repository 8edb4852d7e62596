"""Markdown for tickets and chat: a heading and a pipe table per section."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

import pandas as pd

from analyzer.render.cells import cell_text, markdown_safe
from analyzer.render.columns import markdown_rows
from analyzer.render.interface import Renderer
from analyzer.render.sections import incomplete_note, listed, section_blocks
from analyzer.reports.report import SigninReport


class MarkdownRenderer(Renderer):
    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        out.write("# AWS console sign-in report\n")
        note = incomplete_note(report)
        if note:
            out.write(f"\n**{markdown_safe(note)}**\n")
        for _key, title, header, table in section_blocks(report, sections):
            out.write(f"\n## {title}\n\n")
            if not len(table):
                out.write("_none_\n")
                continue
            out.write("| " + " | ".join(markdown_safe(h) for h in header) + " |\n")
            out.write("|" + "---|" * len(header) + "\n")
            # A report table's rows column by column (no Python value per cell), the same text.
            pieces = markdown_rows(table) if isinstance(table, pd.DataFrame) else None
            if pieces is not None:
                out.writelines(pieces)
                continue
            for row in listed(table):
                out.write("| " + " | ".join(markdown_safe(cell_text(v)) for v in row) + " |\n")
