"""Untrusted text made safe for where it goes: a terminal, a spreadsheet cell, a TOML file. Imports nothing of bpcalc.

Student names, answer keys, file names and program comments come from files
that bpcalc does not trust (an answer file is a student's upload). Every such
text passes through `visible` before it reaches a terminal and through
`csv_cell` before it lands in a CSV cell; a TOML file bpcalc writes holds it
only through `toml_string` (a value or key) and `toml_comment`.
"""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC starts a terminal escape sequence, BEL ends an
# OSC title, CR overwrites a line), DEL, the line and paragraph separators, and the
# bidirectional controls that reorder what a reader sees (Trojan Source, CVE-2021-42574).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, newlines: bool = False) -> str:
    """`text` with every control character shown as an escape (ESC as \\x1b, a tab as \\t).

    With `newlines=True` a line break and a tab stay as they are (a message of several
    lines, a caret under a program's line); everything else that could move the cursor, recolour,
    retitle or reorder is escaped.
    Text without control characters is returned unchanged.
    """
    pattern = _CONTROL_BUT_NEWLINE if newlines else _CONTROL
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def clip(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters, its middle replaced by an ellipsis (a 1 MB name, a 40,000-digit number)."""
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return text[:half] + "…" + text[len(text) - (limit - 1 - half) :]


# OWASP's list for CSV injection: a spreadsheet takes a cell that starts with one of
# these as a formula (a tab or CR may precede one and be skipped by the reader).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def csv_cell(value: object) -> str:
    """A value for a CSV cell that no spreadsheet runs as a formula.

    Text that starts with =, +, -, @, a tab or a carriage return gets a leading
    apostrophe (OWASP's advice; spreadsheets show the text as is). A plain
    negative number such as -2.5 is left as it is, so scores stay numbers.
    Public: every CSV bpcalc writes (grades, Canvas) passes its cells through here.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


# TOML (1.0) allows no control character but the tab in a comment or a basic string,
# nor an unescaped quote or backslash in a string: these are escaped (the tab too, as JSON does).
_TOML_ESCAPE = re.compile('[\x00-\x1f\x7f"\\\\]')
_TOML_NAMED = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_escape(match: re.Match) -> str:
    char = match.group(0)
    return _TOML_NAMED.get(char) or f"\\u{ord(char):04x}"


def toml_string(text: str) -> str:
    """`text` as a TOML basic string, quotes included: valid whatever it holds (a line break, a quote, ESC).

    The same text as JSON's string (json.dumps, ensure_ascii=False), but for DEL, which TOML wants escaped.
    """
    return '"' + _TOML_ESCAPE.sub(_toml_escape, text) + '"'


def toml_comment(text: str) -> str:
    """`text` as one TOML comment line: '# ' and the text with its line breaks and control characters escaped."""
    return "# " + visible(text)


__all__ = ["FORMULA_STARTS", "clip", "csv_cell", "toml_comment", "toml_string", "visible"]
