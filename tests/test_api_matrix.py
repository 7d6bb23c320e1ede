"""The permission matrix through the API: every route x every role x own site / other site, SQLite and PostgreSQL.

Each case checks the status code AND whether the database changed. The roles act on site A (their own) or
site B (another): admin; a manager of A; a supervisor of A; a staff member of A (张丽, S001).
Requests go by session cookie with the CSRF header (bearer tokens reach the same services once the
caller is known: tests/test_api_auth.py). The inspection each case acts on is the role's own draft where the role may inspect the site, otherwise a
draft of that site's supervisor about one of its staff (for the staff member: about herself).
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from api_support import STAFF_ALL, Api, api_for, jpeg
from world import PASSWORD

from app.db.models import Answer, Inspection, InspectionPhoto
from app.services import auth, photos
from app.services import inspections as svc

USER = {"admin": "admin", "manager": "mgr_a", "supervisor": "sup", "staff": "zhangli"}
ALLOWED = dict(listed=True, start=201, read=200, photo_get=200, answer=200, note=200, photo=201, submit=200,
               scorecard=200)
DENIED = dict(listed=False, start=403, read=403, photo_get=403, answer=403, note=403, photo=403, submit=403,
              scorecard=403)
EXPECT = {
    ("admin", "own"): ALLOWED,
    ("admin", "other"): ALLOWED,
    ("manager", "own"): ALLOWED,
    ("manager", "other"): DENIED,
    ("supervisor", "own"): {**ALLOWED, "scorecard": 403},
    ("supervisor", "other"): DENIED,
    # the staff member reads inspections about herself, and writes nothing
    ("staff", "own"): {**DENIED, "listed": True, "read": 200, "photo_get": 200},
    ("staff", "other"): DENIED,
}
SITE = {"own": ("A", "S001"), "other": ("B", "S101")}


@pytest.fixture
def api(db, tmp_path, monkeypatch):
    yield from api_for(db, tmp_path, monkeypatch)


def target(api: Api, role: str, where: str) -> tuple[int, int]:
    """The draft the case acts on (all items answered, one photo) and that photo's id."""
    w = api.w
    site_id, staff_id = (w.site_a, w.staff_a1) if where == "own" else (w.site_b, w.staff_b1)
    if EXPECT[(role, where)]["answer"] == 200:  # the role inspects this site: its own draft
        with api.db.write() as s:
            _, inspector = auth.sign_in(s, username=USER[role], password=PASSWORD)
    else:
        inspector = w.supervisor if where == "own" else w.other_supervisor
    with api.db.write() as s:
        iid = svc.start_inspection(session=s, actor=inspector, site_id=site_id, shift_date=w.day, shift_name="早班",
                                   subject_type="staff", staff_id=staff_id, checklist_id="staff-look")
        for k, v in STAFF_ALL.items():
            svc.save_answer(session=s, actor=inspector, inspection_id=iid, item_id=k, value=v)
        ref = photos.attach_photo(session=s, actor=inspector, inspection_id=iid, item_id="look.badge",
                                  data=jpeg((20, 40, 60)))
    return iid, ref.photo_id


def snapshot(api: Api, iid: int) -> tuple:
    with api.db.read() as s:
        answers = dict(s.execute(sa.select(Answer.item_id, Answer.value).where(Answer.inspection_id == iid)).all())
        notes = dict(s.execute(sa.select(Answer.item_id, Answer.note).where(Answer.inspection_id == iid)).all())
        n_photos = s.scalar(sa.select(sa.func.count()).select_from(InspectionPhoto)
                            .where(InspectionPhoto.inspection_id == iid))
        return answers, notes, n_photos, s.get(Inspection, iid).status, s.scalar(
            sa.select(sa.func.count()).select_from(Inspection))


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("role", list(USER))
def test_every_route_for_role_and_site(api: Api, role: str, where: str):
    expect = EXPECT[(role, where)]
    user = USER[role]
    site_code, staff_code = SITE[where]
    iid, photo_id = target(api, role, where)
    answers0, notes0, photos0, status0, count0 = snapshot(api, iid)

    def call(method: str, path: str, **kw):
        return api.call(user, method, path, **kw)  # by session cookie, with the CSRF header

    problems: list[str] = []

    def check(route: str, r, ok_status: int | None = None) -> bool:
        want = expect[route] if ok_status is None else ok_status
        if r.status_code != want:
            problems.append(f"{route}: {r.status_code} (want {want}) {r.text[:200]}")
        elif r.status_code >= 400 and set(r.json()) - {"fields"} != {"error", "message", "key"}:  # key: catalogue id
            problems.append(f"{route}: error body {r.text[:200]}")
        return r.status_code < 300

    check("me", call("GET", "/me"), 200)
    r = call("GET", "/inspections", params={"site": site_code})
    if check("list", r, 200) and (iid in [i["id"] for i in r.json()["items"]]) != expect["listed"]:
        problems.append(f"list: inspection {iid} listed={not expect['listed']}")
    check("read", call("GET", f"/inspections/{iid}"))
    r = call("GET", f"/photos/{photo_id}")
    if check("photo_get", r) and r.headers["content-type"] != "image/jpeg":
        problems.append("photo_get: not a JPEG")
    check("scorecard", call("GET", "/scorecard", params={"month": "2026-11", "site": site_code}))
    check("healthz", api.http.get("/api/v1/healthz"), 200)

    check("answer", call("PUT", f"/inspections/{iid}/answers/look.badge",
                         json={"value": {"result": "fail"}, "op_id": str(uuid.uuid4()), "answered_at": 1_800_000_000_000}))
    check("note", call("PUT", f"/inspections/{iid}/notes/look.badge", json={"note": "工牌未佩戴"}))
    check("photo", call("POST", f"/inspections/{iid}/photos", data={"item_id": "look.hair"},
                        files={"file": ("p.jpg", jpeg((200, 10, 10)), "image/jpeg")}))
    check("start", call("POST", "/inspections", json={
        "site": site_code, "shift_date": date(2026, 11, 21).isoformat(), "shift": "中班", "subject": "staff",
        "staff": staff_code, "checklist": "staff-look"}))
    check("submit", call("POST", f"/inspections/{iid}/submit"))

    answers, notes, n_photos, status, count = snapshot(api, iid)
    wrote = expect["answer"] == 200
    if (answers["look.badge"] == {"result": "fail"}) != wrote or (answers == answers0) == wrote:
        problems.append(f"db answers: {answers}")
    if (notes.get("look.badge") == "工牌未佩戴") != wrote or (notes == notes0) == wrote:
        problems.append(f"db notes: {notes}")
    if n_photos != photos0 + (1 if expect["photo"] == 201 else 0):
        problems.append(f"db photos: {n_photos} (was {photos0})")
    if status != ("submitted" if expect["submit"] == 200 else status0):
        problems.append(f"db status: {status}")
    if count != count0 + (1 if expect["start"] == 201 else 0):
        problems.append(f"db inspections: {count} (was {count0})")
    assert not problems, "\n".join(problems)
