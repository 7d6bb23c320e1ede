"""Sign in; on a database without an administrator, create the first one."""

import streamlit as st

from app.services import auth
from app.services.errors import ServiceError
from app.ui.i18n import t
from app.ui.state import read, remember_sign_in, write

st.title(f"{t('app')} · {t('signin')}")

with read() as s:
    first_start = auth.needs_first_admin(s)

if first_start:
    st.info(t("first_admin"))
    with st.form("first_admin"):
        username = st.text_input(t("username"), value="admin")
        password = st.text_input(t("password"), type="password")
        again = st.text_input(t("password_again"), type="password")
        if st.form_submit_button(t("create_admin"), type="primary"):
            if password != again:
                st.error(t("passwords_differ"))
            else:
                try:
                    with write() as s:
                        auth.create_first_admin(s, username=username.strip(), password=password)
                        token, actor = auth.sign_in(s, username=username.strip(), password=password)
                    remember_sign_in(token, actor)
                    st.rerun()
                except ServiceError as exc:
                    st.error(str(exc))
else:
    st.caption(t("sign_in_hint"))
    with st.form("signin"):
        username = st.text_input(t("username"), key="login_user")
        password = st.text_input(t("password"), type="password", key="login_password")
        if st.form_submit_button(t("signin"), type="primary", width="stretch"):
            try:
                with write() as s:
                    token, actor = auth.sign_in(s, username=username.strip(), password=password)
            except ServiceError:
                st.error(t("bad_login"))
            else:
                remember_sign_in(token, actor)
                st.rerun()
