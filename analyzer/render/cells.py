"""How one value looks in a text cell, and how attacker-controlled text is kept inert.

User names, user agents and error messages come from whoever typed at the sign-in page: in a
terminal they could carry escape sequences, in a spreadsheet a formula, in Markdown a link or
HTML. Each output format applies its own neutralizer from here to every cell.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pandas as pd

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


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


def printable(text: str) -> str:
    """Control characters (ANSI escapes, newlines, NUL) become visible `\\xNN` escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def spreadsheet_safe(text: str) -> str:
    """A cell starting with = + - @ (or tab/CR) is a formula to Excel and LibreOffice; a
    leading apostrophe makes it text (OWASP CSV injection guidance)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def markdown_safe(text: str) -> str:
    """Inert in a Markdown table: HTML escaped, Markdown punctuation and pipes backslashed."""
    escaped = printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)
