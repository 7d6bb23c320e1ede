"""Staff self-check before the shift: only on oneself, only self-check checklists."""

import streamlit as st

from app.services import actions, org
from app.services import inspections as svc
from app.services.errors import ServiceError
from app.services.org import SHIFT_NAMES
from app.ui import inspection_form
from app.ui.i18n import t, tr, tv
from app.ui.safe import md
from app.ui.state import keep_params, local_today, read, require_actor, write

actor = require_actor()
if actor.staff_id is None:
    st.stop()
iid = st.query_params.get("insp")
if iid and iid.isdigit():
    inspection_form.run(actor, int(iid))
    st.stop()

st.title(t("self_check"))
st.caption(t("self_check_intro"))
with read() as s:
    me = org.staff_view(s, actor=actor, staff_id=int(actor.staff_id))
    drafts = svc.my_drafts(s, actor=actor)
    entries = svc.available_checklists(s, actor=actor, subject_type="staff", kind="self_check")
st.markdown(f"**{md(me.name)}** · {md(tv('post', me.post))} · {md(me.site_name)}")
with read() as s:
    open_actions = actions.list_actions(s, actor=actor, status="open")
if open_actions:
    late = sum(1 for a in open_actions if a.overdue)
    st.warning(t("sc.open_actions", n=len(open_actions)) + (t("sc.of_which_late", n=late) if late else ""))
    st.page_link("app/pages/actions.py", label=t("actions"), icon=":material/build:")
for d in drafts[:5]:
    if st.button(md(t("sc.resume", what=f"{d.checklist_title} · {d.shift_date} {tv('shift', d.shift_name)}")),
                 key=f"resume_{d.id}",
                 width="stretch"):
        keep_params(insp=str(d.id), step="items", sec="0")
        st.rerun()
if not entries:
    st.info(t("no_checklists"))
    st.stop()
shift = st.segmented_control(t("shift"), list(SHIFT_NAMES), default=SHIFT_NAMES[0], key="sc_shift",
                             format_func=lambda v: tv("shift", v))
entry = st.selectbox(t("checklist"), entries, format_func=lambda e: e.checklist.title, key="sc_cl", placeholder=t("choose_option"))
if st.button(t("start"), type="primary", width="stretch"):
    try:
        with write() as s:
            new_id = svc.start_inspection(session=s, actor=actor, site_id=me.site_id, shift_date=local_today(),
                                          shift_name=shift or SHIFT_NAMES[0], subject_type="staff", staff_id=me.id,
                                          checklist_id=entry.checklist.id, kind="self_check")
    except ServiceError as exc:
        st.error(md(tr(exc)))
    else:
        keep_params(insp=str(new_id), step="items", sec="0")
        st.rerun()
