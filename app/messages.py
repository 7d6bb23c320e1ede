"""The one message catalogue: every user-visible string of pages, reports and services, by message id.

The texts live in gettext PO files, ``app/locale/<lang>/LC_MESSAGES/messages.po`` (``zh`` first, ``en``
complete), read once per process with Babel (no compile step). A message id is a stable key
(``"signin"``, ``"inspection.item_not_in_checklist"``); its text is a :meth:`str.format` template with
named fields (``"{n} items"``). Nothing here imports Streamlit: services, the API, the CLI and the
reports render messages with an explicit language; pages use :func:`app.ui.i18n.t`.

A parameter may itself be a message (:class:`Msg`, or any object with ``render(lang)``): it is
rendered in the same language, so ``text("text.too_long", "en", field=msg("field.site_name"), …)``
names the field in English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


class Renderable(Protocol):
    def render(self, lang: str) -> str: ...


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """msgid -> translated text of ``lang`` (empty translations left out)."""
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        cat = read_po(f, locale=lang, domain="messages")
    return {str(m.id): str(m.string) for m in cat if m.id and isinstance(m.id, str) and m.string}


def norm_lang(lang: str | None) -> str:
    return "en" if lang == "en" else DEFAULT_LANG


def has(key: str) -> bool:
    return key in catalogue(DEFAULT_LANG)


def _param(value: Any, lang: str) -> Any:
    render = getattr(value, "render", None)
    return render(lang) if callable(render) else value


def text(key: str, lang: str | None = DEFAULT_LANG, /, **params: Any) -> str:
    """The text of ``key`` in ``lang`` (falling back to Chinese, then to the key itself), formatted."""
    lang = norm_lang(lang)
    template = catalogue(lang).get(key) or catalogue(DEFAULT_LANG).get(key) or key
    if not params:
        return template
    return template.format(**{k: _param(v, lang) for k, v in params.items()})


def value(kind: str, v: str | None, lang: str | None = DEFAULT_LANG) -> str:
    """A stored value's label: ``kind.value`` in the catalogue (``shift.早班`` -> "Morning"), else the value
    itself (a grade or post a checklist or import defined that the catalogue does not know)."""
    if v is None:
        return ""
    key = f"{kind}.{v}"
    return text(key, lang) if has(key) else v


@dataclass(frozen=True)
class Msg:
    """A message not yet rendered: its key and parameters (rendered when the language is known)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        return text(self.key, lang, **self.params)

    def __str__(self) -> str:
        return self.render(DEFAULT_LANG)


def msg(key: str, /, **params: Any) -> Msg:
    return Msg(key, params)


class MessageError(Exception):
    """An error outside the services whose reason is a catalogue message (``render(lang)``); ``str()`` is its
    English text, for logs (the backup and role set-up refusals the command line prints)."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.reason = msg(key, **params)
        super().__init__(self.reason.render("en"))

    def render(self, lang: str) -> str:
        return self.reason.render(lang)


@dataclass(frozen=True)
class Joined:
    """Several messages shown as one: ``sep`` is per language (``{"zh": "；", "en": "; "}``)."""

    parts: tuple[Any, ...]
    sep: Mapping[str, str]

    def render(self, lang: str) -> str:
        lang = norm_lang(lang)
        return self.sep.get(lang, "").join(str(_param(p, lang)) for p in self.parts)

    def __str__(self) -> str:
        return self.render(DEFAULT_LANG)


def cli_lang() -> str:
    """The command line's language: ``PINZHI_LANG`` (``zh`` unless it says ``en``)."""
    return norm_lang(os.environ.get("PINZHI_LANG", "").strip().lower()[:2])


def accept_language(header: str | None) -> str:
    """``zh`` or ``en`` from an Accept-Language header: the first of the two by preference (q), else ``zh``."""
    best, best_q = DEFAULT_LANG, -1.0
    for i, part in enumerate((header or "").split(",")[:20]):
        tag, _, rest = part.strip().partition(";")
        primary = tag.strip().lower()[:2]
        if primary not in LANGS:
            continue
        q = 1.0
        rest = rest.strip()
        if rest.startswith("q="):
            try:
                q = float(rest[2:])
            except ValueError:
                continue
        if not q > 0:  # q=0: not acceptable
            continue
        q -= i * 1e-6  # equal weights: the first listed wins
        if q > best_q:
            best, best_q = primary, q
    return best
