"""The inspection page: header, the item screen, the review step and the result.

The item screen is the client-side component of app/ui/inspection_screen: it holds the whole checklist
and writes every tap through its local outbox to the JSON API. The review step and the result are
Streamlit; they read the draft from the database on every run.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import streamlit as st

from app.services import inspections as svc
from app.services import training
from app.services.actor import Actor
from app.services.errors import ServiceError
from app.ui import closeout, fmt, inspection_screen, photos_ui
from app.ui.i18n import t, tr, tv
from app.ui.safe import md
from app.ui.state import current_actor, keep_params, read, write


def _view_key(iid: int) -> str:
    return f"view_{iid}"


def _fmt(d: Decimal) -> str:
    return f"{d.normalize():f}" if d != d.to_integral_value() else str(int(d))


TRAINING_ITEMS = {"training.attendance": "attendance", "training.pass_rate": "pass_rate"}


def _training_hint(iid: int, item_id: str) -> str:
    """Beside Jindi 7.3)/7.4): the month's figures from the training records, as a suggested answer."""
    which = TRAINING_ITEMS.get(item_id)
    rates = st.session_state.get(f"train_{iid}")
    if which is None or rates is None:
        return ""
    rate = rates.attendance_rate if which == "attendance" else rates.pass_rate
    if rate is None:
        return t("if.training_none")
    label = t("if.attendance") if which == "attendance" else t("if.pass_rate")
    suggestion = rates.suggestion(which)
    return (f"{t('if.training_label')}{label} {fmt.pct(rate, 1)}"
            f" ({rates.attended if which == 'attendance' else rates.passed}/"
            f"{rates.invited if which == 'attendance' else rates.examined}) · {t('if.suggested')}: "
            f"{t(suggestion) if suggestion else '—'}")


# ----------------------------------------------------------------------------- the screen
def _load(actor: Actor, iid: int) -> svc.DraftView:
    with read() as s:
        view = svc.load_inspection(s, actor=actor, inspection_id=iid)
    st.session_state[_view_key(iid)] = view
    if any(i.id in TRAINING_ITEMS for i in view.checklist.items):
        with read() as s:
            st.session_state[f"train_{iid}"] = training.rates(
                s, site_id=view.header.site_id, month=view.header.shift_date.strftime("%Y-%m"))
    return view


def _review_step(view: svc.DraftView, actor: Actor) -> None:
    iid = view.header.id
    with read() as s:
        rv = svc.review(s, actor=actor, inspection_id=iid)
    r = rv.result
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("percent"), "—" if r.percent is None else f"{r.percent}%")
    m2.metric(t("grade"), tv("grade", r.grade) or "—")
    m3.metric(t("awarded"), f"{_fmt(r.awarded)} / {_fmt(r.applicable)}")
    m4.metric(t("answered"), f"{rv.answered}/{rv.total}")
    if r.bonus or r.penalty:  # version-2 standards: included in the score above
        st.caption(t("v2_adjust", b=_fmt(r.bonus), p=_fmt(r.penalty)))
    checklist = view.checklist

    def jump_list(title: str, ids: tuple[str, ...], kind: str) -> None:
        if not ids:
            return
        st.markdown(f"**{title}{t('paren', text=len(ids))}**")
        for n, item_id in enumerate(ids[:60]):
            it = checklist.item(item_id)
            sec_index = next(i for i, s in enumerate(checklist.sections) if s.id == checklist.section_of(item_id))
            c1, c2 = st.columns([5, 1])
            note = view.notes.get(item_id)
            c1.markdown(f"- {md(it.text)}")
            if note:
                c1.caption(md(f"{t('note')}: {note}"))
            if c2.button("→", key=f"jump_{kind}_{n}"):
                keep_params(step="items", sec=str(sec_index), item=item_id)
                st.rerun()

    _blockers(view, rv, jump_list, actor)
    jump_list(t("failed_items"), rv.failed, "f")
    photos_ui.gallery(view)
    unsigned = closeout.signature_step(view, actor, ready=rv.can_submit)  # the close-out signatures (supervisor inspections)
    st.divider()
    c1, c2 = st.columns(2)
    with c1:
        pressed = inspection_screen.nav([{"action": "back-to-items", "label": f"◀ {t('back_to_items')}"}],
                                        key=f"pzi_review_nav_{iid}")
    if pressed and pressed.get("action") == "back-to-items":
        keep_params(step="items", item=None)
        st.rerun()
    if not rv.can_submit:
        st.warning(md(t("submit_blocked_n", n=len({b.item_id for b in rv.blockers}))))
    if unsigned:
        st.warning(md(closeout.pending_message(unsigned, view.header.subject_type)))
    if c2.button(f"✓ {t('submit')}", type="primary", width="stretch", disabled=not rv.can_submit or bool(unsigned),
                 key=f"submit_{iid}"):
        try:
            with write() as s:
                svc.submit_inspection(session=s, actor=actor, inspection_id=iid)
        except ServiceError as exc:
            st.error(md(exc))
        else:
            keep_params(step="done")
            st.rerun()


def _on_no_photo_reason(iid: int, item_id: str) -> None:
    actor = current_actor()  # callbacks run before the page: check the session in the database first
    if actor is None:
        return
    key = f"npr_{iid}_{item_id}"
    try:
        with write() as s:
            svc.record_no_photo_reason(session=s, actor=actor, inspection_id=iid, item_id=item_id,
                                       reason=st.session_state.get(key, ""))
    except ServiceError as exc:
        st.session_state[f"npr_err_{iid}"] = (item_id, tr(exc))


def _blockers(view: svc.DraftView, rv: svc.Review, jump_list: Any, actor: Actor) -> None:
    """What blocks submit, by kind, each with a jump to its item; a failed ``on_fail`` item without a
    photo takes a written reason for none here."""
    iid = view.header.id
    by_kind = {k: tuple(b.item_id for b in rv.blockers if b.kind == k)
               for k in (svc.UNANSWERED, svc.PHOTO_REQUIRED, svc.PHOTO_OR_REASON)}
    jump_list(t("unanswered"), by_kind[svc.UNANSWERED], "u")
    jump_list(t("photo_required_missing"), by_kind[svc.PHOTO_REQUIRED], "p")
    open_reason = by_kind[svc.PHOTO_OR_REASON] + rv.excused_evidence
    if open_reason:
        jump_list(t("photo_or_reason_missing"), by_kind[svc.PHOTO_OR_REASON], "r")
        err = st.session_state.pop(f"npr_err_{iid}", None)
        if err:
            st.error(md(err[1]))
        with st.container(key="pz-no-photo"):
            st.caption(t("no_photo_reason_hint"))
            checklist = view.checklist
            for item_id in sorted(open_reason, key=lambda i: [it.id for it in checklist.items].index(i)):
                key = f"npr_{iid}_{item_id}"
                if key not in st.session_state:
                    st.session_state[key] = view.no_photo_reasons.get(item_id, "")
                st.text_input(md(f"{t('no_photo_reason')} · {checklist.item(item_id).text}"), key=key,
                              max_chars=svc.MAX_NO_PHOTO_REASON, on_change=_on_no_photo_reason,
                              args=(iid, item_id))


def run(actor: Actor, iid: int) -> None:
    """Draw the inspection ``iid``: items, review, or result (query param ``step``)."""
    try:
        view = _load(actor, iid)
    except ServiceError as exc:
        st.error(md(tr(exc)))
        keep_params(insp=None, step=None, sec=None)
        return
    step = st.query_params.get("step", "items")
    if view.header.status == "submitted":
        def home() -> None:
            keep_params(insp=None, step=None, sec=None)
            st.rerun()

        closeout.result_screen(view, actor, home)  # score, failed items, actions, signatures, PDF
        return
    h = view.header
    st.subheader(md(h.checklist_title))
    st.caption(md(f"{h.site_name} · {h.subject_name} · {h.shift_date} {tv('shift', h.shift_name)} · v{h.checklist_version} · "
                  f"{t('kind_' + h.kind)}"))
    if step == "review":
        _review_step(view, actor)
    else:
        _items_screen(view, actor)


def _items_screen(view: svc.DraftView, actor: Actor) -> None:
    focus = st.query_params.get("item")
    hints = {i.id: hint for i in view.checklist.items if (hint := _training_hint(view.header.id, i.id))}
    pressed = inspection_screen.screen(view, user_id=actor.id, section=None,
                                       focus_item=focus if focus and view.checklist.has_item(focus) else None,
                                       hints=hints)
    if pressed and pressed.get("action") == "review":
        keep_params(step="review", item=None)
        st.rerun()
