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
    st.dataframe([{"月份 / month": m.planned_month, "主题 / topic": m.topic, "讲师 / trainer": m.trainer,
                   "签到 / signed in": "✓" if m.signed_in else "—",
                   "成绩 / score": "—" if m.exam_score is None else str(m.exam_score),
                   "合格线 / pass mark": str(m.pass_mark)} for m in mine], hide_index=True, width="stretch")
    st.stop()
scores_visible = training.can_see_scores(actor)
with read() as s:
    sites = org.visible_sites(s, actor=actor)
if not sites:
    st.info(t("no_sites"))
    st.stop()
c1, c2 = st.columns(2)
site = c1.selectbox(t("site"), sites, format_func=lambda x: x.name, key="tr_site")
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
    m1.metric("培训场次 / sessions", rates.sessions)
    m2.metric("到位率 / attendance (目标100%)",
              fmt.pct(rates.attendance_rate, 1))
    m3.metric("合格率 / pass rate (目标90%)",
              fmt.pct(rates.pass_rate, 1))

for ts in sessions:
    with st.expander(md(f"{ts.planned_month} · {ts.topic} · {ts.trainer} · 签到 {ts.attended}/{ts.invited} · "
                        f"合格 {ts.passed}/{ts.examined}")):
        st.caption(md(f"教材：{ts.material or '—'} · 引用章节：{ts.material_section or '—'} · 合格线 {ts.pass_mark} · "
                      f"日期 {ts.held_on or '未举行'}"))
        with read() as s:
            rows = training.attendees(s, actor=actor, session_id=ts.id)
        if not scores_visible:
            st.caption("考核成绩仅经理和本人可见 / exam scores are visible to managers and the attendee only")
        edited = st.data_editor(
            [{"id": i, "姓名": n, "签到": signed, **({"成绩": None if score is None else float(score)}
                                                    if scores_visible else {})}
             for i, n, signed, score in rows],
            key=f"tr_edit_{ts.id}", hide_index=True, disabled=["id", "姓名"], width="stretch",
            column_config={"id": None, "成绩": st.column_config.NumberColumn(min_value=0, max_value=100, step=0.5)})
        if st.button("保存签到与成绩 / save", key=f"tr_save_{ts.id}"):
            try:
                with write() as s:
                    for row in edited:
                        score = row.get("成绩")
                        training.record_attendance(session=s, actor=actor, session_id=ts.id, staff_id=int(str(row["id"])),
                                                   signed_in=bool(row["签到"]),
                                                   exam_score=None if score is None or score != score
                                                   else Decimal(str(score)))
            except ServiceError as exc:
                st.error(md(tr(exc)))
            else:
                st.success("✓")
                st.rerun()

with st.expander("新增培训 / new session", expanded=not sessions), st.form("tr_new", clear_on_submit=True):
    topic = st.text_input("培训主题 / topic")
    c1, c2, c3 = st.columns(3)
    trainer = c1.text_input("讲师 / trainer")
    planned = c2.text_input("计划月份 / planned month", value=month or local_today().strftime("%Y-%m"))
    held = c3.date_input("实施日期 / held on", value=None)
    c4, c5, c6 = st.columns(3)
    material = c4.text_input("教材 / material")
    section = c5.text_input("引用体系文件章节 / document section")
    pass_mark = c6.number_input("合格线 / pass mark", 0.0, 100.0, 60.0, 1.0)
    invited = st.multiselect("参训人员 / attendees", people, default=people, format_func=lambda p: p.name)
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
