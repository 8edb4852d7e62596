"""JSON: the stable, documented structure of SigninReport.as_dict (for jq and programs)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from analyzer.render.interface import Renderer
from analyzer.render.text import json_visible
from analyzer.reports.report import SigninReport


class JsonRenderer(Renderer):
    """Always the whole structure: a stable shape matters more to jq users than brevity, so
    `--section` does not prune JSON."""

    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        text = json.dumps(report.as_dict(), indent=2, ensure_ascii=False, sort_keys=False)
        out.write(json_visible(text) + "\n")
