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

A refusal is :class:`TextRefused` (an :class:`~app.services.errors.Invalid`, message ``text.<rule>``
of the catalogue); it names the field, the character (``U+000A``) and its position.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from app import messages
from app.messages import Msg
from app.services.errors import Invalid

__all__ = ["TextRefused", "clean_name", "clean_note", "first_bad_char"]

# C0 + DEL + C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates,
# surrogates (only lone ones can be in a str) and the non-characters U+FFFE/U+FFFF.
_BAD_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_BAD_IN_NOTE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff\ufffe\uffff]")

_NAMES = {"\x00": "text.char_nul", "\t": "text.char_tab", "\n": "text.char_newline", "\r": "text.char_cr"}


class _Field:
    """A field's name in a message: a message id's text, or a column name as given; in Chinese an ASCII
    name gets a space before the Chinese text that follows ('name 过长', '员工姓名过长')."""

    def __init__(self, field: str | Msg) -> None:
        self.field = field

    def render(self, lang: str) -> str:
        name = self.field.render(lang) if isinstance(self.field, Msg) else self.field
        return f"{name} " if lang == "zh" and name[-1:].isascii() else name


class _Char:
    def __init__(self, ch: str) -> None:
        self.ch = ch

    def render(self, lang: str) -> str:
        key = _NAMES.get(self.ch)
        name = messages.text(key, lang) if key else (unicodedata.name(self.ch, "") or messages.text("text.char_control", lang))
        return f"U+{ord(self.ch):04X} {name}"


class TextRefused(Invalid):
    """A text value was refused (message ``text.<rule>``); ``field`` names the field, ``rule`` says why."""

    def __init__(self, rule: str, *, field: str | Msg, **params: Any) -> None:
        super().__init__(f"text.{rule}", field=_Field(field), **params)
        self.field = field.render("zh") if isinstance(field, Msg) else field
        self.rule = rule

    @property
    def message_en(self) -> str:
        return self.message("en")


def first_bad_char(value: str, *, allow_newlines_and_tabs: bool = False) -> tuple[int, str] | None:
    """(0-based index, character) of the first character :func:`clean_name` (or ``clean_note``) refuses."""
    m = (_BAD_IN_NOTE if allow_newlines_and_tabs else _BAD_IN_NAME).search(value)
    return (m.start(), m.group()) if m else None


def _check(value: object, field: str | Msg, *, note: bool) -> str:
    if not isinstance(value, str):
        raise TextRefused("type", field=field)
    bad = first_bad_char(value, allow_newlines_and_tabs=note)
    if bad is not None:
        pos, ch = bad
        raise TextRefused("control_character_note" if note else "control_character", field=field,
                          position=pos + 1, char=_Char(ch))
    return value


def _check_length(value: str, field: str | Msg, max_len: int) -> None:
    if len(value) > max_len:
        raise TextRefused("too_long", field=field, n=len(value), max=max_len)


def clean_name(value: object, *, field: str | Msg, max_len: int, required: bool = True) -> str:
    """A one-line name or code, stripped; raises :class:`TextRefused` (``rule``: control_character,
    empty, too_long, type). With ``required=False`` an empty value gives ``""``."""
    text = _check(value, field, note=False).strip()
    if not text and required:
        raise TextRefused("empty", field=field)
    _check_length(text, field, max_len)
    return text


def clean_note(value: object, *, field: str | Msg, max_len: int) -> str | None:
    """Free text (note, caption, reason): newlines normalised to ``\\n``, tabs kept, stripped;
    ``None`` or blank gives ``None``. Raises :class:`TextRefused`."""
    if value is None:
        return None
    text = _check(value, field, note=True).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    _check_length(text, field, max_len)
    return text
