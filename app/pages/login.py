"""Shown when a run finds no live session: the session ended (signed out, expired, account disabled)
while the page was open. The same plain HTML form as the ``/auth/login`` page (app/web/auth_routes.py),
posting there; that route sets the HttpOnly cookie. Fresh visits are sent to ``/auth/login`` by the page
guard (app/web/security.py)."""

import streamlit as st

from app.ui.i18n import lang, t
from app.web.auth_routes import sign_in_form

st.title(f"{t('app')} · {t('signin')}")
st.warning(t("session_ended"))
# our own static markup only: no user text ever goes into st.html
st.html(f'<div class="pz-login">{sign_in_form(lang())}</div>')
