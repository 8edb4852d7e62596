"""Defensive accessors: records come from the internet and from other tools' fixtures.

A field can be missing, null, the string "null", or of the wrong JSON type; these helpers
turn all of that into `None` so the rules in the sibling modules stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or an empty mapping for anything else (null, "null", lists, scalars).
    Decoded JSON objects are dicts; checking `dict` rather than the Mapping ABC is several
    times faster on this hot path."""
    return value if isinstance(value, dict) else {}


def safe(value: str) -> str:
    """The string with every lone surrogate (JSON allows `"\\ud800"`; a file name with bytes
    that are not UTF-8 decodes to them) replaced by U+FFFD, so that every output, the
    Parquet history included, can encode it. Checked only for non-ASCII text (O(1) flag)."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def text(value: Any) -> str | None:
    """A non-empty string for scalar values; None for missing, empty, objects and arrays.
    Always encodable as UTF-8 (`safe`)."""
    if type(value) is str:
        return safe(value) if value and not value.isspace() else None
    if value is None or isinstance(value, dict | list | bool):
        return None
    try:
        result = str(value)
    except ValueError:  # an int past Python's digit limit (records built in Python)
        return None
    return result if result.strip() else None


def yes_no(value: Any) -> bool | None:
    """AWS writes Yes, YES, No (and tools write true/false): a nullable boolean."""
    if isinstance(value, bool):
        return value
    word = text(value)
    if word is None:
        return None
    lowered = word.strip().lower()
    if lowered in {"yes", "true"}:
        return True
    if lowered in {"no", "false"}:
        return False
    return None
