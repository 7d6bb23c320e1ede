"""Close-out of an inspection: the signature step after the review, the result screen after submit, the
signatures and the PDF button of an inspection's detail.

The rules live in :mod:`app.services.signatures` (what a signature must be, who signs, what submit needs)
and :mod:`app.services.closeout` (what the result shows); this module only draws them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import streamlit as st

from app.services import closeout as closeout_svc
from app.services import inspections as svc
from app.services import signatures as sig_svc
from app.services.actor import Actor
from app.services.errors import ServiceError
from app.ui import fmt, photos_ui, signature_pad
from app.ui.i18n import lang, t, tv
from app.ui.safe import md
from app.ui.state import local_time, read, write


def _short(d: Decimal) -> str:
    """27 rather than 27.00 (a metric has little room on a tablet), 27.5 as it is."""
    return f"{d.normalize():f}" if d != d.to_integral_value() else str(int(d))


def _err(exc: ServiceError) -> str:
    return md(exc.message(lang()))


def _role_title(role: str, subject_type: str) -> str:
    if role == "inspector":
        return t("sig_inspector")
    return t("sig_subject_staff") if subject_type == "staff" else t("sig_subject_site")


def _show_signature(sig: sig_svc.SignatureView) -> None:
    if sig.refused:
        st.markdown(f"**{t('sig_refused')}** · {md(sig.signer_name)}")
        st.caption(md(f"{t('sig_refusal_reason')}: {sig.refusal_reason or ''}"))
    elif sig.image_png:
        st.image(sig.image_png, width=320)
        st.caption(md(f"{sig.signer_name} · {local_time(sig.signed_at)}"))


def _redo_key(iid: int, role: str) -> str:
    return f"sig_redo_{iid}_{role}"


def _sign(iid: int, actor: Actor, role: str, **kw: object) -> bool:
    try:
        with write() as s:
            sig_svc.sign_inspection(session=s, actor=actor, inspection_id=iid, role=role, **kw)  # type: ignore[arg-type]
    except ServiceError as exc:
        st.error(_err(exc))
        return False
    st.session_state.pop(_redo_key(iid, role), None)
    st.session_state[f"sig_gen_{iid}_{role}"] = st.session_state.get(f"sig_gen_{iid}_{role}", 0) + 1
    return True


def _one(view: svc.DraftView, actor: Actor, role: str, sig: sig_svc.SignatureView | None) -> None:
    h = view.header
    iid = h.id
    with st.container(border=True, key=f"pz-sig-{role}"):
        title = _role_title(role, h.subject_type)
        who = h.inspector if role == "inspector" else (h.subject_name if h.subject_type == "staff" else "")
        st.markdown(f"**{title}**" + (f" · {md(who)}" if who else ""))
        if sig is not None and sig_svc.is_stale(sig, h.updated_at):
            st.warning(t("sig_stale"))
        elif sig is not None and not st.session_state.get(_redo_key(iid, role)):
            _show_signature(sig)
            if st.button(t("sig_redo"), key=f"sig_redo_btn_{iid}_{role}"):
                st.session_state[_redo_key(iid, role)] = True
                st.rerun()
            return
        name = None
        if role == "subject" and h.subject_type == "site":
            name_key = f"sig_name_{iid}"
            if name_key not in st.session_state and sig is not None:
                st.session_state[name_key] = sig.signer_name
            name = st.text_input(t("sig_lead_name"), key=name_key, max_chars=sig_svc.NAME_MAX)
        mode = "sign"
        if role == "subject":
            mode = st.segmented_control(t("sig_mode"), ["sign", "refuse"], default="sign", key=f"sig_mode_{iid}",
                                        format_func=lambda v: t("sig_mode_" + v), label_visibility="collapsed") or "sign"
        if mode == "refuse":
            reason = st.text_area(t("sig_refusal_reason"), key=f"sig_reason_{iid}", max_chars=sig_svc.REASON_MAX,
                                  placeholder=t("sig_refusal_placeholder"))
            pressed = st.button(t("sig_refuse_confirm"), key=f"sig_refuse_{iid}", type="primary", width="stretch")
            if pressed and _sign(iid, actor, role, refused=True, reason=reason, signer_name=name):
                st.rerun()
            return
        gen = st.session_state.get(f"sig_gen_{iid}_{role}", 0)
        png = signature_pad.pad(key=f"sig_pad_{iid}_{role}_{gen}", role=role)
        if png is not None:
            try:
                data = sig_svc.decode_data_url(png)
            except ServiceError as exc:
                st.error(_err(exc))
                return
            if _sign(iid, actor, role, image_png=data, signer_name=name):
                st.rerun()


def signature_step(view: svc.DraftView, actor: Actor, *, ready: bool) -> list[str]:
    """The signatures after the review (supervisor inspections); returns the roles still to sign.

    Signing waits until nothing else blocks submit (``ready``): a signature confirms the finished result.
    """
    h = view.header
    if h.kind != "supervisor":
        return []
    with read() as s:
        sigs = sig_svc.list_signatures(s, actor=actor, inspection_id=h.id)
        pending = sig_svc.pending(s, actor=actor, inspection_id=h.id)
    st.markdown(f"#### {t('sig_heading')}")
    if not ready:
        st.caption(t("sig_wait"))
        return pending
    st.caption(t("sig_intro"))
    for role in sig_svc.ROLES:
        _one(view, actor, role, sigs.get(role))
    return pending


def pending_message(pending: list[str], subject_type: str) -> str:
    return t("sig_pending", roles=t("list_sep").join(_role_title(r, subject_type) for r in pending))


def signatures_block(iid: int, subject_type: str, sigs: dict[str, sig_svc.SignatureView]) -> None:
    """The signatures of a stored inspection (result screen, history detail)."""
    if not sigs:
        return
    with st.container(border=True, key=f"pz-signatures-{iid}"):
        st.markdown(f"**{t('sig_heading')}**")
        cols = st.columns(2)
        for col, role in zip(cols, sig_svc.ROLES, strict=True):
            with col:
                st.markdown(_role_title(role, subject_type))
                sig = sigs.get(role)
                if sig is None:
                    st.caption(t("sig_none"))
                else:
                    _show_signature(sig)


def pdf_button(actor: Actor, iid: int, *, key: str, label: str | None = None, primary: bool = False) -> None:
    """Download the one-inspection PDF (generated when pressed; the service checks the permission)."""
    chosen = lang()  # the download runs its callable later: the language is taken now

    def make() -> bytes:
        from app.reports.inspection_pdf import inspection_pdf

        with read() as s:
            return inspection_pdf(s, actor=actor, inspection_id=iid, lang=chosen)

    st.download_button(label or t("report_pdf"), make, file_name=f"pinzhi-inspection-{iid}.pdf",
                       mime="application/pdf", key=key, on_click="ignore", width="stretch",
                       type="primary" if primary else "secondary", icon=":material/picture_as_pdf:")


def result_screen(view: svc.DraftView, actor: Actor, on_home: Callable[[], None]) -> None:
    """Right after submit: score, grade, failed items with notes, the actions opened, the signatures, the PDF."""
    h = view.header
    try:
        with read() as s:
            co = closeout_svc.closeout(s, actor=actor, inspection_id=h.id)
    except ServiceError as exc:
        st.error(_err(exc))
        return
    h = co.header
    with st.container(key="pz-result"):
        st.success(md(f"{t('submitted')} · {h.checklist_title}"))
        st.caption(md(f"{h.site_name} · {h.subject_name} · {h.shift_date} {tv('shift', h.shift_name)} · v{h.checklist_version} · "
                      f"{t('inspector')} {h.inspector}"))
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("percent"), fmt.pct(h.percent))
        m2.metric(t("grade"), md(tv("grade", h.grade) or "—"))
        m3.metric(t("awarded"), f"{_short(co.awarded)} / {_short(co.applicable)}")
        m4.metric(t("result_failed_n"), str(len(co.failed)))
        c1, c2 = st.columns(2)
        with c1:
            pdf_button(actor, h.id, key=f"result_pdf_{h.id}", primary=True)
        if c2.button(t("back_home"), key=f"result_home_{h.id}", width="stretch"):
            on_home()
        with st.container(border=True, key="pz-result-failed"):
            st.markdown(f"**{t('failed_first', n=len(co.failed))}**" if co.failed else t("no_failed"))
            for f in co.failed:
                st.markdown(md(f"{f.number}. {f.text}") + f" · −{fmt.num(f.lost)}{t('pts')}")
                if f.note:
                    st.caption(md(f"{t('note')}: {f.note}"))
                if f.no_photo_reason:
                    st.caption(md(f"{t('no_photo_reason')}: {f.no_photo_reason}"))
                if f.photos:
                    photos_ui.thumbs(list(f.photos), iid=h.id, item_id=f"{f.item_id}#r")
        if co.actions:
            with st.container(border=True, key="pz-result-actions"):
                st.markdown(f"**{t('result_actions', n=len(co.actions))}**")
                for a in co.actions:
                    who = md(a.staff_name) if a.staff_name else t("result_no_assignee")
                    st.markdown(md(a.item_text) + f" · {who} · {t('due')} {local_time(a.due_at)}")
        signatures_block(h.id, h.subject_type, co.signatures)


def detail_extras(view: svc.DraftView, actor: Actor) -> None:
    """In an inspection's detail: its signatures and the PDF button."""
    h = view.header
    with read() as s:
        sigs = sig_svc.list_signatures(s, actor=actor, inspection_id=h.id)
    signatures_block(h.id, h.subject_type, sigs)
    if h.status == "submitted":
        pdf_button(actor, h.id, key=f"detail_pdf_{h.id}")
