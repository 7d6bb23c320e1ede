"""Photo evidence through the services, on SQLite and PostgreSQL: stored at once, immutable after submit."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from factories import checklist_dict, item, section, use_checklists
from PIL import Image
from world import build_world

from app.db.models import InspectionPhoto, Photo
from app.services import inspections as svc
from app.services import photos
from app.services.errors import Conflict, Invalid, PermissionDenied

CL = checklist_dict(
    [section("s", [item("s.door", 1, evidence="required", na=True), item("s.desk", 1, evidence="on_fail")])],
    id="photo-check", version="1", subject="site", kind="safety",
)


def jpeg(color=(10, 120, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture
def setup(db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, CL)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    w = build_world(db)
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 2),
                                   shift_name="早班", subject_type="site", checklist_id="photo-check")
    return w, iid, tmp_path / "data" / "photos"


def files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_attach_dedupe_remove_and_required_gate(db, setup):
    w, iid, root = setup
    for k in ("s.door", "s.desk"):
        with db.write() as s:
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=k, value={"result": "pass"})
    with db.read() as s:
        assert svc.review(s, actor=w.supervisor, inspection_id=iid).blocking_evidence == ("s.door",)
    with db.write() as s:
        ref = photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.door", data=jpeg(),
                                  caption="消防门已关闭", filename="IMG_0001.JPG")
    with db.write() as s:  # the same bytes on another item: one stored photo, two links
        photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk", data=jpeg())
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(InspectionPhoto)) == 2
        view = svc.load_inspection(s, actor=w.supervisor, inspection_id=iid)
        assert view.photos["s.door"][0].caption == "消防门已关闭"
        assert svc.review(s, actor=w.supervisor, inspection_id=iid).can_submit
        # the manager of the site may see it; the other site's supervisor may not
        assert photos.photo_bytes(s, actor=w.manager, photo_id=ref.photo_id)[:2] == b"\xff\xd8"
        with pytest.raises(PermissionDenied):
            photos.photo_bytes(s, actor=w.other_supervisor, photo_id=ref.photo_id)
    assert not any("IMG_0001" in f for f in files(root))  # server-made names only
    with db.write() as s:
        link = s.scalar(sa.select(InspectionPhoto.id).where(InspectionPhoto.item_id == "s.desk"))
        photos.remove_photo(session=s, actor=w.supervisor, link_id=link)
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    with pytest.raises(Conflict), db.write() as s:
        photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.desk", data=jpeg((1, 2, 3)))
    with pytest.raises(Conflict), db.write() as s:
        photos.remove_photo(session=s, actor=w.supervisor, link_id=ref.link_id)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "空"), (b"MZ" + bytes(500), "EXE"), (b"%PDF-1.7\n" + bytes(200), "PDF"),
     (jpeg()[: len(jpeg()) // 2], "不完整")],
)
def test_rejected_upload_leaves_nothing(db, setup, data, reason):
    w, iid, root = setup
    with pytest.raises(Invalid) as exc, db.write() as s:
        photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="s.door", data=data,
                            filename="../../etc/passwd.jpg")
    assert reason in str(exc.value)
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(InspectionPhoto)) == 0
    assert files(root) == []


def test_only_the_inspector_attaches(db, setup):
    w, iid, _ = setup
    with pytest.raises(PermissionDenied), db.write() as s:
        photos.attach_photo(session=s, actor=w.manager, inspection_id=iid, item_id="s.door", data=jpeg())
