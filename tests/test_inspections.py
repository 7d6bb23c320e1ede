"""Inspection use cases on real databases (SQLite and PostgreSQL): permissions, drafts, submit, amend."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
import yaml
from factories import checklist_dict, item, section, use_checklists
from world import PASSWORD, build_world

from app.db.models import Answer, AuditLog, Inspection, InspectionSection
from app.services import auth, catalog
from app.services import inspections as svc
from app.services.errors import Conflict, Invalid, PermissionDenied, ServiceError

SITE_CL = checklist_dict(
    [section("desk", [item("desk.clean", 2), item("desk.log", 3, scoring="deduct", per=1),
                      item("desk.photo", 1, evidence="required", na=True)]),
     section("safe", [item("safe.exit", 4, scoring="scale", critical="section")])],
    id="site-check", version="2026.1", subject="site", kind="safety",
)
STAFF_CL = checklist_dict(
    [section("look", [item("look.badge", 1), item("look.hair", 1, evidence="on_fail")])],
    id="staff-look", version="1", subject="staff", kind="appearance", self_check=True,
)
SITE_ALL = {"desk.clean": {"result": "pass"}, "desk.log": {"count": 1}, "desk.photo": {"result": "na"},
            "safe.exit": {"points": 3}}


@pytest.fixture
def cl_dir(tmp_path, monkeypatch):
    return use_checklists(tmp_path, monkeypatch, SITE_CL, STAFF_CL)


@pytest.fixture
def world(db, cl_dir):
    return build_world(db)


def start_site(db, w, actor=None, **kw):
    with db.write() as s:
        return svc.start_inspection(session=s, actor=actor or w.supervisor, site_id=kw.get("site", w.site_a),
                                    shift_date=w.day, shift_name="早班", subject_type="site",
                                    checklist_id="site-check")


def answer_all(db, w, iid, answers=SITE_ALL, actor=None):
    for item_id, value in answers.items():
        with db.write() as s:
            svc.save_answer(session=s, actor=actor or w.supervisor, inspection_id=iid, item_id=item_id, value=value)


def test_full_flow_draft_resume_submit(db, world):
    w = world
    iid = start_site(db, w)
    with db.write() as s:
        svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.clean", value={"result": "fail"})
        svc.save_note(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.clean", note="台面有杂物")
    # "another device": a fresh session of the same user resumes the draft exactly
    with db.write() as s:
        _, again = auth.sign_in(s, username="sup", password=PASSWORD)
    with db.read() as s:
        drafts = svc.my_drafts(s, actor=again)
        assert [d.id for d in drafts] == [iid]
        view = svc.load_inspection(s, actor=again, inspection_id=iid)
    assert view.answers == {"desk.clean": {"result": "fail"}}
    assert view.notes == {"desk.clean": "台面有杂物"}
    # starting the same shift/subject/checklist again returns the same draft
    assert start_site(db, w) == iid
    answer_all(db, w, iid)
    with db.read() as s:
        rv = svc.review(s, actor=w.supervisor, inspection_id=iid)
    assert rv.can_submit and rv.answered == 4 and rv.failed == ("desk.log", "safe.exit")
    with db.write() as s:
        res = svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    # desk 2 + (3-1) + N/A = 4 of 5; safe.exit 3/4 fails a critical-section item, so safe = 0 of 4
    assert (res.awarded, res.applicable) == (Decimal(4), Decimal(9))
    assert res.percent == Decimal("44.444444") and res.grade == "不合格" and not res.already_submitted
    with db.read() as s:
        insp = s.get(Inspection, iid)
        assert insp.status == "submitted" and insp.snapshot["percent"] == 44.44
        assert insp.checklist_version.content_hash == catalog.content_hash(
            (catalog.load_catalog().paths["site-check"]).read_text(encoding="utf-8"))
        secs = {r.section_id: (r.awarded, r.applicable) for r in s.scalars(sa.select(InspectionSection))}
        assert secs == {"desk": (Decimal(4), Decimal(5)), "safe": (Decimal(0), Decimal(4))}
        actions = [a.action for a in s.scalars(sa.select(AuditLog).order_by(AuditLog.id))]
        assert actions[-1] == "inspection.submit" and "inspection.start" in actions


def test_submitted_is_immutable_and_second_submit_returns_first(db, world):
    w = world
    iid = start_site(db, w)
    answer_all(db, w, iid)
    with db.write() as s:
        first = svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    with db.write() as s:
        second = svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    assert second.already_submitted and second.percent == first.percent
    with pytest.raises(Conflict), db.write() as s:
        svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.clean",
                        value={"result": "fail"})
    with db.read() as s:
        n = s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "inspection.submit"))
    assert n == 1


def test_submit_refuses_unanswered_and_missing_required_photo(db, world):
    w = world
    iid = start_site(db, w)
    with db.write() as s:
        svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.clean", value={"result": "pass"})
    with pytest.raises(Invalid, match="还有 3 项未作答"), db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    answer_all(db, w, iid, {**SITE_ALL, "desk.photo": {"result": "pass"}})
    with db.read() as s:
        rv = svc.review(s, actor=w.supervisor, inspection_id=iid)
    assert rv.blocking_evidence == ("desk.photo",) and not rv.can_submit
    with pytest.raises(Invalid, match="必须附照片"), db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    with db.read() as s:
        assert s.get(Inspection, iid).status == "draft"


@pytest.mark.parametrize(
    ("value", "message", "zh"),
    [({"result": "maybe"}, "result must be pass or fail", "结果必须是 pass 或 fail"),
     ({"count": -2}, "whole number", "必须是不小于 0 的整数"),
     ({"result": "na"}, "N/A is not allowed", "本项不允许选“不适用”")],
)
def test_bad_answer_is_refused_and_nothing_stored(db, world, value, message, zh):
    w = world
    iid = start_site(db, w)
    with pytest.raises(Invalid) as info, db.write() as s:
        svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid,
                        item_id="desk.log" if "count" in value else "desk.clean", value=value)
    assert message in info.value.message("en") and info.value.message("en").startswith("Invalid answer: item ")
    assert zh in info.value.message("zh") and info.value.message("zh").startswith("答案无效：检查项 ")
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_permissions_are_enforced_in_services(db, world):
    w = world
    # supervisor of site A cannot inspect site B
    with pytest.raises(PermissionDenied), db.write() as s:
        svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_b, shift_date=w.day, shift_name="早班",
                             subject_type="site", checklist_id="site-check")
    # staff cannot run a supervisor inspection, nor self-check someone else
    with pytest.raises(PermissionDenied), db.write() as s:
        svc.start_inspection(session=s, actor=w.staff, site_id=w.site_a, shift_date=w.day, shift_name="早班",
                             subject_type="site", checklist_id="site-check")
    with pytest.raises(PermissionDenied), db.write() as s:
        svc.start_inspection(session=s, actor=w.staff, site_id=w.site_a, shift_date=w.day, shift_name="早班",
                             subject_type="staff", staff_id=w.staff_a2, checklist_id="staff-look", kind="self_check")
    iid = start_site(db, w)
    # another supervisor may not answer, read or submit someone else's draft
    with pytest.raises(PermissionDenied), db.write() as s:
        svc.save_answer(session=s, actor=w.other_supervisor, inspection_id=iid, item_id="desk.clean",
                        value={"result": "pass"})
    with pytest.raises(PermissionDenied), db.read() as s:
        svc.load_inspection(s, actor=w.other_supervisor, inspection_id=iid)
    with pytest.raises(PermissionDenied), db.write() as s:
        svc.submit_inspection(session=s, actor=w.manager, inspection_id=iid)
    # the manager of the site may read it
    with db.read() as s:
        assert svc.load_inspection(s, actor=w.manager, inspection_id=iid).header.id == iid
    # wrong subject type for the checklist
    with pytest.raises(Invalid), db.write() as s:
        svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=w.day, shift_name="早班",
                             subject_type="staff", staff_id=w.staff_a1, checklist_id="site-check")


def test_self_check_stored_as_such_and_visible_only_to_self(db, world):
    w = world
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=w.staff, site_id=w.site_a, shift_date=w.day, shift_name="早班",
                                   subject_type="staff", staff_id=w.staff_a1, checklist_id="staff-look",
                                   kind="self_check")
    for item_id in ("look.badge", "look.hair"):
        with db.write() as s:
            svc.save_answer(session=s, actor=w.staff, inspection_id=iid, item_id=item_id, value={"result": "pass"})
    with db.write() as s:
        res = svc.submit_inspection(session=s, actor=w.staff, inspection_id=iid)
    assert res.percent == Decimal("100")
    with db.read() as s:
        assert s.get(Inspection, iid).kind == "self_check"
        mine = svc.list_inspections(s, actor=w.staff)
        assert [h.id for h in mine] == [iid]
        assert svc.list_inspections(s, actor=w.manager, kind="supervisor") == []
        assert [h.kind for h in svc.list_inspections(s, actor=w.manager)] == ["self_check"]


def test_amendment_by_manager_keeps_original_in_audit_log(db, world):
    w = world
    iid = start_site(db, w)
    answer_all(db, w, iid)
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    with pytest.raises(PermissionDenied), db.write() as s:
        svc.amend_inspection(session=s, actor=w.supervisor, inspection_id=iid,
                             changes={"desk.log": {"count": 0}}, reason="x")
    with pytest.raises(Invalid, match="原因"), db.write() as s:
        svc.amend_inspection(session=s, actor=w.manager, inspection_id=iid, changes={"desk.log": {"count": 0}},
                             reason=" ")
    with db.write() as s:
        res = svc.amend_inspection(session=s, actor=w.manager, inspection_id=iid,
                                   changes={"desk.log": {"count": 0}}, reason="登记本已补齐，复核通过")
    assert res.awarded == Decimal(5)
    with db.read() as s:
        insp = s.get(Inspection, iid)
        assert insp.amended and insp.snapshot["awarded"] == 5
        row = s.scalar(sa.select(AuditLog).where(AuditLog.action == "inspection.amend"))
        assert row.detail["reason"] == "登记本已补齐，复核通过"
        assert row.detail["before"] == {"desk.log": {"count": 1}}
        assert row.detail["original_snapshot"]["awarded"] == 4


def test_audit_log_is_append_only(db, world):
    with pytest.raises(ServiceError), db.write() as s:  # the database refuses; the user gets a ServiceError
        s.execute(sa.delete(AuditLog))
    with pytest.raises(ServiceError), db.write() as s:
        s.execute(sa.update(AuditLog).values(action="forged"))


def test_history_keeps_the_version_it_was_scored_against(db, world, cl_dir):
    w = world
    iid = start_site(db, w)
    answer_all(db, w, iid)
    changed = {**SITE_CL, "version": "2027.1"}
    changed["sections"][0]["items"][0]["points"] = 5
    changed["sections"][0]["points"] = 9
    (cl_dir / "site-check.yaml").write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    with db.write() as s:
        res = svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    assert res.applicable == Decimal(9)  # scored against the frozen 2026.1 text, not the edited file
    with db.read() as s:
        assert svc.load_inspection(s, actor=w.supervisor, inspection_id=iid).header.checklist_version == "2026.1"
    SITE_CL["sections"][0]["items"][0]["points"] = 2
    SITE_CL["sections"][0]["points"] = 6


def test_concurrent_submits(db, world):
    """20 threads submit 20 different inspections and 2 submit the same one: all stored, that one once."""
    w = world
    ids = []
    for n in range(21):
        with db.write() as s:
            iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a,
                                       shift_date=date(2026, 10, 1 + n), shift_name="早班", subject_type="site",
                                       checklist_id="site-check")
        answer_all(db, w, iid)
        ids.append(iid)
    errors: list[BaseException] = []
    results: list = []
    barrier = threading.Barrier(22)

    def submit(iid):
        try:
            barrier.wait()
            with db.write() as s:
                results.append(svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in ids[:20]]
    threads += [threading.Thread(target=submit, args=(ids[20],)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(results) == 22
    assert sum(1 for r in results if r.inspection_id == ids[20] and not r.already_submitted) == 1
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)
                        .where(Inspection.status == "submitted")) == 21
        n = s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.action == "inspection.submit", AuditLog.entity_id == str(ids[20])))
        assert n == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(InspectionSection)) == 42
