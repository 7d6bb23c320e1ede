"""Imports of sites, staff (CSV) and submitted inspections (JSON lines): all or nothing, bad lines named."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from factories import checklist_dict, item, section, use_checklists
from world import PASSWORD, build_world

from app.db.models import (
    Answer,
    AuditLog,
    CorrectiveAction,
    Inspection,
    InspectionSection,
    MonthlyRollup,
    Site,
    Staff,
)
from app.services import catalog, signoff
from app.services import importing as imp
from app.services import inspections as insp_svc
from app.services.actor import SYSTEM
from app.services.errors import PermissionDenied
from scoring import score

SITE_CL = checklist_dict(
    [section("desk", [item("desk.clean", 2), item("desk.log", 3, scoring="deduct", per=1)]),
     section("safe", [item("safe.exit", 4, scoring="scale", na=True)])],
    id="site-check", version="2026.1", subject="site", kind="safety",
)
STAFF_CL = checklist_dict(
    [section("look", [item("look.badge", 1), item("look.hair", 1)])],
    id="staff-look", version="1", subject="staff", kind="appearance", self_check=True,
)
SITE_ANSWERS = {"desk.clean": {"result": "fail", "note": "台面有杂物"}, "desk.log": {"count": 1},
                "safe.exit": {"points": 3}}
STAFF_ANSWERS = {"look.badge": {"result": "pass"}, "look.hair": {"result": "fail"}}
AT = "2026-11-20T09:30:00+08:00"


@pytest.fixture
def cl_dir(tmp_path, monkeypatch):
    return use_checklists(tmp_path, monkeypatch, SITE_CL, STAFF_CL)


@pytest.fixture
def world(db, cl_dir):
    return build_world(db)


def line(**over) -> str:
    doc = {"checklist": "site-check", "site": "A", "subject": {"site": "A"},
           "shift": {"date": "2026-11-20", "name": "早班"}, "inspector": "sup", "kind": "supervisor",
           "answers": SITE_ANSWERS, "submitted_at": AT}
    doc.update(over)
    return json.dumps(doc, ensure_ascii=False)


def staff_line(**over) -> str:
    base = {"checklist": "staff-look", "subject": {"staff": "S002"}, "answers": STAFF_ANSWERS}
    return line(**{**base, **over})


def aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def count(db, model) -> int:
    with db.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def run_import(db, fn, text, **kw):
    with db.write() as s:
        return fn(s, actor=SYSTEM, text=text, **kw)


def rejected(db, fn, text, **kw) -> list[tuple[int, str]]:
    with pytest.raises(imp.ImportRejected) as exc:
        run_import(db, fn, text, **kw)
    return [(p.line, p.message) for p in exc.value.problems]


# ----------------------------------------------------------------------------- sites and staff
def test_sites_import_bom_crlf_and_chinese_kinds(db):
    text = "\ufeffcode,name,kind\r\nA,金地格林小区,住宅\r\nB,金地名峰案场,案场\r\n\r\nC, 金地天境 ,sales_office\r\n"
    summary = run_import(db, imp.import_sites, text)
    assert summary.count == 3
    with db.read() as s:
        rows = s.execute(sa.select(Site.code, Site.name, Site.kind).order_by(Site.code)).all()
    assert [tuple(r) for r in rows] == [("A", "金地格林小区", "residential"), ("B", "金地名峰案场", "sales_office"),
                                        ("C", "金地天境", "sales_office")]


def test_sites_bad_rows_named_and_nothing_imported(db):
    run_import(db, imp.import_sites, "code,name,kind\nOLD,旧管理处,小区\n")
    text = ("code,name,kind\n"
            "A,甲小区,residential\n"      # 2 ok
            "B,乙,office\n"               # 3 bad kind
            "A,甲二,小区\n"               # 4 duplicate in the file
            "OLD,又一个,小区\n"           # 5 already in the database
            "D,,小区\n"                   # 6 no name
            "E,戊,小区,extra\n")          # 7 too many fields
    problems = rejected(db, imp.import_sites, text)
    assert [n for n, _ in problems] == [3, 4, 5, 6, 7]
    msgs = dict(problems)
    assert "office" in msgs[3] and "第 2 行" in msgs[4] and "OLD" in msgs[5] and "name" in msgs[6]
    with db.read() as s:
        assert s.scalars(sa.select(Site.code)).all() == ["OLD"]


def test_csv_header_problems_on_line_1(db):
    assert rejected(db, imp.import_sites, "") == [(1, "缺少表头（应为 code,name,kind）")]
    [(n, msg)] = rejected(db, imp.import_sites, "code,name,type\nA,a,小区\n")
    assert n == 1 and "kind" in msg and "type" in msg


def test_undecodable_names_the_line():
    assert imp.decode_text("code,name,kind\nA,金地,小区\n".encode("gbk")) == "code,name,kind\nA,金地,小区\n"
    data = "code,name,kind\nA,金地,小区\n".encode()[:-3] + b"\xff\xff\n"  # neither UTF-8 nor GBK
    with pytest.raises(imp.ImportRejected) as exc:
        imp.decode_text(data)
    assert exc.value.problems[0].line == 2 and "UTF-8" in exc.value.problems[0].message


def test_staff_import_good(db):
    run_import(db, imp.import_sites, "code,name,kind\nA,甲,小区\nB,乙,案场\n")
    text = ("code,name,post,site,responsible\n"
            "S001,张丽,前台接待,A,是\nS002,王强,管家,A,\nS101,李娜,客服主管,B,false\n")
    assert run_import(db, imp.import_staff, text).count == 3
    with db.read() as s:
        rows = s.execute(sa.select(Staff.code, Staff.post, Staff.responsible, Site.code)
                         .join(Site, Site.id == Staff.site_id).order_by(Staff.code)).all()
    assert [tuple(r) for r in rows] == [("S001", "前台接待", True, "A"), ("S002", "管家", False, "A"),
                                        ("S101", "客服主管", False, "B")]
    # the responsible column is optional
    assert run_import(db, imp.import_staff, "code,name,post,site\nS003,赵六,客服助理,B\n").count == 1


def test_staff_bad_rows_named_and_nothing_imported(db):
    run_import(db, imp.import_sites, "code,name,kind\nA,甲,小区\n")
    text = ("code,name,post,site,responsible\n"
            "S001,张丽,前台接待,A,是\n"     # 2 ok
            "S002,王强,管家,ZZ,否\n"        # 3 unknown site
            "S001,李娜,管家,A,否\n"         # 4 duplicate code in the file
            "S004,赵六,保安,A,否\n"         # 5 unknown post
            "S005,钱七,管家,A,maybe\n")     # 6 bad responsible
    problems = rejected(db, imp.import_staff, text)
    assert [n for n, _ in problems] == [3, 4, 5, 6]
    assert "ZZ" in dict(problems)[3]
    assert count(db, Staff) == 0


# ----------------------------------------------------------------------------- inspections
def test_three_good_lines_scored_like_the_app(db, world):
    w = world
    text = "\n".join([
        line(),
        line(shift={"date": "2026-11-20", "name": "中班"},
             answers={"desk.clean": {"result": "pass"}, "desk.log": {"count": 0}, "safe.exit": {"result": "na"}},
             submitted_at="2026-11-20T15:00:00+08:00"),
        staff_line(inspector="manager", submitted_at="2026-11-20T10:00:00"),  # no offset: Asia/Shanghai
    ]) + "\n"
    summary = run_import(db, imp.import_inspections, text, source="paper.jsonl")
    assert summary.count == 3
    with db.read() as s:
        insps = {i.id: i for i in s.scalars(sa.select(Inspection).order_by(Inspection.id))}
        assert list(insps) == list(summary.ids)
        for iid, answers in zip(summary.ids, [SITE_ANSWERS, json.loads(text.splitlines()[1])["answers"],
                                              STAFF_ANSWERS], strict=True):
            i = insps[iid]
            checklist = catalog.stored_checklist(i.checklist_version)
            expected = score(checklist, {k: {x: y for x, y in v.items() if x != "note"} for k, v in answers.items()})
            assert i.status == "submitted" and i.kind == "supervisor"
            assert i.percent == (expected.percent_exact or Decimal(0)).quantize(Decimal("0.000001"))
            assert i.grade == expected.grade and i.snapshot["percent"] == expected.to_dict()["percent"]
            sections = dict(s.execute(sa.select(InspectionSection.section_id, InspectionSection.awarded)
                                      .where(InspectionSection.inspection_id == iid)).all())
            assert sections == {sec.id: sec.awarded for sec in expected.sections}
        first = insps[summary.ids[0]]
        assert first.month == "2026-11"
        at = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
        assert [aware(v) for v in (first.submitted_at, first.created_at, first.updated_at)] == [at] * 3
        assert aware(insps[summary.ids[2]].submitted_at) == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        answered = s.scalars(sa.select(Answer.answered_at).where(Answer.inspection_id == first.id)).all()
        assert {aware(a) for a in answered} == {at}
        assert s.scalar(sa.select(Answer.note).where(Answer.inspection_id == first.id,
                                                     Answer.item_id == "desk.clean")) == "台面有杂物"
        # the monthly roll-up counts them, with the exact percents
        roll = s.scalar(sa.select(MonthlyRollup).where(
            MonthlyRollup.subject_type == "site", MonthlyRollup.subject_id == w.site_a,
            MonthlyRollup.month == "2026-11", MonthlyRollup.checklist_id == "site-check"))
        assert roll is not None and roll.count == 2 and roll.inspection_kind == "supervisor"
        assert roll.percent_sum == insps[summary.ids[0]].percent + insps[summary.ids[1]].percent
        staff_roll = s.scalar(sa.select(MonthlyRollup.count).where(
            MonthlyRollup.subject_type == "staff", MonthlyRollup.subject_id == w.staff_a2))
        assert staff_roll == 1
        # corrective actions as for an app submission, dated from the submission time
        actions = s.scalars(sa.select(CorrectiveAction).where(CorrectiveAction.inspection_id == first.id)
                            .order_by(CorrectiveAction.item_id)).all()
        assert [a.item_id for a in actions] == ["desk.clean", "desk.log", "safe.exit"]
        assert all(aware(a.opened_at) == at for a in actions)
        # the audit log keeps the submission and records the import
        logged = s.scalars(sa.select(AuditLog.detail).where(AuditLog.action == "inspection.import")).all()
        assert [d["line"] for d in logged] == [1, 2, 3] and logged[0]["source"] == "paper.jsonl"
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "inspection.submit")) == 3


def test_bad_line_2_names_line_and_item_and_imports_nothing(db, world):
    bad = dict(SITE_ANSWERS, **{"safe.exit": {"points": 9}})
    text = "\n".join([line(), line(answers=bad, submitted_at="2026-11-20T10:00:00+08:00"),
                      line(submitted_at="2026-11-20T11:00:00+08:00"), "{not json"])
    before = count(db, Inspection), count(db, MonthlyRollup), count(db, CorrectiveAction)
    problems = rejected(db, imp.import_inspections, text)
    assert [n for n, _ in problems] == [2, 4]
    assert "safe.exit" in problems[0][1] and "points must be from 0 to 4" in problems[0][1]
    assert "JSON" in problems[1][1]
    assert (count(db, Inspection), count(db, MonthlyRollup), count(db, CorrectiveAction)) == before == (0, 0, 0)


def test_every_answer_problem_of_a_line_is_reported(db, world):
    answers = {"desk.clean": {"result": "maybe"}, "nope": {"result": "pass"}}
    problems = rejected(db, imp.import_inspections, line(answers=answers))
    msgs = [m for _, m in problems]
    assert {n for n, _ in problems} == {1}
    assert any("desk.clean" in m for m in msgs) and any("nope" in m and "unknown item" in m for m in msgs)
    assert any("desk.log: no answer" in m for m in msgs) and any("safe.exit: no answer" in m for m in msgs)


BAD_LINES = [
    ({"checklist": "nope"}, "检查表 nope 不存在"),
    ({"site": "ZZ", "subject": {"site": "ZZ"}}, "管理处编号 ZZ 不存在"),
    ({"subject": {"site": "B"}}, "subject.site B 与 site A 不一致"),
    ({"checklist": "staff-look", "subject": {"staff": "S999"}}, "员工编号 S999 不存在"),
    ({"checklist": "staff-look", "subject": {"staff": "S101"}}, "员工 S101 不属于管理处 A"),
    ({"inspector": "ghost"}, "检查人 ghost 不存在"),
    ({"subject": {"staff": "S001"}}, "与所选对象不符"),  # a site checklist on a staff member
    ({"shift": {"date": "2026-13-01", "name": "早班"}}, "shift.date"),
    ({"shift": {"date": "2026-11-20", "name": "午班"}}, "班次必须是"),
    ({"kind": "audit"}, "kind 必须是"),
    ({"submitted_at": "yesterday"}, "submitted_at"),
    ({"submitted_at": "2026-11-19T09:00:00+08:00"}, "早于班次日期"),
    ({"submitted_at": "2099-01-01T00:00:00+08:00"}, "晚于当前时间"),
    ({"answers": {}}, "answers"),
    ({"answers": {"desk.clean": "pass"}}, "item desk.clean: answer must be an object"),
    ({"extra": 1}, "未知字段 extra"),
]


def test_all_bad_lines_named(db, world):
    text = "\n".join(line(**over) for over, _ in BAD_LINES) + "\n[1]\n" + json.dumps({"checklist": "x"})
    problems = rejected(db, imp.import_inspections, text)
    assert [n for n, _ in problems] == list(range(1, len(BAD_LINES) + 3))
    for (n, msg), (_, expected) in zip(problems, BAD_LINES, strict=False):
        assert expected in msg, (n, msg)
    assert "JSON 对象" in problems[-2][1] and "缺少字段 site, subject" in problems[-1][1]
    assert count(db, Inspection) == 0


def test_permission_failures(db, world):
    text = "\n".join([
        line(inspector="sup_b"),  # supervisor of site B only
        line(inspector="zhangli", submitted_at="2026-11-20T10:00:00+08:00"),  # a staff user, supervisor kind
        staff_line(inspector="zhangli", kind="self_check"),  # self-check of somebody else
    ])
    problems = rejected(db, imp.import_inspections, text)
    assert [n for n, _ in problems] == [1, 2, 3]
    assert all("无权" in m for _, m in problems)
    assert "sup_b" in problems[0][1] and "该管理处未分配" in problems[0][1]
    assert count(db, Inspection) == 0


def test_self_check_stored_as_self_check(db, world):
    w = world
    summary = run_import(db, imp.import_inspections,
                         staff_line(inspector="zhangli", kind="self_check", subject={"staff": "S001"}))
    with db.read() as s:
        i = s.get_one(Inspection, summary.ids[0])
        assert (i.kind, i.staff_id, i.status) == ("self_check", w.staff_a1, "submitted")
        assert s.scalar(sa.select(MonthlyRollup.inspection_kind).where(
            MonthlyRollup.subject_id == w.staff_a1, MonthlyRollup.subject_type == "staff")) == "self_check"
        assert s.scalar(sa.select(sa.func.count()).select_from(CorrectiveAction)) == 0  # as in the app


def test_duplicates_reported(db, world):
    text = line() + "\n" + staff_line() + "\n"
    assert run_import(db, imp.import_inspections, text).count == 2
    problems = rejected(db, imp.import_inspections, text)
    assert [n for n, _ in problems] == [1, 2] and all("重复" in m for _, m in problems)
    # a repeated line inside one file, too; another time is not a duplicate
    text2 = line(submitted_at="2026-11-20T12:00:00+08:00") + "\n" + line(submitted_at="2026-11-20T12:00:00+08:00")
    assert [n for n, _ in rejected(db, imp.import_inspections, text2)] == [2]
    assert run_import(db, imp.import_inspections, line(submitted_at="2026-11-20T12:00:00.5+08:00")).count == 1
    with db.read() as s:
        assert s.scalar(sa.select(MonthlyRollup.count).where(MonthlyRollup.checklist_id == "site-check")) == 2
    assert count(db, Inspection) == 3


def test_signed_off_month_refused(db, world):
    w = world
    with db.write() as s:
        signoff.sign_off(session=s, actor=w.manager, site_id=w.site_a, month="2026-11")
    [(n, msg)] = rejected(db, imp.import_inspections, line())
    assert n == 1 and "签字确认" in msg
    assert count(db, Inspection) == 0


def test_open_draft_of_the_inspector_is_not_taken_over(db, world):
    w = world
    with db.write() as s:
        iid = insp_svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=w.day,
                                        shift_name="早班", subject_type="site", checklist_id="site-check")
    [(n, msg)] = rejected(db, imp.import_inspections, line())
    assert n == 1 and f"#{iid}" in msg and "草稿" in msg
    with db.read() as s:
        assert s.get_one(Inspection, iid).status == "draft"


def test_only_an_admin_imports(db, world):
    with pytest.raises(PermissionDenied), db.write() as s:
        imp.import_inspections(s, actor=world.manager, text=line())


def test_time_window_uses_given_now(db, world):
    now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 Shanghai: the 09:30 submission is in the future
    [(_, msg)] = rejected(db, imp.import_inspections, line(), now=now)
    assert "晚于当前时间" in msg
    assert run_import(db, imp.import_inspections, line(), now=now + timedelta(hours=1)).count == 1


# ----------------------------------------------------------------------------- CLI (subprocess, SQLite)
PINZHI = shutil.which("pinzhi", path=str(Path(sys.executable).parent)) or "pinzhi"


@pytest.fixture
def cli(tmp_path, cl_dir):
    env = {**os.environ, "PINZHI_DATA_DIR": str(tmp_path / "data"), "PINZHI_CHECKLISTS": str(cl_dir)}
    env.pop("DATABASE_URL", None)

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PINZHI, *args], input=stdin, capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120)

    return run


def test_cli_imports_and_reports(cli, tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text("\ufeffcode,name,kind\nA,金地格林小区,小区\nB,金地名峰案场,销售案场\n", encoding="utf-8")
    r = cli("sites", "import", str(sites))
    assert (r.returncode, r.stdout.strip()) == (0, f"imported 2 sites from {sites}"), r.stderr

    staff = tmp_path / "staff.csv"
    staff.write_text("code,name,post,site\nS001,张丽,前台接待,A\nS002,王强,管家,ZZ\nS001,李娜,管家,B\n",
                     encoding="utf-8")
    r = cli("staff", "import", str(staff))
    assert r.returncode == 1
    err = r.stderr.strip().splitlines()
    assert len(err) == 2 and err[0].startswith(f"{staff}:3: ") and "ZZ" in err[0]
    assert err[1].startswith(f"{staff}:4: ")
    staff.write_text("code,name,post,site\nS001,张丽,前台接待,A\nS002,王强,管家,A\n", encoding="utf-8")
    assert cli("staff", "import", str(staff)).returncode == 0

    r = cli("user", "add", "sup", "--role", "supervisor", "--site", "A", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    jl = tmp_path / "insp.jsonl"
    jl.write_text(line() + "\n" + line(submitted_at="2026-11-20T10:00:00+08:00") + "\n", encoding="utf-8")
    r = cli("inspections", "import", str(jl))
    assert (r.returncode, r.stdout.strip()) == (0, f"imported 2 inspections from {jl}"), r.stderr
    r = cli("inspections", "import", str(jl))  # the same file again
    assert r.returncode == 1
    err = r.stderr.strip().splitlines()
    assert [x.split(": ", 1)[0] for x in err] == [f"{jl}:1", f"{jl}:2"] and all("重复" in x for x in err)


def test_cli_usage_and_encoding_problems(cli, tmp_path):
    r = cli("sites", "import", str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "file not found" in r.stderr
    bad = tmp_path / "bad.csv"
    bad.write_bytes("code,name,kind\nA,金地,小区\n".encode()[:-3] + b"\xff\xff\n")
    r = cli("sites", "import", str(bad))
    assert r.returncode == 1 and r.stderr.startswith(f"{bad}:2: bad.csv：无法识别文件编码")


def test_cli_user_add_applies_the_password_policy_and_unlock_clears_a_lock(cli, tmp_path):
    from datetime import UTC, datetime, timedelta

    from app.db.engine import make_database
    from app.db.models import LoginThrottle, User

    for weak, reason in (("1234567890123", "全是数字"), ("qwertyuiop", "过于常见"), ("short-1", "至少 10 位")):
        r = cli("user", "add", "boss", "--role", "admin", "--password-stdin", stdin=weak + "\n")
        assert r.returncode == 2 and reason in r.stderr, r.stderr
    db = make_database(f"sqlite:///{tmp_path / 'data' / 'pinzhi.db'}")
    try:
        with db.read() as s:
            assert s.query(User).count() == 0
        r = cli("user", "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        with db.write() as s:
            s.add(LoginThrottle(key="user:boss", failures=20, last_failure_at=datetime.now(UTC),
                                locked_until=datetime.now(UTC) + timedelta(minutes=15)))
        r = cli("user", "unlock", "boss")
        assert r.returncode == 0, r.stderr
        with db.read() as s:
            assert s.get(LoginThrottle, "user:boss") is None
    finally:
        db.engine.dispose()
