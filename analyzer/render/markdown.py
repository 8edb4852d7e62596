"""Markdown for tickets and chat: a heading and a pipe table per section."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from analyzer.render.cells import cell_text, markdown_safe
from analyzer.render.interface import Renderer
from analyzer.render.sections import section_rows
from analyzer.reports.report import SigninReport


class MarkdownRenderer(Renderer):
    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        out.write("# AWS console sign-in report\n")
        for _key, title, header, rows in section_rows(report, sections):
            out.write(f"\n## {title}\n\n")
            if not rows:
                out.write("_none_\n")
                continue
            out.write("| " + " | ".join(markdown_safe(h) for h in header) + " |\n")
            out.write("|" + "---|" * len(header) + "\n")
            for row in rows:
                out.write("| " + " | ".join(markdown_safe(cell_text(v)) for v in row) + " |\n")
