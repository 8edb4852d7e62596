"""One self-contained HTML file (no scripts, no external assets) for mail and tickets.
Jinja2 autoescaping makes every value from an event text, never markup."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

import pandas as pd

from analyzer.findings.model import EVIDENCE_SHOWN, shown_evidence_rows
from analyzer.render.cells import cell_text, printable
from analyzer.render.charts import charts
from analyzer.render.columns import html_rows
from analyzer.render.interface import Renderer
from analyzer.render.sections import TableBlock, incomplete_note, section_blocks
from analyzer.reports.charts import chart_series
from analyzer.reports.report import SigninReport

PIECES_PER_WRITE = 10_000  # Jinja2's pieces joined per write (one piece is a few characters)


@functools.cache
def _environment() -> Any:
    """Built on first use: only HTML reports pay for importing Jinja2."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("analyzer.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = lambda value: printable(cell_text(value))
    return environment


def _block(block: TableBlock) -> tuple[str, list[str], Any, Iterator[Any] | None, bool]:
    """(title, header, rows, body, filled) for the template: a report table's rows come as
    `body`, its HTML written column by column (`html_rows`: the same text as the template's
    own loop, without a Python value per cell); listed rows go through the template."""
    _, title, header, rows = block
    if isinstance(rows, pd.DataFrame):
        from markupsafe import Markup

        body = (Markup(piece) for piece in html_rows(rows))  # noqa: S704 (escaped cells)
        return title, header, None, body, len(rows) > 0
    return title, header, rows, None, len(rows) > 0


class HtmlRenderer(Renderer):
    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        """`frame` is only for reports built without `charts=True` (older callers)."""
        self.frame = frame

    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        """Written as Jinja2 generates it, never joined into one string (a million-row
        report's HTML is 53 MB, made of five million pieces), with each finding's shown
        evidence taken in one pass (`shown_evidence`), not its whole evidence built."""
        template = _environment().get_template("report.html.j2")
        series = report.charts
        if series is None and self.frame is not None:  # a report built without its series
            series = chart_series(self.frame)
        show_findings = "findings" in sections
        findings = report.findings if show_findings else []
        shown = [
            (finding, columns, rows)
            for finding, (columns, rows) in zip(
                findings, shown_evidence_rows(findings), strict=True
            )
        ]
        pieces = template.generate(
            report=report,
            incomplete=incomplete_note(report),
            blocks=[_block(b) for b in section_blocks(report, sections) if b[0] != "findings"],
            show_findings=show_findings,
            findings_shown=shown,
            evidence_shown=EVIDENCE_SHOWN,
            charts=charts(series) if series is not None else [],
        )
        batch: list[str] = []
        for piece in pieces:
            batch.append(piece)
            if len(batch) >= PIECES_PER_WRITE:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
