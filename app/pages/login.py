"""Shown when a run finds no live session: the session ended (signed out, expired, account disabled)
while the page was open. A plain HTML form posting to ``/auth/login``, which sets the HttpOnly cookie.
The page guard sends fresh visits straight to ``/auth/login`` (app/web/security.py)."""

import streamlit as st

from app.ui.i18n import lang, t

st.title(f"{t('app')} · {t('signin')}")
st.warning(t("session_ended"))
# our own static markup only: no user text ever goes into st.html
st.html(f"""
<form method="post" action="/auth/login?lang={lang()}" class="pz-login">
  <label for="pz-username">{t('username')}</label>
  <input id="pz-username" name="username" autocomplete="username" autocapitalize="none" required maxlength="64">
  <label for="pz-password">{t('password')}</label>
  <input id="pz-password" name="password" type="password" autocomplete="current-password" required
         maxlength="256">
  <button type="submit">{t('signin')}</button>
</form>""")
