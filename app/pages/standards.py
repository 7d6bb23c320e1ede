"""标准管理 (standards workshop): upload a standard, see and fix its problems in a grid, compare it with the
version in force, publish it, retire a version, download any version. Widgets only: the rules are in
app/services/standards.py and app/services/catalog.py."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.services import catalog, standards
from app.services.errors import ServiceError
from app.services.org import SITE_KINDS
from app.ui.i18n import lang, t, tr
from app.ui.safe import md
from app.ui.state import local_time, read, require_actor, write

actor = require_actor()
st.title(t("standards"))
if actor.role not in catalog.EDITOR_ROLES:  # navigation offers the page to these only; the services check too
    st.error(t("std_denied"))
    st.stop()

WS, GEN = "std_ws", "std_gen"


def fail(exc: ServiceError) -> None:
    st.error(md(exc.message(lang())))


def keep(workshop: standards.Workshop) -> None:
    st.session_state[WS] = workshop
    st.session_state[GEN] = st.session_state.get(GEN, 0) + 1  # a new grid for the new rows


def header(col: str) -> str:
    return t("std_col_" + col)


tab_work, tab_versions = st.tabs([t("std_tab_work"), t("std_tab_versions")])

# ----------------------------------------------------------------------------- the workshop
with tab_work:
    if done_message := st.session_state.pop("std_done", None):
        st.success(done_message)
    with st.form("std_upload", clear_on_submit=False):
        up = st.file_uploader(t("std_upload"), type=["xlsx", "yaml", "yml"], key="std_file")
        cid = st.text_input(t("std_id"), key="std_id", max_chars=64, help=t("std_id_help"))
        if st.form_submit_button(t("std_read"), type="primary"):
            if up is None:
                st.error(t("std_no_file"))
            else:
                try:
                    keep(standards.read_upload(actor=actor, data=up.getvalue(), file_name=up.name, checklist_id=cid))
                except ServiceError as exc:
                    fail(exc)

    ws: standards.Workshop | None = st.session_state.get(WS)
    if ws is None:
        st.info(t("std_start"))
    else:
        st.subheader(md(f"{ws.checklist_id or '—'} · {ws.file_name}"))
        st.caption(t("std_rows", n=len(ws.rows), p=len(ws.problems)))
        by_row = ws.row_problems()
        general = [p for p in ws.problems if p.row is None]
        if ws.problems:
            st.error(t("std_problems", n=len(ws.problems)))
            st.code("\n".join(p.render(lang()) for p in ws.problems), language=None)  # plain text, never markup
        if ws.rows:
            # the standard as read: every problem cell marked (red), its problems in the last column
            table = pd.DataFrame([{**{header(c): r.get(c, "") for c in standards.COLUMNS},
                                   t("std_col_problems"): t("rep.sep").join(tr(p.message) for p in by_row.get(n, []))}
                                  for n, r in enumerate(ws.rows)])
            bad = {(n, header(p.column) if p.column else t("std_col_problems"))
                   for n, ps in by_row.items() for p in ps}

            def mark(frame: pd.DataFrame) -> pd.DataFrame:
                styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
                for n, col in bad:
                    styles.loc[n, col] = "background-color: #fde2e1; color: #a4161a; font-weight: 600"
                    styles.loc[n, t("std_col_problems")] = "color: #a4161a"
                return styles

            st.markdown(f"**{t('std_table')}**")
            st.dataframe(table.style.apply(mark, axis=None), hide_index=False, width="stretch", key="std_table")
        elif general:
            st.caption(t("std_reupload"))
        if ws.rows:
            st.markdown(f"**{t('std_grid')}**")
            st.caption(t("std_grid_help"))
            grid = st.data_editor(
                [{c: r.get(c, "") for c in standards.COLUMNS} for r in ws.rows],
                key=f"std_grid_{st.session_state.get(GEN, 0)}", num_rows="dynamic", width="stretch", hide_index=True,
                column_config={c: st.column_config.TextColumn(header(c), max_chars=standards.MAX_CELL,
                                                              width="large" if c in ("text", "rule") else
                                                              "medium" if c in ("section", "group") else "small")
                               for c in standards.COLUMNS})
            if st.button(t("std_validate"), key="std_validate", type="primary" if ws.problems else "secondary"):
                try:
                    keep(standards.apply_grid(ws, list(grid), actor=actor))
                except ServiceError as exc:
                    fail(exc)
                else:
                    st.rerun()
        if ws.edited:
            st.caption(md(t("std_edited", items=t("list_sep").join(i + t("paren", text=who) for i, who in ws.edited.items()))))
        if ws.ok:
            st.success(t("std_valid"))
            try:
                with read() as s:
                    d = standards.diff(s, actor=actor, workshop=ws)
                    current = {e.checklist.id: e for e in catalog.list_entries(s)}.get(ws.checklist_id)
            except ServiceError as exc:
                fail(exc)
                st.stop()
            st.markdown(f"**{t('std_diff', label=md(d.base_label)) if d.base_label else t('std_new_checklist')}**")
            m1, m2, m3, m4, m5, m6 = st.columns(6)
            m1.metric(t("std_total_before"), "—" if d.total_before is None else str(d.total_before))
            m2.metric(t("std_total_after"), str(d.total_after),
                      delta=None if d.total_before is None else str(d.total_after - d.total_before))
            m3.metric(t("std_added"), len(d.added))
            m4.metric(t("std_removed"), len(d.removed))
            m5.metric(t("std_reworded"), len(d.reworded))
            m6.metric(t("std_repointed"), len(d.repointed))
            changes: list[dict[str, Any]] = []
            for kind in ("added", "removed", "reworded", "repointed", "rescored"):
                changes += [{t("std_change"): t("std_" + kind), t("std_col_number"): c.item_id,
                             t("std_before"): tr(c.before), t("std_after"): tr(c.after)} for c in getattr(d, kind)]
            if changes:
                st.dataframe(changes, hide_index=True, width="stretch", key="std_changes")
            elif d.unchanged:
                st.info(t("std_unchanged"))
            with st.form("std_publish"):
                st.markdown(f"**{t('std_publish_head')}**")
                c1, c2 = st.columns([1, 2])
                label = c1.text_input(t("std_label"), key="std_label", max_chars=standards.LABEL_MAX)
                kinds = c2.multiselect(t("std_site_kinds"), SITE_KINDS, format_func=t, key="std_kinds",
                                       default=list(current.site_kinds) if current and current.site_kinds
                                       else list(catalog.shipped_site_kinds(ws.checklist_id)), placeholder=t("choose_option"))
                reason = st.text_area(t("std_reason"), key="std_reason", max_chars=standards.REASON_MAX)
                if st.form_submit_button(t("std_publish"), type="primary"):
                    try:
                        with write() as s:
                            done = standards.publish(s, actor=actor, workshop=ws, label=label, reason=reason,
                                                     site_kinds=kinds)
                    except ServiceError as exc:
                        fail(exc)
                    else:  # the workshop is done: cleared, the outcome shown above the upload form
                        st.session_state["std_done"] = (
                            md(t("std_published", id=ws.checklist_id, label=label,
                                 kinds=t("list_sep").join(t(k) for k in done.site_kinds) or "—")) if done.created
                            else t("std_same"))
                        st.session_state.pop(WS, None)
                        st.rerun()

# ----------------------------------------------------------------------------- versions
with tab_versions:
    with read() as s:
        all_versions = catalog.versions(s)
    ids = list(dict.fromkeys(e.checklist.id for e in all_versions))
    if not ids:
        st.info(t("no_checklists"))
        st.stop()
    pick = st.selectbox(t("checklist"), ids, key="std_pick",
                        format_func=lambda i: next(f"{e.checklist.title} · {i}" for e in all_versions
                                                   if e.checklist.id == i), placeholder=t("choose_option"))
    mine = [e for e in all_versions if e.checklist.id == pick]
    st.dataframe([{t("std_label"): e.label, t("std_status"): t("std_status_" + e.status),
                   t("std_site_kinds"): t("list_sep").join(t(k) for k in e.site_kinds) or "—",
                   t("possible"): str(e.checklist.possible), t("items"): len(e.checklist.items),
                   t("std_published_by"): e.published_by or t("std_shipped"),
                   t("std_published_at"): local_time(e.published_at), t("std_file"): e.source_file or "",
                   t("std_reason"): e.reason or "", "sha256": e.content_hash[:12]} for e in mine],
                 hide_index=True, width="stretch", key="std_versions")
    version = st.selectbox(t("std_version"), mine, key=f"std_ver_{pick}",
                           format_func=lambda e: f"{e.label} · {t('std_status_' + e.status)}", placeholder=t("choose_option"))
    if version is not None:
        c1, c2, c3 = st.columns(3)
        with read() as s:
            yaml_name, yaml_data = standards.download(s, actor=actor, version_id=version.version_id, fmt="yaml")
            xlsx_name, xlsx_data = standards.download(s, actor=actor, version_id=version.version_id, fmt="xlsx")
        c1.download_button(t("std_download_yaml"), yaml_data, file_name=yaml_name, mime="application/x-yaml",
                           key="std_dl_yaml")
        c2.download_button(t("std_download_xlsx"), xlsx_data, file_name=xlsx_name, key="std_dl_xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if c3.button(t("std_open"), key="std_open"):
            try:
                with read() as s:
                    keep(standards.from_version(s, actor=actor, version_id=version.version_id))
            except ServiceError as exc:
                fail(exc)
            else:
                st.session_state["std_flash"] = version.version_id
                st.rerun()  # the workshop tab (drawn before this one) shows it
        if st.session_state.get("std_flash") == version.version_id:
            st.success(t("std_opened"))
        if version.status != "retired":
            with st.form("std_retire"):
                why = st.text_input(t("std_retire_reason"), key="std_retire_reason", max_chars=standards.REASON_MAX)
                sure = st.checkbox(t("std_retire_confirm", label=md(version.label)), key="std_retire_sure")
                if st.form_submit_button(t("std_retire")):
                    if not sure:
                        st.error(t("std_retire_unconfirmed"))
                    else:
                        try:
                            with write() as s:
                                moved = catalog.retire(s, actor=actor, checklist_id=pick, version=version.version_id,
                                                       reason=why or None)
                        except ServiceError as exc:
                            fail(exc)
                        else:
                            st.success(t("std_retired", label=md(version.label))
                                       + (t("std_fallback") if moved else ""))
