"""Evidence through the JSON API (what the inspection screen sends), on SQLite and PostgreSQL: a photo's capture
time as a field of its own, removing a photo from a draft, and the reason why a failed item has no photo.

The staff checklist of api_support: ``look.badge`` (no evidence rule) and ``look.hair`` (``evidence: on_fail``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from api_support import Api, api_for, jpeg

from app.db.models import Answer, AuditLog, InspectionPhoto
from app.services import inspections as svc

HOSTILE = ("<img src=x onerror=alert(1)> <iframe srcdoc='<script>alert(2)</script>'></iframe>\n"
           "![x](http://127.0.0.1:9/x.png) **粗体** 第二行")


@pytest.fixture
def api(db, tmp_path, monkeypatch):
    yield from api_for(db, tmp_path, monkeypatch)


def start(api: Api, user: str = "sup", day: str = "2026-11-20") -> int:
    r = api.call(user, "POST", "/inspections", json={"site": "A", "shift_date": day, "shift": "早班", "subject": "staff",
                                                    "staff": "S001", "checklist": "staff-look"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def answer(api: Api, iid: int, item: str, value: dict, user: str = "sup") -> None:
    r = api.call(user, "PUT", f"/inspections/{iid}/answers/{item}",
                 json={"value": value, "op_id": str(uuid.uuid4()), "answered_at": int(datetime.now(UTC).timestamp() * 1000)})
    assert r.status_code == 200, r.text


def upload(api: Api, iid: int, item: str = "look.hair", *, color: tuple[int, int, int] = (10, 120, 200),
           user: str = "sup", **fields: str):
    return api.call(user, "POST", f"/inspections/{iid}/photos", data={"item_id": item, **fields},
                    files={"file": ("IMG_1.JPG", jpeg(color), "image/jpeg")})


def links(api: Api, iid: int) -> list[tuple[int, str, datetime | None]]:
    with api.db.read() as s:
        return [(r.id, r.item_id, r.captured_at) for r in s.execute(
            sa.select(InspectionPhoto.id, InspectionPhoto.item_id, InspectionPhoto.captured_at)
            .where(InspectionPhoto.inspection_id == iid).order_by(InspectionPhoto.id))]


def utc(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored in UTC)."""
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=UTC)


# ----------------------------------------------------------------------------- capture time
def test_capture_time_is_a_validated_field_stored_with_the_photo(api: Api):
    iid = start(api)
    r = upload(api, iid, captured_at="2026-11-20T09:30:00+08:00")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["caption"] is None  # the time does not travel in the caption any more
    assert datetime.fromisoformat(body["captured_at"].replace("Z", "+00:00")) == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    [(link_id, item, captured)] = links(api, iid)
    assert item == "look.hair" and utc(captured) == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    detail = api.call("sup", "GET", f"/inspections/{iid}").json()
    assert [(p["link_id"], p["captured_at"][:19]) for p in detail["photos"]["look.hair"]] == [
        (link_id, "2026-11-20T01:30:00")]
    # without a capture time the photo is stored all the same
    assert upload(api, iid, color=(200, 10, 10)).status_code == 201
    assert [c for _, _, c in links(api, iid)][1] is None

    refused = {"2026-11-20T09:30:00": "时区", "2999-01-01T00:00:00Z": "合理范围", "1999-12-31T23:59:59Z": "合理范围",
               "yesterday": "", HOSTILE: ""}
    for n, (value, words) in enumerate(refused.items()):
        r = upload(api, iid, color=(n * 40, 200, 30), captured_at=value)
        assert r.status_code == 422 and r.json()["error"] == "invalid", (value, r.text)
        assert words in r.json()["message"], (value, r.text)
    assert len(links(api, iid)) == 2  # nothing stored by a refused upload


# ----------------------------------------------------------------------------- removing a photo
def test_removing_a_photo_from_a_draft(api: Api):
    iid = start(api)
    other = start(api, day="2026-11-21")
    first = upload(api, iid).json()
    second = upload(api, iid, color=(0, 200, 0)).json()
    foreign = upload(api, other).json()

    # only the inspector, only on this inspection
    assert api.call("zhangli", "DELETE", f"/inspections/{iid}/photos/{first['link_id']}").status_code == 403
    assert api.call("sup_b", "DELETE", f"/inspections/{iid}/photos/{first['link_id']}").status_code == 403
    r = api.call("sup", "DELETE", f"/inspections/{iid}/photos/{foreign['link_id']}")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert api.call("sup", "DELETE", f"/inspections/{iid}/photos/{first['link_id']}", csrf=False).status_code == 403
    assert [link for link, _, _ in links(api, iid)] == [first["link_id"], second["link_id"]]

    r = api.call("sup", "DELETE", f"/inspections/{iid}/photos/{first['link_id']}")
    assert r.status_code == 204 and r.content == b""
    assert [link for link, _, _ in links(api, iid)] == [second["link_id"]]
    assert [link for link, _, _ in links(api, other)] == [foreign["link_id"]]
    detail = api.call("sup", "GET", f"/inspections/{iid}").json()
    assert [p["link_id"] for p in detail["photos"]["look.hair"]] == [second["link_id"]]
    # a replay finds it gone (the screen counts that as done)
    assert api.call("sup", "DELETE", f"/inspections/{iid}/photos/{first['link_id']}").status_code == 404
    with api.db.read() as s:
        removed = s.scalars(sa.select(AuditLog.detail).where(AuditLog.action == "photo.remove",
                                                             AuditLog.entity_id == str(iid))).all()
    assert [(d["item"], d["photo_id"]) for d in removed] == [("look.hair", first["photo_id"])]

    # a submitted inspection keeps its photos
    answer(api, iid, "look.badge", {"result": "pass"})
    answer(api, iid, "look.hair", {"result": "fail"})
    assert api.call("sup", "POST", f"/inspections/{iid}/submit").status_code == 200
    r = api.call("sup", "DELETE", f"/inspections/{iid}/photos/{second['link_id']}")
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    assert [link for link, _, _ in links(api, iid)] == [second["link_id"]]


# ----------------------------------------------------------------------------- no-photo reason
def test_no_photo_reason_excuses_the_photo_and_is_stored_literally(api: Api):
    iid = start(api)
    answer(api, iid, "look.badge", {"result": "pass"})
    answer(api, iid, "look.hair", {"result": "fail"})
    assert api.call("sup", "POST", f"/inspections/{iid}/submit").status_code == 422  # a photo or a reason

    url = f"/inspections/{iid}/no-photo-reason/look.hair"
    assert api.call("zhangli", "PUT", url, json={"reason": "不是检查人"}).status_code == 403
    r = api.call("sup", "PUT", f"/inspections/{iid}/no-photo-reason/look.badge", json={"reason": "无需"})
    assert r.status_code == 422 and "不要求照片" in r.json()["message"]
    assert api.call("sup", "PUT", url, json={"reason": "长" * 501}).status_code == 422
    r = api.call("sup", "PUT", url, json={"reason": "长" * 500})
    assert r.status_code == 200 and r.json()["reason"] == "长" * 500

    r = api.call("sup", "PUT", url, json={"reason": f"  {HOSTILE}  "})
    assert r.status_code == 200 and r.json() == {"item_id": "look.hair", "reason": HOSTILE}
    with api.db.read() as s:
        assert s.scalar(sa.select(Answer.no_photo_reason).where(Answer.inspection_id == iid,
                                                                Answer.item_id == "look.hair")) == HOSTILE
        assert s.scalar(sa.select(Answer.value).where(Answer.inspection_id == iid,
                                                      Answer.item_id == "look.hair")) == {"result": "fail"}
    detail = api.call("sup", "GET", f"/inspections/{iid}").json()
    assert detail["no_photo_reasons"] == {"look.hair": HOSTILE}

    r = api.call("sup", "PUT", url, json={"reason": ""})  # cleared: blocks again
    assert r.status_code == 200 and r.json()["reason"] is None
    with api.db.read() as s:
        rv = svc.review(s, actor=api.w.supervisor, inspection_id=iid)
    assert [(b.item_id, b.kind) for b in rv.blockers] == [("look.hair", svc.PHOTO_OR_REASON)]
    assert api.call("sup", "PUT", url, json={"reason": "现场无法拍照"}).status_code == 200
    r = api.call("sup", "POST", f"/inspections/{iid}/submit")
    assert r.status_code == 200, r.text
    assert api.call("sup", "PUT", url, json={"reason": "改"}).status_code == 409
    with api.db.read() as s:
        assert s.scalar(sa.select(Answer.no_photo_reason).where(Answer.inspection_id == iid,
                                                                Answer.item_id == "look.hair")) == "现场无法拍照"
