"""The report of ONE inspection (检查报告) as a PDF, in Chinese or English (``lang``): what the inspector shares right after submit.

Header (site, subject, shift, checklist and version, inspector, status), score and grade, the failed items
with their notes, no-photo reasons and photo thumbnails, the corrective actions opened, the close-out
signatures (the drawn images, or 拒签 with the reason) and the time the report was generated. Reuses the
monthly report's document class (:class:`app.reports.pdf._Doc`: fpdf2 with the embedded CJK font).

Read through :func:`app.services.closeout.closeout`: whoever may view the inspection may have its report.
"""

from __future__ import annotations

import io

from fpdf.enums import WrapMode, XPos, YPos
from PIL import Image
from sqlalchemy.orm import Session

from app.messages import value as label_of
from app.reports import (
    action_status_label,
    charts,
    fmt2,
    local_text,
    multi_line,
    now_local,
    one_line,
    tx,
)
from app.reports.pdf import (
    BODY_W,
    FONT,
    INK,
    MARGIN,
    MUTED,
    NAME_CHARS,
    RULE,
    _Doc,
    _heading,
    _kpis,
    _photo_row,
    _table,
)
from app.services import closeout as closeout_svc
from app.services import photos as photos_svc
from app.services.actor import Actor
from app.services.errors import ServiceError

SIG_W, SIG_H = 80.0, 30.0


def _line(pdf: _Doc, label: str, value: str) -> None:
    pdf.set_font(FONT, "B", 9.5)
    pdf.cell(28, 6, label)
    pdf.set_font(FONT, "", 9.5)
    pdf.multi_cell(BODY_W - 28, 6, value, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _signature_box(pdf: _Doc, x: float, y: float, title: str, sig: object, lang: str = "zh") -> float:
    """One signature block at (x, y); returns its height."""
    from app.services.signatures import SignatureView

    _ = tx(lang)
    pdf.set_xy(x, y)
    pdf.set_font(FONT, "B", 9.5)
    pdf.cell(SIG_W, 6, title)
    top = y + 6
    pdf.set_draw_color(*RULE)
    pdf.rect(x, top, SIG_W, SIG_H)
    if not isinstance(sig, SignatureView):
        pdf.set_xy(x, top + SIG_H / 2 - 3)
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(SIG_W, 6, _("ipdf.not_signed"), align="C")
        pdf.set_text_color(*INK)
        return 6 + SIG_H
    if sig.refused:
        pdf.set_xy(x + 2, top + 2)
        pdf.set_font(FONT, "B", 11)
        pdf.set_text_color(192, 57, 43)
        pdf.cell(SIG_W - 4, 7, _("ipdf.refused"))
        pdf.set_text_color(*INK)
        pdf.set_xy(x + 2, top + 9)
        pdf.set_font(FONT, "", 8.5)
        reason = multi_line(sig.refusal_reason)
        pdf.multi_cell(SIG_W - 4, 4.5, _("ipdf.reason", reason=f"{reason[:160]}{'…' if len(reason) > 160 else ''}"),
                       align="L",
                       wrapmode=WrapMode.CHAR, max_line_height=4.5)
    elif sig.image_png:
        with Image.open(io.BytesIO(sig.image_png)) as im:
            w, h = im.size
        scale = min((SIG_W - 4) / w, (SIG_H - 4) / h)
        pw, ph = w * scale, h * scale
        pdf.image(io.BytesIO(sig.image_png), x=x + (SIG_W - pw) / 2, y=top + (SIG_H - ph) / 2, w=pw, h=ph)
    pdf.set_xy(x, top + SIG_H + 1)
    pdf.set_font(FONT, "", 8.5)
    pdf.cell(SIG_W, 5, f"{one_line(sig.signer_name, NAME_CHARS)}   {local_text(sig.signed_at)}")
    return 6 + SIG_H + 6


def inspection_pdf(session: Session, *, actor: Actor, inspection_id: int, lang: str = "zh") -> bytes:
    """The one-inspection report as PDF bytes (permission: whoever may view the inspection), headings and
    labels in ``lang``."""
    _ = tx(lang)
    co = closeout_svc.closeout(session, actor=actor, inspection_id=inspection_id)
    h = co.header
    title = _("ipdf.title", subject=one_line(h.subject_name, NAME_CHARS), checklist=one_line(h.checklist_title, NAME_CHARS))
    pdf = _Doc(title, lang)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(BODY_W, 9, title, align="C", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(BODY_W, 5, _("ipdf.subtitle", id=h.id, at=f"{now_local():%Y-%m-%d %H:%M}"), align="C",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(3)

    _heading(pdf, _("ipdf.h_info"), space=0)
    subject = _("ipdf.subject_" + h.subject_type)
    _line(pdf, _("rep.col.site"), one_line(h.site_name + _("paren", text=h.site_code), 120))
    _line(pdf, _("rep.col.subject"), one_line(h.subject_name + (_("paren", text=h.staff_code) if h.staff_code else ""), 120)
          + f"   {subject}")
    _line(pdf, _("rep.col.shift"), f"{h.shift_date:%Y-%m-%d} {label_of('shift', h.shift_name, lang)}")
    _line(pdf, _("rep.col.checklist"), one_line(f"{h.checklist_title} · v{h.checklist_version}" + _("paren", text=h.checklist_id), 160))
    _line(pdf, _("ipdf.kind"), _("kind_" + h.kind))
    _line(pdf, _("rep.col.inspector"), one_line(h.inspector, NAME_CHARS))
    status = _("ipdf.submitted", at=local_text(h.submitted_at)) if h.status == "submitted" else _("ipdf.draft")
    _line(pdf, _("rep.col.status"), status + (_("ipdf.amended") if h.amended else ""))
    pdf.ln(2)

    _heading(pdf, _("ipdf.h_result"))
    grade_color = charts.grade_color(h.grade) if h.grade else None
    _kpis(pdf, [(_("rep.col.score"), fmt2(h.percent, suffix="%") if h.percent is not None else "—", None),
                (_("rep.col.grade"), label_of("grade", h.grade, lang) or "—", grade_color),
                (_("ipdf.awarded"), f"{fmt2(co.awarded)} / {fmt2(co.applicable)}", None),
                (_("ipdf.failed"), str(len(co.failed)), (192, 57, 43) if co.failed else None),
                (_("ipdf.actions"), str(len(co.actions)), None)], per_row=5)

    _heading(pdf, _("ipdf.h_failed", n=len(co.failed)))
    if not co.failed:
        pdf.set_font(FONT, "", 9.5)
        pdf.cell(BODY_W, 6, _("ipdf.no_failed"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for f in co.failed:
        if pdf.get_y() > pdf.page_break_trigger - 25:
            pdf.add_page()
        pdf.set_font(FONT, "B", 9.5)
        pdf.set_fill_color(242, 244, 248)
        pdf.multi_cell(BODY_W, 6, f"{f.number}. " + _("ipdf.failed_item", item=multi_line(f.text),
                                                          section=one_line(f.section, NAME_CHARS), lost=fmt2(f.lost)),
                       fill=True, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9)
        for label, text in ((_("ipdf.note"), f.note), (_("no_photo_reason"), f.no_photo_reason)):
            if text:
                pdf.set_x(MARGIN + 2)
                pdf.multi_cell(BODY_W - 2, 5, f"{label}{_('colon')}{multi_line(text)}", align="L", wrapmode=WrapMode.CHAR,
                               new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pics = []
        for ref in f.photos:
            try:
                pics.append(photos_svc.photo_bytes(session, actor=actor, photo_id=ref.photo_id, size="thumb"))
            except (ServiceError, OSError):
                continue  # a missing file must not stop the report; the item is still listed
        if pics:
            pdf.ln(1)
            _photo_row(pdf, pics)
        pdf.ln(1.5)

    if co.actions:
        _heading(pdf, _("ipdf.h_actions", n=len(co.actions)))
        _table(pdf, [_("rep.col.item"), _("rep.col.responsible"), _("rep.col.points_lost"), _("rep.col.due_at"),
                     _("rep.col.status")],
               [[a.item_text, a.staff_name or "—", fmt2(a.points_lost), local_text(a.due_at),
                 action_status_label(a.status, lang)] for a in co.actions],
               (62, 16, 10, 20, 12), ("L", "C", "R", "C", "C"))

    # --- signatures, kept together on one page
    need = 4 + 7 + 2 + 6 + SIG_H + 7  # the heading (space, title, rule) and a signature box with its name line
    if pdf.get_y() + need > pdf.page_break_trigger:
        pdf.add_page()
    _heading(pdf, _("ipdf.h5_signatures") if co.actions else _("ipdf.h4_signatures"))
    y = pdf.get_y()
    subject_title = _("ipdf.sig_subject") if h.subject_type == "staff" else _("ipdf.sig_lead")
    h1 = _signature_box(pdf, MARGIN, y, _("ipdf.sig_inspector"), co.signatures.get("inspector"), lang)
    h2 = _signature_box(pdf, MARGIN + BODY_W - SIG_W, y, subject_title, co.signatures.get("subject"), lang)
    pdf.set_y(y + max(h1, h2) + 2)
    return bytes(pdf.output())
