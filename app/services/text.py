"""The one validator for text people type or import: names and codes (one line) and notes.

Control characters never reach the database: a NUL byte makes PostgreSQL refuse the whole
statement (``A string literal cannot contain NUL``) and SQLite would keep it silently; a
newline in a name breaks the one-line cells of the PDF and Excel reports; lone surrogates
cannot even be encoded as UTF-8. So:

* :func:`clean_name` — names, codes, titles: surrounding white space stripped; no control
  character at all (C0 incl. tab/newline/NUL, DEL, C1), no line/paragraph separator, no
  bidirectional override (a name must not display reversed), no lone surrogate or
  non-character; required unless ``required=False``; at most ``max_len`` characters.
* :func:`clean_note` — notes, captions, reasons: the same, except that tab and newlines are
  kept (``\\r\\n`` and ``\\r`` become ``\\n``); empty becomes ``None``.

A refusal is :class:`TextRefused` (an :class:`~app.services.errors.Invalid`): Chinese message
(``str``), English in ``message_en``; both name the field, the character (``U+000A``) and its
position.
"""

from __future__ import annotations

import re
import unicodedata

from app.services.errors import Invalid

__all__ = ["TextRefused", "clean_name", "clean_note", "first_bad_char"]

# C0 + DEL + C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates,
# surrogates (only lone ones can be in a str) and the non-characters U+FFFE/U+FFFF.
_BAD_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_BAD_IN_NOTE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff\ufffe\uffff]")

_NAMES_ZH = {"\x00": "NUL 空字符", "\t": "制表符", "\n": "换行符", "\r": "回车符"}
_NAMES_EN = {"\x00": "NUL byte", "\t": "tab", "\n": "line break", "\r": "carriage return"}


class TextRefused(Invalid):
    """A text value was refused; ``str()`` is Chinese, ``message_en`` English."""

    def __init__(self, message_zh: str, message_en: str, *, field: str, rule: str) -> None:
        super().__init__(message_zh)
        self.message_en = message_en
        self.field = field
        self.rule = rule


def first_bad_char(value: str, *, allow_newlines_and_tabs: bool = False) -> tuple[int, str] | None:
    """(0-based index, character) of the first character :func:`clean_name` (or ``clean_note``) refuses."""
    m = (_BAD_IN_NOTE if allow_newlines_and_tabs else _BAD_IN_NAME).search(value)
    return (m.start(), m.group()) if m else None


def _describe(ch: str) -> tuple[str, str]:
    code = f"U+{ord(ch):04X}"
    zh = _NAMES_ZH.get(ch) or unicodedata.name(ch, "") or "控制字符"
    en = _NAMES_EN.get(ch) or unicodedata.name(ch, "") or "control character"
    return f"{code} {zh}", f"{code} {en}"


def _label(field: str) -> str:
    """'name' -> 'name ' (a space before Chinese text), '员工姓名' -> '员工姓名'."""
    return f"{field} " if field[-1:].isascii() else field


def _check(value: object, field: str, *, note: bool) -> str:
    if not isinstance(value, str):
        raise TextRefused(f"{_label(field)}必须是文本", f"{field} must be text", field=field, rule="type")
    bad = first_bad_char(value, allow_newlines_and_tabs=note)
    if bad is not None:
        pos, ch = bad
        zh, en = _describe(ch)
        allowed_zh = "（备注中只允许换行和制表符）" if note else ""
        allowed_en = " (notes may contain only line breaks and tabs)" if note else ""
        raise TextRefused(
            f"{_label(field)}含有不允许的控制字符：第 {pos + 1} 个字符是 {zh}{allowed_zh}",
            f"{field} contains a control character: character {pos + 1} is {en}{allowed_en}",
            field=field, rule="control_character",
        )
    return value


def _check_length(value: str, field: str, max_len: int) -> None:
    if len(value) > max_len:
        raise TextRefused(
            f"{_label(field)}过长：{len(value)} 个字符，最多 {max_len} 个",
            f"{field} is too long: {len(value)} characters, at most {max_len}",
            field=field, rule="too_long",
        )


def clean_name(value: object, *, field: str, max_len: int, required: bool = True) -> str:
    """A one-line name or code, stripped; raises :class:`TextRefused` (``rule``: control_character,
    empty, too_long, type). With ``required=False`` an empty value gives ``""``."""
    text = _check(value, field, note=False).strip()
    if not text and required:
        raise TextRefused(f"{_label(field)}不能为空", f"{field} must not be empty", field=field, rule="empty")
    _check_length(text, field, max_len)
    return text


def clean_note(value: object, *, field: str, max_len: int) -> str | None:
    """Free text (note, caption, reason): newlines normalised to ``\\n``, tabs kept, stripped;
    ``None`` or blank gives ``None``. Raises :class:`TextRefused`."""
    if value is None:
        return None
    text = _check(value, field, note=True).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    _check_length(text, field, max_len)
    return text
