"""Importing standards from Excel: six sheets in the shapes real property companies use, built here with
openpyxl, each read into a checklist whose structure and scores are written out BY HAND below; sheets
with mistakes, each mistake named at its cell; the command line; and export → import for every shipped
checklist."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from app.messages import Msg
from app.standards.compare import differences
from app.standards.xlsx_export import write_standard
from app.standards.xlsx_import import ImportResult, SheetProblem, read_standard
from scoring import Checklist, load_directory, parse_checklist, parse_checklist_text, score

D = Decimal
ROOT = Path(__file__).resolve().parents[1]


def workbook(*sheets: tuple[str, list[list[Any]], list[str]]) -> bytes:
    """Sheets of (name, rows from row 1, merged ranges)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows, merges in sheets:
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        for m in merges:
            ws.merge_cells(m)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes, cid: str = "imported", **kw: Any) -> ImportResult:
    return read_standard(data, file_name="标准.xlsx", checklist_id=cid, **kw)


def imported(data: bytes, **kw: Any) -> tuple[dict[str, Any], Checklist]:
    r = read(data, **kw)
    assert not r.problems, [str(p) for p in r.problems]
    assert r.checklist is not None
    c, problems = parse_checklist(r.checklist, "imported.yaml")
    assert c is not None, problems
    return r.checklist, c


def shape(c: Checklist) -> list[Any]:
    """Sections as (title, points, entries); groups as (title, points, [items]); items as a short tuple."""
    def it(i):
        extra: dict[str, Any] = {}
        if i.scoring in ("deduct", "bonus", "penalty") and i.per is not None:
            extra["per"] = i.per
        if i.rules:
            extra["rules"] = [(r.id, r.text, "all" if r.per is None else r.per) for r in i.rules]
        if i.scoring == "sample":
            extra["min_sample"] = i.min_sample
        if i.scoring == "scale":
            extra["step"] = i.step
        if i.max is not None:
            extra["max"] = i.max
        if i.critical != "none":
            extra["critical"] = i.critical
        if i.na:
            extra["na"] = True
        return (i.id, i.text, i.points, i.scoring, i.method, extra)

    out = []
    for s in c.sections:
        entries = []
        for e in s.entries:
            if hasattr(e, "title"):
                entries.append((e.title, e.points, [it(i) for i in e.items]))
            else:
                entries.append(it(e))
        out.append((s.title, s.points, entries))
    return out


# ============================================================================ sheet A
# Three levels with merged 一级指标 / 二级指标 cells, a title and an info line above the header, lettered
# clauses on several lines, methods, a sample item, a bonus and a penalty row without points, a 合计
# row and signature lines below.
SHEET_A = workbook(("品质检查", [
    ["某物业公司品质检查评分表（住宅）"],
    ["版本：A/3    检查日期：        检查人："],
    ["一级指标", "二级指标", "编号", "检查标准", "标准分", "扣分细则", "检查方法", "扣分", "得分", "备注"],
    ["内部管理（6分）", None, "1.1", "流程制度齐全、为最新版本并适用于项目实际", 3,
     "A. 缺失关键规程、重要节点，每处扣0.5分；\nB. 现场使用失效版本文件，每处扣0.5分；\nC. 不适用且无上报修正记录，本项不得分",
     "查阅记录"],
    [None, None, "1.2", "工作日志每日填写、交接清楚", 1, "不符合要求本项不得分", "查阅记录"],
    [None, "BI规范（2分）", "1.3.1", "员工仪容仪表符合规定", 0.5, "每人次扣0.5分", "现场查看/暗访"],
    [None, None, "1.3.2", "前台物品摆放整齐，标识清晰", 1.5, "每处扣0.5分，扣完为止", "现场查看"],
    ["客户服务（4分）", None, "2.1", "业户档案一户一档，资料齐全", 4, "抽查10户，按不符合比例扣分", "查阅记录"],
    ["加减分", None, "3.1", "受到业主书面表扬", None, "每次加0.5分，最多加1分", "查阅记录"],
    [None, None, "3.2", "发生重大有效投诉", None, "每次另扣2分", "查阅记录"],
    ["合计", None, None, None, 10],
    [],
    ["检查人：            被检查人：            日期："],
], ["A1:J1", "A2:J2", "A4:A7", "B6:B7", "A9:A10", "A13:J13"]))


def test_sheet_a_three_levels_merged_cells():
    doc, c = imported(SHEET_A)
    assert (c.id, c.title, c.version, c.kind, c.subject) == ("imported", "某物业公司品质检查评分表（住宅）", "1",
                                                            "standard", "site")
    assert shape(c) == [
        ("内部管理", 6, [
            ("1.1", "流程制度齐全、为最新版本并适用于项目实际", 3, "deduct", "records",
             {"rules": [("a", "缺失关键规程、重要节点", D("0.5")), ("b", "现场使用失效版本文件", D("0.5")),
                        ("c", "不适用且无上报修正记录", "all")]}),
            ("1.2", "工作日志每日填写、交接清楚", 1, "pass_fail", "records", {}),
            ("BI规范", 2, [
                ("1.3.1", "员工仪容仪表符合规定", D("0.5"), "deduct", "onsite", {"per": D("0.5")}),
                ("1.3.2", "前台物品摆放整齐，标识清晰", D("1.5"), "deduct", "onsite", {"per": D("0.5")}),
            ]),
        ]),
        ("客户服务", 4, [("2.1", "业户档案一户一档，资料齐全", 4, "sample", "records", {"min_sample": 10})]),
        ("加减分", 0, [
            ("3.1", "受到业主书面表扬", 0, "bonus", "records", {"per": D("0.5"), "max": 1}),
            ("3.2", "发生重大有效投诉", 0, "penalty", "records", {"per": 2}),
        ]),
    ]
    assert [s["id"] for s in doc["sections"]] == ["s1", "s2", "s3"]
    assert doc["sections"][0]["items"][2]["id"] == "g1"
    assert doc["sections"][0]["items"][0]["source"] == "import: 标准.xlsx 品质检查!4"
    # 1.1: 3 - (1 + 2) × 0.5 = 1.5; 1.2 pass 1; 1.3.1 0 × 0.5 -> 0.5; 1.3.2 1 × 0.5 -> 1 (group 1.5 of 2);
    # 2.1: 4 × 9/12 = 3; bonus 1 × 0.5. Sections 4 + 3 + 0 = 7, + 0.5 = 7.5 of 10 -> 75 % 合格
    r = score(c, {"1.1": {"counts": {"a": 1, "b": 2}}, "1.2": {"result": "pass"}, "1.3.1": {"count": 0},
                  "1.3.2": {"count": 1}, "2.1": {"checked": 12, "failed": 3}, "3.1": {"count": 1},
                  "3.2": {"count": 0}})
    assert (r.awarded, r.applicable, r.percent, r.grade) == (D("7.5"), 10, D("75.00"), "合格")
    assert [s.awarded for s in r.sections] == [4, 3, 0] and r.sections[0].groups[0].awarded == D("1.5")
    assert r.failed_items == ("1.1", "1.3.2", "2.1")


# ============================================================================ sheet B
# Flat, nothing merged: the header on row 2 with blanks and units in brackets ("序 号", "分值（分）"),
# a 考核项目 cell only on the first row of its section, numbers typed as numbers, "（1）…（2）…" clauses
# on one line and on two lines, "每缺一项扣1分", "发现一次扣2分", an empty method cell.
SHEET_B = workbook(("Sheet1", [
    ["客服中心月度考核标准"],
    ["序 号", "考核项目", "考核内容", "分值（分）", "评分细则", "考核方式", "得分", "检查情况"],
    [1, "服务形象（5分）", "着装整洁，佩戴工牌", 2, "（1）未佩戴工牌每人次扣0.5分（2）制服不整洁每人次扣0.5分"],
    [2, None, "服务用语规范，首问负责", 3, "（1）未使用礼貌用语，每次扣1分\n（2）推诿业主，本项不得分", "暗访"],
    [3, "报修管理（7分）", "报修记录完整、及时回访", 5, "每缺一项扣1分，扣完为止", "查阅记录"],
    [4, None, "维修及时率达标", 2, "发现一次扣2分", "电话回访"],
    [],
    ["考核人：", None, "审核人："],
], []))


def test_sheet_b_flat_unmerged_numbers_and_numbered_clauses():
    _, c = imported(SHEET_B)
    assert c.title == "客服中心月度考核标准"
    assert shape(c) == [
        ("服务形象", 5, [
            ("1", "着装整洁，佩戴工牌", 2, "deduct", "onsite",
             {"rules": [("a", "未佩戴工牌每人次扣0.5分", D("0.5")), ("b", "制服不整洁每人次扣0.5分", D("0.5"))]}),
            ("2", "服务用语规范，首问负责", 3, "deduct", "mystery",
             {"rules": [("a", "未使用礼貌用语", 1), ("b", "推诿业主", "all")]}),
        ]),
        ("报修管理", 7, [
            ("3", "报修记录完整、及时回访", 5, "deduct", "records", {"per": 1}),
            ("4", "维修及时率达标", 2, "deduct", "phone", {"per": 2}),
        ]),
    ]
    # 1: 2 - 0.5 - 0.5 = 1; 2: clause b takes all -> 0; 3: 5 - 2 = 3; 4: 2. 6 of 12 -> 50 % 不合格
    r = score(c, {"1": {"counts": {"a": 1, "b": 1}}, "2": {"counts": {"b": 1}}, "3": {"count": 2},
                  "4": {"count": 0}})
    assert (r.awarded, r.percent, r.grade) == (6, D("50.00"), "不合格")
    # 2: 5 × 1 = 5 lost of 3 -> 0 (扣完为止); 12 - 3 = 9 -> 75 % 合格
    r = score(c, {"1": {"counts": {}}, "2": {"counts": {"a": 5}}, "3": {"count": 0}, "4": {"count": 0}})
    assert (r.awarded, r.percent, r.grade) == (9, D("75.00"), "合格")


# ============================================================================ sheet C
# No section column: each section is a heading row merged across the sheet ("一、接待服务（10分）");
# 编号 like "A1"; a 红线 column; 酌情扣分 in half points; a sample of 5 records checked by phone.
SHEET_C = workbook(("案场", [
    ["案场服务品质检查表"],
    ["编号", "服务标准", "满分", "扣分标准", "检查方式", "红线", "检查结果"],
    ["一、接待服务（10分）"],
    ["A1", "客户到访30秒内起身迎接", 4, "一处不符合扣1分", "暗访"],
    ["A2", "水吧饮品按标准出品", 6, "酌情扣分，以0.5分为单位", "现场"],
    ["二、安全管理（5分）"],
    ["B1", "未发生安全责任事故", 5, "不得分", "现场", "是"],
    ["三、客户满意（5分）"],
    ["B2", "客户回访满意记录完整", 5, "抽查5份，按不合格比例扣分", "电话"],
], ["A3:G3", "A6:G6", "A8:G8"]))


def test_sheet_c_heading_rows_red_line_scale_sample():
    _, c = imported(SHEET_C)
    assert shape(c) == [
        ("一、接待服务", 10, [
            ("a1", "客户到访30秒内起身迎接", 4, "deduct", "mystery", {"per": 1}),
            ("a2", "水吧饮品按标准出品", 6, "scale", "onsite", {"step": D("0.5")}),
        ]),
        ("二、安全管理", 5, [("b1", "未发生安全责任事故", 5, "pass_fail", "onsite", {"critical": "checklist"})]),
        ("三、客户满意", 5, [("b2", "客户回访满意记录完整", 5, "sample", "phone", {"min_sample": 5})]),
    ]
    ok = {"a1": {"count": 1}, "a2": {"points": 4.5}, "b1": {"result": "pass"}, "b2": {"checked": 6, "failed": 1}}
    # 3 + 4.5 + 5 + 5 × 5/6 (= 4.1666… -> 4.17) = 16.67 of 20 -> 83.35 % 良好
    r = score(c, ok)
    assert (r.awarded, r.percent, r.grade) == (D("16.67"), D("83.35"), "良好")
    # the red line: the whole inspection scores 0
    r = score(c, {**ok, "b1": {"result": "fail"}})
    assert (r.awarded, r.critical_failed, r.grade) == (0, True, "不合格")


# ============================================================================ sheet D
# 模块 / 子项 without merges (a 子项 cell covers the rows below it until the next one or the next 模块),
# the title in B2 above the header, "本部分不得分" with its condition, "无此项不扣分".
SHEET_D = workbook(("内部管理", [
    [],
    [None, "物业服务中心内部管理考核细则"],
    ["模块", "子项", "编号", "标准要求", "分数", "扣分说明", "备注"],
    ["安全管理", "消防设施", "1.1", "消防通道畅通", 2, "堵塞消防通道的，本部分不得分"],
    [None, None, "1.2", "灭火器按月检查并记录", 1, "每处扣0.5分"],
    [None, "安全培训", "1.3", "每季度组织消防演练", 2, "无此项不扣分；未组织本项不得分"],
    ["环境管理", None, "2.1", "办公区域整洁", 3, "每处扣1分"],
    [None, "绿化", "2.2", "绿化带无杂物", 2, "每处扣0.5分"],
    [None, None, "2.3", "草坪修剪及时", 1, "每处扣0.5分"],
], []))


def test_sheet_d_unmerged_groups_section_veto_na():
    doc, c = imported(SHEET_D)
    assert c.title == "物业服务中心内部管理考核细则"
    assert shape(c) == [
        ("安全管理", 5, [
            ("消防设施", 3, [
                ("1.1", "消防通道畅通", 2, "pass_fail", "onsite", {"critical": "section"}),
                ("1.2", "灭火器按月检查并记录", 1, "deduct", "onsite", {"per": D("0.5")}),
            ]),
            ("安全培训", 2, [("1.3", "每季度组织消防演练", 2, "pass_fail", "onsite", {"na": True})]),
        ]),
        ("环境管理", 6, [
            ("2.1", "办公区域整洁", 3, "deduct", "onsite", {"per": 1}),
            ("绿化", 3, [
                ("2.2", "绿化带无杂物", 2, "deduct", "onsite", {"per": D("0.5")}),
                ("2.3", "草坪修剪及时", 1, "deduct", "onsite", {"per": D("0.5")}),
            ]),
        ]),
    ]
    assert "method" not in doc["sections"][0]["items"][0]["items"][0]  # no method column: the default
    # 1.1 fails -> 安全管理 scores 0 (its applicable 3: 1.3 is N/A); 环境管理 2 + 2 + 0 = 4 of 6.
    # 4 of 9 -> 44.44 % 不合格; groups: 消防设施 0.5 of 3 (its own figure), 安全培训 0 of 0, 绿化 2 of 3
    r = score(c, {"1.1": {"result": "fail"}, "1.2": {"count": 1}, "1.3": {"result": "na"}, "2.1": {"count": 1},
                  "2.2": {"count": 0}, "2.3": {"count": 2}})
    assert (r.awarded, r.applicable, r.percent, r.grade) == (4, 9, D("44.44"), "不合格")
    assert [(g.awarded, g.applicable) for g in r.sections[0].groups] == [(D("0.5"), 3), (0, 0)]
    assert [(g.awarded, g.applicable) for g in r.sections[1].groups] == [(2, 3)]
    # all right but 2.3 once: 5 + 3 + 2 + 0.5 = 10.5 of 11 -> 95.45 % 优秀
    r = score(c, {"1.1": {"result": "pass"}, "1.2": {"count": 0}, "1.3": {"result": "pass"}, "2.1": {"count": 0},
                  "2.2": {"count": 0}, "2.3": {"count": 1}})
    assert (r.awarded, r.percent, r.grade) == (D("10.5"), D("95.45"), "优秀")


# ============================================================================ sheet E
# A workbook whose first sheet is an explanation; both 序号 and 编号 (编号 wins); 加分项 and 扣分项
# sections of rows without points; "有1处", "每例", "每项扣0.2分"; 另扣 with 最多扣 and with 一票否决.
SHEET_E = workbook(
    ("说明", [["本表由品质部每年修订，解释权归品质部。"]], []),
    ("评分表", [
        ["2026年度项目品质考核表"],
        ["类别", "序号", "编号", "考核内容", "分值", "考核办法", "扣分", "得分"],
        ["客户服务", 1, "CS-01", "接听电话三声内", 2, "有1处扣0.5分"],
        [None, 2, "CS-02", "投诉24小时内回复", 3, "每例扣1分"],
        [None, 3, "CS-03", "特约服务记录完整", 1, "每项扣0.2分"],
        ["加分项", 4, "BO-01", "获得业主锦旗或表扬信", None, "每次加0.5分，最多加1分"],
        ["扣分项", 5, "PE-01", "发生有效投诉", None, "每次另扣1分，最多扣3分"],
        [None, 6, "PE-02", "发生重大安全事故", None, "另扣5分；一票否决"],
    ], ["A3:A5", "A7:A8"]),
)


def test_sheet_e_second_sheet_bonus_and_penalty_rows():
    assert [str(p) for p in read(SHEET_E).problems] == [
        "标准.xlsx:说明!A1: 前10行中找不到表头（需要同时有检查内容列和分值列："
        "检查内容/检查标准/服务标准/考核内容/考核标准/标准要求/三级指标 与 分值/标准分/分数/满分）"]
    _, c = imported(SHEET_E, sheet="评分表")
    assert shape(c) == [
        ("客户服务", 6, [
            ("cs-01", "接听电话三声内", 2, "deduct", "onsite", {"per": D("0.5")}),
            ("cs-02", "投诉24小时内回复", 3, "deduct", "onsite", {"per": 1}),
            ("cs-03", "特约服务记录完整", 1, "deduct", "onsite", {"per": D("0.2")}),
        ]),
        ("加分项", 0, [("bo-01", "获得业主锦旗或表扬信", 0, "bonus", "onsite", {"per": D("0.5"), "max": 1})]),
        ("扣分项", 0, [
            ("pe-01", "发生有效投诉", 0, "penalty", "onsite", {"per": 1, "max": 3}),
            ("pe-02", "发生重大安全事故", 0, "penalty", "onsite", {"per": 5, "critical": "checklist"}),
        ]),
    ]
    base = {"cs-01": {"count": 1}, "cs-02": {"count": 0}, "cs-03": {"count": 3}, "bo-01": {"count": 1},
            "pe-01": {"count": 4}, "pe-02": {"count": 0}}
    # 1.5 + 3 + 0.4 = 4.9; + 0.5 bonus; - min(4 × 1, 3) = 3 -> 2.4 of 6 -> 40 % 不合格
    r = score(c, base)
    assert (r.awarded, r.bonus, r.penalty, r.percent, r.grade) == (D("2.4"), D("0.5"), 3, D("40.00"), "不合格")
    # a perfect month plus 3 praises: 6 + min(1.5, 1) = 7, held at the 6 applicable -> 100 %
    r = score(c, {**base, "cs-01": {"count": 0}, "cs-03": {"count": 0}, "bo-01": {"count": 3},
                  "pe-01": {"count": 0}})
    assert (r.awarded, r.bonus, r.percent) == (6, 1, D("100.00"))
    # the 一票否决 penalty
    r = score(c, {**base, "pe-02": {"count": 1}})
    assert (r.awarded, r.critical_failed, r.failed_items) == (0, True, ("cs-01", "cs-03", "pe-01", "pe-02"))


# ============================================================================ sheet F
# The header on row 1 (no title: the sheet name is the title), no number column (ids by position),
# full-width digits "１、发现一处扣０．５分", points typed as "1.5分", tenths, one 评分标准 cell and one
# 检查方式 cell merged over two items (they apply to both), "查阅" alone.
SHEET_F = workbook(("品质巡查表", [
    ["一级指标", "二级指标", "三级指标", "分值", "评分标准", "检查方式"],
    ["设备管理", "电梯", "电梯轿厢清洁无异味", "1.5分", "１、发现一处扣０．５分；２、设备停用未公示，本项不得分", "现场查看"],
    [None, None, "电梯年检合格证在有效期内", 1.5],
    [None, "水泵房", "水泵房整洁，记录齐全", 0.3, "每处扣0.1分", "查阅"],
], ["E2:E3", "F2:F3"]))


def test_sheet_f_no_numbers_full_width_shared_rule_cells():
    _, c = imported(SHEET_F)
    rules = {"rules": [("a", "发现一处扣０．５分", D("0.5")), ("b", "设备停用未公示", "all")]}
    assert c.title == "品质巡查表"
    assert shape(c) == [
        ("设备管理", D("3.3"), [
            ("电梯", 3, [
                ("1.1", "电梯轿厢清洁无异味", D("1.5"), "deduct", "onsite", rules),
                ("1.2", "电梯年检合格证在有效期内", D("1.5"), "deduct", "onsite", rules),
            ]),
            ("水泵房", D("0.3"), [("1.3", "水泵房整洁，记录齐全", D("0.3"), "deduct", "records", {"per": D("0.1")})]),
        ]),
    ]
    # 1.1: 1.5 - 0.5 = 1; 1.2: clause b -> 0; 1.3: 0.3 - 0.1 = 0.2. 1.2 of 3.3 -> 36.3636… -> 36.36 % 不合格
    r = score(c, {"1.1": {"counts": {"a": 1}}, "1.2": {"counts": {"b": 1}}, "1.3": {"count": 1}})
    assert (r.awarded, r.applicable, r.percent, r.grade) == (D("1.2"), D("3.3"), D("36.36"), "不合格")
    assert [(g.awarded, g.applicable) for g in r.sections[0].groups] == [(1, 3), (D("0.2"), D("0.3"))]


# ============================================================================ sheet G
# A two-row header (序号/检查内容/分值/评分标准 merged over two rows, 检查结果 over 扣分 | 得分), section
# headings typed into the 序号 column alone ("一、公共区域（5分）", "二、垃圾处理" without points), a 合计 row.
SHEET_G = workbook(("保洁", [
    ["保洁服务检查表（2026版）"],
    ["序号", "检查内容", "分值", "评分标准", "检查结果"],
    [None, None, None, None, "扣分", "得分"],
    ["一、公共区域（5分）"],
    [1, "大堂地面无污渍", 3, "每处扣1分"],
    [2, "电梯厅无杂物", 2, "每处扣0.5分"],
    ["二、垃圾处理"],
    [3, "垃圾日产日清", 4, "不得分"],
    ["合计", None, 9],
], ["A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2"]))


def test_sheet_g_two_row_header_and_typed_headings():
    _, c = imported(SHEET_G)
    assert c.title == "保洁服务检查表（2026版）"
    assert shape(c) == [
        ("一、公共区域", 5, [("1", "大堂地面无污渍", 3, "deduct", "onsite", {"per": 1}),
                          ("2", "电梯厅无杂物", 2, "deduct", "onsite", {"per": D("0.5")})]),
        ("二、垃圾处理", 4, [("3", "垃圾日产日清", 4, "pass_fail", "onsite", {})]),
    ]
    # 3 - 1 + 2 + 4 = 8 of 9 -> 88.888… -> 88.89 % 良好
    r = score(c, {"1": {"count": 1}, "2": {"count": 0}, "3": {"result": "pass"}})
    assert (r.awarded, r.percent, r.grade) == (8, D("88.89"), "良好")


# ============================================================================ mistakes
BROKEN = workbook(("检查表", [
    ["检查表"],
    ["部分", "编号", "检查内容", "分值", "评分标准", "检查方式", "否决"],
    ["服务（20分）", "1", "仪容仪表", 2, "每处扣0.5分", "现场"],
    [None, "2", None, 1, "每处扣0.5分"],                          # points without text
    [None, "3", "工牌佩戴", "两分", "每处扣0.5分"],                 # points not a number
    [None, "4", "前台整洁", 2, "视情况处理"],                      # a clause nobody can score
    [None, "5", "档案齐全", 2, "每处扣0.5分", "问卷调查"],          # unknown method
    [None, "1", "电话礼仪", 2, "每处扣0.5分"],                     # number used twice
    [None, "7", "表扬", 2, "每次加0.5分"],                         # a bonus on a row with points
    [None, "8", "投诉回复", None, "每处扣1分"],                     # no points, not a bonus or penalty
    [None, "9", "记录", 0.5, "每处扣1分"],                         # more per occurrence than the item has
    [None, "10", "交接", 0.25, "不得分"],                          # not a multiple of 0.1
    [None, "11", "消防", 2, "不得分", None, "也许"],               # unknown veto mark
    [None, "12", "维修", 2, "扣0.5-1分"],                          # a range
    [None, "13", "巡查", 2, "每处扣0.5分；严重的一票否决"],           # a veto on a deduction item
    [None, "一", "考勤", 1, "不得分"],                             # a number that is no id
], ["A3:A16"]))


def test_every_broken_cell_is_named():
    r = read(BROKEN)
    assert r.checklist is None
    assert [str(p) for p in r.problems] == [
        "标准.xlsx:检查表!C4: 有分值但没有检查内容",
        "标准.xlsx:检查表!D5: 分值不是数字（两分）",
        "标准.xlsx:检查表!E6: 无法识别的评分条款：“视情况处理”",
        "标准.xlsx:检查表!F7: 无法识别的检查方式（问卷调查）：查阅记录/现场查看/暗访/电话/询问",
        "标准.xlsx:检查表!B8: 编号 1 重复（已用于 B3）",
        "标准.xlsx:检查表!E9: 加分（加 x 分）和另扣（另扣 x 分）只能写在没有分值的行",
        "标准.xlsx:检查表!D10: 没有分值：无分值的行只能是加分（加 x 分）或另扣（另扣 x 分）",
        "标准.xlsx:检查表!E11: 每处扣分（1）大于本项分值（0.5）",
        "标准.xlsx:检查表!D12: 分值须为0.1的倍数（0.25）",
        "标准.xlsx:检查表!G13: 无法识别的否决标记（也许）：写“一票否决”或“本部分不得分”",
        "标准.xlsx:检查表!E14: 扣分为区间（扣0.5-1分），请写明每处扣多少分",
        "标准.xlsx:检查表!E15: 一票否决/本部分不得分对整项生效（本项任何扣分都会触发）：请把否决条件单列一行",
        "标准.xlsx:检查表!B16: 编号只能由字母、数字、点、横线组成（一）",
    ]
    # the same problems in English: the cell's own content and the sheet's grammar words quoted, nothing else Chinese
    assert [p.render("en") for p in r.problems] == [
        "标准.xlsx:检查表!C4: Points but no item text",
        "标准.xlsx:检查表!D5: The points are not a number (两分)",
        "标准.xlsx:检查表!E6: Unrecognised scoring clause: “视情况处理”",
        "标准.xlsx:检查表!F7: Unrecognised inspection method (问卷调查): write one of 查阅记录/现场查看/暗访/电话/询问",
        "标准.xlsx:检查表!B8: Number 1 is used twice (already at B3)",
        "标准.xlsx:检查表!E9: A bonus (加 x 分) or a penalty (另扣 x 分) can only be written on a row without points",
        "标准.xlsx:检查表!D10: No points: a row without points can only be a bonus (加 x 分) or a penalty (另扣 x 分)",
        "标准.xlsx:检查表!E11: The deduction per occurrence (1) is more than the item's points (0.5)",
        "标准.xlsx:检查表!D12: The points must be a multiple of 0.1 (0.25)",
        "标准.xlsx:检查表!G13: Unrecognised veto mark (也许): write “一票否决” (the whole checklist) or “本部分不得分” "
        "(this section)",
        "标准.xlsx:检查表!E14: The deduction is a range (扣0.5-1分): write how much is deducted per occurrence",
        "标准.xlsx:检查表!E15: A veto (一票否决 / 本部分不得分) applies to the whole item (any deduction on it would "
        "trigger it): put the veto condition on a row of its own",
        "标准.xlsx:检查表!B16: A number may only hold letters, digits, dots and hyphens (一)",
    ]
    for p in r.problems:
        assert str(p) == p.render("zh") and p.render("zh") != p.render("en")
        assert english_without_params(p) and not CJK.search(english_without_params(p)), p.render("en")
    # the workshop marks problems on rows: every item row is known with its cells
    assert [row.row for row in r.rows] == list(range(3, 17))
    assert r.rows[1].cells["text"] == "C4" and r.columns == {
        "section": "A", "number": "B", "text": "C", "points": "D", "rule": "E", "method": "F", "critical": "G"}


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60]")


def english_without_params(p: SheetProblem) -> str:
    """A problem's English reason with its parameters (cell content, sheet grammar words) taken out."""
    assert isinstance(p.reason, Msg), p.reason
    out = p.reason.render("en")
    for v in p.reason.params.values():
        out = out.replace(v.render("en") if hasattr(v, "render") else str(v), "")
    return out


SUMS = workbook(("Sheet1", [
    ["分项", "部分", "编号", "考核内容", "分值", "评分标准"],
    [None, "客户服务（6分）", "1.1", "接待", 2, "不得分"],
    ["BI规范（3分）", None, "1.2", "着装", 1, "每处扣0.5分"],
    [None, None, "1.3", "工牌", 1, "每处扣0.5分"],
    [None, "环境（2分）", "2.1", "整洁", 2, "每处扣1分"],
], ["B2:B4", "A3:A4"]))


def test_section_and_group_points_must_add_up():
    # the group says 3 but holds 1 + 1; the section says 6 but holds 2 + the group's 3
    assert [str(p) for p in read(SUMS).problems] == [
        "标准.xlsx:Sheet1!A3: 分项“BI规范”标明 3 分，但其检查项合计 2 分",
        "标准.xlsx:Sheet1!B2: 部分“客户服务”标明 6 分，但其检查项合计 5 分",
    ]
    assert [p.render("en") for p in read(SUMS).problems] == [
        "标准.xlsx:Sheet1!A3: Group “BI规范” states 3 points, but its items add up to 2",
        "标准.xlsx:Sheet1!B2: Section “客户服务” states 6 points, but its items add up to 5",
    ]


def test_unreadable_file_and_missing_sheet():
    r = read(b"id,text\n1,x\n")
    assert len(r.problems) == 1 and str(r.problems[0]).startswith("标准.xlsx: 不是可读取的 Excel（.xlsx）文件")
    assert r.problems[0].render("en") == "标准.xlsx: Not a readable Excel (.xlsx) file: BadZipFile"
    r = read(workbook(("品质检查", [["x"]], []), ("Sheet 2", [["y"]], [])), sheet="第二页")
    assert [str(p) for p in r.problems] == ["标准.xlsx:第二页!A1: 没有这个工作表（工作表：品质检查、Sheet 2）"]
    assert [p.render("en") for p in r.problems] == [
        "标准.xlsx:第二页!A1: There is no such sheet (the sheets: 品质检查, Sheet 2)"]
    r = read(SHEET_A, cid="Not A Slug", kind="nope")
    assert [p.render("en") for p in r.problems] == [
        "标准.xlsx:品质检查: --id must be made of lowercase letters, digits, - and _ (Not A Slug)",
        "标准.xlsx:品质检查: kind must be appearance/safety/training/standard/workflow, subject must be staff/site"]
    assert str(r.problems[0]) == "标准.xlsx:品质检查: --id 须由小写字母、数字、- _ 组成（Not A Slug）"


HOSTILE = "<img src=x onerror=alert(1)>{n}{0}{} %s " + "长" * 470


def test_hostile_cell_text_in_a_problem_is_quoted_as_it_is():
    """Cell text quoted in a problem is a parameter: substituted once, never read as a template or markup."""
    r = read(workbook(("检查表", [
        ["部分", "编号", "检查内容", "分值", "评分标准", "检查方式", "否决"],
        ["服务（6分）", "1", HOSTILE, HOSTILE, "每处扣0.5分"],
        [None, "2", "前台", 2, HOSTILE],
        [None, "3", "档案", 2, "每处扣0.5分", HOSTILE],
        [None, "4", "消防", 2, "不得分", None, HOSTILE],
        [None, HOSTILE, "考勤", 2, "不得分"],
    ], ["A2:A6"])))
    assert len(HOSTILE) > 500 and r.checklist is None
    for lang in ("zh", "en"):
        shown = [p.render(lang) for p in r.problems]
        assert [s.split(": ", 1)[0] for s in shown] == ["标准.xlsx:检查表!D2", "标准.xlsx:检查表!E3",
                                                         "标准.xlsx:检查表!E3", "标准.xlsx:检查表!F4",
                                                         "标准.xlsx:检查表!G5", "标准.xlsx:检查表!B6"], shown
        assert all(HOSTILE.strip() in s for s in (shown[0], shown[3], shown[4])), shown
        # the rule cell is split into clauses at "(1)" (a clause label): each clause quoted as written
        assert "“<img src=x onerror=alert”" in shown[1] and ">{n}{0}{} %s 长长" in shown[2]
        assert HOSTILE.strip().lower() in shown[5]  # the number column is read lower-cased
    assert r.problems[0].render("en") == f"标准.xlsx:检查表!D2: The points are not a number ({HOSTILE.strip()})"
    assert str(r.problems[0]) == f"标准.xlsx:检查表!D2: 分值不是数字（{HOSTILE.strip()}）"


# ============================================================================ the command line
def run(*args: str, cwd: Path | None = None, lang: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PINZHI_LANG": lang}  # Chinese unless told
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, check=False,
                          cwd=cwd or ROOT, env=env)


def test_cli_import_writes_yaml_that_validates(tmp_path):
    src = tmp_path / "标准A.xlsx"
    src.write_bytes(SHEET_A)
    r = run("checklists", "import", str(src), "--id", "zh-residential", "--title", "住宅品质标准", "--kind",
            "standard", "--subject", "site")
    assert r.returncode == 0, r.stderr
    c, problems = parse_checklist_text(r.stdout, "stdout")
    assert c is not None, problems
    assert (c.id, c.title, c.possible, len(c.items)) == ("zh-residential", "住宅品质标准", 10, 7)
    assert c.item("1.1").source == "import: 标准A.xlsx 品质检查!4"
    out = tmp_path / "out" / "zh.yaml"
    out.parent.mkdir()
    r = run("checklists", "import", str(src), "--id", "zh", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{out}：{len(c.sections)} 个部分、7 个检查项，来自 标准A.xlsx 的工作表 品质检查", r.stdout
    r = run("checklists", "import", str(src), "--id", "zh", "--out", str(out), lang="en")
    assert r.stdout.strip() == f"{out}: {len(c.sections)} sections, 7 items from 标准A.xlsx 品质检查", r.stdout
    d = tmp_path / "out"
    r = run("checklists", "validate", str(d))
    assert r.returncode == 0, r.stdout
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["sections"][0]["items"][2]["title"] == "BI规范"


def test_cli_import_problems_exit_1_and_write_nothing(tmp_path):
    src = tmp_path / "broken.xlsx"
    src.write_bytes(BROKEN)
    out = tmp_path / "kept.yaml"
    out.write_text("the old file\n", encoding="utf-8")
    r = run("checklists", "import", str(src), "--id", "broken", "--out", str(out))
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 13 and all(x.startswith("broken.xlsx:检查表!") for x in lines)
    assert lines[1] == "broken.xlsx:检查表!D5: 分值不是数字（两分）"
    english = run("checklists", "import", str(src), "--id", "broken", "--out", str(out), lang="en")
    assert english.returncode == 1 and english.stdout == ""
    lines = english.stderr.splitlines()
    assert len(lines) == 13 and all(x.startswith("broken.xlsx:检查表!") for x in lines)
    assert lines[1] == "broken.xlsx:检查表!D5: The points are not a number (两分)"
    assert lines[0] == "broken.xlsx:检查表!C4: Points but no item text"
    assert out.read_text(encoding="utf-8") == "the old file\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xlsx", "kept.yaml"]  # no temporary left
    r = run("checklists", "import", str(src), "--id", "Not A Slug", lang="en")
    assert r.returncode == 2 and "--id must be a slug" in r.stderr
    r = run("checklists", "import", str(src), "--id", "Not A Slug")
    assert (r.returncode, r.stderr.strip()) == (2, "pinzhi: --id 只能由 a-z 0-9 - _ 组成（收到 'Not A Slug'）")
    r = run("checklists", "import", str(tmp_path / "missing.xlsx"), "--id", "x", lang="en")
    assert r.returncode == 2 and "cannot read" in r.stderr
    r = run("checklists", "import", str(tmp_path / "missing.xlsx"), "--id", "x")
    assert r.returncode == 2 and r.stderr.startswith(f"pinzhi: 无法读取 {tmp_path / 'missing.xlsx'}：")


def test_cli_export_printable_and_blank(tmp_path):
    r = run("checklists", "export", "jindi-community-cs", "--format", "xlsx", "--out", str(tmp_path / "s.xlsx"))
    assert r.returncode == 0, r.stderr
    r = run("checklists", "export", "jindi-community-cs", "--format", "xlsx", "--blank", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "jindi-community-cs-blank.xlsx：金地物业客户管理服务考核标准（小区）（空白检查表）"
    r = run("checklists", "export", "jindi-community-cs", "--format", "xlsx", "--blank", cwd=tmp_path, lang="en")
    assert r.stdout.strip() == "jindi-community-cs-blank.xlsx: 金地物业客户管理服务考核标准（小区） (blank checklist)"
    blank = load_workbook(tmp_path / "jindi-community-cs-blank.xlsx").active
    full = load_workbook(tmp_path / "s.xlsx").active
    assert [c.value for c in full[3]] == ["部分", "编号", "检查内容", "分值", "评分标准", "否决"]
    assert [c.value for c in blank[3]] == ["部分", "编号", "检查内容", "分值", "评分标准", "否决", "扣分", "得分",
                                           "检查情况"]
    assert blank["A1"].value == full["A1"].value == "金地物业客户管理服务考核标准（小区）"
    assert blank.print_title_rows == "$3:$3" and blank.page_setup.orientation == "landscape"
    # every result cell of the paper form is empty; the standard's cells are the same as the printable sheet's
    rows = list(blank.iter_rows(min_row=4, values_only=True))
    items = [row for row in rows if row[1]]
    jindi = load_directory(ROOT / "checklists").checklists["jindi-community-cs"]
    assert [row[1] for row in items] == [i.id for i in jindi.items]
    assert all(row[6:] == (None, None, None) for row in items)
    assert [row[:6] for row in items] == [row[:6] for row in full.iter_rows(min_row=4, values_only=True) if row[1]]
    texts = [str(row[0]) for row in rows if row[0]]
    assert any("签字" in t for t in texts) and any(t.startswith("评定等级：优秀≥90分") for t in texts)
    r = run("checklists", "export", "no-such-checklist", lang="en")
    assert r.returncode == 2 and "unknown checklist" in r.stderr
    r = run("checklists", "export", "jindi-community-cs", "--out", str(tmp_path / "no" / "x.xlsx"))
    assert (r.returncode, r.stderr.strip()) == (2, f"pinzhi: --out {tmp_path / 'no' / 'x.xlsx'} 所在的目录不存在")


# ============================================================================ export -> import
SHIPPED = load_directory(ROOT / "checklists")


@pytest.mark.parametrize("blank", [False, True])
@pytest.mark.parametrize("cid", sorted(SHIPPED.checklists))
def test_import_of_export_is_the_same_standard(cid, blank):
    original = SHIPPED.checklists[cid]
    result = read(write_standard(original, blank=blank), cid=cid, kind=original.kind, subject=original.subject)
    assert not result.problems, [str(p) for p in result.problems]
    assert result.checklist is not None
    again, problems = parse_checklist(result.checklist, "again.yaml")
    assert again is not None, problems
    assert differences(original, again) == []
    assert (again.possible, len(again.items)) == (original.possible, len(original.items))


def test_import_of_export_round_trips_every_version_2_kind():
    from test_scoring_v2 import example

    original = example()
    result = read(write_standard(original), cid=original.id)
    assert not result.problems, [str(p) for p in result.problems]
    again, _ = parse_checklist(result.checklist, "again.yaml")
    assert again is not None
    assert differences(original, again) == []
    kinds = {i.scoring for i in again.items}
    assert kinds == {"deduct", "pass_fail", "sample", "bonus", "penalty"} and again.sections[0].groups
    # and it scores the same: DESIGN example figures again (1.1 a×2 + b×1 -> 1.5; …) = 7.8
    answers = {"1.1": {"counts": {"a": 2, "b": 1}}, "1.2": {"result": "pass"}, "1.3.1": {"count": 1},
               "1.3.2": {"result": "pass"}, "2.1": {"checked": 10, "failed": 3}, "3.1": {"count": 3},
               "3.2": {"count": 0}}
    assert score(again, answers).awarded == score(original, answers).awarded == D("7.8")


def test_export_keeps_grades_and_title_and_survives_formula_like_text():
    c, problems = parse_checklist({
        "id": "g", "version": "2", "title": "=HYPERLINK(\"x\")", "kind": "safety", "subject": "staff",
        "grades": [{"grade": "A", "min": 95}, {"grade": "B", "min": 75}, {"grade": "C", "min": 0}],
        "sections": [{"id": "s", "title": "安全", "points": 1, "items": [
            {"id": "s.1", "text": "=1+1", "points": 1, "source": "x", "scoring": "scale", "step": 0.5,
             "na": True}]}],
    }, "g.yaml")
    assert c is not None, problems
    data = write_standard(c)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["C4"].value == "=1+1" and ws["C4"].data_type == "s"  # text, not a formula
    result = read(data, cid="g", kind="safety", subject="staff")
    again, _ = parse_checklist(result.checklist, "g2.yaml")
    assert again is not None and differences(c, again) == []
    assert [(b.grade, b.min) for b in again.grades] == [("A", 95), ("B", 75), ("C", 0)]


# ============================================================================ property: export -> import
CLAUSES = ("缺失关键规程、重要节点", "现场使用失效版本文件", "记录填写不完整", "未按时巡查", "标识不清晰", "不适用且无上报修正记录")
tenths = st.integers(min_value=1, max_value=40).map(lambda n: D(n) / 10)


@st.composite
def any_item(draw, n: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["pass_fail", "deduct", "rules", "sample", "scale", "bonus", "penalty"]))
    base: dict[str, Any] = {"id": f"{n // 10 + 1}.{n % 10 + 1}", "text": f"检查项{n}", "source": "x",
                            "method": draw(st.sampled_from(["records", "onsite", "mystery", "phone", "interview"]))}
    points = draw(tenths)
    if kind in ("bonus", "penalty"):
        base.update(scoring=kind, per=float(draw(tenths)))
        if draw(st.booleans()):
            base["max"] = float(draw(tenths))
        if kind == "penalty" and draw(st.booleans()):
            base["critical"] = draw(st.sampled_from(["section", "checklist"]))
        return base
    base["points"] = float(points)
    if kind == "deduct":
        base.update(scoring="deduct", per=float(min(draw(tenths), points)))
    elif kind == "rules":
        texts = draw(st.lists(st.sampled_from(CLAUSES), min_size=2, max_size=4, unique=True))
        base.update(scoring="deduct", rules=[
            {"id": "abcd"[k], "text": t, "per": "all" if draw(st.booleans()) else float(min(draw(tenths), points))}
            for k, t in enumerate(texts)])
    elif kind == "sample":
        base.update(scoring="sample", min_sample=draw(st.integers(min_value=1, max_value=20)))
    elif kind == "scale":
        base.update(scoring="scale", step=float(points))
    elif draw(st.booleans()):
        base["critical"] = draw(st.sampled_from(["section", "checklist"]))
    if draw(st.booleans()):
        base["na"] = True
    return base


@st.composite
def any_checklist(draw) -> Checklist:
    sections = []
    n = 0
    for s in range(draw(st.integers(min_value=1, max_value=3))):
        entries: list[dict[str, Any]] = []
        for g in range(draw(st.integers(min_value=1, max_value=3))):
            if draw(st.booleans()):
                items = [draw(any_item(n + k)) for k in range(draw(st.integers(min_value=1, max_value=3)))]
                n += len(items)
                pts = sum((D(str(i.get("points", 0))) for i in items), D(0))
                if pts == 0:
                    entries.extend(items)
                    continue
                entries.append({"id": f"g{s}{g}", "title": f"分项{s}{g}", "points": float(pts), "items": items})
            else:
                entries.append(draw(any_item(n)))
                n += 1
        flat = [i for e in entries for i in e.get("items", [e])]
        sections.append({"id": f"s{s}", "title": f"部分{s}", "items": entries,
                         "points": float(sum((D(str(i.get("points", 0))) for i in flat), D(0)))})
    c, problems = parse_checklist({"id": "p", "version": "1", "title": "随机标准", "kind": "standard",
                                   "subject": "site", "sections": sections}, "p.yaml")
    assert c is not None, problems
    return c


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_checklist(), st.booleans())
def test_import_of_export_is_the_same_for_any_standard(original, blank):
    result = read(write_standard(original, blank=blank), cid="p")
    assert not result.problems, [str(p) for p in result.problems]
    again, problems = parse_checklist(result.checklist, "again.yaml")
    assert again is not None, problems
    assert differences(original, again) == []


def test_the_checklist_loaders_problems_are_put_on_their_cell_in_both_languages():
    """What only the checklist loader refuses (a scoring unit that does not divide the points) is named on the rule
    cell, in the loader's words in either language."""
    r = read(workbook(("表", [["部分", "编号", "检查内容", "分值", "评分标准"],
                              ["服务", "1", "仪容", 2, "酌情扣分，以0.3分为单位"]], [])))
    assert r.checklist is None
    assert [str(p) for p in r.problems] == ["标准.xlsx:表!E2: 检查项 1：'step'（0.3）必须能整除本项分值（2）"]
    assert [p.render("en") for p in r.problems] == ["标准.xlsx:表!E2: item 1: 'step' (0.3) must divide the item's points (2)"]
