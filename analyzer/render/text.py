"""Character-level neutralizers for attacker-chosen text, free of heavy imports so the CLI can
use them for its stderr lines before pandas is loaded (`cells` builds on them for table cells).

User names, user agents, error messages, file names and S3 keys are chosen by whoever is on
the other side: in a terminal they could carry escape sequences (set the title, clear the
screen) or a newline that forges a second warning line; bidirectional overrides and
zero-width characters make `admin\\u202egnp.exe` display as `adminexe.png`. Every output shows
such characters as visible escapes instead of obeying them.
"""

from __future__ import annotations

import re

# C0/C1 controls (escape sequences, CR/LF, NUL) shown as \xNN.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Every Unicode format (Cf: bidirectional controls, zero-width characters, soft hyphen, tags),
# line and paragraph separator (Zl, Zp) and surrogate (Cs) code point, shown as \uXXXX.
# tests/render/test_hostile_output.py checks this class against unicodedata.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
# What a JSON document leaves raw that a terminal may obey: DEL and the C1 controls (an
# 8-bit CSI, U+009B, starts an escape sequence in terminals that honour C1; `json.dumps`
# escapes only C0). Written as `\u00XX`, which parses back to the same character.
_JSON_INVISIBLE = re.compile(_INVISIBLE.pattern[:-1] + "\x7f-\x9f]")
# Controls a CSV cell does not keep: every C0 and C1 control but the tab and the line breaks
# a quoted cell holds (an ESC in a cell printed by `cat` to a terminal clears the screen).
_CELL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
# A word GitHub-flavoured Markdown turns into a live link by itself: one holding a URL with a
# scheme, a `www.` address, a `mailto:`/`xmpp:` address or an e-mail address.
_LINK_LIKE = re.compile(
    r"\b[a-z][a-z0-9+.\-]{0,31}://|\bwww\.|\b(?:mailto|xmpp):\S|[a-z0-9.\-_+]@[a-z0-9\-_]+\.",
    re.IGNORECASE,
)
_WORD = re.compile(r"\S+")
_TRAILING = ".,:;!?*_~'\")]"  # not part of a link, as GitHub decides
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A line inside a multi-line cell that starts like a formula: some importers split cells on
# line breaks, so every line start is neutralized, not only the first.
_FORMULA_LINE = re.compile(r"([\r\n])(?=[=+\-@\t])")


def _escape_invisible(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def visible(text: str) -> str:
    """Bidirectional, zero-width and other invisible format characters become `\\uXXXX`;
    control characters are left alone (CSV keeps line breaks inside a quoted cell)."""
    if text.isascii():  # constant time in CPython, and nearly every cell is ASCII
        return text
    return _INVISIBLE.sub(_escape_invisible, text)


def _json_escape(match: re.Match[str]) -> str:
    point = ord(match.group())
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    point -= 0x10000
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def json_visible(document: str) -> str:
    """A JSON document with every invisible character, DEL and C1 control written as its
    `\\uXXXX` escape (a surrogate pair above the BMP): the parsed values are unchanged, the
    text can neither spoof nor drive a terminal."""
    return _JSON_INVISIBLE.sub(_json_escape, document)


def _hex(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(text: str) -> str:
    """One line of plain text: control characters (ANSI escapes, newlines, NUL) become `\\xNN`
    and invisible format characters `\\uXXXX`. Idempotent: the escapes are printable ASCII."""
    return visible(_CONTROL.sub(_hex, text))


def spreadsheet_safe(text: str) -> str:
    """A cell (or a line inside it) starting with = + - @ (or tab/CR) is a formula to Excel
    and LibreOffice; a leading apostrophe makes it text (OWASP CSV injection guidance).
    Control characters but tab and line breaks are shown as `\\xNN` (`printable`'s form):
    a spreadsheet does not show them, and a terminal showing the file obeys them."""
    text = _CELL_CONTROL.sub(_hex, visible(text))
    if "\n" in text or "\r" in text:
        text = _FORMULA_LINE.sub(r"\1'", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _code_span(text: str) -> str:
    """Text in a code span: never a link, HTML or emphasis in any CommonMark renderer. Pipes
    stay escaped (a GFM table splits on them first); the fence is longer than any backtick
    run inside, padded when the text starts or ends with a backtick or space."""
    text = printable(text).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[:1] in {"`", " "} or text[-1:] in {"`", " "} else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _may_link(text: str) -> bool:
    """A quick pre-check (substring tests, ten times faster than a regex alternation), so
    ordinary cells never pay for the word-by-word look."""
    if "@" in text or "://" in text:
        return True
    lowered = text.lower()
    return "www." in lowered or "mailto:" in lowered or "xmpp:" in lowered


def _markdown_text(text: str) -> str:
    if not text:
        return text
    escaped = printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def markdown_safe(text: str) -> str:
    """Inert in a Markdown table: HTML escaped, Markdown punctuation and pipes backslashed;
    a word a renderer would turn into a live link (URL, `www.`, e-mail) is a code span."""
    if not _may_link(text):
        return _markdown_text(text)
    parts: list[str] = []
    last = 0
    for word in _WORD.finditer(text):
        link = word.group().rstrip(_TRAILING)
        if link and _LINK_LIKE.search(link):
            parts += [_markdown_text(text[last : word.start()]), _code_span(link)]
            last = word.start() + len(link)
    parts.append(_markdown_text(text[last:]))
    return "".join(parts)
