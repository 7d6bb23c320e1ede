"""The close-out of one inspection as its result screen and its PDF show it.

Score and grade, the failed items (section, points lost, note, no-photo reason, photos), the corrective
actions this inspection opened and the signatures. Whoever may view the inspection may read it
(:func:`app.services.inspections.load_inspection` checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import CorrectiveAction, Site, Staff, User
from app.services import actions as actions_svc
from app.services import inspections as insp_svc
from app.services import signatures as sig_svc
from app.services.actor import Actor
from scoring import partial_score


@dataclass(frozen=True)
class FailedItem:
    number: int  # the item's number in the checklist (1-based)
    item_id: str
    text: str
    section: str
    lost: Decimal
    note: str | None
    no_photo_reason: str | None
    photos: tuple[insp_svc.PhotoRef, ...]


@dataclass(frozen=True)
class Closeout:
    view: insp_svc.DraftView
    awarded: Decimal
    applicable: Decimal
    failed: tuple[FailedItem, ...]
    actions: tuple[actions_svc.ActionView, ...]
    signatures: dict[str, sig_svc.SignatureView]

    @property
    def header(self) -> insp_svc.InspectionHeader:
        return self.view.header


def closeout(session: Session, *, actor: Actor, inspection_id: int) -> Closeout:
    """Everything the result screen and the one-inspection PDF show (permission: may view the inspection)."""
    view = insp_svc.load_inspection(session, actor=actor, inspection_id=inspection_id)
    result = partial_score(view.checklist, view.answers)
    by_id = {i.id: i for i in result.items}
    sections = {s.id: s.title for s in view.checklist.sections}
    numbers = {it.id: n for n, it in enumerate(view.checklist.items, start=1)}
    failed = []
    for item_id in result.failed_items:
        its = by_id[item_id]
        failed.append(FailedItem(numbers[item_id], item_id, view.checklist.item(item_id).text,
                                 sections.get(its.section_id, its.section_id), its.applicable - its.awarded,
                                 view.notes.get(item_id), view.no_photo_reasons.get(item_id),
                                 tuple(view.photos.get(item_id, ()))))
    rows = list(session.scalars(select(CorrectiveAction).where(CorrectiveAction.inspection_id == inspection_id)
                                .order_by(CorrectiveAction.id)))
    names = {i: n for i, n in session.execute(select(User.id, User.display_name))}
    sites = {i: n for i, n in session.execute(select(Site.id, Site.name).where(Site.id == view.header.site_id))}
    staff_ids = {a.staff_id for a in rows if a.staff_id is not None}
    staff = ({i: n for i, n in session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids)))}
             if staff_ids else {})
    acts = tuple(actions_svc._view(a, names, sites, staff) for a in rows)
    order = {n: i for i, n in enumerate(numbers)}
    acts = tuple(sorted(acts, key=lambda a: order.get(a.item_id, 1 << 30)))
    return Closeout(view, result.awarded, result.applicable, tuple(failed), acts,
                    sig_svc.signatures_of(session, inspection_id))
