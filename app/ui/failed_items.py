"""The failed items of a submitted inspection on its result screen (a staff member's self-check on a phone):
each item's section, text, points lost and the note written on it."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from app.services import inspections as svc
from app.ui.i18n import t
from app.ui.safe import md
from scoring import partial_score


def show(view: svc.DraftView) -> None:
    """A bordered list (key ``pz-failed-items``): 不合格项（n） and one line per failed item, or 没有不合格项."""
    result = partial_score(view.checklist, view.answers)
    failed = set(result.failed_items)
    lost = {its.id: its.applicable - its.awarded + its.penalty for its in result.items}
    titles = {s.id: s.title for s in view.checklist.sections}
    with st.container(border=True, key="pz-failed-items"):
        if not failed:
            st.markdown(t("no_failed"))
            return
        st.markdown(f"**{t('failed_first', n=len(failed))}**")
        for section in view.checklist.sections:
            for item in (it for it in section.items if it.id in failed):
                points = lost.get(item.id, Decimal(0))
                # checklist text and the note through md(): shown as text, never as markup (app/ui/safe.py)
                st.markdown(md(f"✗ {item.text}") + f" · {t('fi_lost', n=_num(points))}")
                st.caption(md(titles.get(section.id, "")
                              + (f" · {t('note')}: {view.notes[item.id]}" if view.notes.get(item.id) else "")))


def _num(d: Decimal) -> str:
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())
