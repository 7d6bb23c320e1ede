"""Races and load with real threads on SQLite and PostgreSQL (issue 10, points 1, 2 and 6).

- saves and photos racing a submit: each either is in the stored score, or was refused "already submitted";
- concurrent starts on one shift: one shift row, one checklist version, one draft, no IntegrityError;
- 50 concurrent writers through the default pool: 0 errors, 0 lost answers (stored rows counted);
- database errors reach the caller as ServiceErrors with Chinese and English text;
- a supervisor removed from a site can no longer load, answer or submit their drafts there.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa
from factories import checklist_dict, item, section, use_checklists
from PIL import Image
from world import build_world

from app.db.engine import Database, make_engine
from app.db.models import Answer, ChecklistVersion, Inspection, InspectionPhoto, Shift, UserSite
from app.services import inspections as svc
from app.services import org, photos
from app.services.errors import Conflict, PermissionDenied, ServiceError, Unavailable

N_ITEMS = 40
RACE_CL = checklist_dict([section("r", [item(f"r.i{n:02d}", 1) for n in range(N_ITEMS)])],
                         id="race", version="1", subject="site", kind="safety")
ITEMS = [f"r.i{n:02d}" for n in range(N_ITEMS)]
PASS, FAIL = {"result": "pass"}, {"result": "fail"}


@pytest.fixture
def world(db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, RACE_CL)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    return build_world(db)


def start(db, actor, site_id, day=date(2026, 11, 20), shift="早班") -> int:
    with db.write() as s:
        return svc.start_inspection(session=s, actor=actor, site_id=site_id, shift_date=day, shift_name=shift,
                                    subject_type="site", checklist_id="race")


def answer_all_pass(db, actor, iid) -> None:
    with db.write() as s:
        for it in ITEMS:
            svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=it, value=PASS)


def run_threads(targets, timeout=180) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"


def test_saves_racing_a_submit_are_stored_or_refused(db, world):
    """40 saves race a submit: every save reported as saved is in the stored score; the others got Conflict."""
    w = world
    iid = start(db, w.supervisor, w.site_a)
    answer_all_pass(db, w.supervisor, iid)
    barrier = threading.Barrier(N_ITEMS + 1)
    saved: list[str] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def save(item_id: str, delay: float):
        try:
            barrier.wait()
            time.sleep(delay)
            with db.write() as s:
                svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=item_id, value=FAIL)
            saved.append(item_id)
        except Conflict as exc:
            assert "已提交" in str(exc) and "already been submitted" in (exc.en or "")
            refused.append(item_id)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    def submit():
        try:
            barrier.wait()
            time.sleep(0.02)  # land in the middle of the saves
            with db.write() as s:
                svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    run_threads([submit] + [lambda i=i: save(ITEMS[i], 0.002 * i) for i in range(N_ITEMS)])
    assert errors == []
    assert len(saved) + len(refused) == N_ITEMS
    with db.read() as s:
        insp = s.get(Inspection, iid)
        assert insp.status == "submitted"
        stored = dict(s.execute(sa.select(Answer.item_id, Answer.value).where(Answer.inspection_id == iid)).all())
    snap_items = insp.snapshot["items"]
    for it in saved:  # reported saved: in the answers and in the stored score
        assert stored[it] == FAIL and snap_items[it]["awarded"] == "0", it
    for it in refused:  # refused: neither
        assert stored[it] == PASS and snap_items[it]["awarded"] == "1", it
    assert insp.awarded == N_ITEMS - len(saved)
    print(f"{db.engine.dialect.name}: {len(saved)} saved before the submit, {len(refused)} refused after it")


def test_photos_racing_a_submit_are_stored_or_refused(db, world):
    w = world
    iid = start(db, w.supervisor, w.site_a)
    answer_all_pass(db, w.supervisor, iid)
    n = 12
    images = []
    for k in range(n):
        buf = io.BytesIO()
        Image.new("RGB", (320, 240), (20 * k, 255 - 20 * k, 90)).save(buf, "JPEG", quality=85)
        images.append(buf.getvalue())
    barrier = threading.Barrier(n + 1)
    attached: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def attach(k: int):
        try:
            barrier.wait()
            time.sleep(0.004 * k)
            with db.write() as s:
                photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id=ITEMS[k],
                                    data=images[k])
            attached.append(k)
        except Conflict:
            refused.append(k)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def submit():
        try:
            barrier.wait()
            time.sleep(0.02)
            with db.write() as s:
                svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    run_threads([submit] + [lambda k=k: attach(k) for k in range(n)])
    assert errors == []
    assert len(attached) + len(refused) == n
    with db.read() as s:
        insp = s.get(Inspection, iid)
        links = s.execute(sa.select(InspectionPhoto.item_id, InspectionPhoto.added_at)
                          .where(InspectionPhoto.inspection_id == iid)).all()
    assert sorted(it for it, _ in links) == sorted(ITEMS[k] for k in attached)
    submitted_at = insp.submitted_at.replace(tzinfo=None) if insp.submitted_at.tzinfo is None else insp.submitted_at
    for _, added_at in links:  # nothing attached after the submission
        added = added_at.replace(tzinfo=None) if submitted_at.tzinfo is None else added_at
        assert added <= submitted_at


def test_concurrent_starts_on_one_shift(db, world):
    """30 starts of the same shift at once (20 by the supervisor, 10 by the manager): no IntegrityError."""
    w = world
    barrier = threading.Barrier(30)
    ids: dict[str, list[int]] = {"sup": [], "mgr": []}
    errors: list[BaseException] = []

    def go(who: str):
        actor = w.supervisor if who == "sup" else w.manager
        try:
            barrier.wait()
            ids[who].append(start(db, actor, w.site_a, day=date(2026, 12, 3), shift="夜班"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    run_threads([lambda: go("sup")] * 20 + [lambda: go("mgr")] * 10)
    assert errors == []
    assert len(set(ids["sup"])) == 1 and len(ids["sup"]) == 20  # one draft, found by the other 19
    assert len(set(ids["mgr"])) == 1 and len(ids["mgr"]) == 10
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Shift).where(Shift.date == date(2026, 12, 3))) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(ChecklistVersion)
                        .where(ChecklistVersion.checklist_id == "race")) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 2


def _default_pool_database(db) -> Database:
    """The same database through an engine built with the app's default pool settings."""
    url = db.engine.url.render_as_string(hide_password=False)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as c:
            schema = c.scalar(sa.text("SELECT current_schema()"))
        return Database(make_engine(url, connect_args={"options": f"-csearch_path={schema}"}))
    return Database(make_engine(url))


def test_fifty_concurrent_writers_lose_nothing(db, world, monkeypatch):
    """50 tablets answering at once through the default pool (20 connections): 0 errors, 0 lost answers."""
    monkeypatch.delenv("PINZHI_DB_POOL", raising=False)
    monkeypatch.delenv("PINZHI_DB_POOL_TIMEOUT", raising=False)
    w = world
    drafts = [start(db, w.supervisor, w.site_a, day=date(2026, 11, 1 + k)) for k in range(10)]
    app_db = _default_pool_database(db)
    assert app_db.engine.pool.size() == 20  # type: ignore[attr-defined]
    writers, per_writer = 50, 8
    barrier = threading.Barrier(writers)
    done: list[int] = []
    errors: list[BaseException] = []

    def writer(k: int):
        iid = drafts[k % 10]
        items = ITEMS[(k // 10) * per_writer:(k // 10 + 1) * per_writer]
        try:
            barrier.wait()
            for it in items:
                with app_db.write() as s:
                    svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=it,
                                    value=FAIL if k % 2 else PASS)
                done.append(k)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    try:
        run_threads([lambda k=k: writer(k) for k in range(writers)], timeout=300)
    finally:
        app_db.engine.dispose()
    assert errors == []
    assert len(done) == writers * per_writer
    with db.read() as s:
        stored = s.execute(sa.select(Answer.inspection_id, Answer.item_id, Answer.value)).all()
    assert len(stored) == writers * per_writer  # every answer stored once
    expected = {(drafts[k % 10], it): FAIL if k % 2 else PASS
                for k in range(writers) for it in ITEMS[(k // 10) * per_writer:(k // 10 + 1) * per_writer]}
    assert {(i, it): v for i, it, v in stored} == expected


def test_pool_exhaustion_is_a_service_error(db, world, monkeypatch):
    monkeypatch.setenv("PINZHI_DB_POOL", "1")
    monkeypatch.setenv("PINZHI_DB_POOL_TIMEOUT", "0.3")
    small = _default_pool_database(db)
    try:
        with small.read() as s:
            s.execute(sa.text("SELECT 1"))  # holds the only connection
            start_t = time.monotonic()
            with pytest.raises(Unavailable) as info, small.write() as s2:
                s2.execute(sa.text("SELECT 1"))
            assert time.monotonic() - start_t < 5
    finally:
        small.engine.dispose()
    assert "繁忙" in str(info.value) and "busy" in (info.value.en or "")


def test_database_errors_become_service_errors(db, world):
    w = world
    with pytest.raises(Conflict) as dup, db.write() as s:  # IntegrityError: a duplicate key
        s.execute(sa.insert(UserSite).values(user_id=w.supervisor.id, site_id=w.site_a))
    assert "未保存" in str(dup.value) and dup.value.en
    with pytest.raises(ServiceError) as bad, db.write() as s:  # a failing statement
        s.execute(sa.text("SELECT * FROM no_such_table"))
    assert "未保存" in str(bad.value) and bad.value.en
    with db.read() as s:  # nothing was stored
        assert s.scalar(sa.select(sa.func.count()).select_from(UserSite)
                        .where(UserSite.user_id == w.supervisor.id)) == 1


def test_supervisor_removed_from_site_is_refused_on_drafts(db, world):
    w = world
    iid = start(db, w.supervisor, w.site_a)
    answer_all_pass(db, w.supervisor, iid)
    with db.write() as s:
        org.set_user_sites(s, actor=w.admin, username="sup", site_codes=["B"])
    stale = w.supervisor  # the actor cached in the supervisor's browser still lists site A
    assert w.site_a in stale.site_ids
    calls = {
        "load": lambda s: svc.load_inspection(s, actor=stale, inspection_id=iid),
        "answer": lambda s: svc.save_answer(session=s, actor=stale, inspection_id=iid, item_id=ITEMS[0],
                                            value=FAIL),
        "note": lambda s: svc.save_note(session=s, actor=stale, inspection_id=iid, item_id=ITEMS[0], note="x"),
        "submit": lambda s: svc.submit_inspection(session=s, actor=stale, inspection_id=iid),
    }
    for name, call in calls.items():
        with pytest.raises(PermissionDenied) as info, db.write() as s:
            call(s)
        assert "不再负责" in str(info.value) and "金地格林小区" in str(info.value), name
        assert "no longer assigned" in (info.value.en or ""), name
    with db.read() as s:
        insp = s.get(Inspection, iid)
        assert insp.status == "draft"
        assert s.scalar(sa.select(Answer.value).where(Answer.inspection_id == iid, Answer.item_id == ITEMS[0])) == PASS
    with db.write() as s:  # reassigned: the draft opens and submits again
        org.set_user_sites(s, actor=w.admin, username="sup", site_codes=["A", "B"])
    with db.write() as s:
        assert svc.submit_inspection(session=s, actor=stale, inspection_id=iid).percent == 100


def test_submits_racing_a_month_sign_off(db, world):
    """12 submits race the manager's sign-off of their month: each lands before it or is refused."""
    from app.db.models import AuditLog
    from app.services import signoff

    w = world
    drafts = [start(db, w.supervisor, w.site_a, day=date(2026, 11, 1 + k)) for k in range(12)]
    for iid in drafts:
        answer_all_pass(db, w.supervisor, iid)
    barrier = threading.Barrier(len(drafts) + 1)
    submitted: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def submit(iid: int, delay: float):
        try:
            barrier.wait()
            time.sleep(delay)
            with db.write() as s:
                svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
            submitted.append(iid)
        except Conflict as exc:
            assert "签字确认" in str(exc)
            refused.append(iid)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def sign():
        try:
            barrier.wait()
            time.sleep(0.03)
            with db.write() as s:
                signoff.sign_off(session=s, actor=w.manager, site_id=w.site_a, month="2026-11")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    run_threads([sign] + [lambda k=k: submit(drafts[k], 0.005 * k) for k in range(len(drafts))])
    assert errors == []
    assert len(submitted) + len(refused) == len(drafts)
    with db.read() as s:
        sign_seq = s.scalar(sa.select(AuditLog.seq).where(AuditLog.action == "month.sign_off"))
        submit_seqs = s.scalars(sa.select(AuditLog.seq).where(AuditLog.action == "inspection.submit")).all()
        status = dict(s.execute(sa.select(Inspection.id, Inspection.status)).all())
    assert len(submit_seqs) == len(submitted)
    assert all(seq < sign_seq for seq in submit_seqs)  # every submission committed before the sign-off
    assert all(status[i] == "submitted" for i in submitted) and all(status[i] == "draft" for i in refused)
    print(f"{db.engine.dialect.name}: {len(submitted)} submitted before the sign-off, {len(refused)} refused")
