"""One inspection in full: score, every answer with notes and photos; amendment for managers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import streamlit as st

from app.services import inspections as svc
from app.services.actor import Actor
from app.services.errors import ServiceError
from app.ui import closeout, fmt, photos_ui
from app.ui.i18n import ct, lang, t, tr, tv
from app.ui.safe import md
from app.ui.state import local_time, write
from scoring import partial_score


def answer_text(item: Any, answer: dict[str, Any] | None) -> str:
    if not answer:
        return "—"
    if answer.get("result") == "na":
        return t("na")
    if "result" in answer:
        return "✓ " + t("pass") if answer["result"] == "pass" else "✗ " + t("fail")
    v2 = v2_answer_text(item, answer)
    if v2 is not None:
        return v2
    if "count" in answer:
        return t("count_fmt", n=answer["count"])
    return f"{answer['points']}/{item.points}{t('pts')}"


def _n(d: Decimal | int | float | str) -> str:
    x = Decimal(str(d))
    return str(int(x)) if x == x.to_integral_value() else f"{x.normalize():f}"


def clause_letter(item: Any, rule_id: str) -> str:
    """A clause's letter (A, B, C … in the order written), as on the standard and the tablet."""
    ids = [r.id for r in item.rules]
    k = ids.index(rule_id) if rule_id in ids else -1
    return chr(ord("A") + k) if 0 <= k < 26 else rule_id


def v2_answer_text(item: Any, answer: dict[str, Any]) -> str | None:
    """A version-2 answer in words: clause counts, a sample, a bonus or a penalty; None for other kinds."""
    if item.rules and "counts" in answer:
        counts = {k: int(v) for k, v in (answer.get("counts") or {}).items() if int(v)}
        if not counts:
            return "✓ " + t("v2_none_deducted")
        parts = []
        for r in item.rules:
            if r.id in counts:
                what = t("v2_all") if r.per is None else f"{t('count_fmt', n=counts[r.id])} −{_n(counts[r.id] * r.per)}"
                parts.append(f"{clause_letter(item, r.id)}. {r.text} {what}")
        return "✗ " + t("rep.sep").join(parts)
    if item.scoring == "sample" and "checked" in answer:
        n, k = int(answer["checked"]), int(answer.get("failed", 0))
        mark = "✗ " if k else "✓ "
        return mark + t("v2_sample_fmt", n=n, k=k)
    if item.scoring in ("bonus", "penalty") and "count" in answer:
        n = int(answer["count"])
        amount = n * (item.per or Decimal(0))
        if item.max is not None:
            amount = min(amount, item.max)
        sign = "+" if item.scoring == "bonus" else "−"
        label = t("v2_bonus") if item.scoring == "bonus" else t("v2_penalty")
        return f"{label} {t('v2_times', n=n)}" + (f" {sign}{_n(amount)}" if n else "")
    return None


def show(view: svc.DraftView, actor: Actor) -> None:
    h = view.header
    # every name, title, note and caption through md(): shown as text, never as markup (app/ui/safe.py)
    st.subheader(md(f"{ct(view.checklist) if lang() == 'en' else h.checklist_title} · v{h.checklist_version}"))
    st.caption(md(f"{h.site_name} · {h.subject_name} · {h.shift_date} {tv('shift', h.shift_name)} · {t('inspector')} "
                  f"{h.inspector} · {t('kind_' + h.kind)} · "
                  f"{t('submitted') if h.status == 'submitted' else t('draft')} {local_time(h.submitted_at)}")
               + (f" · **{t('amended')}**" if h.amended else ""))
    if h.percent is not None:
        m1, m2 = st.columns(2)
        m1.metric(t("percent"), fmt.pct(h.percent))
        m2.metric(t("grade"), md(tv("grade", h.grade) or "—"))
    # the failed items first, open, with their notes and photos; then every section (open if it has a failure)
    failed = set(partial_score(view.checklist, view.answers).failed_items)
    with st.container(border=True, key="pz-failed-first"):
        st.markdown(f"**{t('failed_first', n=len(failed))}**" if failed else t("no_failed"))
        for item in (it for it in view.checklist.items if it.id in failed):
            _item_lines(view, item, where="f")
    for section in view.checklist.sections:
        has_failed = any(it.id in failed for it in section.items)
        label = f"{ct(section)} · {section.points}{t('pts')}" + (f" · ✗ {sum(it.id in failed for it in section.items)}"
                                                                     if has_failed else "")
        with st.expander(md(label), expanded=has_failed):
            groups = {g.id: g for g in section.groups}
            shown_group: str | None = None
            for item in section.items:  # a failed item's photos are in the list above
                if item.group != shown_group and item.group in groups:
                    g = groups[item.group]
                    st.markdown(md(f"**{t('v2_group')} · {g.title} · {_n(g.points)}{t('pts')}**"))
                shown_group = item.group
                _item_lines(view, item, where="s", photos=item.id not in failed)
    closeout.detail_extras(view, actor)  # the close-out signatures and the one-inspection PDF
    if h.status == "submitted" and actor.role in ("manager", "admin"):
        _amend_form(view, actor)


def _item_lines(view: svc.DraftView, item: Any, *, where: str, photos: bool = True) -> None:
    """One item's answer and text, note, reason for no photo and photos."""
    h = view.header
    st.markdown(md(f"{answer_text(item, view.answers.get(item.id))} · {ct(item, 'text')}"))
    note = view.notes.get(item.id)
    if note:
        st.caption(md(f"{t('note')}: {note}"))
    reason = view.no_photo_reasons.get(item.id)
    if reason:
        st.caption(md(f"{t('no_photo_reason')}: {reason}"))
    refs = view.photos.get(item.id) if photos else None
    if refs:
        photos_ui.thumbs(refs, iid=h.id, item_id=item.id if where == "s" else f"{item.id}#f")


def _amend_form(view: svc.DraftView, actor: Actor) -> None:
    flash = st.session_state.pop("amend_flash", None)
    if flash:
        st.success(flash)
    with st.expander(t("amend")):
        items = view.checklist.items
        item = st.selectbox(t("checklist"), items, format_func=lambda i: f"{i.id} · {i.text[:40]}",
                            key=f"am_item_{view.header.id}", placeholder=t("choose_option"))
        if item.rules or item.scoring in ("sample", "bonus", "penalty"):
            _amend_v2(view, actor, item)
            return
        if item.scoring == "pass_fail":
            opts: list[Any] = ["pass", "fail"] + (["na"] if item.na else [])
        elif item.scoring == "deduct":
            opts = list(range(0, 11)) + (["na"] if item.na else [])
        else:
            steps = int(item.points / item.step)
            opts = [str(item.step * k) for k in range(steps + 1)] + (["na"] if item.na else [])
        current = view.answers.get(item.id) or {}
        now = "na" if current.get("result") == "na" else current.get("result", current.get("count", current.get("points")))
        index = next((n for n, o in enumerate(opts) if str(o) == str(now)), 0)
        value = st.selectbox(t("result"), opts, index=index, key=f"am_val_{view.header.id}_{item.id}",
                             format_func=lambda v: t(v) if v in ("pass", "fail", "na") else str(v), placeholder=t("choose_option"))
        reason = st.text_input(t("amend_reason"), key=f"am_reason_{view.header.id}")
        if st.button(t("amend"), key=f"am_go_{view.header.id}"):
            if value == "na":
                new: dict[str, Any] = {"result": "na"}
            elif item.scoring == "pass_fail":
                new = {"result": value}
            elif item.scoring == "deduct":
                new = {"count": int(value)}
            else:
                new = {"points": value}
            try:
                with write() as s:
                    svc.amend_inspection(session=s, actor=actor, inspection_id=view.header.id,
                                         changes={item.id: new}, reason=reason)
            except ServiceError as exc:
                st.error(md(tr(exc)))
            else:
                st.session_state["amend_flash"] = t("amended")
                st.rerun()


def _amend_v2(view: svc.DraftView, actor: Actor, item: Any) -> None:
    """The amendment of a version-2 item: clause counts, a sample's figures, or a bonus/penalty count."""
    iid = view.header.id
    current = view.answers.get(item.id) or {}
    key = f"am_{iid}_{item.id}"
    na = item.na and st.checkbox(t("na"), value=current.get("result") == "na", key=f"{key}_na")
    new: dict[str, Any]
    if na:
        new = {"result": "na"}
    elif item.rules:
        counts: dict[str, int] = {}
        for r in item.rules:
            label = f"{clause_letter(item, r.id)}. {r.text} · " + (t("v2_all") if r.per is None
                                                                   else t("v2_each", x=_n(r.per)))
            now = int((current.get("counts") or {}).get(r.id, 0))
            n = int(st.number_input(md(label), min_value=0, max_value=999, value=now, step=1, key=f"{key}_{r.id}"))
            if n:
                counts[r.id] = n
        new = {"counts": counts}
    elif item.scoring == "sample":
        n = int(st.number_input(t("v2_checked"), min_value=item.min_sample, max_value=999_999, step=1,
                                value=max(item.min_sample, int(current.get("checked", item.min_sample))),
                                key=f"{key}_checked"))
        k = int(st.number_input(t("v2_failed"), min_value=0, max_value=999_999, step=1,
                                value=int(current.get("failed", 0)), key=f"{key}_failed"))
        new = {"checked": n, "failed": k}
    else:
        new = {"count": int(st.number_input(t("v2_bonus") if item.scoring == "bonus" else t("v2_penalty"),
                                            min_value=0, max_value=999, step=1, value=int(current.get("count", 0)),
                                            key=f"{key}_count"))}
    reason = st.text_input(t("amend_reason"), key=f"am_reason_{iid}")
    if st.button(t("amend"), key=f"am_go_{iid}"):
        try:
            with write() as s:
                svc.amend_inspection(session=s, actor=actor, inspection_id=iid, changes={item.id: new}, reason=reason)
        except ServiceError as exc:
            st.error(md(exc))
        else:
            st.session_state["amend_flash"] = t("amended")
            st.rerun()
