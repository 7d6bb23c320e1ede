"""The inspection page: header, the item screen, the review step and the result.

The item screen is the client-side component of app/ui/inspection_screen. The old screen below (one
section at a time, one fragment per item) is only drawn with ``?screen=v1`` and is to be removed.

A tap reruns only that item's fragment: the answer is written to the database in the widget's
callback and the item shows "已保存" with the time. ``st.session_state`` only caches what the database
holds; a full run (reload, section change) reads the draft back from the database.
"""

from __future__ import annotations

import html
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

import streamlit as st

from app.services import inspections as svc
from app.services import training
from app.services.actor import Actor
from app.services.errors import ServiceError
from app.ui import fmt, inspection_screen, photos_ui
from app.ui.i18n import t, tr, tv
from app.ui.safe import md
from app.ui.state import LOCAL_TZ, current_actor, keep_params, read, require_actor, write
from scoring import partial_score
from scoring.model import Item

MAX_BUTTONS = 9  # beyond this many choices a slider is easier on a tablet


def _view_key(iid: int) -> str:
    return f"view_{iid}"


def _fmt(d: Decimal) -> str:
    return f"{d.normalize():f}" if d != d.to_integral_value() else str(int(d))


# ----------------------------------------------------------------------------- answer <-> widget
def _options(item: Item) -> tuple[list[str], Any]:
    """Widget options (as strings) and a format function."""
    if item.scoring == "pass_fail":
        opts = ["pass", "fail"] + (["na"] if item.na else [])
        return opts, lambda v: t(v)
    if item.scoring == "deduct":
        per = item.per
        assert per is not None
        top = math.ceil(item.points / per)
        opts = [str(n) for n in range(top + 1)] + (["na"] if item.na else [])

        def fmt_count(v: str) -> str:
            if v == "na":
                return t("na")
            n = int(v)
            return t("count_fmt", n=n) if n == 0 else f"{t('count_fmt', n=n)} −{_fmt(min(item.points, n * per))}"

        return opts, fmt_count
    steps = int(item.points / item.step)
    opts = [_fmt(item.step * k) for k in range(steps + 1)] + (["na"] if item.na else [])
    return opts, lambda v: t("na") if v == "na" else f"{v}{t('pts')}"


def _to_widget(item: Item, answer: dict[str, Any] | None) -> str | None:
    if not answer:
        return None
    if answer.get("result") == "na":
        return "na"
    if item.scoring == "pass_fail":
        return str(answer.get("result"))
    if item.scoring == "deduct":
        return str(int(answer["count"]))
    return _fmt(Decimal(str(answer["points"])))


def _to_answer(item: Item, value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if value == "na":
        return {"result": "na"}
    if item.scoring == "pass_fail":
        return {"result": value}
    if item.scoring == "deduct":
        return {"count": int(value)}
    return {"points": value}


# ----------------------------------------------------------------------------- callbacks (DB writes)
def _saved(iid: int, item_id: str, ok: bool, message: str = "") -> None:
    seq = st.session_state.get(f"seq_{iid}_{item_id}", 0) + 1
    st.session_state[f"seq_{iid}_{item_id}"] = seq
    st.session_state[f"saved_{iid}_{item_id}"] = (ok, datetime.now(LOCAL_TZ).strftime("%H:%M:%S"), message)


def _on_answer(iid: int, item_id: str, _actor: Actor) -> None:
    actor = current_actor()  # callbacks run before the page: check the session in the database first
    if actor is None:
        return  # nothing is written; the fragment's require_actor() sends the page back to sign-in
    view: svc.DraftView = st.session_state[_view_key(iid)]
    item = view.checklist.item(item_id)
    value = _to_answer(item, st.session_state.get(f"a_{iid}_{item_id}"))
    try:
        with write() as s:
            svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=item_id, value=value)
    except ServiceError as exc:
        # put the widget back to what the database holds
        st.session_state[f"a_{iid}_{item_id}"] = _to_widget(item, view.answers.get(item_id))
        _saved(iid, item_id, False, tr(exc))
        return
    if value is None:
        view.answers.pop(item_id, None)
    else:
        view.answers[item_id] = value
    if _is_failed(item, value):
        tkey = _tools_key(iid, item_id)
        wanted = _open_tools(iid, item, True, bool(view.notes.get(item_id)), bool(view.photos.get(item_id)))
        st.session_state[tkey] = sorted(set(st.session_state.get(tkey, [])) | set(wanted), key=["photo", "note"].index)
    _saved(iid, item_id, True)


def _on_note(iid: int, item_id: str, _actor: Actor) -> None:
    actor = current_actor()  # callbacks run before the page: check the session in the database first
    if actor is None:
        return  # nothing is written; the fragment's require_actor() sends the page back to sign-in
    view: svc.DraftView = st.session_state[_view_key(iid)]
    note = st.session_state.get(f"n_{iid}_{item_id}", "")
    try:
        with write() as s:
            svc.save_note(session=s, actor=actor, inspection_id=iid, item_id=item_id, note=note)
    except ServiceError as exc:
        _saved(iid, item_id, False, tr(exc))
        return
    view.notes[item_id] = note.strip()
    _saved(iid, item_id, True)


# ----------------------------------------------------------------------------- one item
def _badges(item: Item) -> str:
    out = [f"<span class='pz-badge'>{_fmt(item.points)}{t('pts')}</span>"]
    if item.scoring == "deduct":
        out.append(f"<span class='pz-badge'>−{_fmt(item.per or Decimal(0))}/{t('count_fmt', n=1)}</span>")
    if item.critical == "checklist":
        out.append(f"<span class='pz-badge pz-red'>{t('critical_checklist')}</span>")
    elif item.critical == "section":
        out.append(f"<span class='pz-badge pz-red'>{t('critical_section')}</span>")
    if item.evidence == "required":
        out.append(f"<span class='pz-badge pz-amber'>{t('evidence_required')}</span>")
    elif item.evidence == "on_fail":
        out.append(f"<span class='pz-badge pz-amber'>{t('evidence_on_fail')}</span>")
    return "".join(out)


def _is_failed(item: Item, answer: dict[str, Any] | None) -> bool:
    if not answer or answer.get("result") == "na":
        return False
    if item.scoring == "pass_fail":
        return answer.get("result") == "fail"
    if item.scoring == "deduct":
        return int(answer.get("count", 0)) > 0
    return Decimal(str(answer.get("points"))) < item.points


def _tools_key(iid: int, item_id: str) -> str:
    return f"tools_{iid}_{item_id}"


def _open_tools(iid: int, item: Item, failed: bool, has_note: bool, has_photos: bool) -> list[str]:
    """Which of the item's tool areas (photo, note) are open when it is first drawn or just failed."""
    tools = []
    if item.evidence != "none" and (has_photos or (failed and item.evidence in ("on_fail", "required"))
                                    or item.evidence == "required"):
        tools.append("photo")
    if failed or has_note:
        tools.append("note")
    return tools


TRAINING_ITEMS = {"training.attendance": "attendance", "training.pass_rate": "pass_rate"}


def _training_hint(iid: int, item_id: str) -> str:
    """Beside Jindi 7.3)/7.4): the month's figures from the training records, as a suggested answer."""
    which = TRAINING_ITEMS.get(item_id)
    rates = st.session_state.get(f"train_{iid}")
    if which is None or rates is None:
        return ""
    rate = rates.attendance_rate if which == "attendance" else rates.pass_rate
    if rate is None:
        return f"<div class='pz-meta'>{t('if.training_none')}</div>"
    label = t("if.attendance") if which == "attendance" else t("if.pass_rate")
    suggestion = rates.suggestion(which)
    return (f"<div class='pz-meta'>{t('if.training_label')}{label} {fmt.pct(rate, 1)}"
            f" ({rates.attended if which == 'attendance' else rates.passed}/"
            f"{rates.invited if which == 'attendance' else rates.examined}) · {t('if.suggested')}: "
            f"<b>{t(suggestion) if suggestion else '—'}</b></div>")


def _status_html(iid: int, item_id: str) -> str:
    saved = st.session_state.get(f"saved_{iid}_{item_id}")
    if not saved:
        return ""
    ok, when, message = saved
    seq = st.session_state.get(f"seq_{iid}_{item_id}", 0)
    if ok:
        # live progress and running score here: the header above only refreshes on a full run
        view: svc.DraftView = st.session_state[_view_key(iid)]
        total = len(view.checklist.items)
        answered = sum(1 for i in view.checklist.items if i.id in view.answers)
        running = partial_score(view.checklist, view.answers).percent
        return (f" <span class='pz-saved' data-item='{item_id}' data-seq='{seq}'>✓ {t('saved')} {when}</span>"
                f" <span class='pz-meta'>· {t('progress')} {answered}/{total} · {t('score_so_far')} "
                f"{fmt.pct(running)}</span>")
    return (f" <span class='pz-error' data-item='{item_id}'>✗ {t('save_failed')}: "
            f"{html.escape(str(message))}</span>")


def item_anchor(item_id: str) -> str:
    """The HTML id of an item's text (``item_<id with . as __>``): its card is the block holding it."""
    return "item_" + item_id.replace(".", "__")


@st.fragment
def item_block(iid: int, item_id: str, number: int, actor: Actor) -> None:
    """One item: text + badges + save status, the answer control, and (on demand) note and photos."""
    require_actor()  # a fragment run is a run: the session is checked in the database (ended: sign-in page)
    view: svc.DraftView = st.session_state[_view_key(iid)]
    item = view.checklist.item(item_id)
    answer = view.answers.get(item_id)
    failed = _is_failed(item, answer)
    # the fragment's own block is the item's card (bordered through CSS, see state.CSS): a bordered
    # st.container inside it cost about 0.6 ms per item on every rerun of any fragment on the page,
    # and so did a CSS :has() rule finding the card from its text
    text = item.text_en if (item.text_en and st.session_state.get("lang") == "en") else item.text
    # inside an HTML block markdown escapes do not apply: the item text (imported data) is HTML-escaped
    st.markdown(f"<div class='pz-item' id='{item_anchor(item_id)}'><b>{number}.</b> {html.escape(text)}</div>"
                f"<div class='pz-meta'>{_badges(item)}{_status_html(iid, item_id)}</div>"
                + _training_hint(iid, item_id), unsafe_allow_html=True)
    key = f"a_{iid}_{item_id}"
    opts, fmt = _options(item)
    kwargs: dict[str, Any] = {}
    current = _to_widget(item, answer)
    if key not in st.session_state and current is not None:
        kwargs["default" if len(opts) <= MAX_BUTTONS else "value"] = current
    # the answer control and the tools sit side by side through CSS (the item card rule in state.CSS),
    # not a horizontal container: Streamlit's layout containers cost about 0.5 ms each on every rerun
    if len(opts) <= MAX_BUTTONS:
        st.segmented_control(t("result"), opts, format_func=fmt, key=key, on_change=_on_answer,
                             args=(iid, item_id, actor), label_visibility="collapsed", **kwargs)
    else:
        st.select_slider(t("result"), options=opts, format_func=fmt, key=key, on_change=_on_answer,
                         args=(iid, item_id, actor), label_visibility="collapsed", **kwargs)
    tkey = _tools_key(iid, item_id)
    if tkey not in st.session_state:
        st.session_state[tkey] = _open_tools(iid, item, failed, bool(view.notes.get(item_id)),
                                             bool(view.photos.get(item_id)))
    tool_opts = (["photo"] if item.evidence != "none" else []) + ["note"]
    tools = st.pills(t("note"), tool_opts, selection_mode="multi", key=tkey, label_visibility="collapsed",
                     format_func=lambda v: f":material/photo_camera: {t('add_photo')}" if v == "photo"
                     else f":material/edit_note: {t('add_note')}")
    if "note" in tools:
        note_key = f"n_{iid}_{item_id}"
        if note_key not in st.session_state:
            st.session_state[note_key] = view.notes.get(item_id, "")
        st.text_input(t("note"), key=note_key, on_change=_on_note, args=(iid, item_id, actor),
                      placeholder=t("note"), label_visibility="collapsed")
    if "photo" in tools:
        photos_ui.item_photos(iid, item, actor, failed=failed, editable=True)


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


def _header(view: svc.DraftView) -> None:
    h = view.header
    running = partial_score(view.checklist, view.answers)
    total = len(view.checklist.items)
    answered = sum(1 for i in view.checklist.items if i.id in view.answers)
    st.subheader(md(h.checklist_title))
    st.caption(md(f"{h.site_name} · {h.subject_name} · {h.shift_date} {tv('shift', h.shift_name)} · "
                  f"v{h.checklist_version} · {t('kind_' + h.kind)}"))
    pct = "—" if running.percent is None else f"{running.percent}%"
    with st.container(key="pz-head"):  # progress 3 : score 1, side by side through CSS (see state.CSS)
        st.progress(answered / total if total else 0.0, text=f"{t('progress')} {answered}/{total}")
        st.markdown(f"{t('score_so_far')}<br><span class='pz-score'>{pct}</span>", unsafe_allow_html=True)


def _section_nav(view: svc.DraftView, sec: int, where: str) -> None:
    sections = view.checklist.sections
    with st.container(key="pz-secnav"):  # three buttons in a row through CSS (see state.CSS)
        prev = st.button(f"◀ {t('prev')}", key=f"prev_{where}", disabled=sec == 0, width="stretch")
        review = st.button(f"☰ {t('to_review')}", key=f"rev_{where}", width="stretch")
        nxt = st.button(f"{t('next')} ▶", key=f"next_{where}", disabled=sec >= len(sections) - 1,
                        width="stretch", type="primary")
    if prev:
        keep_params(sec=str(sec - 1))
        st.rerun()
    if review:
        keep_params(step="review")
        st.rerun()
    if nxt:
        keep_params(sec=str(sec + 1))
        st.rerun()


def _items_step(view: svc.DraftView, actor: Actor) -> None:
    iid = view.header.id
    sections = view.checklist.sections
    try:
        sec = min(max(int(st.query_params.get("sec", "0")), 0), len(sections) - 1)
    except ValueError:
        sec = 0

    def label(i: int) -> str:
        s = sections[i]
        done = sum(1 for it in s.items if it.id in view.answers)
        title = s.title_en if (s.title_en and st.session_state.get("lang") == "en") else s.title
        return f"{i + 1}. {title} ({done}/{len(s.items)}) · {_fmt(s.points)}{t('pts')}"

    key = f"secsel_{iid}"
    st.session_state[key] = sec  # the URL decides the section; the box only follows it

    def go() -> None:
        keep_params(sec=str(st.session_state[key]))

    st.selectbox(t("section"), range(len(sections)), format_func=label, key=key, on_change=go, placeholder=t("choose_option"))
    number = sum(len(s.items) for s in sections[:sec])
    with st.container(key="pz-items"):  # each item's fragment block in here is drawn as a card (state.CSS)
        for k, item in enumerate(sections[sec].items, start=1):
            item_block(iid, item.id, number + k, actor)
    _section_nav(view, sec, "bottom")


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
    st.divider()
    c1, c2 = st.columns(2)
    if _new_screen():
        with c1:
            pressed = inspection_screen.nav([{"action": "back-to-items", "label": f"◀ {t('back_to_items')}"}],
                                            key=f"pzi_review_nav_{iid}")
        if pressed and pressed.get("action") == "back-to-items":
            keep_params(step="items", item=None)
            st.rerun()
    elif c1.button(f"◀ {t('back_to_items')}", width="stretch"):
        keep_params(step="items")
        st.rerun()
    if not rv.can_submit:
        st.warning(md(t("submit_blocked_n", n=len({b.item_id for b in rv.blockers}))))
    if c2.button(f"✓ {t('submit')}", type="primary", width="stretch", disabled=not rv.can_submit,
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


def result_panel(view: svc.DraftView) -> None:
    h = view.header
    st.success(md(f"{t('submitted')} · {h.checklist_title}"))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("percent"), fmt.pct(h.percent))
    m2.metric(t("grade"), md(tv("grade", h.grade) or "—"))
    snap = (st.session_state.get(_view_key(h.id)) or view).header
    m3.metric(t("inspector"), md(snap.inspector))


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
        result_panel(view)
        photos_ui.gallery(view)
        if st.button(t("back_home"), type="primary"):
            keep_params(insp=None, step=None, sec=None)
            st.rerun()
        return
    if _new_screen():
        h = view.header
        st.subheader(md(h.checklist_title))
        st.caption(md(f"{h.site_name} · {h.subject_name} · {h.shift_date} {tv('shift', h.shift_name)} · "
                      f"v{h.checklist_version} · {t('kind_' + h.kind)}"))
        if step == "review":
            _review_step(view, actor)
        else:
            _items_screen(view, actor)
        return
    _header(view)
    if step == "review":
        _review_step(view, actor)
    else:
        _items_step(view, actor)


def _new_screen() -> bool:
    """The client-side inspection screen (app/ui/inspection_screen) is the screen; the old per-item fragment
    screen below stays reachable with ``?screen=v1`` until it is removed."""
    return st.query_params.get("screen") != "v1"


def _items_screen(view: svc.DraftView, actor: Actor) -> None:
    focus = st.query_params.get("item")
    pressed = inspection_screen.screen(view, user_id=actor.id, section=None,
                                       focus_item=focus if focus and view.checklist.has_item(focus) else None)
    if pressed and pressed.get("action") == "review":
        keep_params(step="review", item=None)
        st.rerun()
