"""The monthly report of one site (管理处月度考核报告) as a PDF, with fpdf2 and an embedded CJK font.

Contents: the site's figures (score, grade, change, rank, coverage, training rates), a 12-month trend
chart and a staff score chart (drawn with Pillow, see :mod:`app.reports.charts`), the staff ranking,
the most-deducted items, every failed item of the month's supervisor inspections with its photos,
and the signature line (with the sign-off, when the month is signed).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image
from sqlalchemy.orm import Session

from app.db.models import SHIFT_NAMES
from app.messages import value as label_of
from app.reports import (
    charts,
    check_month,
    checklist_kind_label,
    fmt2,
    month_label,
    multi_line,
    now_local,
    one_line,
    signature_line,
    signoff_text,
    site_name,
    tx,
    v2_answer_words,
)
from app.services import actions as actions_svc
from app.services import clause_pareto
from app.services import inspections as insp_svc
from app.services import photos as photos_svc
from app.services import scorecard as sc
from app.services.actor import Actor
from app.services.errors import NotFound, ServiceError
from scoring import score as score_checklist
from scoring.monthly import KINDS

FONT = "cjk"
INK = (38, 38, 38)
MUTED = (110, 110, 110)
RULE = (190, 190, 190)
HEAD_FILL = (217, 225, 242)
ACCENT = (31, 96, 170)
PAGE_W = 210.0
MARGIN = 15.0
BODY_W = PAGE_W - 2 * MARGIN
PHOTO_W = 40.0
PHOTO_MAX_H = 32.0
PHOTO_GAP = 4.0
#: one-line places: names in headings and titles, and table cells, are flattened and cut to these
NAME_CHARS, CELL_CHARS = 40, 60


class _Doc(FPDF):
    def __init__(self, running_title: str, lang: str = "zh") -> None:
        self.pz_lang = lang
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title = running_title
        font = charts.cjk_font()
        self.add_font(FONT, "", font.regular.path, collection_font_number=font.regular.index)
        bold = font.bold or font.regular
        self.add_font(FONT, "B", bold.path, collection_font_number=bold.index)
        for f in self.fonts.values():
            # The subset's bounding boxes need not be recomputed from every CFF outline (seconds per face
            # on a CJK font); the embedded font keeps the full font's box, which is valid for the subset.
            ttfont = getattr(f, "ttfont", None)
            if ttfont is not None:
                ttfont.recalcBBoxes = False
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.alias_nb_pages()
        self.set_title(running_title)
        self.set_creator(tx(lang)("rep.creator"))
        self.set_lang("en" if lang == "en" else "zh-CN")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(BODY_W / 2, 5, self.running_title)
        self.cell(BODY_W / 2, 5, tx(self.pz_lang)("rep.page_of", page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(*INK)


@dataclass(frozen=True)
class _Failed:
    item_text: str
    section: str
    lost: Decimal
    note: str | None
    photos: tuple[bytes, ...]
    detail: str | None = None  # a version-2 answer in words (clauses, sample, penalty)


@dataclass(frozen=True)
class _FailedInspection:
    when: str
    subject: str
    checklist: str
    percent: Decimal | None
    grade: str | None
    inspector: str
    items: tuple[_Failed, ...]


# ----------------------------------------------------------------------------- data
def _failed_items(session: Session, actor: Actor, *, site_id: int, month: str,
                  lang: str = "zh") -> list[_FailedInspection]:
    """Failed items of the month's submitted supervisor inspections at the site, with their photos."""
    heads = insp_svc.list_inspections(session, actor=actor, month=month, site_id=site_id, status="submitted",
                                      kind="supervisor", limit=1_000_000)
    order = {n: i for i, n in enumerate(SHIFT_NAMES)}
    heads.sort(key=lambda h: (h.shift_date, order.get(h.shift_name, 9), h.id))
    out = []
    for h in heads:
        view = insp_svc.load_inspection(session, actor=actor, inspection_id=h.id)
        result = score_checklist(view.checklist, view.answers)
        if not result.failed_items:
            continue
        by_id = {i.id: i for i in result.items}
        sections = {s.id: s.title for s in view.checklist.sections}
        groups = {g.id: g.title for g in view.checklist.groups}
        items = []
        for item_id in result.failed_items:
            its = by_id[item_id]
            pics = []
            for ref in view.photos.get(item_id, []):
                try:
                    pics.append(photos_svc.photo_bytes(session, actor=actor, photo_id=ref.photo_id, size="thumb"))
                except (ServiceError, OSError):
                    continue  # a missing file must not stop the report; the item is still listed
            item = view.checklist.item(item_id)
            where = sections.get(its.section_id, its.section_id)
            if item.group is not None:
                where += f" · {groups.get(item.group, item.group)}"
            items.append(_Failed(item.text, where, its.applicable - its.awarded + its.penalty,
                                 view.notes.get(item_id), tuple(pics), v2_answer_words(item, view.answers.get(item_id), lang)))
        out.append(_FailedInspection(f"{h.shift_date:%Y-%m-%d} {label_of('shift', h.shift_name, lang)}", h.subject_name, h.checklist_title,
                                     h.percent, h.grade, h.inspector, tuple(items)))
    return out


# ----------------------------------------------------------------------------- drawing helpers
def _heading(pdf: _Doc, text: str, *, space: float = 4) -> None:
    if pdf.get_y() > pdf.page_break_trigger - 30:
        pdf.add_page()
    pdf.ln(space)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*ACCENT)
    pdf.cell(BODY_W, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + BODY_W, pdf.get_y())
    pdf.set_text_color(*INK)
    pdf.ln(2)


def _kpis(pdf: _Doc, boxes: Sequence[tuple[str, str, tuple[int, int, int] | None]], *, per_row: int = 5) -> None:
    w = (BODY_W - (per_row - 1) * 3) / per_row
    h = 17.0
    for start in range(0, len(boxes), per_row):
        y = pdf.get_y()
        for j, (label, value, color) in enumerate(boxes[start:start + per_row]):
            x = MARGIN + j * (w + 3)
            pdf.set_draw_color(*RULE)
            pdf.set_fill_color(248, 249, 251)
            pdf.set_line_width(0.2)
            pdf.rect(x, y, w, h, style="DF")
            pdf.set_xy(x, y + 1.5)
            pdf.set_font(FONT, "", 8)
            pdf.set_text_color(*MUTED)
            pdf.cell(w, 4, label, align="C")
            pdf.set_xy(x, y + 6.5)
            pdf.set_font(FONT, "B", 15)
            pdf.set_text_color(*(color or INK))
            pdf.cell(w, 8, value, align="C")
        pdf.set_text_color(*INK)
        pdf.set_y(y + h + 3)


def _table(pdf: _Doc, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           aligns: Sequence[str]) -> None:
    pdf.set_font(FONT, "", 9)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    style = FontFace(emphasis="BOLD", fill_color=HEAD_FILL, color=INK)
    with pdf.table(col_widths=tuple(widths), width=BODY_W, line_height=5.5, wrapmode=WrapMode.CHAR,
                   headings_style=style, text_align=tuple(aligns), padding=(0.8, 1.2),
                   v_align="MIDDLE") as table:
        head = table.row()
        for text in headers:
            head.cell(one_line(text, CELL_CHARS), align="C")
        for r in rows:
            row = table.row()
            for text in r:
                row.cell(one_line(text, CELL_CHARS))  # a 500-character name would not fit on a page


def _image(pdf: _Doc, png: bytes, *, width: float) -> None:
    with Image.open(io.BytesIO(png)) as im:
        height = width * im.height / im.width
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(io.BytesIO(png), x=MARGIN + (BODY_W - width) / 2, y=pdf.get_y(), w=width, h=height)
    pdf.set_y(pdf.get_y() + height + 2)


def _photo_row(pdf: _Doc, photos: Sequence[bytes]) -> None:
    per_row = int((BODY_W - 6 + PHOTO_GAP) // (PHOTO_W + PHOTO_GAP))
    for start in range(0, len(photos), per_row):
        chunk = []
        for data in photos[start:start + per_row]:
            try:
                with Image.open(io.BytesIO(data)) as im:
                    w, h = im.size
            except OSError:
                continue
            scale = min(PHOTO_W / w, PHOTO_MAX_H / h)
            chunk.append((data, w * scale, h * scale))
        if not chunk:
            continue
        row_h = max(h for _, _, h in chunk)
        if pdf.get_y() + row_h > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        x = MARGIN + 6
        for data, pw, ph in chunk:
            pdf.image(io.BytesIO(data), x=x, y=y, w=pw, h=ph)
            pdf.set_draw_color(*RULE)
            pdf.rect(x, y, pw, ph)
            x += pw + PHOTO_GAP
        pdf.set_y(y + row_h + 2)


def _bands(subject_type: str) -> list[tuple[str, float]]:
    """(grade as stored, minimum): the charts label them in the report's language and colour them by grade."""
    bands = sc.rules().for_subject(subject_type).bands
    return [(b.grade, float(b.min)) for b in bands if b.min > 0]


def _f(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


# ----------------------------------------------------------------------------- the report
def site_month_pdf(session: Session, *, actor: Actor, site_id: int, month: str, lang: str = "zh") -> bytes:
    """The PDF monthly report of one site (manager or admin), headings and labels in ``lang``. Raises
    :class:`charts.MissingCJKFont` when no Chinese font is installed (package ``fonts-noto-cjk``)."""
    check_month(month)
    actor.require("manager", "admin")
    actor.require_site(site_id)
    from app.db.models import Site

    if session.get(Site, site_id) is None:
        raise NotFound("org.site_missing")
    _ = tx(lang)
    name = site_name(session, site_id, lang)
    sites = sc.scorecard(session, actor=actor, month=month, subject_type="site")
    me = next((ln for ln in sites if ln.subject_id == site_id), None)
    staff = sc.scorecard(session, actor=actor, month=month, subject_type="staff", site_id=site_id)
    trend = sc.trends(session, actor=actor, month=month, subject_type="site", subject_ids=[site_id],
                      site_id=site_id, n=12)[site_id]
    pareto = actions_svc.pareto(session, actor=actor, month=month, site_id=site_id, top=10)
    clauses = clause_pareto.pareto_clauses(session, actor=actor, month=month, site_id=site_id, top=10)
    groups = clause_pareto.group_figures(session, actor=actor, month=month, site_id=site_id)
    adjust = clause_pareto.adjustments(session, actor=actor, month=month, subject_type="site",
                                       site_id=site_id).get(site_id)
    failed = _failed_items(session, actor, site_id=site_id, month=month, lang=lang)
    from app.services import training as training_svc

    tr = me.training if me and me.training else training_svc.rates(session, site_id=site_id, month=month)
    rules = sc.rules()

    def draw(break_before_last: bool) -> tuple[_Doc, bool]:
        """The report; also whether the signature block had to start a page of its own."""
        title = _("rep.pdf_title", site=one_line(name, NAME_CHARS), month=month_label(month, lang))
        pdf = _Doc(title, lang)
        pdf.add_page()
        pdf.set_font(FONT, "B", 18)
        pdf.cell(BODY_W, 10, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(BODY_W, 5, _("rep.pdf_subtitle", version=rules.version, at=f"{now_local():%Y-%m-%d %H:%M}"),
                 align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.ln(3)

        # --- figures
        _heading(pdf, _("rep.pdf_h1"), space=0)
        r = me.row if me else None
        ranked = sum(1 for ln in sites if ln.row.rank is not None)
        delta = r.delta_display if r else None
        staff_scores = [ln.row.score for ln in staff if ln.row.score is not None]
        staff_mean = sum(staff_scores, Decimal(0)) / len(staff_scores) if staff_scores else None
        _kpis(pdf, [
            (_("rep.kpi_score"), fmt2(r.score_display if r else None), None),
            (_("rep.col.grade"), label_of("grade", r.grade if r else None, lang) or "—",
             charts.grade_color(r.grade) if r and r.grade else None),
            (_("rep.col.delta"), fmt2(delta, signed=True), (192, 57, 43) if delta is not None and delta < 0 else None),
            (_("rep.kpi_site_rank"), f"{r.rank} / {ranked}" if r and r.rank else _("rep.unranked"), None),
            (_("rep.kpi_coverage"), fmt2(r.coverage_percent_display if r else Decimal(0), suffix="%"), None),
            (_("rep.col.inspections"), str(r.inspections if r else 0), None),
            (_("rep.col.open_actions"), str(me.open_actions if me else 0), None),
            (_("rep.col.attendance"), fmt2(tr.attendance_rate, suffix="%"), None),
            (_("rep.col.pass_rate"), fmt2(tr.pass_rate, suffix="%"), None),
            (_("rep.kpi_staff_mean"), fmt2(staff_mean), None),
        ])
        pdf.set_font(FONT, "", 9)
        weights = rules.site.weights
        order = sorted(KINDS, key=lambda k: (-weights.get(k, Decimal(0)), KINDS.index(k)))
        kinds = "   ".join(f"{checklist_kind_label(k, lang)} {fmt2(r.kinds[k])}" for k in order if r and k in r.kinds)
        parts = [_("rep.kind_means", kinds=kinds) if kinds else _("rep.kind_means_none")]
        if adjust is not None:
            parts.append(_("rep.adjust_line", bonus=fmt2(adjust.bonus), penalty=fmt2(adjust.penalty),
                           n=adjust.inspections))
        if r and r.self_checks:
            parts.append(_("rep.self_checks_line", n=r.self_checks, gap=fmt2(r.self_gap_display, signed=True)))
        parts.append(_("rep.training_line", sessions=tr.sessions, invited=tr.invited, attended=tr.attended,
                       examined=tr.examined, passed=tr.passed))
        pdf.multi_cell(BODY_W, 5, _("rep.sep").join(parts), align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        if groups:  # version-2 standards: the groups (分项) of the month's checklists
            pdf.ln(2)
            _table(pdf, [_("rep.col.checklist"), _("rep.col.section"), _("rep.col.group"), _("rep.col.points"),
                         _("rep.col.n_inspections"), _("rep.col.percent")],
                   [[one_line(g.checklist_title, NAME_CHARS), g.section_title, g.group_title, fmt2(g.points),
                     str(g.inspections), fmt2(g.percent, suffix="%")] for g in groups],
                   (28, 18, 24, 10, 10, 10), ("L", "L", "L", "R", "C", "R"))

        # --- charts
        _heading(pdf, _("rep.pdf_h2"))
        _image(pdf, charts.line_chart([(m, _f(v)) for m, v in trend], title=_("rep.chart_trend"),
                                      bands=_bands("site"), lang=lang), width=BODY_W)
        bars = [(ln.name, _f(ln.row.score), ln.row.grade) for ln in staff]
        _image(pdf, charts.bar_chart(bars, title=_("rep.chart_staff", month=month_label(month, lang)),
                                     bands=_bands("staff"), lang=lang), width=BODY_W)

        # --- staff ranking
        _heading(pdf, _("rep.pdf_h3"))
        rows = [[str(ln.row.rank) if ln.row.rank else "—", ln.name, label_of("post", ln.post, lang),
                 fmt2(ln.row.score_display), label_of("grade", ln.row.grade, lang) or "—", fmt2(ln.row.delta_display, signed=True), str(ln.row.inspections),
                 str(ln.row.self_checks), fmt2(ln.row.self_gap_display, signed=True), str(ln.open_actions)]
                for ln in staff]
        if rows:
            _table(pdf, [_(f"rep.col.{k}") for k in ("rank", "name", "post", "score", "grade", "delta", "inspections",
                                                    "self_checks", "self_gap", "open_actions")],
                   rows, (8, 14, 14, 11, 10, 11, 10, 10, 11, 11), ("C", "C", "C", "R", "C", "R", "C", "C", "R", "C"))
            pdf.set_font(FONT, "", 8)
            pdf.set_text_color(*MUTED)
            pdf.cell(BODY_W, 5, _("rep.unranked_note", n=rules.staff.min_inspections),
                     new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(*INK)
        else:
            pdf.set_font(FONT, "", 9)
            pdf.cell(BODY_W, 6, _("rep.no_staff"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

        # --- most deducted items
        _heading(pdf, _("rep.pdf_h4"))
        if pareto:
            _table(pdf, [_("rep.col.no"), _("rep.col.item"), _("rep.col.lost_total"), _("rep.col.times")],
                   [[str(i), item_text, fmt2(lost), str(n)]
                    for i, (_id, item_text, lost, n) in enumerate(pareto, start=1)],
                   (8, 70, 12, 10), ("C", "L", "R", "C"))
            if clauses:  # multi-clause items: which clause cost the most
                pdf.ln(2)
                pdf.set_font(FONT, "B", 9.5)
                pdf.cell(BODY_W, 6, _("rep.clauses_heading"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                _table(pdf, [_("rep.col.no"), _("rep.col.item"), _("rep.col.clause"), _("rep.col.lost_total"),
                             _("rep.col.times")],
                       [[str(i), f"{c.item_id} {c.item_text}", f"{c.letter}. {c.clause_text}", fmt2(c.lost),
                         str(c.times)] for i, c in enumerate(clauses, start=1)],
                       (8, 36, 36, 12, 8), ("C", "L", "L", "R", "C"))
        else:
            pdf.set_font(FONT, "", 9)
            pdf.cell(BODY_W, 6, _("rep.no_deductions"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

        # --- failed items with photos
        if break_before_last and not failed:
            pdf.add_page()
        _heading(pdf, _("rep.pdf_h5"))
        if not failed:
            pdf.set_font(FONT, "", 9)
            pdf.cell(BODY_W, 6, _("rep.no_failed"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for k, fi in enumerate(failed):
            if pdf.get_y() > pdf.page_break_trigger - 25 or (break_before_last and k == len(failed) - 1):
                pdf.add_page()
            pdf.set_font(FONT, "B", 9.5)
            pdf.set_fill_color(242, 244, 248)
            score_txt = (fmt2(fi.percent) + _("paren", text=label_of("grade", fi.grade, lang))
                         if fi.percent is not None else "—")
            head = _("rep.failed_head", when=fi.when, checklist=one_line(fi.checklist, NAME_CHARS),
                     subject=one_line(fi.subject, NAME_CHARS), score=score_txt,
                     inspector=one_line(fi.inspector, NAME_CHARS))
            pdf.multi_cell(BODY_W, 6, head,
                           fill=True, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            for it in fi.items:
                pdf.set_font(FONT, "", 9)
                line = _("rep.failed_item", item=multi_line(it.item_text), section=one_line(it.section, NAME_CHARS),
                         lost=fmt2(it.lost))
                if it.detail:
                    line += f"   {multi_line(it.detail)}"
                if it.note:
                    line += _("rep.failed_note", note=multi_line(it.note))
                if it.photos:
                    line += _("rep.failed_photos", n=len(it.photos))
                pdf.set_x(MARGIN + 2)
                pdf.multi_cell(BODY_W - 2, 5, line, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                if it.photos:
                    pdf.ln(1)
                    _photo_row(pdf, it.photos)
            pdf.ln(2)

        # --- signature: never alone on the last page (see the second pass below)
        alone = pdf.get_y() > pdf.page_break_trigger - 30
        if alone:
            pdf.add_page()
        pdf.ln(8)
        pdf.set_font(FONT, "", 11)
        pdf.cell(BODY_W, 8, signature_line(lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        signed = signoff_text(session, site_id=site_id, month=month, lang=lang)
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(BODY_W, 6, signed or _("rep.not_signed", month=month_label(month, lang)),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        return pdf, alone

    pdf, alone = draw(False)
    if alone:  # again, with the last block on a new page so that the signature stays with it
        pdf, _again = draw(True)
    return bytes(pdf.output())
