"""Corrective actions (整改): open → fixed (note + after photo) → verified by someone else, or reopened."""

from collections.abc import Callable
from functools import partial

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from app.services import actions, org
from app.services.errors import ServiceError
from app.ui import photos_ui
from app.ui.i18n import t, tr
from app.ui.safe import md
from app.ui.state import local_time, read, require_actor, write

actor = require_actor()

st.title(t("actions"))
with read() as s:
    sites = org.visible_sites(s, actor=actor)
c1, c2, c3 = st.columns(3)
status = c1.selectbox(t("ca_status"), [None, "open", "fixed", "verified"], index=1 if actor.role == "staff" else 0,
                      format_func=lambda v: t("all") if v is None else t(f"ca_{v}"), key="ca_status", placeholder=t("all"))
site = c2.selectbox(t("site"), [None, *sites], format_func=lambda x: t("all") if x is None else x.name, key="ca_site", placeholder=t("all"))
overdue_only = c3.toggle(t("ca_overdue_only"), key="ca_overdue")
with read() as s:
    rows = actions.list_actions(s, actor=actor, status=status, site_id=site.id if site else None,
                                overdue_only=overdue_only)
done_id = st.session_state.pop("ca_done", None)
if done_id is not None:
    with read() as s:
        done = next((x for x in actions.list_actions(s, actor=actor, status="fixed") if x.id == done_id), None)
    if done is not None:
        # shown once, right after the fix; the card below shows its new state even under the 待整改 filter
        st.success(t("ca_fixed_ok", item=md(done.item_text)), icon=":material/task_alt:")
        if all(x.id != done.id for x in rows):
            rows.insert(0, done)
overdue = sum(1 for a in rows if a.overdue)
if overdue:
    st.error(t("ca_overdue_n", n=overdue))
if not rows:
    st.info(t("no_records"))


def attempt(fn: Callable[..., object]) -> None:
    try:
        with write() as s:
            fn(session=s)
    except ServiceError as exc:
        st.error(md(tr(exc)))
    else:
        st.rerun()


def submit_fix(a: actions.ActionView, note: str, up: UploadedFile | None) -> None:
    """Report the fix; on success the page says so and keeps showing the card, now 已整改待验证."""
    try:
        with write() as s:
            actions.mark_fixed(session=s, actor=actor, action_id=a.id, note=note,
                               photo_data=up.getvalue() if up else None, filename=up.name if up else None)
    except ServiceError as exc:
        st.error(md(exc))
    else:
        st.session_state["ca_done"] = a.id
        st.rerun()


with read() as s:
    found = actions.findings(s, actor=actor, action_ids=[a.id for a in rows])

for a in rows:
    badge = "red" if a.overdue else {"open": "orange", "fixed": "blue", "verified": "green"}[a.status]
    with st.container(border=True, key=f"action_{a.id}"):
        # user and imported text only through md(): shown as text, never as markup (app/ui/safe.py)
        state = (t("ca_overdue") + " · " if a.overdue else "") + t(f"ca_{a.status}")
        st.markdown(f":{badge}-badge[{state}] **{md(a.item_text)}**")
        st.caption(md(t("ca_meta", site=a.site_name, staff=a.staff_name or "—", points=a.points_lost,
                        opened=local_time(a.opened_at), due=local_time(a.due_at))
                      + (" · " + t("ca_reopened", n=a.reopened) if a.reopened else "")))
        finding = found.get(a.id)
        with st.container(key=f"finding_{a.id}"):
            # what the inspector found: the note on the failed item and the before photos
            st.markdown(f"**{t('ca_finding')}**{t('colon')}" + (md(finding.note) if finding and finding.note
                                                      else f"*{t('ca_no_note')}*"))
            if finding and finding.photos:
                st.image([photos_ui.photo(pid) for pid, _ in finding.photos],
                         caption=[md(c) if c else t("ca_before") for _, c in finding.photos], width=160,
                         alt=[c or t("ca_before") for _, c in finding.photos])
        if a.fix_note:
            by = " ".join(x for x in (a.fixed_by or "", local_time(a.fixed_at)) if x)
            st.markdown(f"**{t('ca_fix_note')}**{t('colon')}" + md(a.fix_note + (t("paren", text=by) if by else "")))
        if a.fix_photo_id:
            st.image(photos_ui.photo(a.fix_photo_id), caption=t("ca_after"), width=160, alt=t("ca_after"))
        if a.verify_note:
            st.caption(md(f"{t('ca_verify_note')}{t('colon')}{a.verify_note} {a.verified_by or ''}"))
        if a.status == "open":
            with st.expander(t("ca_report_fix"), expanded=actor.role == "staff"):
                note = st.text_area(t("ca_what_done"), key=f"ca_note_{a.id}", max_chars=actions.NOTE_MAX, height=90)
                up = st.file_uploader(t("ca_after_photo"), type=["jpg", "jpeg", "png", "webp", "heic", "heif"],
                                      key=f"ca_photo_{a.id}")
                if st.button(t("ca_submit"), key=f"ca_fix_{a.id}", type="primary", width="stretch"):
                    submit_fix(a, note, up)
        elif a.status == "fixed" and actor.role in ("supervisor", "manager", "admin"):
            v_note = st.text_input(t("ca_note"), key=f"ca_vnote_{a.id}")
            b1, b2 = st.columns(2)
            if b1.button(t("ca_verify"), key=f"ca_ok_{a.id}", type="primary", width="stretch"):
                attempt(partial(actions.verify, actor=actor, action_id=a.id, note=v_note))
            if b2.button(t("ca_reopen"), key=f"ca_re_{a.id}", width="stretch"):
                attempt(partial(actions.reopen, actor=actor, action_id=a.id, note=v_note))
