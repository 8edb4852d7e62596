"""Renderers: report objects to text, and the normalized rows to files."""

from __future__ import annotations

import pandas as pd

from analyzer.formats import OutputFormat
from analyzer.render.csv_out import CsvRenderer
from analyzer.render.events import write_events
from analyzer.render.html import HtmlRenderer
from analyzer.render.interface import Renderer
from analyzer.render.json_out import JsonRenderer
from analyzer.render.markdown import MarkdownRenderer
from analyzer.render.table import DEFAULT_ROWS, TableRenderer


def renderer_for(
    fmt: OutputFormat,
    *,
    color: bool = False,
    frame: pd.DataFrame | None = None,
    max_rows: int = DEFAULT_ROWS,
) -> Renderer:
    """`frame` feeds the HTML charts; the other formats render the report alone. `max_rows`
    applies to the terminal table only."""
    if fmt is OutputFormat.html:
        return HtmlRenderer(frame)
    if fmt is OutputFormat.table:
        return TableRenderer(color=color, max_rows=max_rows)
    if fmt is OutputFormat.json:
        return JsonRenderer()
    if fmt is OutputFormat.csv:
        return CsvRenderer()
    return MarkdownRenderer()


__all__ = ["OutputFormat", "Renderer", "renderer_for", "write_events"]
