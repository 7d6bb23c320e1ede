"""The standards, read-only: sections, items, points, scoring rules and where each item comes from."""

import streamlit as st

from app.services import catalog
from app.standards.problem_text import loader_problem
from app.ui.i18n import ct, t, tr, tv
from app.ui.safe import md
from app.ui.state import read

st.title(t("checklists"))
with read() as s:
    entries = catalog.list_entries(s)
problems = catalog.catalog_problems()
if problems:
    with st.expander(t("cl.problems", n=len(problems)), expanded=True):
        for p in problems:
            st.code(tr(loader_problem(p)), language=None)
if not entries:
    st.info(t("no_checklists"))
    st.stop()
entry = st.selectbox(t("checklist"), entries, key="cl_pick",
                     format_func=lambda e: f"{ct(e.checklist)} · v{e.checklist.version}", placeholder=t("choose_option"))
c = entry.checklist
m1, m2, m3, m4 = st.columns(4)
m1.metric(t("possible"), f"{c.possible}")
m2.metric(t("cl.sections"), len(c.sections))
m3.metric(t("cl.items"), len(c.items))
m4.metric(t("in_force"), "✓" if entry.in_force else "✗")
st.caption(md(t("cl.meta", id=c.id, kind=tv("checklist_kind", c.kind), subject=t("subject_" + c.subject),
                self_check=t("yes") if c.self_check else t("no"))
              + " · " + " / ".join(f"{tv('grade', g.grade)} ≥ {g.min}" for g in c.grades)))
st.caption(md(f"{t('std_version')} {entry.label} · {t('std_site_kinds')}: "
              f"{t('list_sep').join(t(k) for k in entry.site_kinds) or '—'} · {t('std_published_by')}: "
              f"{entry.published_by or t('std_shipped')}"))
origin_badge = {"original": "green", "reconstructed": "orange", "addition": "red"}
for section in c.sections:
    # texts come from files a QA department imports: shown through md(), never as markup
    with st.expander(md(f"{ct(section)} · {section.points}{t('pts')} · {len(section.items)}{t('items')}")):
        for it in section.items:
            rule = {"pass_fail": t("cl.rule_pass_fail"), "deduct": t("cl.rule_deduct", per=it.per),
                    "scale": t("cl.rule_scale", step=it.step)}.get(it.scoring, it.scoring)
            extras = [rule]
            if it.na:
                extras.append(t("cl.na_allowed"))
            if it.critical != "none":
                extras.append(t("critical_checklist") if it.critical == "checklist" else t("critical_section"))
            if it.evidence in ("required", "on_fail"):
                extras.append(t("evidence_" + it.evidence))
            st.markdown(f"**{md(ct(it, 'text'))}** :blue-badge[{it.points}{t('pts')}] "
                        f":{origin_badge[it.origin]}-badge[{t(it.origin)}]")
            st.caption(md(f"{' · '.join(extras)} · {t('source')}: {it.source}"))
