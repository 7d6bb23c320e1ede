"""The standards, read-only: sections, items, points, scoring rules and where each item comes from."""

import streamlit as st

from app.services import catalog
from app.ui.i18n import t
from app.ui.safe import md
from app.ui.state import read

st.title(t("checklists"))
with read() as s:
    entries = catalog.list_entries(s)
problems = catalog.catalog_problems()
if problems:
    with st.expander(f"⚠ {len(problems)} problem(s) in checklist files", expanded=True):
        for p in problems:
            st.code(str(p), language=None)
if not entries:
    st.info(t("no_checklists"))
    st.stop()
entry = st.selectbox(t("checklist"), entries, key="cl_pick",
                     format_func=lambda e: f"{e.checklist.title} · v{e.checklist.version}")
c = entry.checklist
m1, m2, m3, m4 = st.columns(4)
m1.metric(t("possible"), f"{c.possible}")
m2.metric(t("sections"), len(c.sections))
m3.metric(t("items"), len(c.items))
m4.metric(t("in_force"), "✓" if entry.in_force else "✗")
st.caption(md(f"id {c.id} · {c.kind} · subject {c.subject} · self-check {'yes' if c.self_check else 'no'} · "
              + " / ".join(f"{g.grade} ≥ {g.min}" for g in c.grades)))
st.caption(md(f"{t('std_version')} {entry.label} · {t('std_site_kinds')}: "
              f"{'、'.join(t(k) for k in entry.site_kinds) or '—'} · {t('std_published_by')}: "
              f"{entry.published_by or t('std_shipped')}"))
origin_badge = {"original": "green", "reconstructed": "orange", "addition": "red"}
for section in c.sections:
    # texts come from files a QA department imports: shown through md(), never as markup
    with st.expander(md(f"{section.title} · {section.points}{t('pts')} · {len(section.items)}{t('items')}")):
        for it in section.items:
            rule = {"pass_fail": "合格/不合格", "deduct": f"每处扣 {it.per} 分，扣完为止",
                    "scale": f"按 {it.step} 分评分"}[it.scoring]
            extras = [rule]
            if it.na:
                extras.append("可不适用")
            if it.critical != "none":
                extras.append(t("critical_checklist") if it.critical == "checklist" else t("critical_section"))
            if it.evidence in ("required", "on_fail"):
                extras.append(t("evidence_" + it.evidence))
            st.markdown(f"**{md(it.text)}** :blue-badge[{it.points}{t('pts')}] "
                        f":{origin_badge[it.origin]}-badge[{t(it.origin)}]")
            st.caption(md(f"{' · '.join(extras)} · {t('source')}: {it.source}"))
