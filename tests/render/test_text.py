"""The character-level neutralizers by themselves (their use in every format is in
test_hostile_output.py)."""

from __future__ import annotations

import re

from analyzer.render.text import markdown_safe, printable


def test_printable_escapes_c1_controls() -> None:
    """An 8-bit CSI (U+009B) starts an escape sequence where a terminal honours C1; NEL
    (U+0085) breaks a line."""
    assert printable("a\x9b2Jb\x85c\x80\x9f") == "a\\x9b2Jb\\x85c\\x80\\x9f"
    assert not re.search("[\x80-\x9f]", printable("".join(map(chr, range(0x80, 0xA0)))))


def test_a_pipe_inside_a_link_like_word_cannot_split_a_markdown_cell() -> None:
    for text in ("see http://a|b now", "x|y@example.com", "www.a|b.example"):
        safe = markdown_safe(text)
        assert re.search(r"(?<!\\)\|", safe) is None, safe
