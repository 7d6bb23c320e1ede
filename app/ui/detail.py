"""One inspection in full: score, every answer with notes and photos; amendment for managers."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.services import inspections as svc
from app.services.actor import Actor
from app.services.errors import ServiceError
from app.ui import closeout, fmt, photos_ui
from app.ui.i18n import ct, lang, t, tr, tv
from app.ui.safe import md
from app.ui.state import local_time, write
from scoring import partial_score


def answer_text(item: Any, answer: dict[str, Any] | None) -> str:
    if not answer:
        return "—"
    if answer.get("result") == "na":
        return t("na")
    if "result" in answer:
        return "✓ " + t("pass") if answer["result"] == "pass" else "✗ " + t("fail")
    if "count" in answer:
        return t("count_fmt", n=answer["count"])
    return f"{answer['points']}/{item.points}{t('pts')}"


def show(view: svc.DraftView, actor: Actor) -> None:
    h = view.header
    # every name, title, note and caption through md(): shown as text, never as markup (app/ui/safe.py)
    st.subheader(md(f"{ct(view.checklist) if lang() == 'en' else h.checklist_title} · v{h.checklist_version}"))
    st.caption(md(f"{h.site_name} · {h.subject_name} · {h.shift_date} {tv('shift', h.shift_name)} · {t('inspector')} "
                  f"{h.inspector} · {t('kind_' + h.kind)} · "
                  f"{t('submitted') if h.status == 'submitted' else t('draft')} {local_time(h.submitted_at)}")
               + (f" · **{t('amended')}**" if h.amended else ""))
    if h.percent is not None:
        m1, m2 = st.columns(2)
        m1.metric(t("percent"), fmt.pct(h.percent))
        m2.metric(t("grade"), md(tv("grade", h.grade) or "—"))
    # the failed items first, open, with their notes and photos; then every section (open if it has a failure)
    failed = set(partial_score(view.checklist, view.answers).failed_items)
    with st.container(border=True, key="pz-failed-first"):
        st.markdown(f"**{t('failed_first', n=len(failed))}**" if failed else t("no_failed"))
        for item in (it for it in view.checklist.items if it.id in failed):
            _item_lines(view, item, where="f")
    for section in view.checklist.sections:
        has_failed = any(it.id in failed for it in section.items)
        label = f"{ct(section)} · {section.points}{t('pts')}" + (f" · ✗ {sum(it.id in failed for it in section.items)}"
                                                                     if has_failed else "")
        with st.expander(md(label), expanded=has_failed):
            for item in section.items:  # a failed item's photos are in the list above
                _item_lines(view, item, where="s", photos=item.id not in failed)
    closeout.detail_extras(view, actor)  # the close-out signatures and the one-inspection PDF
    if h.status == "submitted" and actor.role in ("manager", "admin"):
        _amend_form(view, actor)


def _item_lines(view: svc.DraftView, item: Any, *, where: str, photos: bool = True) -> None:
    """One item's answer and text, note, reason for no photo and photos."""
    h = view.header
    st.markdown(md(f"{answer_text(item, view.answers.get(item.id))} · {ct(item, 'text')}"))
    note = view.notes.get(item.id)
    if note:
        st.caption(md(f"{t('note')}: {note}"))
    reason = view.no_photo_reasons.get(item.id)
    if reason:
        st.caption(md(f"{t('no_photo_reason')}: {reason}"))
    refs = view.photos.get(item.id) if photos else None
    if refs:
        photos_ui.thumbs(refs, iid=h.id, item_id=item.id if where == "s" else f"{item.id}#f")


def _amend_form(view: svc.DraftView, actor: Actor) -> None:
    flash = st.session_state.pop("amend_flash", None)
    if flash:
        st.success(flash)
    with st.expander(t("amend")):
        items = view.checklist.items
        item = st.selectbox(t("checklist"), items, format_func=lambda i: f"{i.id} · {i.text[:40]}",
                            key=f"am_item_{view.header.id}", placeholder=t("choose_option"))
        if item.scoring == "pass_fail":
            opts: list[Any] = ["pass", "fail"] + (["na"] if item.na else [])
        elif item.scoring == "deduct":
            opts = list(range(0, 11)) + (["na"] if item.na else [])
        else:
            steps = int(item.points / item.step)
            opts = [str(item.step * k) for k in range(steps + 1)] + (["na"] if item.na else [])
        current = view.answers.get(item.id) or {}
        now = "na" if current.get("result") == "na" else current.get("result", current.get("count", current.get("points")))
        index = next((n for n, o in enumerate(opts) if str(o) == str(now)), 0)
        value = st.selectbox(t("result"), opts, index=index, key=f"am_val_{view.header.id}_{item.id}",
                             format_func=lambda v: t(v) if v in ("pass", "fail", "na") else str(v), placeholder=t("choose_option"))
        reason = st.text_input(t("amend_reason"), key=f"am_reason_{view.header.id}")
        if st.button(t("amend"), key=f"am_go_{view.header.id}"):
            if value == "na":
                new: dict[str, Any] = {"result": "na"}
            elif item.scoring == "pass_fail":
                new = {"result": value}
            elif item.scoring == "deduct":
                new = {"count": int(value)}
            else:
                new = {"points": value}
            try:
                with write() as s:
                    svc.amend_inspection(session=s, actor=actor, inspection_id=view.header.id,
                                         changes={item.id: new}, reason=reason)
            except ServiceError as exc:
                st.error(md(tr(exc)))
            else:
                st.session_state["amend_flash"] = t("amended")
                st.rerun()
