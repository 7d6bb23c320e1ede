"""Corrective actions (整改): open → fixed (note + after photo) → verified by someone else, or reopened."""

from collections.abc import Callable
from functools import partial

import streamlit as st

from app.services import actions, org
from app.services.errors import ServiceError
from app.ui import photos_ui
from app.ui.i18n import t, tr, tv
from app.ui.safe import md
from app.ui.state import local_time, read, require_actor, write

actor = require_actor()

st.title(t("actions"))
with read() as s:
    sites = org.visible_sites(s, actor=actor)
c1, c2, c3 = st.columns(3)
status = c1.selectbox(t("ca.status"), [None, "open", "fixed", "verified"], index=1 if actor.role == "staff" else 0,
                      format_func=lambda v: t("all") if v is None else tv("action_status", v), key="ca_status", placeholder=t("all"))
site = c2.selectbox(t("site"), [None, *sites], format_func=lambda x: t("all") if x is None else x.name, key="ca_site", placeholder=t("all"))
overdue_only = c3.toggle(t("ca.overdue_only"), key="ca_overdue")
with read() as s:
    rows = actions.list_actions(s, actor=actor, status=status, site_id=site.id if site else None,
                                overdue_only=overdue_only)
overdue = sum(1 for a in rows if a.overdue)
if overdue:
    st.error(t("ca.n_overdue", n=overdue))
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


for a in rows:
    badge = "red" if a.overdue else {"open": "orange", "fixed": "blue", "verified": "green"}[a.status]
    with st.container(border=True, key=f"action_{a.id}"):
        # user and imported text only through md(): shown as text, never as markup (app/ui/safe.py)
        st.markdown(f":{badge}-badge[{t('overdue_flag') + ' · ' if a.overdue else ''}{tv('action_status', a.status)}] "
                    f"**{md(a.item_text)}**")
        st.caption(md(t("ca.card_meta", site=a.site_name, who=a.staff_name or "—", points=a.points_lost,
                        opened=local_time(a.opened_at), due=local_time(a.due_at))
                      + (t("ca.card_returned", n=a.reopened) if a.reopened else "")))
        if a.fix_note:
            by = " ".join(x for x in (a.fixed_by or "", local_time(a.fixed_at)) if x)
            st.markdown(md(t("ca.fix_note_shown", note=a.fix_note) + (t("ca.by", by=by) if by else "")))
        if a.fix_photo_id:
            st.image(photos_ui.photo(a.fix_photo_id), width=200)
        if a.verify_note:
            st.caption(md(t("ca.verify_note_shown", note=a.verify_note, by=a.verified_by or "")))
        if a.status == "open":
            with st.expander(t("ca.report_fix")):
                note = st.text_input(t("ca.what_was_done"), key=f"ca_note_{a.id}")
                up = st.file_uploader(t("ca.after_photo"), type=["jpg", "jpeg", "png", "webp", "heic", "heif"],
                                      key=f"ca_photo_{a.id}")
                if st.button(t("ca.submit_fix"), key=f"ca_fix_{a.id}", type="primary"):
                    attempt(partial(actions.mark_fixed, actor=actor, action_id=a.id, note=note,
                                    photo_data=up.getvalue() if up else None, filename=up.name if up else None))
        elif a.status == "fixed" and actor.role in ("supervisor", "manager", "admin"):
            v_note = st.text_input(t("field.verify_note"), key=f"ca_vnote_{a.id}")
            b1, b2 = st.columns(2)
            if b1.button(t("ca.verify"), key=f"ca_ok_{a.id}", type="primary", width="stretch"):
                attempt(partial(actions.verify, actor=actor, action_id=a.id, note=v_note))
            if b2.button(t("ca.reopen"), key=f"ca_re_{a.id}", width="stretch"):
                attempt(partial(actions.reopen, actor=actor, action_id=a.id, note=v_note))
