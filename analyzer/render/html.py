"""One self-contained HTML file (no scripts, no external assets) for mail and tickets.
Jinja2 autoescaping makes every value from an event text, never markup."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TextIO

import pandas as pd

from analyzer.findings.model import EVIDENCE_SHOWN
from analyzer.render.cells import cell_text, printable
from analyzer.render.charts import charts
from analyzer.render.interface import Renderer
from analyzer.render.sections import section_rows
from analyzer.reports.charts import chart_series
from analyzer.reports.report import SigninReport


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


class HtmlRenderer(Renderer):
    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        """`frame` is only for reports built without `charts=True` (older callers)."""
        self.frame = frame

    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        template = _environment().get_template("report.html.j2")
        series = report.charts
        if series is None and self.frame is not None:  # a report built without its series
            series = chart_series(self.frame)
        out.write(template.render(
            report=report,
            blocks=[b for b in section_rows(report, sections) if b[0] != "findings"],
            show_findings="findings" in sections,
            evidence_shown=EVIDENCE_SHOWN,
            charts=charts(series) if series is not None else [],
        ))  # fmt: skip
