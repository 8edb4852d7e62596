"""How one value looks in a text cell, and how attacker-controlled text is kept inert.

User names, user agents and error messages come from whoever typed at the sign-in page: in a
terminal they could carry escape sequences, in a spreadsheet a formula, in Markdown a link or
HTML. Each output format applies its own neutralizer (from `text`, re-exported here) to every
cell.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from analyzer.render.text import markdown_safe, printable, spreadsheet_safe, visible

__all__ = ["cell_text", "markdown_safe", "printable", "spreadsheet_safe", "visible"]


def cell_text(value: Any) -> str:
    """Times to the second in UTC ISO form, null to empty, everything else via str()."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, float) and pd.isna(value):
        return ""
    if value is pd.NA:
        return ""
    return str(value)
