"""Evidence rules block submit (SQLite and PostgreSQL): ``required`` needs a photo, ``on_fail`` a photo or a
written reason for none; the review lists exactly the blockers and submit names them."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from api_support import jpeg as api_jpeg
from factories import checklist_dict, item, section, use_checklists
from world import build_world

from app.db.models import Answer, AuditLog, Inspection
from app.services import inspections as svc
from app.services import photos
from app.services.errors import Conflict, Invalid, PermissionDenied

CL = checklist_dict(
    [section("s", [item("s.door", 1, evidence="required", na=True), item("s.desk", 1, evidence="on_fail"),
                   item("s.floor", 1, evidence="on_fail"), item("s.plain", 1)])],
    id="evidence-check", version="1", subject="site", kind="safety",
)


def jpeg() -> bytes:
    return api_jpeg((200, 40, 40))


@pytest.fixture
def setup(db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, CL)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    w = build_world(db)
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 2),
                                   shift_name="早班", subject_type="site", checklist_id="evidence-check")
    return w, iid


def answer(db, w, iid, **values):
    for item_id, result in values.items():
        with db.write() as s:
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=item_id.replace("_", "."),
                            value={"result": result})


def blockers(db, w, iid):
    with db.read() as s:
        rv = svc.review(s, actor=w.supervisor, inspection_id=iid)
    return [(b.item_id, b.number, b.kind) for b in rv.blockers], rv


def status(db, iid):
    with db.read() as s:
        return s.get(Inspection, iid).status


def test_review_lists_exactly_the_blockers_and_submit_names_them(db, setup):
    w, iid = setup
    answer(db, w, iid, s_desk="fail")
    got, rv = blockers(db, w, iid)
    # unanswered first (checklist order), then evidence: the required door (not answered N/A), the failed desk
    assert got == [("s.door", 1, svc.UNANSWERED), ("s.floor", 3, svc.UNANSWERED), ("s.plain", 4, svc.UNANSWERED),
                   ("s.door", 1, svc.PHOTO_REQUIRED), ("s.desk", 2, svc.PHOTO_OR_REASON)]
    assert not rv.can_submit
    answer(db, w, iid, s_door="pass", s_floor="fail", s_plain="fail")
    got, rv = blockers(db, w, iid)
    assert got == [("s.door", 1, svc.PHOTO_REQUIRED), ("s.desk", 2, svc.PHOTO_OR_REASON),
                   ("s.floor", 3, svc.PHOTO_OR_REASON)]
    with pytest.raises(Invalid) as exc, db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    msg = str(exc.value)
    assert "以下 1 项必须附照片：第 1 项 s.door「text of s.door」" in msg
    assert "以下 2 项不合格须拍照（或填写无照片原因）：第 2 项 s.desk「text of s.desk」；第 3 项 s.floor" in msg
    assert "未作答" not in msg and "s.plain" not in msg  # a failed item without an evidence rule blocks nothing
    assert status(db, iid) == "draft"


def test_on_fail_needs_a_photo_or_a_reason_required_only_a_photo(db, setup):
    w, iid = setup
    answer(db, w, iid, s_door="pass", s_desk="fail", s_floor="fail", s_plain="pass")
    with db.write() as s:
        stored = svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk",
                                            reason="  前台无人，设备故障无法拍照 ")
    assert stored == "前台无人，设备故障无法拍照"
    with pytest.raises(Invalid, match="必须附照片，不能以无照片原因代替"), db.write() as s:
        svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.door",
                                   reason="忘带手机")
    with pytest.raises(Invalid, match="不要求照片"), db.write() as s:
        svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.plain", reason="x")
    with pytest.raises(Invalid, match="检查项 s.floor 的无照片原因过长：501 个字符，最多 500 个"), db.write() as s:
        svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.floor",
                                   reason="长" * 501)
    got, rv = blockers(db, w, iid)
    assert got == [("s.door", 1, svc.PHOTO_REQUIRED), ("s.floor", 3, svc.PHOTO_OR_REASON)]
    assert rv.excused_evidence == ("s.desk",) and rv.missing_evidence == ("s.door", "s.desk", "s.floor")
    with db.write() as s:
        photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.door", data=jpeg())
        photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.floor", data=jpeg())
    got, rv = blockers(db, w, iid)
    assert got == [] and rv.can_submit
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    assert status(db, iid) == "submitted"
    with db.read() as s:
        row = s.scalar(sa.select(Answer).where(Answer.inspection_id == iid, Answer.item_id == "s.desk"))
        assert row.no_photo_reason == "前台无人，设备故障无法拍照" and row.value == {"result": "fail"}
        logged = s.scalars(sa.select(AuditLog).where(AuditLog.action == "evidence.no_photo_reason")).all()
        assert [(a.entity_id, a.detail) for a in logged] == [
            (str(iid), {"item": "s.desk", "reason": "前台无人，设备故障无法拍照"})]
        view = svc.load_inspection(s, actor=w.manager, inspection_id=iid)
        assert view.no_photo_reasons == {"s.desk": "前台无人，设备故障无法拍照"}
    with pytest.raises(Conflict), db.write() as s:  # immutable after submit
        svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk", reason="")


def test_a_reason_with_a_control_character_is_refused_and_nothing_stored(db, setup):
    w, iid = setup
    answer(db, w, iid, s_desk="fail")
    with pytest.raises(Invalid, match="U\\+0000"), db.write() as s:
        svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk",
                                   reason="无\x00电")
    with db.read() as s:
        assert s.scalar(sa.select(Answer.no_photo_reason).where(Answer.item_id == "s.desk")) is None


def test_evidence_waiver_for_records_made_without_the_app(db, setup):
    """Imports of paper records and the demo: the missing evidence is recorded per item and audit-logged;
    unanswered items still block."""
    w, iid = setup
    answer(db, w, iid, s_door="pass", s_desk="fail", s_floor="pass")
    with pytest.raises(Invalid, match="还有 1 项未作答"), db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid, evidence_waiver="纸质记录")
    answer(db, w, iid, s_plain="pass")
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid, evidence_waiver="纸质记录")
    with db.read() as s:
        reasons = dict(s.execute(sa.select(Answer.item_id, Answer.no_photo_reason)
                                 .where(Answer.no_photo_reason.is_not(None))).all())
        assert reasons == {"s.door": "纸质记录", "s.desk": "纸质记录"}
        log = s.scalar(sa.select(AuditLog).where(AuditLog.action == "evidence.waived"))
        assert log.detail == {"items": ["s.door", "s.desk"], "reason": "纸质记录"}
        assert s.get(Inspection, iid).status == "submitted"


def test_clearing_the_reason_blocks_again_and_only_the_inspector_may_give_one(db, setup):
    w, iid = setup
    answer(db, w, iid, s_door="na", s_desk="fail", s_floor="pass", s_plain="pass")
    with db.write() as s:  # the reason may come before the answer row has a value, and survives re-answering
        svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk", reason="无电")
    assert blockers(db, w, iid)[0] == []
    with db.write() as s:
        assert svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk",
                                          reason="   ") is None
    assert blockers(db, w, iid)[0] == [("s.desk", 2, svc.PHOTO_OR_REASON)]
    with pytest.raises(PermissionDenied), db.write() as s:
        svc.record_no_photo_reason(session=s, actor=w.manager, inspection_id=iid, item_id="s.desk", reason="x")
    with pytest.raises(Invalid, match="不能提交"), db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    with db.read() as s:
        assert s.scalar(sa.select(Answer.no_photo_reason).where(Answer.item_id == "s.desk")) is None
        assert s.get(Inspection, iid).status == "draft"
