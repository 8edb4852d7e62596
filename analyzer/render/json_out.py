"""JSON: the stable, documented structure of SigninReport.as_dict (for jq and programs)."""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Sequence
from typing import TextIO

from analyzer.render.columns import json_pieces
from analyzer.render.interface import Renderer
from analyzer.render.text import json_visible
from analyzer.reports.report import SigninReport


class JsonRenderer(Renderer):
    """Always the whole structure: a stable shape matters more to jq users than brevity, so
    `--section` does not prune JSON."""

    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        """The tables are written column by column into the dumped rest of the document
        (`render.columns`): the same text as dumping `as_dict()`, without a Python object per
        row. The placeholders' token is random per run, so data cannot forge one."""
        try:
            document = functools.partial(report.document, spans=True)
            pieces = json_pieces(document, secrets.token_hex(16))
        except ValueError:  # a placeholder turned up twice: the data held the token
            dumped = json.dumps(report.as_dict(), indent=2, ensure_ascii=False, sort_keys=False)
            pieces = iter([json_visible(dumped)])
        for piece in pieces:  # a big table comes in batches: never the whole text at once
            out.write(piece)
        out.write("\n")
