"""Drafts on SQLite and PostgreSQL: discard (audit-logged, photo links released), a duplicate start found
first and opened only on request, the default checklist of a subject, a signed-off month refused at start."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from factories import checklist_dict, item, section, use_checklists
from PIL import Image
from world import build_world

from app.db.models import Answer, AuditLog, Inspection, InspectionPhoto, Photo
from app.services import inspections as svc
from app.services import photos, signoff
from app.services.errors import Conflict, PermissionDenied

DAY = date(2026, 11, 2)
CL = checklist_dict([section("s", [item("s.desk", 1, evidence="on_fail"), item("s.floor", 1)])],
                    id="jindi-community-cs", version="1", subject="site", kind="standard")
SALES = checklist_dict([section("s", [item("s.desk", 1)])], id="jindi-salesoffice-cs", version="1", subject="site",
                       kind="standard")
WORKFLOW = checklist_dict([section("s", [item("s.desk", 1)])], id="frontdesk-workflow", version="1", subject="site",
                          kind="workflow")
LOOK = checklist_dict([section("l", [item("l.badge", 1)])], id="appearance-etiquette", version="1", subject="staff",
                      kind="appearance", self_check=True)


@pytest.fixture
def w(db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, WORKFLOW, CL, SALES, LOOK)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    return build_world(db)


def start(db, w, *, new=False, checklist="jindi-community-cs", day=DAY):
    with db.write() as s:
        return svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=day,
                                    shift_name="早班", subject_type="site", checklist_id=checklist, new=new)


def find(db, w, actor=None, checklist="jindi-community-cs"):
    with db.read() as s:
        return svc.find_draft(s, actor=actor or w.supervisor, site_id=w.site_a, shift_date=DAY, shift_name="早班",
                              subject_type="site", checklist_id=checklist)


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 160, 90)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_duplicate_start_is_found_first_and_opened_only_when_asked(db, w):
    assert find(db, w) is None
    first = start(db, w)
    found = find(db, w)
    assert found is not None and found.id == first and found.status == "draft"
    assert find(db, w, actor=w.manager) is None  # another inspector's draft is not theirs to resume
    assert find(db, w, checklist="frontdesk-workflow") is None
    assert start(db, w) == first  # without asking for a new one, the existing draft comes back (API, old clients)
    second = start(db, w, new=True)
    assert second != first
    with db.read() as s:
        drafts = s.scalars(sa.select(Inspection.id).where(Inspection.status == "draft").order_by(Inspection.id))
        assert list(drafts) == [first, second]
        starts = s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "inspection.start"))
        assert starts == 2


def test_discard_releases_photo_links_and_logs_what_the_draft_held(db, w):
    iid = start(db, w)
    keep = start(db, w, new=True)
    with db.write() as s:
        svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk", value={"result": "fail"})
        svc.save_note(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk", note="台面有杂物")
        photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk", data=jpeg())
        photos.attach_photo(session=s, actor=w.supervisor, inspection_id=keep, item_id="s.desk", data=jpeg())
    with pytest.raises(PermissionDenied), db.write() as s:
        svc.discard_draft(session=s, actor=w.manager, inspection_id=iid)
    with db.write() as s:
        svc.discard_draft(session=s, actor=w.supervisor, inspection_id=iid)
    with db.read() as s:
        assert s.get(Inspection, iid) is None
        assert s.scalar(sa.select(sa.func.count()).select_from(Answer).where(Answer.inspection_id == iid)) == 0
        links = s.execute(sa.select(InspectionPhoto.inspection_id)).scalars().all()
        assert links == [keep]  # the other draft's link to the same stored photo stays
        assert s.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1
        log = s.scalar(sa.select(AuditLog).where(AuditLog.action == "inspection.discard"))
        assert log.entity_id == str(iid) and log.actor_id == w.supervisor.id
        assert log.detail["answers"] == {"s.desk": {"result": "fail"}} and log.detail["notes"] == {"s.desk": "台面有杂物"}
        assert [p["item"] for p in log.detail["photos"]] == ["s.desk"]
        assert [d.id for d in svc.my_drafts(s, actor=w.supervisor)] == [keep]
    with db.write() as s:
        svc.save_answer(session=s, actor=w.supervisor, inspection_id=keep, item_id="s.desk", value={"result": "pass"})
        svc.save_answer(session=s, actor=w.supervisor, inspection_id=keep, item_id="s.floor", value={"result": "pass"})
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=keep)
    with pytest.raises(Conflict, match="已提交，不能放弃"), db.write() as s:
        svc.discard_draft(session=s, actor=w.supervisor, inspection_id=keep)
    with db.read() as s:
        assert s.get(Inspection, keep).status == "submitted"


def test_default_checklist_follows_the_subject(db, w):
    with db.read() as s:
        site_entries = svc.available_checklists(s, actor=w.supervisor, subject_type="site")
        staff_entries = svc.available_checklists(s, actor=w.supervisor, subject_type="staff")
    assert [e.checklist.id for e in site_entries][0] == "frontdesk-workflow"  # not first by itself
    assert svc.default_checklist(site_entries, subject_type="site", site_kind="residential") == "jindi-community-cs"
    assert svc.default_checklist(site_entries, subject_type="site", site_kind="sales_office") == "jindi-salesoffice-cs"
    assert svc.default_checklist(staff_entries, subject_type="staff", site_kind="residential") == "appearance-etiquette"
    without = [e for e in site_entries if e.checklist.id != "jindi-community-cs"]
    assert svc.default_checklist(without, subject_type="site", site_kind="residential") == without[0].checklist.id
    assert svc.default_checklist([], subject_type="site", site_kind="residential") is None


def test_a_signed_off_month_is_refused_at_start(db, w):
    with db.write() as s:
        signoff.sign_off(session=s, actor=w.manager, site_id=w.site_a, month="2026-11")
    with pytest.raises(Conflict, match="2026-11 月度考核已签字确认"):
        start(db, w)
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0
    assert start(db, w, day=date(2026, 12, 1)) > 0  # the next month is open
