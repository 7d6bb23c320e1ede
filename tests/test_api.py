"""The JSON API v1 on SQLite and PostgreSQL: the routes, mounted under /api/v1 as the server mounts them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from api_support import PREFIX, STAFF_ALL, Api, api_for, jpeg, mounted
from starlette.testclient import TestClient

from app.db.engine import make_database
from app.db.models import Answer, AuditLog, Inspection, InspectionPhoto
from app.services import inspections as svc
from app.services import scorecard as scorecard_svc


def start(api: Api, user: str = "sup", **body) -> int:
    payload = {"site": "A", "shift_date": "2026-11-20", "shift": "早班", "subject": "staff", "staff": "S001",
               "checklist": "staff-look", **body}
    r = api.call(user, "POST", "/inspections", json=payload)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def put_answer(api: Api, iid: int, item: str, value, at: int, op: str | None = None, user: str = "sup"):
    return api.call(user, "PUT", f"/inspections/{iid}/answers/{item}",
                    json={"value": value, "op_id": op or str(uuid.uuid4()), "answered_at": at})


def stored(api: Api, iid: int, item: str):
    with api.db.read() as s:
        return s.execute(sa.select(Answer.value, Answer.op_id, Answer.tapped_at)
                         .where(Answer.inspection_id == iid, Answer.item_id == item)).one_or_none()


@pytest.fixture
def api(db, tmp_path, monkeypatch):
    yield from api_for(db, tmp_path, monkeypatch)


def ms(dt: datetime) -> int:
    return int((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp() * 1000)


# ----------------------------------------------------------------------------- the whole flow
def test_me_returns_who_and_csrf(api: Api):
    r = api.call("zhangli", "GET", "/me", csrf=False)
    assert r.status_code == 200, r.text
    me = r.json()
    assert (me["username"], me["role"], me["auth"]) == ("zhangli", "staff", "cookie")
    assert me["staff"]["code"] == "S001" and [s["code"] for s in me["sites"]] == ["A"]
    assert me["csrf"] and me["csrf"] != api.session_of("zhangli")
    r = api.call("manager", "GET", "/me", via="bearer")
    assert r.json()["auth"] == "bearer" and r.json()["csrf"] is None
    assert [s["code"] for s in r.json()["sites"]] == ["A", "B"]


def test_flow_start_answer_note_photo_read_submit(api: Api):
    iid = start(api)
    assert start(api) == iid  # the same shift, subject and checklist: the open draft comes back
    with api.db.read() as s:
        row = s.get(Inspection, iid)
        assert (row.status, row.staff.code, row.inspector.username, row.shift.name) == ("draft", "S001", "sup", "早班")
    r = put_answer(api, iid, "look.badge", {"result": "pass"}, at=1_000)
    assert r.status_code == 200 and r.json()["applied"] is True
    r = put_answer(api, iid, "look.hair", {"result": "fail"}, at=1_000)
    assert r.json()["value"] == {"result": "fail", "count": None, "points": None, "counts": None, "checked": None,
                                 "failed": None}  # every answer field; the version-2 ones are null here
    r = api.call("sup", "PUT", f"/inspections/{iid}/notes/look.hair", json={"note": "  头发未扎起  "})
    assert r.status_code == 200 and r.json() == {"item_id": "look.hair", "note": "头发未扎起"}
    r = api.call("sup", "POST", f"/inspections/{iid}/photos", data={"item_id": "look.hair", "caption": "现场"},
                 files={"file": ("IMG_1.JPG", jpeg(), "image/jpeg")})
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["item_id"] == "look.hair" and photo["caption"] == "现场" and photo["width"] > 0

    detail = api.call("zhangli", "GET", f"/inspections/{iid}").json()  # the subject reads it too
    assert detail["header"]["status"] == "draft" and detail["header"]["staff"]["code"] == "S001"
    assert [i["id"] for sec in detail["checklist"]["sections"] for i in sec["items"]] == ["look.badge", "look.hair"]
    assert detail["answers"]["look.badge"]["result"] == "pass" and detail["answers"]["look.hair"]["result"] == "fail"
    assert detail["notes"] == {"look.hair": "头发未扎起"}
    assert [p["photo_id"] for p in detail["photos"]["look.hair"]] == [photo["photo_id"]]
    img = api.call("zhangli", "GET", f"/photos/{photo['photo_id']}?size=display")
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg" and img.content[:2] == b"\xff\xd8"

    first = api.call("sup", "POST", f"/inspections/{iid}/submit")
    assert first.status_code == 200, first.text
    assert first.json()["percent"] == 50.0 and first.json()["failed_items"] == ["look.hair"]
    again = api.call("sup", "POST", f"/inspections/{iid}/submit")
    assert again.status_code == 200 and again.json()["already_submitted"] is True
    assert again.json()["percent"] == first.json()["percent"]
    with api.db.read() as s:
        row = s.get(Inspection, iid)
        assert row.status == "submitted" and float(row.percent) == 50.0
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "inspection.submit", AuditLog.entity_id == str(iid))) == 1
    r = put_answer(api, iid, "look.hair", {"result": "pass"}, at=5_000)  # submitted: immutable
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    assert stored(api, iid, "look.hair").value == {"result": "fail"}


def test_submit_incomplete_names_the_items_and_changes_nothing(api: Api):
    iid = start(api)
    r = api.call("sup", "POST", f"/inspections/{iid}/submit")
    assert r.status_code == 422 and r.json()["error"] == "invalid"
    assert "look.badge" in r.json()["message"]
    with api.db.read() as s:
        assert s.get(Inspection, iid).status == "draft"


# ----------------------------------------------------------------------------- idempotent, ordered answers
def test_replayed_op_and_older_tap_change_nothing(api: Api):
    iid = start(api)
    op1 = str(uuid.uuid4())
    first = put_answer(api, iid, "look.badge", {"result": "pass"}, at=2_000_000, op=op1)
    assert first.status_code == 200 and first.json()["applied"] is True
    row = stored(api, iid, "look.badge")
    assert (row.value, row.op_id, ms(row.tapped_at)) == ({"result": "pass"}, op1, 2_000_000)

    replay = put_answer(api, iid, "look.badge", {"result": "fail"}, at=9_000_000, op=op1)  # same op id
    assert replay.status_code == 200 and replay.json()["applied"] is False
    assert replay.json()["value"]["result"] == "pass" and replay.json()["op_id"] == op1
    assert replay.json()["answered_at"] == 2_000_000
    assert stored(api, iid, "look.badge") == row

    older = put_answer(api, iid, "look.badge", {"result": "fail"}, at=1_000_000)  # tapped before the stored one
    assert older.status_code == 200 and older.json()["applied"] is False
    assert older.json()["value"]["result"] == "pass" and older.json()["op_id"] == op1
    assert stored(api, iid, "look.badge") == row

    op3 = str(uuid.uuid4())
    newer = put_answer(api, iid, "look.badge", {"result": "fail"}, at=3_000_000, op=op3)
    assert newer.json()["applied"] is True
    assert stored(api, iid, "look.badge").value == {"result": "fail"}
    assert stored(api, iid, "look.badge").op_id == op3

    cleared = put_answer(api, iid, "look.badge", None, at=4_000_000)
    assert cleared.json()["applied"] is True and cleared.json()["value"] is None
    assert stored(api, iid, "look.badge").value == {}
    late = put_answer(api, iid, "look.badge", {"result": "pass"}, at=3_500_000)  # older than the clear
    assert late.json()["applied"] is False and late.json()["value"] is None
    assert stored(api, iid, "look.badge").value == {}
    # an op for an item never answered, replayed: stored once
    op5 = str(uuid.uuid4())
    for _ in range(2):
        put_answer(api, iid, "look.hair", {"result": "pass"}, at=1_000, op=op5)
    assert stored(api, iid, "look.hair").op_id == op5


def test_page_tap_always_applies_and_future_taps_are_clamped(api: Api):
    iid = start(api)
    put_answer(api, iid, "look.badge", {"result": "fail"}, at=10**13)  # year 2286: clamped to now
    before = datetime.now(UTC)
    row = stored(api, iid, "look.badge")
    assert ms(row.tapped_at) <= ms(before)
    with api.db.write() as s:  # the page saves without op id or tap time: the newest tap
        svc.save_answer(session=s, actor=api.w.supervisor, inspection_id=iid, item_id="look.badge",
                        value={"result": "pass"})
    page = stored(api, iid, "look.badge")
    assert page.value == {"result": "pass"} and page.op_id is None and ms(page.tapped_at) >= ms(row.tapped_at)
    # a queued tap from before the page's tap arrives later: ignored
    r = put_answer(api, iid, "look.badge", {"result": "fail"}, at=ms(page.tapped_at) - 60_000)
    assert r.json()["applied"] is False and stored(api, iid, "look.badge").value == {"result": "pass"}


def test_bad_answers_are_refused_by_name(api: Api):
    iid = start(api)
    r = put_answer(api, iid, "look.badge", {"count": 2}, at=1)
    assert r.status_code == 422 and "look.badge" in r.json()["message"]
    r = put_answer(api, iid, "no.such", {"result": "pass"}, at=1)
    assert r.status_code == 422 and "no.such" in r.json()["message"]
    r = api.call("sup", "PUT", f"/inspections/{iid}/answers/look.badge",
                 json={"value": {"result": "great"}, "op_id": "not-a-uuid", "answered_at": -1})
    assert r.status_code == 422 and r.json()["error"] == "invalid"
    assert {f["loc"] for f in r.json()["fields"]} == {"body.value.result", "body.op_id", "body.answered_at"}
    r = api.call("sup", "PUT", f"/inspections/{iid}/notes/look.badge", json={"note": "x" * 2001})
    assert r.status_code == 422 and r.json()["fields"][0]["loc"] == "body.note"
    with api.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Answer).where(Answer.inspection_id == iid)) == 0


def test_photo_upload_rejects_non_images(api: Api):
    iid = start(api)
    r = api.call("sup", "POST", f"/inspections/{iid}/photos", data={"item_id": "look.badge"},
                 files={"file": ("evil.jpg", b"<script>alert(1)</script>", "image/jpeg")})
    assert r.status_code == 422 and r.json()["error"] == "invalid"
    with api.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(InspectionPhoto)) == 0


# ----------------------------------------------------------------------------- listing and scorecard
def test_list_filters_and_pages(api: Api):
    ids = {}
    for day, shift, staff in (("2026-11-02", "早班", "S001"), ("2026-11-15", "中班", "S002"),
                              ("2026-12-01", "夜班", "S001")):
        ids[(day, staff)] = start(api, shift_date=day, shift=shift, staff=staff)
    site_iid = start(api, subject="site", staff=None, checklist="site-check")
    for k, v in STAFF_ALL.items():
        put_answer(api, ids[("2026-11-02", "S001")], k, v, at=1)
    api.call("sup", "POST", f"/inspections/{ids[('2026-11-02', 'S001')]}/submit")

    def listed(**params):
        r = api.call("manager", "GET", "/inspections", params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]], r.json()["total"]

    assert sorted(listed()[0]) == sorted([*ids.values(), site_iid])
    assert listed(month="2026-11", subject="staff")[1] == 2
    assert listed(date_from="2026-11-10", date_to="2026-12-31", staff="S001")[0] == [ids[("2026-12-01", "S001")]]
    assert listed(status="submitted")[0] == [ids[("2026-11-02", "S001")]]
    assert listed(checklist="site-check")[0] == [site_iid]
    assert listed(site="B")[1] == 0
    page1, total = listed(limit=2, offset=0)
    page2, _ = listed(limit=2, offset=2)
    assert total == 4 and len(page1) == 2 and not set(page1) & set(page2) and len(page2) == 2
    r = api.call("manager", "GET", "/inspections", params={"date_from": "2026-12-02", "date_to": "2026-12-01"})
    assert r.status_code == 422
    r = api.call("manager", "GET", "/inspections", params={"site": "NOPE"})
    assert r.status_code == 404 and "NOPE" in r.json()["message"]
    r = api.call("manager", "GET", "/inspections", params={"month": "2026-13"})
    assert r.status_code == 422 and r.json()["fields"][0]["loc"] == "query.month"


def test_scorecard_matches_the_service(api: Api):
    for day in ("2026-11-02", "2026-11-09"):
        iid = start(api, shift_date=day)
        put_answer(api, iid, "look.badge", {"result": "pass"}, at=1)
        put_answer(api, iid, "look.hair", {"result": "fail" if day.endswith("09") else "pass"}, at=1)
        if day.endswith("09"):  # a failed on_fail item needs its photo before submit
            r = api.call("sup", "POST", f"/inspections/{iid}/photos", data={"item_id": "look.hair"},
                         files={"file": ("hair.jpg", jpeg(), "image/jpeg")})
            assert r.status_code in (200, 201), r.text
        r = api.call("sup", "POST", f"/inspections/{iid}/submit")
        assert r.status_code == 200, r.text
    r = api.call("manager", "GET", "/scorecard", params={"month": "2026-11", "site": "A"})
    assert r.status_code == 200, r.text
    with api.db.read() as s:
        lines = scorecard_svc.scorecard(s, actor=api.w.manager, month="2026-11", subject_type="staff",
                                        site_id=api.w.site_a)
    rows = r.json()["rows"]
    assert [(x["code"], x["score"], x["rank"], x["inspections"]) for x in rows] == \
        [(ln.code, float(ln.row.score_display), ln.row.rank, ln.row.inspections) for ln in lines]
    assert rows[0]["code"] == "S001" and rows[0]["score"] == 75.0


# ----------------------------------------------------------------------------- mounting, errors
def test_openapi_served_under_the_mount(api: Api):
    r = api.http.get(f"{PREFIX}/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["servers"] == [{"url": PREFIX}]
    assert {"/me", "/inspections", "/inspections/{inspection_id}/answers/{item_id}", "/scorecard",
            "/healthz"} <= set(doc["paths"])
    assert set(doc["components"]["securitySchemes"]) == {"session", "token"}


def test_errors_are_json_with_codes(api: Api):
    r = api.http.get(f"{PREFIX}/no/such/route")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = api.call("sup", "DELETE", "/me")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    r = api.call("sup", "GET", "/inspections/999999")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = api.call("sup", "POST", "/inspections", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid"


def test_errors_speak_the_requests_language_and_name_their_message(api: Api):
    """A service error: its message id (``key``) and its text in the language the request prefers."""
    body = {}
    for lang, header in (("zh", None), ("zh", "zh-CN,zh;q=0.9,en;q=0.8"), ("en", "en-US,en;q=0.9,zh;q=0.5")):
        r = api.call("sup", "GET", "/inspections/999999", headers={"Accept-Language": header} if header else None)
        assert r.status_code == 404
        body[lang] = r.json()
        assert body[lang]["key"] == "inspection.unknown"
    assert body["zh"]["message"] == "检查记录 999999 不存在"
    assert body["en"]["message"] == "There is no inspection 999999"
    r = api.http.get(f"{PREFIX}/me", headers={"Accept-Language": "en"})  # the API layer's own errors too
    assert r.status_code == 401 and r.json()["key"] == "api.unauthenticated"
    assert r.json()["message"].startswith("Not signed in")


def test_unexpected_error_is_a_logged_500_without_traceback(db, caplog):
    def broken():
        raise RuntimeError("secret internals")

    with TestClient(mounted(broken), raise_server_exceptions=False) as http:
        r = http.get(f"{PREFIX}/healthz")
    assert r.status_code == 500 and r.json()["error"] == "internal"
    assert "secret" not in r.text and "Traceback" not in r.text
    assert any("secret internals" in (rec.exc_text or "") for rec in caplog.records)


def test_database_unreachable_is_503(db):
    gone = make_database("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2})
    with TestClient(mounted(lambda: gone), raise_server_exceptions=False) as http:
        r = http.get(f"{PREFIX}/healthz")
        assert r.status_code == 503 and r.json()["error"] == "database_unavailable"
        r = http.get(f"{PREFIX}/me", headers={"Authorization": "Bearer pzt_x"})
        assert r.status_code == 503
    with TestClient(mounted(lambda: db)) as http:
        assert http.get(f"{PREFIX}/healthz").json() == {"status": "ok", "database": "ok"}


def test_starting_needs_codes_that_exist(api: Api):
    r = api.call("sup", "POST", "/inspections", json={"site": "ZZ", "shift_date": "2026-11-20", "shift": "早班",
                                                     "subject": "site", "staff": None, "checklist": "site-check"})
    assert r.status_code == 404 and "ZZ" in r.json()["message"]
    r = api.call("sup", "POST", "/inspections", json={"site": "A", "shift_date": "2026-11-20", "shift": "午班",
                                                     "subject": "site", "checklist": "site-check"})
    assert r.status_code == 422 and r.json()["fields"][0]["loc"] == "body.shift"
    with api.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0
