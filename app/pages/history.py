"""Inspection records the actor may see, and one inspection in full."""

import streamlit as st

from app.services import inspections as svc
from app.services import org
from app.services.errors import ServiceError
from app.ui import detail, fmt
from app.ui.i18n import t, tr, tv
from app.ui.safe import md
from app.ui.state import keep_params, local_time, read, require_actor

actor = require_actor()
view_id = st.query_params.get("view")
if view_id and view_id.isdigit():
    if st.button(f"◀ {t('back_home')}"):
        keep_params(view=None)
        st.rerun()
    try:
        with read() as s:
            view = svc.load_inspection(s, actor=actor, inspection_id=int(view_id))
    except ServiceError as exc:
        st.error(md(tr(exc)))
    else:
        detail.show(view, actor)
    st.stop()

st.title(t("history"))
with read() as s:
    sites = org.visible_sites(s, actor=actor)
c1, c2, c3 = st.columns(3)
site = c1.selectbox(t("site"), [None, *sites], format_func=lambda x: t("all") if x is None else x.name, placeholder=t("all"))
kind = c2.selectbox(t("kind"), [None, "supervisor", "self_check"],
                    format_func=lambda k: t("all") if k is None else t("kind_" + k), placeholder=t("all"))
month = c3.text_input(t("month"), placeholder="YYYY-MM")
with read() as s:
    rows = svc.list_inspections(s, actor=actor, site_id=site.id if site else None, kind=kind,
                                month=month.strip() or None, limit=300)
if not rows:
    st.info(t("no_records"))
for h in rows:
    c1, c2, c3 = st.columns([5, 2, 1])
    # names and titles only through md(): shown as text, never as markup (app/ui/safe.py)
    c1.markdown(f"**{md(h.checklist_title)}** · {md(h.subject_name)} · {md(h.site_name)}")
    c1.caption(md(f"{h.shift_date} {tv('shift', h.shift_name)} · {t('kind_' + h.kind)} · {h.inspector} · "
                  f"{local_time(h.submitted_at)}{' · ' + t('amended') if h.amended else ''}"))
    c2.markdown(f"<span class='pz-score'>{fmt.pct(h.percent)}</span> {md(tv('grade', h.grade))}",
                unsafe_allow_html=True)
    if c3.button(t("detail"), key=f"d_{h.id}"):
        keep_params(view=str(h.id))
        st.rerun()
