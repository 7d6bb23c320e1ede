"""History detail of a version-2 inspection (AppTest): clause counts, a sample, bonus and penalty in words, the
group headings, and a manager's amendment of a sample item; a clause text with markup is shown as text."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import yaml
from apptest_support import app_as, as_shown, texts
from test_apptest import db, tokens, world, world_template  # noqa: F401  (the AppTest world and its fixtures)
from v2_standard import v2_standard_doc

from app.services import inspections as svc
from scoring.grades import round_half_up

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<img src=x onerror=alert(1)>![x](http://evil.example/x.png)\n**粗体**"
GIVEN = {"1.1": {"counts": {"a": 1, "c": 1}}, "1.2.1": {"count": 1}, "1.2.2": {"result": "pass"},
         "1.3": {"counts": {}}, "2.1": {"checked": 10, "failed": 3}, "2.2": {"checked": 5, "failed": 0},
         "3.1": {"count": 2}, "3.2": {"count": 1}}


def submitted(db, w, tmp_path) -> int:  # noqa: F811
    doc = v2_standard_doc()
    doc["sections"][0]["items"][0]["rules"][0]["text"] = HOSTILE
    (tmp_path / "checklists" / "v2-standard.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True),
                                                              encoding="utf-8")
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 20),
                                   shift_name="早班", subject_type="site", checklist_id="v2-standard", staff_id=None)
        for item_id, value in GIVEN.items():
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=item_id, value=value)
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    return iid


def test_history_detail_shows_v2_answers_and_amends_a_sample(world, db, tokens, tmp_path):  # noqa: F811
    iid = submitted(db, world, tmp_path)
    at = app_as(tokens["manager"], page="history.py", view=str(iid))
    shown = texts(at)
    # 1.1: clause A once (-0.5) and clause C (per: all): the clause text with markup is literal
    assert f"✗ A. {HOSTILE.replace(chr(10), '  ' + chr(10))} 1处 −0.5；C. 不适用且无上报修正记录 本项不得分 · 流程制度齐全、为最新版本并适用于项目实际" in shown
    assert "✓ 无扣分 · 前台接待服务规范" in shown
    assert "✗ 抽查10，不合格3 · 业户档案一户一档" in shown and "✓ 抽查5，不合格0 · 报修回访记录完整" in shown
    assert "加分 2次 +1 · 受到业主书面表扬" in shown and "另扣 1次 −2 · 发生重大有效投诉" in shown
    assert "**分项 · BI规范 · 2分**" in shown
    assert not [m for m in at.markdown if "<img" in m.value and "\\<img" not in m.value]  # escaped, never markup
    # 14 points: 0 + 0.5 + 1 + 3 + 2.8 + 2 + 1 - 2 = 8.3 -> 59.29 %
    assert {m.label: m.value for m in at.metric}["得分率"] == "59.29%"

    # a manager amends the sample of 2.1: 10 checked, none failed (4 points): 9.5 -> 67.86 %
    item_index = [i.id for i in svc.catalog.load_catalog().checklists["v2-standard"].items].index("2.1")
    at.selectbox(key=f"am_item_{iid}").select_index(item_index).run()
    at.number_input(key=f"am_{iid}_2.1_failed").set_value(0).run()
    at.text_input(key=f"am_reason_{iid}").input("复核档案，3户已补齐")
    at.button(key=f"am_go_{iid}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with db.read() as s:
        view = svc.load_inspection(s, actor=world.manager, inspection_id=iid)
    assert view.answers["2.1"] == {"checked": 10, "failed": 0} and view.header.amended
    assert view.header.percent is not None and str(round_half_up(view.header.percent)) == "67.86"
    assert "✓ 抽查10，不合格0 · 业户档案一户一档" in texts(at)
    assert as_shown(at.caption[0].value).count("已修订") == 1


def test_review_shows_pareto_per_clause_and_bonus_penalty(world, db, tokens, tmp_path):  # noqa: F811
    """Month 2026-11 of site A, one v2 inspection: 1.1 lost 3 (clause A 0.5 and C 3 nominal: A 3 x 0.5/3.5,
    C 3 x 3/3.5), bonus 1, penalty 2."""
    iid = submitted(db, world, tmp_path)
    assert iid
    shutil.copy(ROOT / "checklists" / "scorecard.yaml", tmp_path / "checklists" / "scorecard.yaml")
    at = app_as(tokens["manager"], page="review.py", m="2026-11", subj="site")
    frames = [d.value for d in at.dataframe]
    ranked = next(f for f in frames if "排名" in f.columns)
    assert (ranked["加分"].tolist(), ranked["另扣"].tolist()) == ([1.0], [2.0])
    clauses = next(f for f in frames if "细则" in f.columns)
    assert clauses["细则"].tolist() == ["C. 不适用且无上报修正记录", f"A. {HOSTILE}"]
    assert clauses["扣分"].tolist() == [2.57, 0.43]  # 3 x 3/3.5 = 2.571.., 3 x 0.5/3.5 = 0.428..
    assert clauses["次数"].tolist() == [1, 1] and clauses["检查次数"].tolist() == [1, 1]
    assert clauses["检查项"].tolist() == ["1.1 流程制度齐全、为最新版本并适用于项目实际"] * 2
    assert "扣分细则排行（多条款检查项：哪一条扣分最多）" in texts(at)
