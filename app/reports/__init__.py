"""Exports of the monthly review: Excel workbook, CSV, PDF site report.

No Streamlit here: the CLI (``pinzhi scorecard``) and the pages both use these modules. Everything
is read through the public services, so an export shows exactly what the review page shows and
respects the actor's permissions.

Shared helpers live in this module: :func:`safe_text` (spreadsheet formula neutralisation, used for
every text cell of the workbook and the CSV), labels, local times and the sign-off line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.messages import has, text, value

TZ = ZoneInfo("Asia/Shanghai")

# Cells whose text starts with one of these are read as formulas (or DDE) by Excel / LibreOffice / WPS.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# Characters that XML 1.0 (and so xlsx) cannot hold.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Control characters (C0 but tab/LF, DEL, C1), line/paragraph separators, bidi controls, lone surrogates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_BLANKS = re.compile(r"\s+")

def tx(lang: str) -> Callable[..., str]:
    """The catalogue's texts in ``lang`` (app/messages.py): ``_ = tx("en"); _("rep.all_sites")``."""
    def translate(key: str, /, **params: Any) -> str:
        return text(key, lang, **params)

    return translate


def signature_line(lang: str = "zh") -> str:
    return text("rep.signature_line", lang)


SIGNATURE_LINE = signature_line("zh")


def kind_label(kind: str, lang: str = "zh") -> str:
    """An inspection kind (supervisor, self_check)."""
    key = f"kind_{kind}"
    return text(key, lang) if has(key) else kind


def checklist_kind_label(kind: str, lang: str = "zh") -> str:
    return value("checklist_kind", kind, lang)


def action_status_label(status: str, lang: str = "zh") -> str:
    """open / fixed / verified, as the report columns name them (shorter than the page's labels)."""
    return value("rep.action_status", status, lang)


def safe_text(value: object) -> str:
    """Text for a spreadsheet cell that can never be taken for a formula.

    A value starting with ``= + - @`` (also full-width, or after leading blanks) or with a tab / CR / LF
    gets a leading apostrophe, the usual neutralisation (OWASP "CSV injection"). Characters an xlsx
    file cannot hold are dropped. ``None`` becomes the empty string.
    """
    if value is None:
        return ""
    cell = _ILLEGAL.sub("", str(value))
    if cell.startswith(_FORMULA_START) or cell.lstrip(" \u3000").startswith(_FORMULA_START):
        return "'" + cell
    return cell


def one_line(value: object, max_len: int | None = None) -> str:
    """Text for a one-line place (chart label, PDF cell, title): any line break, tab or control
    character becomes a space, runs of blanks one space; cut to ``max_len`` characters with "…".

    Names stored before the text validator existed (or typed through a door that skipped it) may
    hold newlines: Pillow cannot measure multi-line text and a PDF cell cannot hold it.
    """
    line = _BLANKS.sub(" ", _UNPRINTABLE.sub(" ", "" if value is None else str(value))).strip()
    if max_len is not None and len(line) > max_len:
        line = line[: max_len - 1] + "…"
    return line


def multi_line(value: object) -> str:
    """Text for a wrapped paragraph: newlines kept (CR LF -> LF), every other control character a space."""
    para = "" if value is None else str(value)
    return _UNPRINTABLE.sub(" ", para.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")).strip()


_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_month(month: object) -> str:
    """``month`` if it is ``'YYYY-MM'``; else :class:`app.services.errors.Invalid`."""
    from app.services.errors import Invalid

    if not isinstance(month, str) or not _MONTH.match(month):
        raise Invalid("month.format", month=repr(month))
    return month


def month_label(month: str, lang: str = "zh") -> str:
    """``'2026-11'`` -> ``'2026年11月'`` (English: ``'2026-11'``)."""
    year, mon = month.split("-")
    return text("rep.month", lang, year=int(year), month=int(mon), yyyy_mm=month)


def local(dt: datetime | None) -> datetime | None:
    """A stored time (naive = UTC, as SQLite returns it) in Asia/Shanghai, without tzinfo (for Excel)."""
    if dt is None:
        return None
    aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return aware.astimezone(TZ).replace(tzinfo=None, microsecond=0)


def local_text(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    value = local(dt)
    return "" if value is None else value.strftime(fmt)


def now_local() -> datetime:
    return datetime.now(TZ).replace(tzinfo=None)


def two(value: Decimal | None) -> float | None:
    """Half-up to 2 places, as a float (for spreadsheet cells); ``None`` stays ``None``."""
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def fmt2(value: Decimal | float | None, *, signed: bool = False, suffix: str = "") -> str:
    """Display text of a figure: half-up, 2 places; ``—`` when missing."""
    if value is None:
        return "—"
    d = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return (f"{d:+.2f}" if signed else f"{d:.2f}") + suffix


def site_name(session: Session, site_id: int | None, lang: str = "zh") -> str:
    from app.db.models import Site

    if site_id is None:
        return text("rep.all_sites", lang)
    site = session.get(Site, site_id)
    return site.name if site is not None else text("rep.site_n", lang, id=site_id)


def site_id_for_code(session: Session, code: str) -> int | None:
    from app.db.models import Site

    return session.scalar(select(Site.id).where(Site.code == code))


def signoff_text(session: Session, *, site_id: int, month: str, lang: str = "zh") -> str | None:
    """``已签字确认：<name>，<time>`` when the site's month is signed off, else ``None``."""
    from app.db.models import User
    from app.services import signoff

    row = signoff.status(session, site_id=site_id, month=month)
    if row is None or row.status != "signed":
        return None
    user = session.get(User, row.signed_by)
    who = user.display_name if user is not None else text("rep.user_n", lang, id=row.signed_by)
    return text("rep.signed_by", lang, who=who, when=local_text(row.signed_at))


def signoff_lines(session: Session, *, month: str, site_ids: list[int], lang: str = "zh") -> list[str]:
    """One line per signed-off site of ``site_ids`` (the site named when there are several)."""
    out = []
    for sid in site_ids:
        line = signoff_text(session, site_id=sid, month=month, lang=lang)
        if line:
            out.append(line if len(site_ids) == 1 else f"{site_name(session, sid, lang)} {line}")
    return out


__all__ = [
    "SIGNATURE_LINE",
    "TZ",
    "action_status_label",
    "checklist_kind_label",
    "kind_label",
    "signature_line",
    "tx",
    "check_month",
    "fmt2",
    "local",
    "local_text",
    "month_label",
    "now_local",
    "safe_text",
    "signoff_lines",
    "signoff_text",
    "site_id_for_code",
    "site_name",
    "two",
]


# ---- standards language version 2 in the reports
def _num_text(d: Decimal) -> str:
    return str(int(d)) if d == d.to_integral_value() else f"{d.normalize():f}"


def v2_answer_words(item: Any, answer: Any, lang: str = "zh") -> str | None:
    """A version-2 answer in words for a report: the clauses that happened, a sample, a bonus or a penalty;
    ``None`` for the version-1 kinds (and for N/A or a missing answer)."""
    if not isinstance(answer, dict) or answer.get("result") == "na":
        return None
    if item.rules and isinstance(answer.get("counts"), dict):
        parts = []
        for k, r in enumerate(item.rules):
            n = int(Decimal(str(answer["counts"].get(r.id, 0))))
            if n:
                what = (text("v2w.nothing", lang) if r.per is None
                        else text("v2w.count", lang, n=n, lost=_num_text(n * r.per)))
                parts.append(f"{chr(ord('A') + k)}. {r.text}" + text("paren", lang, text=what))
        return text("rep.sep", lang).join(parts) if parts else text("v2w.no_deduction", lang)
    if item.scoring == "sample" and "checked" in answer:
        return text("v2w.sample", lang, checked=int(answer["checked"]), failed=int(answer.get("failed", 0)))
    if item.scoring in ("bonus", "penalty") and "count" in answer:
        n = int(answer["count"])
        amount = n * (item.per or Decimal(0))
        if item.max is not None:
            amount = min(amount, item.max)
        return text("v2w.bonus" if item.scoring == "bonus" else "v2w.penalty", lang, n=n, amount=_num_text(amount))
    return None
