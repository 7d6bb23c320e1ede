"""Training records (培训记录): sessions, sign-in and exam scores; attendance and pass rates per month."""

from decimal import Decimal

import streamlit as st

from app.services import org, training
from app.services.errors import ServiceError
from app.ui import fmt
from app.ui.i18n import t, tr
from app.ui.safe import md
from app.ui.state import local_today, read, require_actor, write

actor = require_actor()
st.title(t("training"))
if actor.role == "staff":  # an attendee sees only their own records and scores
    with read() as s:
        mine = training.my_training(s, actor=actor)
    if not mine:
        st.info(t("no_records"))
    st.dataframe([{t("month"): m.planned_month, t("field.topic"): m.topic, t("field.trainer"): m.trainer,
                   t("tr.signed_in"): "✓" if m.signed_in else "—",
                   t("tr.score"): "—" if m.exam_score is None else str(m.exam_score),
                   t("tr.pass_mark"): str(m.pass_mark)} for m in mine], hide_index=True, width="stretch")
    st.stop()
scores_visible = training.can_see_scores(actor)
with read() as s:
    sites = org.visible_sites(s, actor=actor)
if not sites:
    st.info(t("no_sites"))
    st.stop()
c1, c2 = st.columns(2)
site = c1.selectbox(t("site"), sites, format_func=lambda x: x.name, key="tr_site", placeholder=t("choose_option"))
month = c2.text_input(t("month"), value=local_today().strftime("%Y-%m"), key="tr_month").strip()
with read() as s:
    try:
        sessions = training.list_sessions(s, actor=actor, site_id=site.id, month=month or None)
        rates = training.rates(s, site_id=site.id, month=month) if month else None
    except ServiceError as exc:
        st.error(md(tr(exc)))
        st.stop()
    people = org.site_staff(s, actor=actor, site_id=site.id)

if rates is not None:
    m1, m2, m3 = st.columns(3)
    m1.metric(t("tr.sessions"), rates.sessions)
    m2.metric(t("tr.attendance_target"),
              fmt.pct(rates.attendance_rate, 1))
    m3.metric(t("tr.pass_rate_target"),
              fmt.pct(rates.pass_rate, 1))

for ts in sessions:
    with st.expander(md(t("tr.session_head", month=ts.planned_month, topic=ts.topic, trainer=ts.trainer,
                          attended=ts.attended, invited=ts.invited, passed=ts.passed, examined=ts.examined))):
        st.caption(md(t("tr.session_meta", material=ts.material or "—", section=ts.material_section or "—",
                        pass_mark=ts.pass_mark, held=ts.held_on or t("tr.not_held"))))
        with read() as s:
            rows = training.attendees(s, actor=actor, session_id=ts.id)
        if not scores_visible:
            st.caption(t("tr.scores_hidden"))
        col_name, col_in, col_score = t("name"), t("tr.signed_in"), t("tr.score")
        edited = st.data_editor(
            [{"id": i, col_name: n, col_in: signed, **({col_score: None if score is None else float(score)}
                                                      if scores_visible else {})}
             for i, n, signed, score in rows],
            key=f"tr_edit_{ts.id}", hide_index=True, disabled=["id", col_name], width="stretch",
            column_config={"id": None, col_score: st.column_config.NumberColumn(min_value=0, max_value=100, step=0.5)})
        if st.button(t("tr.save"), key=f"tr_save_{ts.id}"):
            try:
                with write() as s:
                    for row in edited:
                        score = row.get(col_score)
                        training.record_attendance(session=s, actor=actor, session_id=ts.id, staff_id=int(str(row["id"])),
                                                   signed_in=bool(row[col_in]),
                                                   exam_score=None if score is None or score != score
                                                   else Decimal(str(score)))
            except ServiceError as exc:
                st.error(md(tr(exc)))
            else:
                st.success("✓")
                st.rerun()

with st.expander(t("tr.new_session"), expanded=not sessions), st.form("tr_new", clear_on_submit=True):
    topic = st.text_input(t("field.topic"))
    c1, c2, c3 = st.columns(3)
    trainer = c1.text_input(t("field.trainer"))
    planned = c2.text_input(t("tr.planned_month"), value=month or local_today().strftime("%Y-%m"))
    held = c3.date_input(t("tr.held_on"), value=None)
    c4, c5, c6 = st.columns(3)
    material = c4.text_input(t("field.material"))
    section = c5.text_input(t("field.material_section"))
    pass_mark = c6.number_input(t("tr.pass_mark"), 0.0, 100.0, 60.0, 1.0)
    invited = st.multiselect(t("tr.attendees"), people, default=people, format_func=lambda p: p.name,
                             placeholder=t("choose_option"))
    if st.form_submit_button(t("add"), type="primary"):
        try:
            with write() as s:
                training.add_session(session=s, actor=actor, site_id=site.id, planned_month=planned.strip(),
                                     topic=topic, trainer=trainer, held_on=held, material=material,
                                     material_section=section, pass_mark=Decimal(str(pass_mark)),
                                     staff_ids=[p.id for p in invited])
        except ServiceError as exc:
            st.error(md(tr(exc)))
        else:
            st.rerun()
