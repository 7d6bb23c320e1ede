"""A version-2 standard through the app's own services (SQLite and PostgreSQL): the demo company inspects
against it, every answer is saved and validated by ``save_answer``, ``submit_inspection`` stores the
version-2 snapshot, and every stored inspection re-scores to it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml
from factories import use_checklists
from sqlalchemy import select
from test_scoring_v2 import EXAMPLE_YAML

from app.db.models import Answer, CorrectiveAction, Inspection, Site
from app.services import auth, catalog, demo, inspections
from app.services.errors import ServiceError
from scoring import score


def test_demo_inspects_against_a_version_2_standard(db, tmp_path, monkeypatch):
    doc = yaml.safe_load(EXAMPLE_YAML)
    doc["id"] = "office-safety"  # a site checklist the demo plans inspections of
    doc["sections"][0]["items"][1]["critical"] = "section"
    use_checklists(tmp_path, monkeypatch, doc)
    summary = demo.seed_demo(db, today=date(2026, 9, 20), months=2, per_month=3, seed=5)
    assert summary.checklists == ("office-safety",)
    with db.read() as s:
        rows = s.scalars(select(Inspection).order_by(Inspection.id)).unique().all()
        answers: dict[int, dict[str, Any]] = defaultdict(dict)
        for a in s.scalars(select(Answer)):
            answers[a.inspection_id][a.item_id] = a.value
        assert len(rows) == summary.inspections >= 12
        kinds_seen: set[str] = set()
        for insp in rows:
            checklist = catalog.stored_checklist(insp.checklist_version)
            result = score(checklist, answers[insp.id])
            snap = insp.snapshot
            assert snap["sections"][0]["groups"] == [
                {"id": "1.3", "awarded": float(g.awarded) if g.awarded % 1 else int(g.awarded),
                 "applicable": 2, "percent": float(g.percent) if g.percent is not None else None}
                for g in result.sections[0].groups]
            assert (Decimal(str(snap["bonus"])), Decimal(str(snap["penalty"]))) == (result.bonus, result.penalty)
            assert (insp.awarded, insp.applicable, insp.grade) == (result.awarded, result.applicable, result.grade)
            assert 0 <= insp.awarded <= insp.applicable == 10
            for item_id, value in answers[insp.id].items():
                kinds_seen.update(k for k in value if k in ("counts", "checked", "count"))
                if item_id == "3.1":
                    assert "3.1" not in snap["failed_items"]  # a bonus never fails
        assert kinds_seen == {"counts", "checked", "count"}
        assert any(i.snapshot["bonus"] for i in rows) and len({i.awarded for i in rows}) > 3
        # a corrective action for a penalty that happened carries the points it took
        penalties = s.scalars(select(CorrectiveAction).where(CorrectiveAction.item_id == "3.2")).all()
        assert all(a.points_lost == 2 for a in penalties)
        for a in s.scalars(select(CorrectiveAction).where(CorrectiveAction.item_id == "2.1")):
            assert 0 < a.points_lost <= 4
        site_id = s.scalar(select(Site.id).where(Site.code == "JD-GL"))

    # one more inspection by hand: 1.1 clause a once (-0.5), 2.1 2 of 10 records wrong (4 × 8/10 = 3.2),
    # a praise (+0.5) and a complaint (-2): 6 - 0.5 + 3.2 + 0.5 - 2 = 7.2 of 10 -> 72 % 合格
    given = {"1.1": {"counts": {"a": 1}}, "1.2": {"result": "pass"}, "1.3.1": {"count": 0},
             "1.3.2": {"result": "pass"}, "2.1": {"checked": 10, "failed": 2}, "3.1": {"count": 1},
             "3.2": {"count": 1}}
    with db.write() as s:
        _, sup = auth.sign_in(s, username="sup1", password=summary.password)
        iid = inspections.start_inspection(
            session=s, actor=sup, site_id=site_id, shift_date=date(2026, 9, 20), shift_name="早班",
            subject_type="site", checklist_id="office-safety", staff_id=None, kind="supervisor")
        for item_id, value in given.items():
            inspections.save_answer(session=s, actor=sup, inspection_id=iid, item_id=item_id, value=value)
        with pytest.raises(ServiceError, match="2.1"):
            inspections.save_answer(session=s, actor=sup, inspection_id=iid, item_id="2.1",
                                    value={"checked": 9, "failed": 0})
        inspections.submit_inspection(session=s, actor=sup, inspection_id=iid)
    with db.read() as s:
        insp = s.get(Inspection, iid)
        assert insp is not None
        assert (insp.awarded, insp.applicable, insp.percent, insp.grade) == (Decimal("7.2"), 10, 72, "合格")
        assert (insp.snapshot["bonus"], insp.snapshot["penalty"]) == (0.5, 2)
        assert insp.snapshot["failed_items"] == ["1.1", "2.1", "3.2"]
        lost = {a.item_id: a.points_lost for a in s.scalars(
            select(CorrectiveAction).where(CorrectiveAction.inspection_id == iid))}
        assert lost == {"1.1": Decimal("0.5"), "2.1": Decimal("0.8"), "3.2": 2}
