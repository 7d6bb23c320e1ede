"""Pinzhi (品质巡检): navigation over the pages the signed-in role may use. Nothing else lives here."""

from pathlib import Path

import streamlit as st

from app.ui import nav_closer, page_lang
from app.ui.i18n import lang, t
from app.ui.state import current_actor, style

PAGES = Path(__file__).parent / "app" / "pages"
ICON = Path(__file__).parent / "app" / "data" / "icon.png"

# page file, title key, icon, roles
NAV = [
    ("inspect.py", "inspect", ":material/fact_check:", {"supervisor", "manager", "admin"}),
    ("self_check.py", "self_check", ":material/how_to_reg:", {"staff"}),
    ("review.py", "review", ":material/leaderboard:", {"manager", "admin"}),
    ("actions.py", "actions", ":material/build:", {"staff", "supervisor", "manager", "admin"}),
    ("training.py", "training", ":material/school:", {"manager", "admin", "supervisor", "staff"}),
    ("history.py", "history", ":material/history:", {"staff", "supervisor", "manager", "admin"}),
    ("standards.py", "standards", ":material/rule_settings:", {"qa", "admin"}),
    ("checklists.py", "checklists", ":material/menu_book:", {"staff", "supervisor", "manager", "admin", "qa"}),
    ("admin.py", "admin", ":material/admin_panel_settings:", {"admin"}),
]

# a local icon file: a :material/...: page icon would make the browser fetch the favicon from Google's fonts
# server, which the Content-Security-Policy forbids (no outside origins)
st.set_page_config(page_title=t("app"), page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed")
style()
actor = current_actor()
if actor is None:
    pages = [st.Page(PAGES / "login.py", title=t("signin"), icon=":material/login:", default=True)]
else:
    pages = [
        st.Page(PAGES / file, title=t(key), icon=icon, url_path=file.removesuffix(".py"))
        for file, key, icon, roles in NAV
        if actor.role in roles and (PAGES / file).exists()
    ]
    with st.sidebar:
        nav_closer.mount()  # on a phone the page list is in the sidebar: close it once a page is chosen
        st.text(t("welcome", name=actor.display_name) + f" · {t('role_' + actor.role)}")
        # a real form post: /auth/logout ends the session in the database and deletes the cookie
        st.html(f'<form method="post" action="/auth/logout?lang={lang()}" class="pz-signout">'
                f'<button type="submit">{t("signout")}</button></form>')
with st.sidebar:
    st.radio(t("lang"), ["zh", "en"], key="lang", horizontal=True,
             format_func=lambda v: t("lang." + v))
    page_lang.mount(lang())  # <html lang> and the pz_lang cookie: a reload or a new tab keeps the choice
st.navigation(pages, position="top" if actor is not None else "hidden").run()
