"""Which renderer draws which `--format`; each renderer module is imported only when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyzer.render.formats import DEFAULT_ROWS, OutputFormat
from analyzer.render.interface import Renderer

if TYPE_CHECKING:
    import pandas as pd


def renderer_for(
    fmt: OutputFormat,
    *,
    color: bool = False,
    frame: pd.DataFrame | None = None,
    max_rows: int = DEFAULT_ROWS,
) -> Renderer:
    """The HTML charts come from the report (`build_report(charts=True)`); `frame` is only a
    fallback for reports built without them. The other formats render the report alone. `max_rows`
    applies to the terminal table only. Each renderer's module is imported when it is chosen:
    rich, Jinja2 and the chart code cost a JSON run tens of milliseconds otherwise."""
    if fmt is OutputFormat.html:
        from analyzer.render.html import HtmlRenderer

        return HtmlRenderer(frame)
    if fmt is OutputFormat.table:
        from analyzer.render.table import TableRenderer

        return TableRenderer(color=color, max_rows=max_rows)
    if fmt is OutputFormat.json:
        from analyzer.render.json_out import JsonRenderer

        return JsonRenderer()
    if fmt is OutputFormat.csv:
        from analyzer.render.csv_out import CsvRenderer

        return CsvRenderer()
    from analyzer.render.markdown import MarkdownRenderer

    return MarkdownRenderer()


__all__ = ["OutputFormat", "Renderer", "renderer_for"]
