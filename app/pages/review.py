"""Monthly scorecard review (月度考核): ranks, trends, worst items, self-check gap, sign-off, exports."""

from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from app.reports.csvout import scorecard_csv
from app.reports.excel import scorecard_workbook
from app.reports.pdf import site_month_pdf
from app.services import actions, clause_pareto, org, scorecard, signoff
from app.services import inspections as svc
from app.services.errors import ServiceError
from app.ui import detail
from app.ui.fmt import num
from app.ui.i18n import lang, t, tr, tv
from app.ui.safe import md, plot_text
from app.ui.state import keep_params, local_time, local_today, read, require_actor, write

actor = require_actor()
PLOT_CONFIG = {"displayModeBar": False}  # no Plotly toolbar: on a tablet it covers the chart's top


def chart(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, width="stretch", key=key, config=PLOT_CONFIG)


def wrap(text: str, width: int = 8, max_lines: int = 3) -> str:
    """A Plotly tick label broken into lines of ``width`` characters (escaped piece by piece, joined by <br>)."""
    pieces = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    if len(pieces) > max_lines:
        pieces = pieces[:max_lines]
        pieces[-1] = pieces[-1][:-1] + "…"
    return "<br>".join(plot_text(p) for p in pieces)


# ----------------------------------------------------------------------------- drill-down: one inspection
# the filters (m, site, subj) and the chosen subject (who) live in the URL, so the back button and the
# browser's own back restore them and everything below uses exactly what the filters show
view_id = st.query_params.get("view")
if view_id and view_id.isdigit():
    if st.button(f"◀ {t('review')}", key="rv_back"):
        keep_params(view=None)
        st.rerun()
    try:
        with read() as s:
            detail.show(svc.load_inspection(s, actor=actor, inspection_id=int(view_id)), actor)
    except ServiceError as exc:
        st.error(md(tr(exc)))
    st.stop()

st.title(t("review"))
this_month = local_today().strftime("%Y-%m")
months = scorecard.months_back(this_month, 13)[::-1]
with read() as s:
    sites = org.visible_sites(s, actor=actor)
by_id = {x.id: x for x in sites}
month = st.query_params.get("m", months[0])
month = month if month in months else months[0]
raw_site = st.query_params.get("site", "")
site_id: int | None = int(raw_site) if raw_site.isdigit() and int(raw_site) in by_id else None
subject_type = st.query_params.get("subj", "staff")
subject_type = subject_type if subject_type in ("staff", "site") else "staff"
site = by_id.get(site_id) if site_id is not None else None
# the URL decides; the widgets only follow it (and write it back when changed)
st.session_state["rv_month"], st.session_state["rv_site"], st.session_state["rv_subject"] = month, site_id, subject_type


def on_filter() -> None:
    chosen_site = st.session_state.get("rv_site")
    keep_params(m=st.session_state.get("rv_month") or month, site=None if chosen_site is None else str(chosen_site),
                subj=st.session_state.get("rv_subject") or subject_type, who=None)


c1, c2, c3 = st.columns([1, 1.3, 1.7])  # the subject switch fits in English too ("Front desk / site")
c1.selectbox(t("month"), months, key="rv_month", on_change=on_filter, placeholder=t("choose_option"))
site_labels: dict[int | None, str] = {None: t("all"), **{x: by_id[x].name + t("paren", text=by_id[x].code) for x in by_id}}
c2.selectbox(t("site"), [None, *by_id], key="rv_site", on_change=on_filter, format_func=site_labels.__getitem__, placeholder=t("all"))
subject_labels = {v: t("subject_" + v) for v in ("staff", "site")}
c3.segmented_control(t("subject"), ["staff", "site"], key="rv_subject", on_change=on_filter,
                     format_func=subject_labels.__getitem__)
keep_params(m=month, site=None if site_id is None else str(site_id), subj=subject_type)

try:
    with read() as s:
        lines = scorecard.scorecard(s, actor=actor, month=month, subject_type=subject_type, site_id=site_id)
        site_lines = (lines if subject_type == "site" else
                      scorecard.scorecard(s, actor=actor, month=month, subject_type="site", site_id=site_id))
        matrix = scorecard.section_matrix(s, actor=actor, month=month, subject_type=subject_type, site_id=site_id)
        worst = actions.pareto(s, actor=actor, month=month, site_id=site_id, subject_type=subject_type)
        worst_clauses = clause_pareto.pareto_clauses(s, actor=actor, month=month, site_id=site_id,
                                                     subject_type=subject_type)
        adjust = clause_pareto.adjustments(s, actor=actor, month=month, subject_type=subject_type, site_id=site_id)
        group_rows = clause_pareto.group_figures(s, actor=actor, month=month, site_id=site_id,
                                                 subject_type=subject_type)
        overdue = actions.list_actions(s, actor=actor, site_id=site_id, overdue_only=True)
        signed = signoff.status(s, site_id=site_id, month=month) if site_id else None
except ServiceError as exc:
    st.error(md(tr(exc)))
    st.stop()


def fmt(d: Decimal | None, suffix: str = "") -> str:
    return num(d, 2, suffix)


# ----------------------------------------------------------------------------- sign-off
if site is not None:
    with st.container(border=True):
        if signed is not None and signed.status == "signed":
            st.markdown(f"✅ **{md(t('rv.signed', site=site.name, month=month))}** · {local_time(signed.signed_at)}")
            reason = st.text_input(t("field.reopen_reason"), key="rv_reopen_reason")
            if st.button(t("rv.reopen"), key="rv_reopen"):
                try:
                    with write() as s:
                        signoff.reopen(session=s, actor=actor, site_id=site.id, month=month, reason=reason)
                    st.rerun()
                except ServiceError as exc:
                    st.error(md(tr(exc)))
        else:
            note = t("rv.was_reopened", reason=signed.reopen_reason or "") if signed is not None else ""
            st.markdown(f"📝 {md(t('rv.not_signed', site=site.name, month=month))}{md(note)}")
            confirm_key = f"rv_confirm_{site.id}_{month}"
            if not st.session_state.get(confirm_key):
                if st.button(t("rv.sign_off"), key="rv_sign", type="primary"):
                    st.session_state[confirm_key] = True
                    st.rerun()
            else:
                with read() as s:
                    pending = [a for a in actions.list_actions(s, actor=actor, site_id=site.id)
                               if a.status != "verified"]
                pending.sort(key=lambda a: (not a.overdue, a.due_at))
                late = sum(1 for a in pending if a.overdue)
                st.warning(md(t("signoff_confirm", site=site.name, month=month, open=len(pending), overdue=late)))
                for a in pending[:15]:
                    who = a.staff_name or a.site_name
                    flag = t("overdue_flag") if a.overdue else t("open_flag")
                    st.markdown(f"- **{flag}** {md(who)} · {md(a.item_text[:40])} · {t('due')} {local_time(a.due_at)}")
                if len(pending) > 15:
                    st.caption(t("and_more", n=len(pending) - 15))
                k1, k2 = st.columns(2)
                if k1.button(t("signoff_yes"), key="rv_sign_yes", type="primary", width="stretch"):
                    try:
                        with write() as s:
                            signoff.sign_off(session=s, actor=actor, site_id=site.id, month=month)
                    except ServiceError as exc:
                        st.error(md(tr(exc)))
                    else:
                        st.session_state.pop(confirm_key, None)
                        st.rerun()
                if k2.button(t("cancel"), key="rv_sign_no", width="stretch"):
                    st.session_state.pop(confirm_key, None)
                    st.rerun()

# ----------------------------------------------------------------------------- ranked table
m1, m2, m3, m4 = st.columns(4)
ranked = [ln for ln in lines if ln.row.rank is not None]
m1.metric(t("rv.subjects"), len(lines))
m2.metric(t("rv.ranked"), len(ranked))
avg = sum((ln.row.score for ln in ranked if ln.row.score is not None), Decimal(0)) / len(ranked) if ranked else None
m3.metric(t("rv.mean"), fmt(avg))
m4.metric(t("rv.overdue_actions"), len(overdue))

COL = {k: t(f"col.{k}") for k in ("rank", "name", "site", "post", "score", "grade", "delta", "inspections",
                                  "coverage", "self_gap", "open_actions", "attendance", "pass_rate")}
table = [{
    COL["rank"]: ln.row.rank,
    **({COL["name"]: ln.name, COL["site"]: ln.site_name, COL["post"]: tv("post", ln.post)} if subject_type == "staff"
       else {COL["site"]: ln.name}),
    COL["score"]: None if ln.row.score is None else float(ln.row.score_display or 0),
    COL["grade"]: tv("grade", ln.row.grade),
    COL["delta"]: None if ln.row.delta is None else float(ln.row.delta_display or 0),
    COL["inspections"]: ln.row.inspections, COL["coverage"]: float(ln.row.coverage_percent_display),
    COL["self_gap"]: None if ln.row.self_gap is None else float(ln.row.self_gap_display or 0),
    COL["open_actions"]: ln.open_actions,
    **({COL["attendance"]: None if ln.training is None or ln.training.attendance_rate is None
        else float(num(ln.training.attendance_rate)),
        COL["pass_rate"]: None if ln.training is None or ln.training.pass_rate is None
        else float(num(ln.training.pass_rate))} if subject_type == "site" else {}),
} for ln in lines]
if adjust:  # version-2 standards: what bonus rows added and penalty rows took this month
    for row, ln in zip(table, lines, strict=True):
        adj = adjust.get(ln.subject_id)
        row[t("v2_bonus")] = float(adj.bonus) if adj else None
        row[t("v2_penalty")] = float(adj.penalty) if adj else None
if not table:
    st.info(t("no_records"))
table_key = f"rv_table_{month}_{site_id}_{subject_type}"


def picked_rows(sel: Any) -> list[int]:
    return [int(r) for r in (sel.get("rows") or [])] + [int(cell[0]) for cell in (sel.get("cells") or [])]


def on_pick() -> None:
    """A tapped cell (the name, or any other) or a ticked row chooses that row's subject (kept in the URL)."""
    rows = picked_rows(st.session_state[table_key].selection)
    keep_params(who=str(lines[rows[0]].subject_id) if rows and rows[0] < len(lines) else None)


name_col = COL["name"] if subject_type == "staff" else COL["site"]
with st.container(border=True, key="pz-rank-card"):  # the grid scrolls sideways inside its card
    event = st.dataframe(table, hide_index=True, width="stretch", on_select=on_pick,
                 selection_mode=["single-row", "single-cell"], key=table_key,
                 column_config={COL["rank"]: st.column_config.NumberColumn(width="small", pinned=True),
                                name_col: st.column_config.TextColumn(pinned=True),
                                COL["score"]: st.column_config.NumberColumn(format="%.2f"),
                                COL["delta"]: st.column_config.NumberColumn(format="%+.2f"),
                                COL["self_gap"]: st.column_config.NumberColumn(format="%+.2f")},
                 placeholder="—")
st.caption(t("rv.table_hint"))

now_picked = picked_rows(event.selection) if event is not None and event.selection else []
if now_picked and now_picked[0] < len(lines):
    keep_params(who=str(lines[now_picked[0]].subject_id))
who = st.query_params.get("who", "")
picked = [ln for ln in lines if str(ln.subject_id) == who]
if picked:
    ln = picked[0]
    st.markdown(f"## {md(ln.name)} · {month}")  # h2 after the h1 title (axe heading-order; sized in state.py)
    with read() as s:
        records = svc.list_inspections(s, actor=actor, month=month, site_id=ln.site_id,
                                       staff_id=ln.subject_id if ln.subject_type == "staff" else None, limit=100)
    if ln.subject_type == "site":
        records = [h for h in records if h.subject_type == "site"]
    for h in records:
        c1, c2, c3 = st.columns([5, 2, 1])
        c1.markdown(md(f"{h.checklist_title} · {h.shift_date} {tv('shift', h.shift_name)} · {t('kind_' + h.kind)} · "
                       f"{h.inspector}"))
        c2.markdown(f"**{fmt(h.percent, '%')}** {md(tv('grade', h.grade))}")
        if c3.button(t("detail"), key=f"rv_d_{h.id}"):
            keep_params(view=str(h.id))
            st.rerun()

def clause_pareto_block(rows: list[clause_pareto.ClauseLoss]) -> None:
    """Multi-clause items: which clause cost the most (a bar per clause, the table below it)."""
    st.markdown(f"**{t('v2_pareto_clauses')}**")
    labels = [f"{n}. {wrap(c.item_id + ' ' + c.letter, 8, 2)}" for n, c in enumerate(rows, start=1)]
    fig = go.Figure(go.Bar(x=labels, y=[float(c.lost) for c in rows], name=t("v2_lost"),
                           hovertext=[plot_text(f"{c.item_text} · {c.letter}. {c.clause_text}") for c in rows]))
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 20, "b": 10}, xaxis={"tickangle": 0},
                      yaxis={"title": t("v2_lost")})
    chart(fig, "rv_fig_pareto_clauses")
    st.dataframe([{"#": k, t("v2_item"): f"{c.item_id} {c.item_text}", t("v2_clause"): f"{c.letter}. {c.clause_text}",
                   t("v2_lost"): round(float(c.lost), 2), t("v2_times_col"): c.times,
                   t("v2_inspections_col"): c.inspections}
                  for k, c in enumerate(rows, start=1)], hide_index=True, width="stretch")


# ----------------------------------------------------------------------------- charts
tab_trend, tab_heat, tab_pareto, tab_self, tab_sites = st.tabs(
    [t("rv.tab_trend"), t("rv.tab_sections"), t("rv.tab_pareto"), t("rv.tab_self"), t("rv.tab_sites")])

with tab_trend:
    default = [ln.subject_id for ln in (ranked or lines)[:5]]
    names = {ln.subject_id: ln.name for ln in lines}
    chosen = st.multiselect(t("rv.subjects"), list(names), default=default, format_func=lambda i: names[i],
                            key=f"rv_trend_{month}_{site_id}_{subject_type}", placeholder=t("choose_option"))
    if chosen:
        with read() as s:
            series = scorecard.trends(s, actor=actor, month=month, subject_type=subject_type, subject_ids=chosen,
                                      site_id=site_id)
        # the axis starts at the first month with data (not 12 months of empty axis before 3 of data)
        all_months = sorted({m for pts in series.values() for m, _ in pts})
        with_data = sorted({m for pts in series.values() for m, v in pts if v is not None})
        shown = [m for m in all_months if with_data and m >= with_data[0]]
        fig = go.Figure()
        for sid, pts in series.items():
            kept = [(m, v) for m, v in pts if m in shown]
            fig.add_trace(go.Scatter(x=[m for m, _ in kept], y=[None if v is None else float(v) for _, v in kept],
                                     mode="lines+markers", name=plot_text(names.get(sid, str(sid))),
                                     connectgaps=False))
        fig.update_layout(height=400, margin={"l": 10, "r": 10, "t": 70, "b": 10}, yaxis_title=t("col.score"),
                          yaxis_range=[0, 100], xaxis={"type": "category", "title": t("month")},
                          legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
        if shown:
            chart(fig, "rv_fig_trend")
        else:
            st.info(t("no_records"))

with tab_heat:
    if matrix:
        titles = sorted({title for secs in matrix.values() for title in secs})
        subjects = [ln for ln in lines if ln.subject_id in matrix]
        z = [[None if title not in matrix[ln.subject_id] else float(matrix[ln.subject_id][title]) for title in titles]
             for ln in subjects]
        fig = go.Figure(go.Heatmap(z=z, x=[wrap(x, 6) for x in titles], y=[plot_text(ln.name) for ln in subjects],
                                   colorscale="RdYlGn", zmin=50,
                                   zmax=100, colorbar={"title": "%"}))
        fig.update_layout(height=max(320, 28 * len(subjects) + 160), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                          xaxis={"tickangle": 0})
        chart(fig, "rv_fig_heat")
    else:
        st.info(t("no_records"))
    if group_rows:  # version-2 standards: the groups (分项) inside the sections
        st.dataframe([{t("checklist"): g.checklist_title, t("v2_section"): g.section_title, t("v2_group"): g.group_title,
                       t("v2_points"): float(g.points), t("v2_inspections_col"): g.inspections,
                       "%": None if g.percent is None else round(float(g.percent), 2)} for g in group_rows],
                     hide_index=True, width="stretch")

with tab_pareto:
    if worst:
        # numbered, wrapped labels: the full text is in the hover and the table below
        labels = [f"{n}. {wrap(txt, 7, 3)}" for n, (_, txt, _, _) in enumerate(worst, start=1)]
        lost = [float(p) for _, _, p, _ in worst]
        total = sum(lost) or 1.0
        cumulative, acc = [], 0.0
        for v in lost:
            acc += v
            cumulative.append(acc / total * 100)
        fig = go.Figure()
        fig.add_trace(go.Bar(x=labels, y=lost, name=t("rv.points_lost"),
                             hovertext=[plot_text(txt) for _, txt, _, _ in worst]))
        fig.add_trace(go.Scatter(x=labels, y=cumulative, name=t("rv.cumulative"), yaxis="y2", mode="lines+markers"))
        # the legend above the plot area, clear of the bars and the cumulative line
        fig.update_layout(height=480, margin={"l": 10, "r": 10, "t": 60, "b": 10}, xaxis={"tickangle": 0},
                          yaxis={"title": t("rv.points_lost")}, yaxis2={"title": t("rv.cumulative"), "overlaying": "y",
                                                                       "side": "right",
                                                          "range": [0, 105]},
                          legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
        chart(fig, "rv_fig_pareto")
        st.dataframe([{"#": k, t("rv.item"): txt, t("rv.points_lost"): float(p), t("rv.times"): n}
                      for k, (_, txt, p, n) in enumerate(worst, start=1)], hide_index=True, width="stretch")
        if worst_clauses:
            clause_pareto_block(worst_clauses)
    else:
        st.info(t("no_records"))

with tab_self:
    both = [ln for ln in lines if ln.row.self_mean is not None and ln.row.score is not None]
    if both:
        # names beside the points on alternating sides so neighbours do not overlap; beyond a dozen
        # points only in the hover (the table above has every figure)
        sides = ["top center", "bottom center", "middle right", "middle left"]
        order = sorted(range(len(both)), key=lambda k: float(both[k].row.score or 0))
        position = [sides[order.index(k) % len(sides)] for k in range(len(both))]
        fig = go.Figure(go.Scatter(x=[float(ln.row.score or 0) for ln in both],
                                   y=[float(ln.row.self_mean or 0) for ln in both],
                                   mode="markers+text" if len(both) <= 12 else "markers",
                                   text=[plot_text(ln.name) for ln in both], hovertext=[plot_text(ln.name) for ln in both],
                                   textposition=position, textfont={"size": 12}, marker={"size": 10}))
        fig.add_shape(type="line", x0=50, y0=50, x1=100, y1=100, line={"dash": "dot", "color": "#9ca3af"})
        fig.update_layout(height=420, xaxis_title=t("rv.supervisor_score"), yaxis_title=t("rv.self_score"),
                          xaxis_range=[50, 101], yaxis_range=[50, 101], margin={"l": 10, "r": 10, "t": 30, "b": 10})
        chart(fig, "rv_fig_self")
        st.caption(t("rv.self_hint"))
    else:
        st.info(t("no_records"))

with tab_sites:
    if site_lines:
        fig = go.Figure(go.Bar(x=[wrap(ln.name, 6) for ln in site_lines],
                               y=[None if ln.row.score is None else float(ln.row.score) for ln in site_lines],
                               text=[fmt(ln.row.score) for ln in site_lines], textposition="outside"))
        fig.update_layout(height=400, yaxis_range=[0, 110], yaxis_title=t("col.score"), xaxis={"tickangle": 0},
                          margin={"l": 10, "r": 10, "t": 30, "b": 10})
        chart(fig, "rv_fig_sites")
    else:
        st.info(t("no_records"))

# ----------------------------------------------------------------------------- exports
st.divider()
st.markdown(f"## {t('rv.export')}")
# generated only when clicked (Streamlit runs the callable on download)
def make_xlsx() -> bytes:
    with read() as s:
        return scorecard_workbook(s, actor=actor, month=month, site_id=site_id, lang=lang())

def make_pdf() -> bytes:
    assert site is not None
    with read() as s:
        return site_month_pdf(s, actor=actor, site_id=site.id, month=month, lang=lang())

e1, e2, e3 = st.columns(3)
e1.download_button(t("rv.excel"), make_xlsx, file_name=f"pinzhi-{month}{'-' + site.code if site else ''}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   width="stretch", key="rv_xlsx", on_click="ignore")
e2.download_button("CSV", scorecard_csv(lines, adjust).encode("utf-8"),
                   file_name=f"pinzhi-{month}{'-' + site.code if site else ''}-{subject_type}.csv",
                   mime="text/csv", width="stretch", key="rv_csv", on_click="ignore")
if site is not None:
    e3.download_button(t("rv.pdf"), make_pdf, file_name=f"pinzhi-{site.code}-{month}.pdf", mime="application/pdf",
                       width="stretch", key="rv_pdf", on_click="ignore")
else:
    e3.caption(t("rv.pdf_needs_site"))
