"""Supervisor inspection: choose site → shift → subject → checklist, then answer item by item."""

import streamlit as st

from app.services import inspections as svc
from app.services import org
from app.services.errors import ServiceError
from app.ui import inspection_form
from app.ui.i18n import t
from app.ui.safe import md
from app.ui.state import keep_params, local_time, local_today, read, require_actor, write

actor = require_actor()
iid = st.query_params.get("insp")
if iid and iid.isdigit():
    inspection_form.run(actor, int(iid))
    st.stop()

st.title(t("inspect"))
with read() as s:
    drafts = svc.my_drafts(s, actor=actor)
    sites = org.visible_sites(s, actor=actor)
if drafts:
    st.markdown(f"#### {t('my_drafts')}")
    for d in drafts[:10]:
        c1, c2 = st.columns([5, 1])
        c1.markdown(f"**{md(d.checklist_title)}** · {md(d.site_name)} · {md(d.subject_name)}")
        c1.caption(md(f"{d.shift_date} {d.shift_name} · {local_time(d.updated_at)}"))
        if c2.button(t("resume"), key=f"resume_{d.id}", width="stretch"):
            keep_params(insp=str(d.id), step="items", sec="0")
            st.rerun()
    st.divider()

st.markdown(f"#### {t('new_inspection')}")
if not sites:
    st.info(t("no_sites"))
    st.stop()
site = st.selectbox(t("site"), sites, format_func=lambda x: f"{x.name}（{t(x.kind)}）", key="new_site")
c1, c2 = st.columns(2)
day = c1.date_input(t("date"), value=local_today(), max_value=local_today(), key="new_day")
shift = c2.segmented_control(t("shift"), ["早班", "中班", "夜班"], default="早班", key="new_shift")
subject_type = st.segmented_control(t("subject"), ["staff", "site"], default="staff", key="new_subject",
                                    format_func=lambda v: t("subject_" + v))
staff_id = None
with read() as s:
    if subject_type == "staff":
        people = org.site_staff(s, actor=actor, site_id=site.id)
        person = st.selectbox(t("staff"), people, format_func=lambda p: f"{p.name} · {p.post} · {p.code}",
                              key=f"new_staff_{site.id}")
        staff_id = person.id if person else None
    entries = svc.available_checklists(s, actor=actor, subject_type=subject_type or "staff")
if not entries:
    st.info(t("no_checklists"))
    st.stop()
if site.kind == "sales_office":  # the sales-office standard first on a sales office, and the reverse
    entries.sort(key=lambda e: "salesoffice" not in e.checklist.id)
else:
    entries.sort(key=lambda e: "salesoffice" in e.checklist.id)
entry = st.selectbox(t("checklist"), entries, key=f"new_cl_{subject_type}",
                     format_func=lambda e: f"{e.checklist.title} · {len(e.checklist.items)}{t('items')}")
if st.button(t("start"), type="primary", width="stretch", disabled=shift is None or
             (subject_type == "staff" and staff_id is None)):
    try:
        with write() as s:
            new_id = svc.start_inspection(session=s, actor=actor, site_id=site.id, shift_date=day,
                                          shift_name=shift or "早班", subject_type=subject_type or "staff",
                                          staff_id=staff_id, checklist_id=entry.checklist.id)
    except ServiceError as exc:
        st.error(md(exc))
    else:
        keep_params(insp=str(new_id), step="items", sec="0")
        st.rerun()
