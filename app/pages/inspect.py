"""Supervisor inspection: choose site → shift → subject → checklist, then answer item by item."""

import streamlit as st

from app.services import inspections as svc
from app.services import org, signoff
from app.services.errors import ServiceError
from app.services.org import SHIFT_NAMES
from app.ui import inspection_form
from app.ui.i18n import t, tr, tv
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


def _open(iid: int) -> None:
    keep_params(insp=str(iid), step="items", sec="0")
    st.rerun()


done = st.session_state.pop("discarded", None)
if done:
    st.success(md(t("draft_discarded", title=done)))
if drafts:
    st.markdown(f"## {t('my_drafts')}")  # h2 after the h1 title (axe heading-order; sized in state.py)
    confirming = st.session_state.get("confirm_discard")
    for d in drafts[:10]:
        c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="center")
        c1.markdown(f"**{md(d.checklist_title)}** · {md(d.site_name)} · {md(d.subject_name)}")
        c1.caption(md(f"{d.shift_date} {tv('shift', d.shift_name)} · {local_time(d.updated_at)}"))
        if c2.button(t("resume"), key=f"resume_{d.id}", width="stretch"):
            _open(d.id)
        if c3.button(t("discard"), key=f"discard_{d.id}", width="stretch"):
            st.session_state["confirm_discard"] = d.id
            st.rerun()
        if confirming == d.id:
            with st.container(border=True, key=f"pz-confirm-discard-{d.id}"):
                st.warning(md(t("discard_confirm", title=d.checklist_title, subject=d.subject_name)))
                k1, k2 = st.columns(2)
                if k1.button(t("discard_yes"), key=f"discard_yes_{d.id}", type="primary", width="stretch"):
                    try:
                        with write() as s:
                            svc.discard_draft(session=s, actor=actor, inspection_id=d.id)
                    except ServiceError as exc:
                        st.error(md(tr(exc)))
                    else:
                        st.session_state.pop("confirm_discard", None)
                        st.session_state["discarded"] = d.checklist_title
                        st.rerun()
                if k2.button(t("cancel"), key=f"discard_no_{d.id}", width="stretch"):
                    st.session_state.pop("confirm_discard", None)
                    st.rerun()
    st.divider()

st.markdown(f"## {t('new_inspection')}")
if not sites:
    st.info(t("no_sites"))
    st.stop()
site = st.selectbox(t("site"), sites, format_func=lambda x: x.name + t("paren", text=t(x.kind)), key="new_site", placeholder=t("choose_option"))
c1, c2 = st.columns(2)
day = c1.date_input(t("date"), value=local_today(), max_value=local_today(), key="new_day")
shift = c2.segmented_control(t("shift"), list(SHIFT_NAMES), default=SHIFT_NAMES[0], key="new_shift",
                             format_func=lambda v: tv("shift", v))
subject_type = st.segmented_control(t("subject"), ["staff", "site"], default="staff", key="new_subject",
                                    format_func=lambda v: t("subject_" + v))
staff_id = None
month = day.strftime("%Y-%m")
with read() as s:
    month_signed = signoff.is_signed(s, site_id=site.id, month=month)
if month_signed:
    st.warning(md(t("month_signed_start", month=month, site=site.name)))
with read() as s:
    if subject_type == "staff":
        people = org.site_staff(s, actor=actor, site_id=site.id)
        person = st.selectbox(t("staff"), people, format_func=lambda p: f"{p.name} · {tv('post', p.post)} · {p.code}",
                              key=f"new_staff_{site.id}", placeholder=t("choose_option"))
        staff_id = person.id if person else None
    entries = svc.available_checklists(s, actor=actor, subject_type=subject_type or "staff", site_kind=site.kind)
if not entries:
    st.info(t("no_checklists"))
    st.stop()
if site.kind == "sales_office":  # the sales-office standard first on a sales office, and the reverse
    entries.sort(key=lambda e: "salesoffice" not in e.checklist.id)
else:
    entries.sort(key=lambda e: "salesoffice" in e.checklist.id)
default_id = svc.default_checklist(entries, subject_type=subject_type or "staff", site_kind=site.kind)
default_index = next((n for n, e in enumerate(entries) if e.checklist.id == default_id), 0)
# the key follows the site's kind too, so the default changes with the subject and the kind of site
entry = st.selectbox(t("checklist"), entries, key=f"new_cl_{subject_type}_{site.kind}", index=default_index,
                     format_func=lambda e: f"{e.checklist.title} · {len(e.checklist.items)}{t('items')}", placeholder=t("choose_option"))
choice = {"site_id": site.id, "shift_date": day, "shift_name": shift or SHIFT_NAMES[0],
          "subject_type": subject_type or "staff", "staff_id": staff_id, "checklist_id": entry.checklist.id}


def _start(new: bool) -> None:
    try:
        with write() as s:
            new_id = svc.start_inspection(session=s, actor=actor, new=new, **choice)
    except ServiceError as exc:
        st.error(md(tr(exc)))
    else:
        st.session_state.pop("dup_draft", None)
        _open(new_id)


dup = st.session_state.get("dup_draft")
if dup is not None and dup[1] != choice:
    dup = None  # the choice changed since the question was asked
if st.button(t("start"), type="primary", width="stretch", disabled=shift is None or month_signed or dup is not None
             or (subject_type == "staff" and staff_id is None)):
    with read() as s:
        existing = svc.find_draft(s, actor=actor, **choice)
    if existing is None:
        _start(new=False)
    else:
        st.session_state["dup_draft"] = (existing.id, choice, local_time(existing.updated_at))
        st.rerun()
if dup is not None:
    with st.container(border=True, key="pz-dup-draft"):
        st.info(md(t("dup_draft", when=dup[2])))
        k1, k2 = st.columns(2)
        if k1.button(t("dup_resume"), key="dup_resume", type="primary", width="stretch"):
            st.session_state.pop("dup_draft", None)
            _open(dup[0])
        if k2.button(t("dup_new"), key="dup_new", width="stretch"):
            _start(new=True)
