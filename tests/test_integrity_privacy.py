"""Training exam scores are private (issue 10, point 6): managers and admins see them, an attendee sees
their own, nobody else (a colleague, a supervisor). Service on SQLite and PostgreSQL, and the page."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from apptest_support import app_as
from test_apptest_review import ok, review_template, rv  # noqa: F401 - fixtures
from world import build_world

from app.db.models import TrainingAttendance
from app.services import training
from app.services.errors import Invalid, PermissionDenied


@pytest.fixture
def trained(db):
    w = build_world(db)
    with db.write() as s:
        ts = training.add_session(session=s, actor=w.manager, site_id=w.site_a, planned_month="2026-11",
                                  topic="消防安全培训", trainer="周老师", staff_ids=[w.staff_a1, w.staff_a2])
        training.record_attendance(session=s, actor=w.manager, session_id=ts, staff_id=w.staff_a1, signed_in=True,
                                   exam_score=Decimal(85))
        training.record_attendance(session=s, actor=w.manager, session_id=ts, staff_id=w.staff_a2, signed_in=True,
                                   exam_score=Decimal(50))
    return w, ts


def test_scores_visible_to_manager_admin_and_the_attendee_only(db, trained):
    w, ts = trained
    with db.read() as s:
        for boss in (w.manager, w.admin):
            assert training.attendees(s, actor=boss, session_id=ts) == [
                (w.staff_a1, "张丽", True, Decimal(85)), (w.staff_a2, "王强", True, Decimal(50))]
        # the staff account zhangli is 张丽: her own row and score, no colleague's
        assert training.attendees(s, actor=w.staff, session_id=ts) == [(w.staff_a1, "张丽", True, Decimal(85))]
        assert [(m.topic, m.exam_score) for m in training.my_training(s, actor=w.staff)] == [("消防安全培训", 85)]
        # the supervisor manages sign-in but sees no score
        assert training.attendees(s, actor=w.supervisor, session_id=ts) == [
            (w.staff_a1, "张丽", True, None), (w.staff_a2, "王强", True, None)]


def test_supervisor_records_sign_in_without_touching_scores(db, trained):
    w, ts = trained
    with db.write() as s:  # the page's save for a supervisor: sign-in only, the scores stay
        training.record_attendance(session=s, actor=w.supervisor, session_id=ts, staff_id=w.staff_a1, signed_in=True)
    with pytest.raises(PermissionDenied, match="经理"), db.write() as s:
        training.record_attendance(session=s, actor=w.supervisor, session_id=ts, staff_id=w.staff_a2, signed_in=True,
                                   exam_score=Decimal(99))
    with pytest.raises(Invalid, match="成绩"), db.write() as s:
        training.record_attendance(session=s, actor=w.supervisor, session_id=ts, staff_id=w.staff_a2,
                                   signed_in=False)
    with db.read() as s:
        scores = dict(s.execute(sa.select(TrainingAttendance.staff_id, TrainingAttendance.exam_score)).all())
    assert scores == {w.staff_a1: Decimal(85), w.staff_a2: Decimal(50)}


def test_training_page_hides_scores_from_supervisor(rv):  # noqa: F811 - fixture
    at = ok(app_as(rv.tokens["sup"], page="training.py"))
    rows = at.data_editor(key=f"tr_edit_{rv.training_session}").value
    assert list(rows["姓名"]) == ["张丽", "王强"] and "成绩" not in rows.columns
    assert "85" not in str(rows.to_dict()) and "50" not in str(rows.to_dict())


def test_training_page_shows_staff_only_their_own_score(rv):  # noqa: F811 - fixture
    at = ok(app_as(rv.tokens["zhangli"], page="training.py"))
    frames = [d.value for d in at.dataframe]
    assert len(frames) == 1
    records = frames[0].to_dict("records")
    assert len(records) == 1 and records[0]["成绩"] == "85.00" and records[0]["培训主题"] == "消防安全培训"
    assert "王强" not in str(records) and "50" not in str(records)


def test_admin_page_reassigns_sites(rv, monkeypatch):  # noqa: F811 - fixture
    """The admin removes site A from the supervisor on the page; the supervisor's drafts there are refused."""
    import os

    from world import PASSWORD

    from app.db.engine import Database, make_engine
    from app.db.models import User, UserSite
    from app.services import auth

    db = Database(make_engine(os.environ["DATABASE_URL"]))
    try:
        with db.write() as s:
            token, _ = auth.sign_in(s, username="admin", password=PASSWORD)
        at = ok(app_as(token, page="admin.py"))
        at.text_input(key="su_user").input("sup")
        at.multiselect(key="su_codes").set_value(["B"])
        next(b for b in at.button if "保存分配" in b.label).click().run()
        ok(at)
        with db.read() as s:
            uid = s.scalar(sa.select(User.id).where(User.username == "sup"))
            assert s.scalars(sa.select(UserSite.site_id).where(UserSite.user_id == uid)).all() == [rv.w.site_b]
    finally:
        db.engine.dispose()
