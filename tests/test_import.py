"""Imports of sites, staff (CSV) and submitted inspections (JSON lines): all or nothing, bad lines named."""

from __future__ import annotations

import json
import os
import re
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
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60]")
HOSTILE = "<img src=x onerror=alert(1)>{n}{0}"


def english(text: str, *quoted: str) -> bool:
    """No Chinese in an English text once the given quoted values (user data, input vocabulary) are taken out."""
    for q in quoted:
        text = text.replace(q, "")
    return not CJK.search(text)


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


def rejected(db, fn, text, lang="zh", **kw) -> list[tuple[int, str]]:
    """(line, reason) of each problem, the reason rendered in ``lang``."""
    with pytest.raises(imp.ImportRejected) as exc:
        run_import(db, fn, text, **kw)
    return [(p.line, p.text(lang)) for p in exc.value.problems]


def rejected_both(db, fn, text, **kw) -> list[tuple[int, str, str]]:
    """(line, Chinese reason, English reason) of each problem."""
    with pytest.raises(imp.ImportRejected) as exc:
        run_import(db, fn, text, **kw)
    return [(p.line, p.text("zh"), p.text("en")) for p in exc.value.problems]


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
    problems = rejected_both(db, imp.import_sites, text)
    assert [n for n, *_ in problems] == [3, 4, 5, 6, 7]
    msgs = {n: zh for n, zh, _ in problems}
    assert "office" in msgs[3] and "第 2 行" in msgs[4] and "OLD" in msgs[5] and "name" in msgs[6]
    assert msgs[3] == "kind 必须是 residential / sales_office（或 住宅、小区 / 案场、销售案场），收到 'office'"
    assert msgs[7] == "应有 3 列，实际 4 列"
    en = {n: e for n, _, e in problems}
    assert en == {3: "kind must be residential or sales_office (or, in Chinese, 住宅, 小区 / 案场, 销售案场), got 'office'",
                  4: "Code A is already on line 2", 5: "Site code OLD is taken", 6: "name must not be empty",
                  7: "4 fields where the header has 3"}
    assert all(english(e, "住宅", "小区", "销售案场", "案场") for e in en.values())
    with db.read() as s:
        assert s.scalars(sa.select(Site.code)).all() == ["OLD"]


def test_csv_header_problems_on_line_1(db):
    assert rejected(db, imp.import_sites, "") == [(1, "缺少表头（应为 code,name,kind）")]
    assert rejected(db, imp.import_sites, "", "en") == [(1, "The header row is missing (expected code,name,kind)")]
    [(n, msg, en)] = rejected_both(db, imp.import_sites, "code,name,type,name\nA,a,小区,b\n")
    assert n == 1 and msg == "表头错误：缺少列 kind；未知列 type；重复列 name（应为 code,name,kind）"
    assert en == "Wrong header: missing column(s) kind; unknown column(s) type; repeated column(s) name " \
                 "(expected code,name,kind)"


def test_undecodable_names_the_line():
    assert imp.decode_text("code,name,kind\nA,金地,小区\n".encode("gbk")) == "code,name,kind\nA,金地,小区\n"
    data = "code,name,kind\nA,金地,小区\n".encode()[:-3] + b"\xff\xff\n"  # neither UTF-8 nor GBK
    with pytest.raises(imp.ImportRejected) as exc:
        imp.decode_text(data)
    [problem] = exc.value.problems
    assert problem.line == 2 and "UTF-8" in problem.text("zh") and "UTF-8" in problem.text("en")
    assert problem.text("zh").startswith("无法识别文件编码（第 ")
    assert problem.text("en").startswith("Cannot tell the file's encoding (from byte ") and not CJK.search(
        problem.text("en"))


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
    problems = rejected_both(db, imp.import_staff, text)
    assert [n for n, *_ in problems] == [3, 4, 5, 6]
    zh, en = {n: z for n, z, _ in problems}, {n: e for n, _, e in problems}
    assert zh[3] == "管理处编号 ZZ 不存在" and en[3] == "There is no site code ZZ"  # the use case's own message
    assert zh[4] == "编号 S001 与第 2 行重复" and en[4] == "Code S001 is already on line 2"
    assert zh[5] == "post 必须是 前台接待 / 客服助理 / 管家 / 客服主管 之一，收到 '保安'"
    assert en[5] == "post must be one of 前台接待 / 客服助理 / 管家 / 客服主管 (as written in Chinese), got '保安'"
    assert zh[6] == "responsible 必须是 true/false 或 是/否，收到 'maybe'"
    assert en[6] == "responsible must be true/false (or, in Chinese, 是/否), got 'maybe'"
    assert english(en[5], "前台接待", "客服助理", "管家", "客服主管", "保安") and english(en[6], "是", "否")
    assert count(db, Staff) == 0


def test_names_refused_by_the_text_rules_in_both_languages(db):
    """A too long name, a line break in a name, a NUL in a code: the text validator's message, in either language."""
    run_import(db, imp.import_sites, "code,name,kind\nA,甲,小区\n")
    text = ("code,name,post,site\n"
            f"S001,{'长' * 500},管家,A\n"
            'S002,"王\n强",管家,A\n'
            "S\x003,李娜,管家,A\n")
    problems = rejected_both(db, imp.import_staff, text)
    assert problems == [
        (2, "name 过长：500 个字符，最多 80 个", "name is too long: 500 characters, at most 80"),
        (3, "name 含有不允许的控制字符：第 2 个字符是 U+000A 换行符",
         "name contains a control character: character 2 is U+000A line break"),
        (5, "code 含有不允许的控制字符：第 2 个字符是 U+0000 NUL 空字符",
         "code contains a control character: character 2 is U+0000 NUL byte"),
    ]


def test_hostile_values_quoted_in_a_problem_do_not_break_it(db):
    """Markup, format braces, line breaks and 500 characters from the file: quoted as they are (escaped and cut
    short where needed), in one line, in both languages; the summary of the rejection renders too."""
    run_import(db, imp.import_sites, "code,name,kind\nA,甲,小区\n")
    long = "x" * 500
    text = ("code,name,post,site,responsible\n"
            f"S001,张丽,管家,A,{HOSTILE}\n"
            f'S002,王强,管家,A,"{{0}}\n{long}"\n')
    with pytest.raises(imp.ImportRejected) as exc:
        run_import(db, imp.import_staff, text)
    first, second = exc.value.problems
    assert first.text("zh") == f"responsible 必须是 true/false 或 是/否，收到 {HOSTILE!r}"
    assert first.text("en").endswith(f", got {HOSTILE!r}")
    for lang in ("zh", "en"):
        reason = second.text(lang)
        assert "'{0}\\nxxx" in reason and "\n" not in reason and reason.endswith("…") and len(reason) < 200, reason
    assert exc.value.message("en").startswith("2 problem(s), nothing imported: Line 2: responsible must be")
    assert str(exc.value).startswith("2 处错误，未导入任何数据：第 2 行：responsible 必须是") and "{0}" in str(exc.value)
    # JSON field names and item ids are shown, not quoted: escaped and cut short the same way
    doc = json.loads(line())
    doc[HOSTILE + "\n" + long] = 1
    bad_answers = {HOSTILE: "pass", "a\nb" + long: {"result": "pass", "note": 5}}
    problems = rejected_both(db, imp.import_inspections, json.dumps(doc) + "\n" + line(answers=bad_answers))
    field, item = (HOSTILE + "\\n" + long)[:60] + "…", ("a\\nb" + long)[:60] + "…"
    assert problems == [
        (1, f"未知字段 {field}", f"Unknown field(s) {field}"),
        (2, f"检查项 {HOSTILE} 的答案必须是 JSON 对象", f"Item {HOSTILE}: answer must be an object"),
        (2, f"检查项 {item} 的备注必须是文本", f"Item {item}: note must be a string"),
    ]


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
    problems = rejected_both(db, imp.import_inspections, text)
    assert [n for n, *_ in problems] == [2, 4]
    assert problems[0][1] == "答案无效：检查项 safe.exit：得分必须在 0 到 4 之间（实际为 9）"
    assert problems[0][2] == "Invalid answer: item safe.exit: points must be from 0 to 4 (got 9)"
    assert problems[0][1].startswith("答案无效：") and problems[0][2].startswith("Invalid answer: ")
    assert problems[1][1:] == ("JSON 格式错误（第 2 列：Expecting property name enclosed in double quotes）",
                               "Invalid JSON at column 2: Expecting property name enclosed in double quotes")
    assert (count(db, Inspection), count(db, MonthlyRollup), count(db, CorrectiveAction)) == before == (0, 0, 0)


def test_every_answer_problem_of_a_line_is_reported(db, world):
    answers = {"desk.clean": {"result": "maybe"}, "nope": {"result": "pass"}}
    problems = rejected_both(db, imp.import_inspections, line(answers=answers))
    assert {n for n, *_ in problems} == {1}
    zh, en = [z for _, z, _ in problems], [e for _, _, e in problems]
    assert zh == ["答案无效：检查项 desk.clean：结果必须是 pass 或 fail（实际为 'maybe'）",
                  "检查项 nope 不在检查表 site-check 中", "检查项 desk.log 没有答案", "检查项 safe.exit 没有答案"]
    assert en == ["Invalid answer: item desk.clean: result must be pass or fail (got 'maybe')",
                  "Item nope: unknown item id for checklist site-check", "Item desk.log: no answer",
                  "Item safe.exit: no answer"]


# (line, what the Chinese problem says, what the English one says)
BAD_LINES = [
    ({"checklist": "nope"}, "检查表 nope 不存在", "Checklist nope does not exist"),
    ({"site": "ZZ", "subject": {"site": "ZZ"}}, "管理处编号 ZZ 不存在", "There is no site with the code ZZ"),
    ({"subject": {"site": "B"}}, "subject.site B 与 site A 不一致", "subject.site B does not match site A"),
    ({"checklist": "staff-look", "subject": {"staff": "S999"}}, "员工编号 S999 不存在",
     "There is no staff member with the code S999"),
    ({"checklist": "staff-look", "subject": {"staff": "S101"}}, "员工 S101 不属于管理处 A",
     "Staff member S101 does not belong to site A"),
    ({"inspector": "ghost"}, "检查人 ghost 不存在", "There is no user ghost (the inspector)"),
    ({"subject": {"staff": "S001"}}, "与所选对象不符", "not the subject chosen"),  # a site checklist on a staff member
    ({"shift": {"date": "2026-13-01", "name": "早班"}}, "shift.date 必须是日期 YYYY-MM-DD，收到 '2026-13-01'",
     "shift.date must be a date YYYY-MM-DD, got '2026-13-01'"),
    ({"shift": {"date": "2026-11-20", "name": "午班"}}, "班次必须是", "The shift must be one of Morning"),
    ({"shift": ["2026-11-20"]}, 'shift 必须是 {"date": "YYYY-MM-DD", "name": "早班"}',
     'shift must be {"date": "YYYY-MM-DD", "name": "早班"}'),
    ({"subject": "A"}, 'subject 必须是 {"staff": 员工编号} 或 {"site": 管理处编号}',
     'subject must be {"staff": staff code} or {"site": site code}'),
    ({"kind": "audit"}, "kind 必须是 supervisor 或 self_check，收到 'audit'",
     "kind must be supervisor or self_check, got 'audit'"),
    ({"submitted_at": "yesterday"}, "submitted_at 必须是 ISO-8601 日期时间", "submitted_at must be an ISO 8601 date"),
    ({"submitted_at": "2026-11-19T09:00:00+08:00"}, "submitted_at 2026-11-19T09:00:00+08:00 早于班次日期 2026-11-20",
     "submitted_at 2026-11-19T09:00:00+08:00 is before the shift date 2026-11-20"),
    ({"submitted_at": "2099-01-01T00:00:00+08:00"}, "晚于当前时间", "2099-01-01T00:00:00+08:00 is in the future"),
    ({"answers": {}}, "answers 必须是以检查项编号为键的非空对象", "answers must be a non-empty object keyed by item id"),
    ({"answers": {"desk.clean": "pass"}}, "检查项 desk.clean 的答案必须是 JSON 对象",
     "Item desk.clean: answer must be an object"),
    ({"inspector": ""}, "inspector 必须是非空字符串", "inspector must be a non-empty string"),
    ({"extra": 1}, "未知字段 extra", "Unknown field(s) extra"),
]


def test_all_bad_lines_named(db, world):
    text = "\n".join(line(**over) for over, *_ in BAD_LINES) + "\n[1]\n" + json.dumps({"checklist": "x"})
    problems = rejected_both(db, imp.import_inspections, text)
    assert [n for n, *_ in problems] == list(range(1, len(BAD_LINES) + 3))
    for (n, zh, en), (_, expected_zh, expected_en) in zip(problems, BAD_LINES, strict=False):
        assert expected_zh in zh and expected_en in en, (n, zh, en)
        assert english(en, "早班", "午班"), en  # the shift names are the stored values
    assert problems[-2][1:] == ("每行必须是一个 JSON 对象", "Each line must be a JSON object")
    assert "缺少字段 site, subject" in problems[-1][1] and "Missing field(s) site, subject" in problems[-1][2]
    assert count(db, Inspection) == 0


def test_json_problems_in_both_languages(db, world):
    text = "\n".join(["{not json", '{"a": NaN}', "[" * 17 + "]" * 17, "[" * 16 + "]" * 16, "1" * 5000])
    problems = rejected_both(db, imp.import_inspections, text)
    assert problems[:4] == [
        (1, "JSON 格式错误（第 2 列：Expecting property name enclosed in double quotes）",
         "Invalid JSON at column 2: Expecting property name enclosed in double quotes"),
        (2, "JSON 格式错误（NaN 不是数字）", "Invalid JSON: NaN is not a number"),
        (3, "JSON 嵌套过深（超过 16 层）", "JSON nested deeper than 16 levels"),
        (4, "每行必须是一个 JSON 对象", "Each line must be a JSON object"),  # 16 levels are still read
    ]
    [(n, zh, en)] = problems[4:]  # Python refuses integers of more than 4300 digits
    assert n == 5 and zh.startswith("JSON 格式错误（") and en.startswith("Invalid JSON (") and english(en)


def test_permission_failures(db, world):
    text = "\n".join([
        line(inspector="sup_b"),  # supervisor of site B only
        line(inspector="zhangli", submitted_at="2026-11-20T10:00:00+08:00"),  # a staff user, supervisor kind
        staff_line(inspector="zhangli", kind="self_check"),  # self-check of somebody else
    ])
    problems = rejected_both(db, imp.import_inspections, text)
    assert [n for n, *_ in problems] == [1, 2, 3]
    assert all("无权" in m for _, m, _ in problems)
    assert "sup_b" in problems[0][1] and "该管理处未分配" in problems[0][1]
    # the use case's refusal is kept as a message: it comes out in English too
    assert problems[0][2] == "Inspector sup_b may not do this inspection: Not allowed: this site is not assigned to you"
    assert problems[2][2] == "Inspector zhangli may not do this inspection: Staff can only check themselves"
    assert all(english(en) for _, _, en in problems)
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
    problems = rejected_both(db, imp.import_inspections, text)
    assert [n for n, *_ in problems] == [1, 2] and all("重复" in m for _, m, _ in problems)
    assert all(en.startswith("Duplicate: the same inspection is already submitted (#") for *_, en in problems)
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
    [(n, msg, en)] = rejected_both(db, imp.import_inspections, line())
    assert n == 1 and "签字确认" in msg and "2026-11" in en and english(en)
    assert count(db, Inspection) == 0


def test_open_draft_of_the_inspector_is_not_taken_over(db, world):
    w = world
    with db.write() as s:
        iid = insp_svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=w.day,
                                        shift_name="早班", subject_type="site", checklist_id="site-check")
    [(n, msg, en)] = rejected_both(db, imp.import_inspections, line())
    assert n == 1 and f"#{iid}" in msg and "草稿" in msg
    assert en == f"Inspector sup has an unsubmitted draft (#{iid}) for the same subject and shift: deal with that " \
                 "draft in the app first"
    with db.read() as s:
        assert s.get_one(Inspection, iid).status == "draft"


def test_only_an_admin_imports(db, world):
    with pytest.raises(PermissionDenied), db.write() as s:
        imp.import_inspections(s, actor=world.manager, text=line())


def test_time_window_uses_given_now(db, world):
    now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 Shanghai: the 09:30 submission is in the future
    [(_, msg)] = rejected(db, imp.import_inspections, line(), now=now)
    assert msg == f"submitted_at {AT} 晚于当前时间"
    assert rejected(db, imp.import_inspections, line(), "en", now=now) == [(1, f"submitted_at {AT} is in the future")]
    assert run_import(db, imp.import_inspections, line(), now=now + timedelta(hours=1)).count == 1


# ----------------------------------------------------------------------------- CLI (subprocess, SQLite)
PINZHI = shutil.which("pinzhi", path=str(Path(sys.executable).parent)) or "pinzhi"


@pytest.fixture
def cli(tmp_path, cl_dir):
    env = {**os.environ, "PINZHI_DATA_DIR": str(tmp_path / "data"), "PINZHI_CHECKLISTS": str(cl_dir)}
    env.pop("DATABASE_URL", None)
    env.pop("PINZHI_LANG", None)

    def run(*args: str, stdin: str | None = None, lang: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([PINZHI, *args], input=stdin, capture_output=True, text=True,
                              env={**env, "PINZHI_LANG": lang}, cwd=tmp_path, timeout=120)

    return run


def test_cli_imports_and_reports(cli, tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text("\ufeffcode,name,kind\nA,金地格林小区,小区\nB,金地名峰案场,销售案场\n", encoding="utf-8")
    r = cli("sites", "import", str(sites))
    assert (r.returncode, r.stdout.strip()) == (0, f"已从 {sites} 导入 2 个管理处"), r.stderr

    staff = tmp_path / "staff.csv"
    staff.write_text("code,name,post,site\nS001,张丽,前台接待,A\nS002,王强,管家,ZZ\nS001,李娜,管家,B\n",
                     encoding="utf-8")
    r = cli("staff", "import", str(staff))
    assert r.returncode == 1
    err = r.stderr.strip().splitlines()
    assert err == [f"{staff}:3: 管理处编号 ZZ 不存在", f"{staff}:4: 编号 S001 与第 2 行重复"]
    assert r.stdout.strip() == f"未导入任何数据：{staff} 中有 2 处错误"
    staff.write_text("code,name,post,site\nS001,张丽,前台接待,A\nS002,王强,管家,A\n", encoding="utf-8")
    r = cli("staff", "import", str(staff))
    assert (r.returncode, r.stdout.strip()) == (0, f"已从 {staff} 导入 2 名员工"), r.stderr

    r = cli("user", "add", "sup", "--role", "supervisor", "--site", "A", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    jl = tmp_path / "insp.jsonl"
    jl.write_text(line() + "\n" + line(submitted_at="2026-11-20T10:00:00+08:00") + "\n", encoding="utf-8")
    r = cli("inspections", "import", str(jl))
    assert (r.returncode, r.stdout.strip()) == (0, f"已从 {jl} 导入 2 条检查记录"), r.stderr
    r = cli("inspections", "import", str(jl))  # the same file again
    assert r.returncode == 1
    err = r.stderr.strip().splitlines()
    assert [x.split(": ", 1)[0] for x in err] == [f"{jl}:1", f"{jl}:2"] and all("重复" in x for x in err)


def test_cli_speaks_english_when_told(cli, tmp_path):
    """With PINZHI_LANG=en every problem and summary line is English (no Chinese but the file's own data)."""
    sites = tmp_path / "sites.csv"
    sites.write_text("code,name,kind\nA,金地格林小区,小区\n", encoding="utf-8")
    r = cli("sites", "import", str(sites), lang="en")
    assert (r.returncode, r.stdout.strip()) == (0, f"imported 1 sites from {sites}"), r.stderr
    staff = tmp_path / "staff.csv"
    staff.write_text("code,name,post,site,responsible\nS001,张丽,前台接待,A,是\nS002,王强,管家,ZZ,\n"
                     f"S001,李娜,管家,A,\nS003,{'长' * 500},管家,A,\nS004,钱七,管家,A,\"{HOSTILE}\n{HOSTILE}\"\n",
                     encoding="utf-8")
    r = cli("staff", "import", str(staff), lang="en")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"{staff}:3: There is no site code ZZ",
        f"{staff}:4: Code S001 is already on line 2",
        f"{staff}:5: name is too long: 500 characters, at most 80",
        f"{staff}:6: responsible must be true/false (or, in Chinese, 是/否), got '{HOSTILE}\\n{HOSTILE[:25]}'…",
    ], r.stderr
    assert r.stdout.strip() == f"nothing imported: 4 problem(s) in {staff}"
    r = cli("staff", "import", str(staff))  # the same in Chinese
    assert r.stderr.splitlines()[0] == f"{staff}:3: 管理处编号 ZZ 不存在"
    assert r.stderr.splitlines()[3] == f"{staff}:6: responsible 必须是 true/false 或 是/否，收到 " \
                                       f"'{HOSTILE}\\n{HOSTILE[:25]}'…"

    jl = tmp_path / "insp.jsonl"
    jl.write_text("\n".join([line(inspector="ghost"), "{not json", "[" * 40, line(kind="audit"),
                             line(shift={"date": "2026-11-31", "name": "早班"})]) + "\n", encoding="utf-8")
    r = cli("inspections", "import", str(jl), lang="en")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"{jl}:1: There is no user ghost (the inspector)",
        f"{jl}:2: Invalid JSON at column 2: Expecting property name enclosed in double quotes",
        f"{jl}:3: JSON nested deeper than 16 levels",
        f"{jl}:4: kind must be supervisor or self_check, got 'audit'",
        f"{jl}:5: shift.date must be a date YYYY-MM-DD, got '2026-11-31'",
    ], r.stderr
    assert r.stdout.strip() == f"nothing imported: 5 problem(s) in {jl}"
    assert not CJK.search(r.stdout + r.stderr)
    r = cli("sites", "import", str(tmp_path / "missing.csv"), lang="en")
    assert (r.returncode, r.stderr.strip()) == (2, f"pinzhi: file not found: {tmp_path / 'missing.csv'}")
    r = cli("sites", "import", str(tmp_path), lang="en")  # a directory: cannot be read
    assert r.returncode == 2 and r.stderr.startswith(f"pinzhi: cannot read {tmp_path}: ")
    bad = tmp_path / "bad.csv"
    bad.write_bytes("code,name,kind\nA,金地,小区\n".encode()[:-3] + b"\xff\xff\n")
    r = cli("sites", "import", str(bad), lang="en")
    assert r.returncode == 1 and r.stderr.startswith(f"{bad}:2: bad.csv: Cannot tell the file's encoding (from byte ")
    assert not CJK.search(r.stderr.replace(str(bad), ""))


def test_cli_usage_and_encoding_problems(cli, tmp_path):
    r = cli("sites", "import", str(tmp_path / "missing.csv"))
    assert (r.returncode, r.stderr.strip()) == (2, f"pinzhi: 找不到文件：{tmp_path / 'missing.csv'}")
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
        assert (r.returncode, r.stdout.strip()) == (0, "已添加用户 boss（admin）"), r.stderr
        with db.write() as s:
            s.add(LoginThrottle(key="user:boss", failures=20, last_failure_at=datetime.now(UTC),
                                locked_until=datetime.now(UTC) + timedelta(minutes=15)))
        r = cli("user", "unlock", "boss", lang="en")
        assert (r.returncode, r.stdout.strip()) == (0, "user boss: failed sign-ins cleared"), r.stderr
        with db.read() as s:
            assert s.get(LoginThrottle, "user:boss") is None
    finally:
        db.engine.dispose()
