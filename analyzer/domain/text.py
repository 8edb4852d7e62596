"""Text every output can encode.

JSON allows a lone surrogate (`"\\ud800"`), and a file name with bytes that are not UTF-8
decodes to them (surrogate escapes); neither can be written as UTF-8, and a strict JSON
reader refuses the escape.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def safe(value: str) -> str:
    """The string with every lone surrogate replaced by U+FFFD, so that every output, the
    Parquet history included, can encode it. Checked only for non-ASCII text (O(1) flag)."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
