"""Defensive accessors: records come from the internet and from other tools' fixtures.

A field can be missing, null, the string "null", or of the wrong JSON type; these helpers
turn all of that into `None` so the rules in the sibling modules stay readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer.domain.text import safe

__all__ = ["as_mapping", "safe", "text", "yes_no"]


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or an empty mapping for anything else (null, "null", lists, scalars).
    Decoded JSON objects are dicts; checking `dict` rather than the Mapping ABC is several
    times faster on this hot path."""
    return value if isinstance(value, dict) else {}


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
