"""Monthly review services on SQLite and PostgreSQL: roll-up, corrective actions, sign-off, training, scorecard."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from factories import checklist_dict, item, section, use_checklists
from PIL import Image
from world import build_world

from app.db.models import CorrectiveAction, Inspection, MonthlyRollup
from app.services import actions, scorecard, signoff, training
from app.services import inspections as svc
from app.services.errors import Conflict, Invalid, PermissionDenied
from scoring.monthly import InspectionFigure, monthly_scorecard

LOOK = checklist_dict(
    [section("look", [item("look.badge", 2), item("look.hair", 2, due_hours=8), item("look.nails", 1, na=True)])],
    id="staff-look", version="1", subject="staff", kind="appearance", self_check=True,
)
DESK = checklist_dict(
    [section("desk", [item("desk.clean", 5), item("desk.log", 5, scoring="deduct", per=1)])],
    id="desk", version="1", subject="site", kind="workflow", due_hours=48,
)


@pytest.fixture
def world(db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, LOOK, DESK, scorecard={
        "version": "t", "staff": {"weights": {"appearance": 1}, "min_inspections": 2,
                                  "grades": [{"grade": "优秀", "min": 90}, {"grade": "合格", "min": 60},
                                             {"grade": "不合格", "min": 0}]},
        "site": {"weights": {"workflow": 1}, "min_inspections": 1,
                 "grades": [{"grade": "优秀", "min": 90}, {"grade": "不合格", "min": 0}]},
    })
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    return build_world(db)


def inspect(db, actor, *, site, staff=None, day, answers, checklist="staff-look", kind="supervisor"):
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=actor, site_id=site, shift_date=day, shift_name="早班",
                                   subject_type="staff" if staff else "site", staff_id=staff, checklist_id=checklist,
                                   kind=kind)
        for k, v in answers.items():
            svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=k, value=v)
    with db.write() as s:
        svc.submit_inspection(session=s, actor=actor, inspection_id=iid)
    return iid


P, F, NA = {"result": "pass"}, {"result": "fail"}, {"result": "na"}


def test_rollup_matches_raw_figures_and_follows_amendments(db, world):
    w = world
    nov = date(2026, 11, 10)
    inspect(db, w.supervisor, site=w.site_a, staff=w.staff_a1, day=nov, answers={"look.badge": P, "look.hair": F, "look.nails": NA})
    iid = inspect(db, w.supervisor, site=w.site_a, staff=w.staff_a1, day=nov + timedelta(days=1),
                  answers={"look.badge": P, "look.hair": P, "look.nails": F})
    inspect(db, w.supervisor, site=w.site_a, staff=w.staff_a2, day=nov, answers={"look.badge": P, "look.hair": P, "look.nails": P})
    inspect(db, w.staff, site=w.site_a, staff=w.staff_a1, day=nov, kind="self_check",
            answers={"look.badge": P, "look.hair": P, "look.nails": P})
    with db.write() as s:
        svc.amend_inspection(session=s, actor=w.manager, inspection_id=iid, changes={"look.nails": P}, reason="复核")

    with db.read() as s:
        rows = s.scalars(sa.select(MonthlyRollup).order_by(MonthlyRollup.subject_id, MonthlyRollup.inspection_kind)).all()
        figures = [InspectionFigure("staff", str(i.staff_id), i.checklist_version.checklist_id, i.checklist_version.kind,
                                    i.kind, i.shift.date, i.percent)
                   for i in s.scalars(sa.select(Inspection).where(Inspection.status == "submitted"))]
        lines = scorecard.scorecard(s, actor=w.manager, month="2026-11", subject_type="staff")
    by = {(r.subject_id, r.inspection_kind): r for r in rows}
    a1 = by[(w.staff_a1, "supervisor")]
    assert (a1.count, a1.percent_count) == (2, 2)
    assert Decimal(a1.percent_sum) == Decimal("50") + Decimal("100")  # 2/4 and, after the amendment, 5/5
    assert by[(w.staff_a1, "self_check")].count == 1
    raw = monthly_scorecard(figures, rules=scorecard.rules(), month="2026-11", subject_type="staff")
    assert [(r.subject_id, r.score, r.rank, r.self_gap) for r in raw] == \
           [(ln.row.subject_id, ln.row.score, ln.row.rank, ln.row.self_gap) for ln in lines]
    top = {ln.subject_id: ln for ln in lines}
    assert top[w.staff_a1].row.score == Decimal(75) and top[w.staff_a1].row.rank == 1
    assert top[w.staff_a2].row.rank is None  # one inspection, minimum is two
    assert top[w.staff_a1].row.self_gap == Decimal(25)
    assert top[w.staff_a1].name == "张丽" and top[w.staff_a1].post == "前台接待"


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_corrective_action_lifecycle(db, world):
    w = world
    inspect(db, w.supervisor, site=w.site_a, staff=w.staff_a1, day=date(2026, 11, 3),
            answers={"look.badge": F, "look.hair": F, "look.nails": P})
    with db.read() as s:
        mine = actions.list_actions(s, actor=w.staff)
        assert {a.item_id for a in mine} == {"look.badge", "look.hair"}
        assert all(a.staff_name == "张丽" and a.status == "open" for a in mine)
        hair = next(a for a in mine if a.item_id == "look.hair")
        assert (hair.due_at - hair.opened_at) == timedelta(hours=8)  # the item's own deadline
        badge = next(a for a in mine if a.item_id == "look.badge")
        assert (badge.due_at - badge.opened_at) == timedelta(hours=24)  # the default
        assert actions.list_actions(s, actor=w.other_supervisor) == []
    with pytest.raises(Invalid, match="照片"), db.write() as s:
        actions.mark_fixed(session=s, actor=w.staff, action_id=hair.id, note="已整理", photo_data=None)
    with db.write() as s:
        actions.mark_fixed(session=s, actor=w.staff, action_id=hair.id, note="已重新盘发", photo_data=_jpeg())
    with pytest.raises(PermissionDenied), db.write() as s:
        actions.verify(session=s, actor=w.staff, action_id=hair.id)
    with pytest.raises(Invalid, match="原因"), db.write() as s:
        actions.reopen(session=s, actor=w.supervisor, action_id=hair.id, note="")
    with db.write() as s:
        actions.reopen(session=s, actor=w.supervisor, action_id=hair.id, note="照片看不清")
    with db.write() as s:
        actions.mark_fixed(session=s, actor=w.staff, action_id=hair.id, note="重新拍照", photo_data=_jpeg())
    with db.write() as s:
        actions.verify(session=s, actor=w.manager, action_id=hair.id, note="回访确认")
    with db.read() as s:
        row = s.get(CorrectiveAction, hair.id)
        assert (row.status, row.reopened, row.verify_note) == ("verified", 1, "回访确认")
        counts = actions.open_counts(s)
        assert counts[("staff", w.staff_a1)] == 1  # the badge one is still open
        pareto = actions.pareto(s, actor=w.manager, month="2026-11")
        assert {p[0] for p in pareto} == {"look.badge", "look.hair"}


def test_site_actions_go_to_the_responsible_staff(db, world):
    w = world
    from app.db.models import Staff

    with db.write() as s:
        s.get(Staff, w.staff_a2).responsible = True
    inspect(db, w.supervisor, site=w.site_a, day=date(2026, 11, 4), checklist="desk",
            answers={"desk.clean": F, "desk.log": {"count": 2}})
    with db.read() as s:
        acts = actions.list_actions(s, actor=w.manager)
    assert {(a.item_id, a.staff_id, a.points_lost) for a in acts} == {("desk.clean", w.staff_a2, Decimal(5)),
                                                                     ("desk.log", w.staff_a2, Decimal(2))}
    assert all(a.due_at - a.opened_at == timedelta(hours=48) for a in acts)


def test_self_checks_open_no_actions(db, world):
    w = world
    inspect(db, w.staff, site=w.site_a, staff=w.staff_a1, day=date(2026, 11, 5), kind="self_check",
            answers={"look.badge": F, "look.hair": P, "look.nails": P})
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CorrectiveAction)) == 0


def test_sign_off_closes_the_month_until_reopened_with_reason(db, world):
    w = world
    iid = inspect(db, w.supervisor, site=w.site_a, staff=w.staff_a1, day=date(2026, 10, 8),
                  answers={"look.badge": P, "look.hair": F, "look.nails": P})
    with db.write() as s:  # a draft opened before the sign-off
        draft = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 10, 9),
                                     shift_name="早班", subject_type="staff", staff_id=w.staff_a2,
                                     checklist_id="staff-look")
        for k in ("look.badge", "look.hair", "look.nails"):
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=draft, item_id=k, value=P)
    with pytest.raises(PermissionDenied), db.write() as s:
        signoff.sign_off(session=s, actor=w.supervisor, site_id=w.site_a, month="2026-10")
    with db.write() as s:
        signoff.sign_off(session=s, actor=w.manager, site_id=w.site_a, month="2026-10")
    with pytest.raises(Conflict, match="签字"), db.write() as s:
        svc.amend_inspection(session=s, actor=w.manager, inspection_id=iid, changes={"look.hair": P}, reason="x")
    with pytest.raises(Conflict), db.write() as s:  # the draft of the signed month cannot be submitted
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=draft)
    with pytest.raises(Conflict, match="签字"), db.write() as s:  # nor can a new one start there
        svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 10, 10),
                             shift_name="早班", subject_type="staff", staff_id=w.staff_a2, checklist_id="staff-look")
    with pytest.raises(Invalid), db.write() as s:
        signoff.reopen(session=s, actor=w.manager, site_id=w.site_a, month="2026-10", reason=" ")
    with db.write() as s:
        signoff.reopen(session=s, actor=w.manager, site_id=w.site_a, month="2026-10", reason="业主投诉复核")
    with db.write() as s:
        svc.amend_inspection(session=s, actor=w.manager, inspection_id=iid, changes={"look.hair": P}, reason="复核")
    with db.read() as s:
        from app.db.models import AuditLog

        acts = [a.action for a in s.scalars(sa.select(AuditLog).order_by(AuditLog.id))]
    assert acts.index("month.sign_off") < acts.index("month.reopen") < acts.index("inspection.amend")


def test_training_rates_and_suggestions(db, world):
    w = world
    with db.write() as s:
        sid = training.add_session(session=s, actor=w.manager, site_id=w.site_a, planned_month="2026-11",
                                   held_on=date(2026, 11, 12), topic="投诉处理流程", trainer="王经理",
                                   material="客服部作业指导书", material_section="4.2",
                                   pass_mark=Decimal(80), staff_ids=[w.staff_a1, w.staff_a2])
        training.record_attendance(session=s, actor=w.manager, session_id=sid, staff_id=w.staff_a1, signed_in=True,
                                   exam_score=Decimal(92))
        training.record_attendance(session=s, actor=w.manager, session_id=sid, staff_id=w.staff_a2, signed_in=True,
                                   exam_score=Decimal(75))
    with pytest.raises(Invalid), db.write() as s:
        training.record_attendance(session=s, actor=w.manager, session_id=sid, staff_id=w.staff_a2, signed_in=False,
                                   exam_score=Decimal(75))
    with pytest.raises(PermissionDenied), db.write() as s:
        training.add_session(session=s, actor=w.other_supervisor, site_id=w.site_a, planned_month="2026-11",
                             topic="x", trainer="y")
    with db.read() as s:
        r = training.rates(s, site_id=w.site_a, month="2026-11")
        views = training.list_sessions(s, actor=w.manager, site_id=w.site_a, month="2026-11")
    assert (r.sessions, r.invited, r.attended, r.examined, r.passed) == (1, 2, 2, 2, 1)
    assert r.attendance_rate == 100 and r.pass_rate == 50
    assert r.suggestion("attendance") == "pass" and r.suggestion("pass_rate") == "fail"
    assert views[0].material_section == "4.2" and views[0].passed == 1


def test_scorecard_is_for_managers_and_their_sites(db, world):
    w = world
    with pytest.raises(PermissionDenied), db.read() as s:
        scorecard.scorecard(s, actor=w.supervisor, month="2026-11", subject_type="staff")
    with pytest.raises(PermissionDenied), db.read() as s:
        scorecard.scorecard(s, actor=w.manager, month="2026-11", subject_type="staff", site_id=w.site_b + 100)
    with pytest.raises(Invalid), db.read() as s:
        scorecard.scorecard(s, actor=w.manager, month="2026-13", subject_type="staff")


def test_action_findings_show_the_note_and_before_photos_to_whoever_fixes(db, world):
    """The responsible staff member of a site sees the inspector's note and before photo on the action (the site
    inspection itself is not theirs to read); a supervisor of another site sees neither."""
    from app.db.models import Staff
    from app.services import photos

    w = world
    with db.write() as s:
        s.get(Staff, w.staff_a1).responsible = True
        iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 5),
                                   shift_name="早班", subject_type="site", checklist_id="desk")
        for k, v in {"desk.clean": F, "desk.log": {"count": 0}}.items():
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=k, value=v)
        svc.save_note(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.clean",
                      note="台面有杂物 <img src=x onerror=alert(1)>\n第二行")
        ref = photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.clean",
                                  data=_jpeg(), caption="台面")
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    with db.read() as s:
        [act] = [a for a in actions.list_actions(s, actor=w.staff) if a.inspection_id == iid]
        found = actions.findings(s, actor=w.staff, action_ids=[act.id])
        assert found == {act.id: actions.Finding("台面有杂物 <img src=x onerror=alert(1)>\n第二行",
                                                 ((ref.photo_id, "台面"),))}
        assert photos.photo_bytes(s, actor=w.staff, photo_id=ref.photo_id)[:2] == b"\xff\xd8"  # a JPEG
        assert actions.findings(s, actor=w.other_supervisor, action_ids=[act.id]) == {}
        with pytest.raises(PermissionDenied):
            photos.photo_bytes(s, actor=w.other_supervisor, photo_id=ref.photo_id)
