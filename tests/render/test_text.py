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


def test_json_escapes_every_del_and_c1_control() -> None:
    import json

    from analyzer.render.text import json_visible

    for point in range(0x7F, 0xA0):
        text = json_visible(json.dumps(chr(point), ensure_ascii=False))
        assert text == f'"\\u{point:04x}"', hex(point)
        assert json.loads(text) == chr(point)


def test_a_csv_cell_shows_every_control_but_tab_and_line_breaks() -> None:
    from analyzer.render.text import spreadsheet_safe

    for point in [*range(0x20), *range(0x7F, 0xA0)]:
        char = chr(point)
        shown = char if char in "\t\n\r" else f"\\x{point:02x}"
        assert spreadsheet_safe(f"a{char}b") == f"a{shown}b", hex(point)
