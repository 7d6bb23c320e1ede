"""Administration: accounts, sites, staff, and which checklists are in force."""

from collections.abc import Callable
from functools import partial
from typing import Any

import streamlit as st

from app.services import auth, catalog, org
from app.services.errors import ServiceError
from app.services.org import POSTS, ROLES, SITE_KINDS
from app.standards.problem_text import loader_problem
from app.ui.i18n import t, tr, tv
from app.ui.safe import md
from app.ui.state import read, require_actor, write

actor = require_actor()
st.title(t("admin"))
tab_users, tab_sites, tab_staff, tab_cl = st.tabs([t("users"), t("sites"), t("staff_list"), t("checklists")])


def attempt(fn: Callable[[Any], object], ok_message: str, clear: str | None = None) -> None:
    """Run a change; on an error the form keeps what was typed, on success the form ``clear`` is emptied."""
    try:
        with write() as s:
            fn(s)
    except ServiceError as exc:
        st.error(md(tr(exc)))
    else:
        st.session_state["admin_flash"] = ok_message
        if clear:
            st.session_state["admin_clear"] = clear
        st.rerun()  # the tables above were read before this change


# forms are not cleared on submit (an error must not lose what was typed): after a success, the
# widgets of that form are reset here, before they are drawn
FORM_KEYS = {"add_user": ["au_username", "au_name", "au_role", "au_password", "au_sites", "au_staff"],
             "add_site": ["as_code", "as_name", "as_kind"],
             "add_staff": ["ast_code", "ast_name", "ast_post", "ast_site"]}
for _key in FORM_KEYS.get(st.session_state.pop("admin_clear", ""), []):
    st.session_state.pop(_key, None)


flash = st.session_state.pop("admin_flash", None)
if flash:
    st.success(flash)


with tab_users:
    with read() as s:
        st.dataframe([{t("username"): u["username"], t("name"): u["name"], t("role"): t(f"role_{u['role']}"),
                       t("adm.active"): "✓" if u["active"] else "—", t("sites"): u["sites"]}
                      for u in org.list_users(s, actor=actor)], width="stretch", hide_index=True)
        sites = org.all_sites(s, actor=actor)
        staff = org.all_staff(s, actor=actor)
    with st.form("add_user"):
        c1, c2, c3 = st.columns(3)
        username = c1.text_input(t("username"), key="au_username", max_chars=64)
        name = c2.text_input(t("display_name"), key="au_name", max_chars=80)
        # no default role: an account must not become an administrator by not looking
        role_labels = {r: t("role_" + r) for r in ROLES}
        role = c3.selectbox(t("role"), ROLES, format_func=role_labels.__getitem__, index=None,
                            placeholder=t("choose_role"), key="au_role")
        password = st.text_input(t("password"), type="password", key="au_password")
        site_codes = st.multiselect(t("sites"), [x.code for x in sites], key="au_sites", placeholder=t("choose_option"))
        staff_code = st.selectbox(t("staff"), [None, *[p.code for p in staff]], key="au_staff",
                                  format_func=lambda c: "—" if c is None else c, placeholder="—")
        if st.form_submit_button(t("add"), type="primary"):
            if role is None:
                st.error(t("choose_role_first"))
            else:
                chosen: str = role
                attempt(lambda s: auth.create_user(s, actor=actor, username=username.strip(), password=password,
                                                   role=chosen, display_name=name.strip() or None,
                                                   site_codes=site_codes, staff_code=staff_code), "✓", "add_user")
    c1, c2, c3 = st.columns(3)
    target = c1.text_input(t("username"), key="deact_user")
    if c2.button(t("adm.deactivate")) and target:  # ends every session of the account at once
        attempt(lambda s: org.set_user_active(s, actor=actor, username=target.strip(), active=False), "✓")
    if c3.button(t("unlock")) and target:  # clears failed sign-ins and a sign-in lock
        attempt(lambda s: auth.unlock(s, actor=actor, username=target.strip()), "✓")
    with st.form("user_sites"):  # removing a site blocks the user's drafts there at once
        c1, c2 = st.columns(2)
        su_user = c1.text_input(t("username"), key="su_user")
        su_codes = c2.multiselect(t("adm.assigned_sites"), [x.code for x in sites], key="su_codes",
                                  placeholder=t("choose_option"))
        if st.form_submit_button(t("adm.save_assignment")) and su_user.strip():
            attempt(lambda s: org.set_user_sites(s, actor=actor, username=su_user.strip(), site_codes=su_codes), "✓")

with tab_sites:
    st.dataframe([{t("site_code"): x.code, t("site_name"): x.name, t("kind"): t(x.kind)} for x in sites], hide_index=True,
                 width="stretch")
    with st.form("add_site"):
        c1, c2, c3 = st.columns(3)
        code = c1.text_input(t("site_code"), key="as_code", max_chars=org.CODE_MAX)
        sname = c2.text_input(t("site_name"), key="as_name", max_chars=org.SITE_NAME_MAX)
        kind_labels = {k: t(k) for k in SITE_KINDS}  # formatted now, in this run's language
        kind = c3.selectbox(t("kind"), SITE_KINDS, format_func=kind_labels.__getitem__, key="as_kind", placeholder=t("choose_option"))
        if st.form_submit_button(t("add"), type="primary"):
            attempt(lambda s: org.add_site(s, actor=actor, code=code, name=sname, kind=kind), "✓", "add_site")

with tab_staff:
    st.dataframe([{t("staff_code"): p.code, t("name"): p.name, t("post"): tv("post", p.post), t("site"): p.site_name}
                  for p in staff],
                 hide_index=True, width="stretch")
    with st.form("add_staff"):
        c1, c2, c3, c4 = st.columns(4)
        code = c1.text_input(t("staff_code"), key="ast_code", max_chars=org.CODE_MAX)
        pname = c2.text_input(t("name"), key="ast_name", max_chars=org.STAFF_NAME_MAX)
        post_labels = {v: tv("post", v) for v in POSTS}
        post = c3.selectbox(t("post"), POSTS, key="ast_post", format_func=post_labels.__getitem__, placeholder=t("choose_option"))
        site_code = c4.selectbox(t("site"), [x.code for x in sites], key="ast_site", placeholder=t("choose_option"))
        if st.form_submit_button(t("add"), type="primary") and site_code:
            attempt(lambda s: org.add_staff(s, actor=actor, code=code, name=pname, post=post, site_code=site_code),
                    "✓", "add_staff")

with tab_cl:
    with read() as s:
        entries = catalog.list_entries(s)
    for e in entries:  # in force per kind of site (the version itself is published on the standards page)
        st.markdown(md(f"**{e.checklist.title}** · {e.label} · {e.checklist.id}"))
        for col, kind in zip(st.columns(len(SITE_KINDS)), SITE_KINDS, strict=True):
            on = kind in e.site_kinds
            new = col.toggle(t(kind), value=on, key=f"force_{e.checklist.id}_{kind}")
            if new != on:
                attempt(partial(catalog.set_in_force, actor=actor, checklist_id=e.checklist.id, in_force=new,
                                site_kind=kind), "✓")
    for p in catalog.catalog_problems():
        st.error(md(tr(loader_problem(p))))
