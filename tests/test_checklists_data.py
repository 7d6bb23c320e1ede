"""The standards are data and are tested as such: every file in checklists/ loads, and the Jindi
standard keeps every item that survives in seed 001 with its exact text and points."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from scoring import load_directory

ROOT = Path(__file__).resolve().parents[1]
CHECKLISTS = ROOT / "checklists"
SEED_001 = ROOT.parent / "shared" / "seeds" / "001_ed5980e0ad5a13e3.txt"
RESULT = load_directory(CHECKLISTS)

# (section points, item text as in seed 001 without its number and points, item points)
JINDI_SURVIVING = [
    (10, "按规定佩戴工作牌、丝巾、领带,制服干净平整,无污渍、破损", 1),
    (10, "女员工长头发应保持头发洁净整齐、勤洗、勤剪、勤梳理,男员工发根不过衣领,不留大鬓角,每天刮胡须", 1),
    (10, "指甲长度适中,指甲缝隙中无污垢,不得涂夸张的指甲油,不允许美甲", 1),
    (None, "按规定办理过户手续,填写相关记录表格,并及时更新业户信息", 2),
    (None, "按规定办理钥匙托管/借用手续,并填写相关记录表格", 2),
    (None, "按规定办理邮件包裹代收发业务,并填写《邮件代收登记表》", 1),
    (7, "年度培训计划按要求上报审批,根据计划分解制定月度培训计划", 1),
    (7, "培训按计划实施,如计划有变化须注明原因且在下月的培训计划中有体现", 1),
    (7, "受训人员到位率100%(特殊情况除外)", 1),
    (7, "关注培训效果,培训合格率90%", 2),
    (7, "记录完整,对每次培训教材进行存档(引用体系文件的需注明章节)", 2),
    (3, "熟识小区基本情况、物业法律法规", 1),
    (5, "每年12月制定次年的社区文化年度计划,报公司领导审批", 1),
    (5, "按社区文化计划或经确认后的改进方案组织实施", 1),
    (5, "对每一次社区文化活动进行满意度调查,并总结分析", 2),
    (5, "按要求向业户发送短信", 1),
]

FULL_TO_ASCII = str.maketrans({"，": ",", "；": ";", "（": "(", "）": ")", "：": ":", "。": ".", "％": "%"})


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text.translate(FULL_TO_ASCII)).rstrip(";.")


def test_every_checklist_file_loads_without_problems():
    assert RESULT.problems == []
    files = {p.name for p in CHECKLISTS.glob("*.yaml")} - {"scorecard.yaml"}
    assert len(RESULT.checklists) == len(files) >= 6


def test_expected_checklists_are_there():
    kinds = {(c.kind, c.subject) for c in RESULT.checklists.values()}
    assert {("appearance", "staff"), ("safety", "site"), ("training", "site"), ("workflow", "site"),
            ("standard", "site")} <= kinds
    appearance = [c for c in RESULT.checklists.values() if c.kind == "appearance"]
    assert any(c.self_check for c in appearance)
    standards = [c for c in RESULT.checklists.values() if c.kind == "standard"]
    assert len(standards) >= 2  # residential and sales office


@pytest.mark.parametrize("checklist_id", sorted(RESULT.checklists))
def test_every_item_has_a_source(checklist_id):
    c = RESULT.checklists[checklist_id]
    for it in c.items:
        assert it.source.strip(), it.id
        if it.origin == "reconstructed":
            assert re.match(r"reconstructed: 00[0-4]", it.source), (it.id, it.source)


@pytest.mark.parametrize("checklist_id", ["jindi-community-cs", "jindi-salesoffice-cs"])
def test_jindi_standards_total_100(checklist_id):
    c = RESULT.checklists[checklist_id]
    assert c.possible == 100 and c.total_points == 100
    assert c.kind == "standard"


@pytest.mark.parametrize(("section_points", "text", "points"), JINDI_SURVIVING)
def test_jindi_surviving_items_kept_exactly(section_points, text, points):
    c = RESULT.checklists["jindi-community-cs"]
    hits = [(s, i) for s in c.sections for i in s.items if norm(i.text) == norm(text)]
    assert len(hits) == 1, f"surviving seed item not found exactly once: {text}"
    sec, it = hits[0]
    assert it.points == Decimal(points)
    assert it.origin == "original" and it.source.startswith("001")
    if section_points is not None:
        assert sec.points == Decimal(section_points)


def test_surviving_items_really_are_in_the_seed():
    if not SEED_001.exists():
        pytest.skip("shared/seeds not beside the checkout")
    seed = norm(SEED_001.read_text(encoding="utf-8"))
    for _, text, points in JINDI_SURVIVING:
        assert norm(text) in seed
        assert re.search(re.escape(norm(text)) + r"[;.]?\(" + str(points) + "分\\)", seed), text


def test_jindi_section_points_of_surviving_sections():
    c = RESULT.checklists["jindi-community-cs"]
    titles = {s.title: s.points for s in c.sections}
    for title, pts in [("服务形象及环境", 10), ("培训", 7), ("应知应会", 3), ("业户关怀", 5)]:
        assert titles.get(title) == pts, title
    assert len(c.sections) == 10


def test_salesoffice_shares_section_one():
    com = RESULT.checklists["jindi-community-cs"].sections[0]
    so = RESULT.checklists["jindi-salesoffice-cs"].sections[0]
    assert so.title == com.title and so.points == com.points
    assert [norm(i.text) for i in so.items] == [norm(i.text) for i in com.items]
