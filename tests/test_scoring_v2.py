"""The standards language, version 2: every new kind, table-driven with figures worked out by hand,
every new loader rule named, and properties (hypothesis) over random checklists and answers."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
import yaml
from factories import checklist_dict, item, make_checklist, section
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringError, parse_checklist, parse_checklist_text, partial_score, score
from scoring.model import Group

D = Decimal

# The example of shared/DESIGN.md "The standards language, version 2", completed (group 1.3 holds 2 points).
EXAMPLE_YAML = """
id: v2-example
version: "1"
title: 示例标准
kind: standard
subject: site
sections:
  - id: internal
    title: 内部管理
    points: 6
    items:
      - id: "1.1"
        text: 流程制度齐全、为最新版本并适用于项目实际
        points: 3
        method: records
        scoring: deduct
        source: test
        rules:
          - {id: a, text: 缺失关键规程、重要节点, per: 0.5}
          - {id: b, text: 现场使用失效版本文件, per: 0.5}
          - {id: c, text: 不适用且无上报修正记录, per: all}
      - {id: "1.2", text: 工作日志每日填写, points: 1, source: test}
      - id: "1.3"
        title: BI规范
        points: 2
        items:
          - {id: "1.3.1", text: 员工仪容仪表符合规定, points: 0.5, scoring: deduct, per: 0.5, source: test}
          - {id: "1.3.2", text: 工牌佩戴规范, points: 1.5, source: test, method: mystery}
  - id: records
    title: 客户服务
    points: 4
    items:
      - {id: "2.1", text: 业户档案一户一档, points: 4, method: records, scoring: sample, min_sample: 10, source: test}
  - id: extra
    title: 加减分
    points: 0
    items:
      - {id: "3.1", text: 受到业主书面表扬, scoring: bonus, per: 0.5, max: 1, source: test, na: true}
      - {id: "3.2", text: 发生重大有效投诉, scoring: penalty, per: 2, source: test}
"""


def adj(id: str, **kw: Any) -> dict[str, Any]:
    """A bonus or penalty item (no points)."""
    d = item(id, **kw)
    d.pop("points")
    return d


def example():
    c, problems = parse_checklist_text(EXAMPLE_YAML, "example.yaml")
    assert c is not None, problems
    return c


PERFECT = {
    "1.1": {"counts": {}}, "1.2": {"result": "pass"}, "1.3.1": {"count": 0}, "1.3.2": {"result": "pass"},
    "2.1": {"checked": 10, "failed": 0}, "3.1": {"count": 0}, "3.2": {"count": 0},
}


def answers(**over: Any) -> dict[str, Any]:
    return {**PERFECT, **{k.replace("_", "."): v for k, v in over.items()}}


def test_example_parses_into_groups_rules_methods():
    c = example()
    internal = c.sections[0]
    assert [i.id for i in internal.items] == ["1.1", "1.2", "1.3.1", "1.3.2"]
    assert [g.id for g in internal.groups] == ["1.3"] and internal.groups[0].points == 2
    assert [e.id for e in internal.entries] == ["1.1", "1.2", "1.3"] and isinstance(internal.entries[2], Group)
    assert c.item("1.3.1").group == "1.3" and c.item("1.1").group is None
    assert [(r.id, r.per) for r in c.item("1.1").rules] == [("a", D("0.5")), ("b", D("0.5")), ("c", None)]
    assert (c.item("1.1").method, c.item("1.2").method, c.item("1.3.2").method) == ("records", "onsite", "mystery")
    assert c.item("2.1").min_sample == 10
    assert (c.item("3.1").points, c.item("3.1").max, c.item("3.2").max) == (0, 1, None)
    assert c.sections[2].points == 0 and c.possible == 10


# Expected figures worked out by hand (see the comment of each row).
@pytest.mark.parametrize(
    ("over", "awarded", "percent", "grade", "failed", "sections", "group", "bonus", "penalty"),
    [
        # everything right: 6 + 4 = 10 of 10
        ({}, "10", "100.00", "优秀", [], ["6", "4", "0"], "2", "0", "0"),
        # 1.1: a×2 + b×1 = 1.5 lost -> 1.5; 1.3.1: 1 × 0.5 -> 0 (group 1.5 of 2); 2.1: 4 × 7/10 = 2.8;
        # bonus 3 × 0.5 = 1.5 capped at 1. Total 1.5+1+0+1.5 + 2.8 + 1 = 7.8 -> 78 % -> 合格
        ({"1_1": {"counts": {"a": 2, "b": 1}}, "1_3_1": {"count": 1}, "2_1": {"checked": 10, "failed": 3},
          "3_1": {"count": 3}}, "7.8", "78.00", "合格", ["1.1", "1.3.1", "2.1"], ["4", "2.8", "0"], "1.5", "1", "0"),
        # clause c (all) takes the whole item; 2.1: 4 × 11/12 = 3.666… -> 3.67; bonus 1; penalty 1 × 2 = 2.
        # Total 0+1+2 + 3.67 + 1 - 2 = 5.67 -> 56.7 % -> 不合格
        ({"1_1": {"counts": {"c": 1}}, "2_1": {"checked": 12, "failed": 1}, "3_1": {"count": 2},
          "3_2": {"count": 1}}, "5.67", "56.70", "不合格", ["1.1", "2.1", "3.2"], ["3", "3.67", "0"], "2", "1", "2"),
        # a bonus never lifts the total above the applicable points: 10 + 1 -> 10
        ({"3_1": {"count": 5}}, "10", "100.00", "优秀", [], ["6", "4", "0"], "2", "1", "0"),
        # the total never goes below 0: 1.1 -> 0 (c), 1.2 fail, 1.3.1 -> 0, 1.3.2 fail, 2.1 -> 0, penalty 3 × 2 = 6
        ({"1_1": {"counts": {"a": 1, "c": 1}}, "1_2": {"result": "fail"}, "1_3_1": {"count": 4},
          "1_3_2": {"result": "fail"}, "2_1": {"checked": 10, "failed": 10}, "3_2": {"count": 3}},
         "0", "0.00", "不合格", ["1.1", "1.2", "1.3.1", "1.3.2", "2.1", "3.2"], ["0", "0", "0"], "0", "0", "6"),
        # 扣完为止: 7 × 0.5 = 3.5 lost on a 3-point item -> 0; penalty 1 → 10 - 3 - 2 = 5 -> 50 %
        ({"1_1": {"counts": {"a": 4, "b": 3}}, "3_2": {"count": 1}}, "5", "50.00", "不合格", ["1.1", "3.2"],
         ["3", "4", "0"], "2", "0", "2"),
        # a bonus marked N/A adds nothing and does not change the applicable points
        ({"3_1": {"result": "na"}, "1_2": {"result": "fail"}}, "9", "90.00", "优秀", ["1.2"], ["5", "4", "0"], "2",
         "0", "0"),
    ],
)
def test_example_table(over, awarded, percent, grade, failed, sections, group, bonus, penalty):
    r = score(example(), answers(**over))
    assert (r.awarded, r.applicable, r.possible) == (D(awarded), 10, 10)
    assert r.percent == D(percent) and r.grade == grade
    assert list(r.failed_items) == failed
    assert [s.awarded for s in r.sections] == [D(x) for x in sections]
    assert [s.applicable for s in r.sections] == [6, 4, 0]
    (g,) = r.sections[0].groups
    assert (g.id, g.awarded, g.applicable, g.possible) == ("1.3", D(group), 2, 2)
    assert (r.bonus, r.penalty) == (D(bonus), D(penalty))
    assert r.sections[1].groups == () and r.sections[2].percent is None  # a 0-point section has no percent


def test_to_dict_has_groups_bonus_penalty():
    r = score(example(), answers(**{"1_3_1": {"count": 1}, "3_1": {"count": 1}, "3_2": {"count": 1}}))
    d = r.to_dict()
    # 10 - 0.5 + 0.5 - 2 = 8 -> 80 %
    assert (d["awarded"], d["applicable"], d["percent"], d["grade"]) == (8, 10, 80.0, "良好")
    assert d["bonus"] == 0.5 and d["penalty"] == 2
    assert d["sections"][0]["groups"] == [{"id": "1.3", "awarded": 1.5, "applicable": 2, "percent": 75.0}]
    assert d["sections"][1]["groups"] == [] and d["sections"][2]["percent"] is None
    assert d["failed_items"] == ["1.3.1", "3.2"]  # a bonus never fails; a penalty does when it happened


@pytest.mark.parametrize(
    ("item_id", "answer", "message"),
    [
        ("1.1", {"counts": {"d": 1}}, "unknown clause 'd' (clauses: a, b, c)"),
        ("1.1", {"counts": {"a": -1}}, "count of clause a must be a whole number >= 0"),
        ("1.1", {"counts": {"a": 1.5}}, "count of clause a must be a whole number >= 0"),
        ("1.1", {"counts": [1, 2]}, "counts must be an object keyed by clause id"),
        ("1.1", {"count": 1}, 'a multi-clause deduct item takes {"counts": {"a": n, ...}}'),
        ("1.3.1", {"counts": {"a": 1}}, 'a deduct item takes {"count": n}'),
        ("2.1", {"checked": 9, "failed": 0}, "at least 10 must be checked (got 9)"),
        ("2.1", {"checked": 10, "failed": 11}, "failed (11) must not exceed checked (10)"),
        ("2.1", {"checked": 10}, 'a sample item takes {"checked": n, "failed": k}'),
        ("2.1", {"checked": 10.5, "failed": 0}, "checked must be a whole number >= 0"),
        ("2.1", {"result": "na"}, "N/A is not allowed"),
        ("3.1", {"count": -1}, "count must be a whole number >= 0"),
        ("3.2", {"result": "na"}, "N/A is not allowed"),
        ("3.2", {"result": "pass"}, 'a penalty item takes {"count": n}'),
    ],
)
def test_bad_answers_name_the_item(item_id, answer, message):
    with pytest.raises(ScoringError) as exc:
        score(example(), {**PERFECT, item_id: answer})
    assert exc.value.item_id == item_id
    assert str(exc.value).startswith(f"item {item_id}: ") and message in str(exc.value)


@pytest.mark.parametrize(
    ("points", "checked", "failed", "awarded"),
    [
        ("1", 8, 7, "0.13"),    # 1/8 = 0.125 -> half-up 0.13 (half-even would give 0.12)
        ("1", 8, 1, "0.88"),    # 0.875
        ("4", 3, 1, "2.67"),    # 2.666…
        ("4", 3, 2, "1.33"),    # 1.333…
        ("2.5", 4, 1, "1.88"),  # 1.875
        ("3", 1, 0, "3"),
        ("3", 1, 1, "0"),
        ("0.7", 6, 1, "0.58"),  # 0.58333…
    ],
)
def test_sample_rounds_half_up_to_two_places(points, checked, failed, awarded):
    c = make_checklist([section("s", [item("s.r", float(points), scoring="sample")])])
    r = score(c, {"s.r": {"checked": checked, "failed": failed}})
    assert r.items[0].awarded == D(awarded)
    assert r.items[0].failed == (failed > 0)


def test_critical_penalty_and_section_critical():
    c = make_checklist([
        section("a", [item("a.x", 4), adj("a.neg", scoring="penalty", per=1, critical="section")]),
        section("b", [item("b.x", 6), adj("b.veto", scoring="penalty", per=1, critical="checklist")]),
    ])
    ok = {"a.x": {"result": "pass"}, "a.neg": {"count": 0}, "b.x": {"result": "pass"}, "b.veto": {"count": 0}}
    assert score(c, ok).awarded == 10
    r = score(c, {**ok, "a.neg": {"count": 1}})
    # section a zeroed by its critical penalty (4 -> 0), and the penalty itself (1): 0 + 6 - 1 = 5
    assert (r.sections[0].awarded, r.sections[0].critical_failed, r.awarded, r.penalty) == (0, True, 5, 1)
    r = score(c, {**ok, "b.veto": {"count": 1}})
    assert (r.awarded, r.critical_failed, r.grade) == (0, True, "不合格")
    assert [s.awarded for s in r.sections] == [4, 6]  # sections keep their own figures


def test_partial_score_handles_the_new_kinds():
    c = example()
    # only 1.1 (rules) and 2.1 (sample) and the penalty answered: the rest counts as not applicable
    r = partial_score(c, {"1.1": {"counts": {"a": 1}}, "2.1": {"checked": 10, "failed": 5}, "3.2": {"count": 1}})
    # 1.1: 2.5 of 3; 2.1: 2 of 4; penalty 2 -> (2.5 + 2 - 2) / 7
    assert (r.awarded, r.applicable, r.penalty) == (D("2.5"), 7, 2)
    assert r.failed_items == ("1.1", "2.1", "3.2")
    assert r.sections[0].groups[0].applicable == 0 and r.sections[0].groups[0].percent is None
    # an invalid answer (too small a sample, an unknown clause) counts as unanswered, not as an error
    r = partial_score(c, {"1.1": {"counts": {"z": 1}}, "2.1": {"checked": 3, "failed": 0}, "3.1": {"count": 2}})
    assert (r.awarded, r.applicable, r.bonus, r.failed_items) == (0, 0, 1, ())
    # a bonus alone cannot make a score out of nothing
    assert r.percent is None


def test_cli_score_prints_groups_bonus_penalty(tmp_path):
    f = tmp_path / "v2.yaml"
    f.write_text(EXAMPLE_YAML, encoding="utf-8")
    resp = {"checklist": "v2-example", "answers": answers(**{"2_1": {"checked": 10, "failed": 1},
                                                             "3_1": {"count": 1}})}
    r = subprocess.run([sys.executable, "-m", "app.cli", "score", "--checklist", str(f), "--responses", "-"],
                       input=json.dumps(resp), capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # 6 + 4 × 9/10 = 3.6, + 0.5 bonus = 10.1 -> clamped to 10
    assert (out["awarded"], out["percent"], out["bonus"], out["penalty"]) == (10, 100.0, 0.5, 0)
    assert out["sections"][0]["groups"] == [{"id": "1.3", "awarded": 2, "applicable": 2, "percent": 100.0}]
    assert out["sections"][1]["awarded"] == 3.6 and out["failed_items"] == ["2.1"]
    bad = {"answers": {**resp["answers"], "1.1": {"counts": {"x": 1}}}}
    for lang, said in (("", "检查项 1.1：未知条款 'x'（本项的条款：a, b, c）"),
                       ("en", "item 1.1: unknown clause 'x' (clauses: a, b, c)")):
        r = subprocess.run([sys.executable, "-m", "app.cli", "score", "--checklist", str(f), "--responses", "-"],
                           input=json.dumps(bad), capture_output=True, text=True, check=False,
                           env={**os.environ, "PINZHI_LANG": lang})
        assert r.returncode == 2 and said in r.stderr, r.stderr


# ----------------------------------------------------------------------------- loader rules
GOOD = yaml.safe_load(EXAMPLE_YAML)


def broken(mutate):
    d = copy.deepcopy(GOOD)
    mutate(d)
    return d


def _it(d, s, i):
    return d["sections"][s]["items"][i]


V2_CASES = [
        (lambda d: _it(d, 0, 0).update(per=0.5), "item 1.1", "either 'per' or 'rules', not both"),
        (lambda d: _it(d, 0, 0).update(rules=[{"id": "a", "text": "x", "per": 0.5}]), "item 1.1",
         "at least 2 clauses (a single clause is written as 'per')"),
        (lambda d: _it(d, 0, 0)["rules"].append({"id": "a", "text": "again", "per": 1}), "item 1.1",
         "rule a: rule id must be unique within the item"),
        (lambda d: _it(d, 0, 0)["rules"][1].update(per=0.25), "item 1.1", "rule b: 'per' must be all, or > 0"),
        (lambda d: _it(d, 0, 0)["rules"][1].update(per="half"), "item 1.1", "rule b: 'per' must be all, or > 0"),
        (lambda d: _it(d, 0, 0)["rules"][1].update(per=4), "item 1.1", "rule b: 'per' (4) must not exceed"),
        (lambda d: _it(d, 0, 0)["rules"][1].pop("per"), "item 1.1", "rule b: 'per' is required"),
        (lambda d: _it(d, 0, 0)["rules"][1].update(text=""), "item 1.1", "rule b: 'text' must be a non-empty"),
        (lambda d: _it(d, 0, 0)["rules"][1].update(id="B"), "item 1.1", "rule #2: 'id' must match"),
        (lambda d: _it(d, 0, 0)["rules"][1].update(weight=1), "item 1.1", "rule b: unknown key 'weight'"),
        (lambda d: _it(d, 0, 1).update(rules=GOOD["sections"][0]["items"][0]["rules"]), "item 1.2",
         "'rules' is allowed only with scoring: deduct"),
        (lambda d: _it(d, 0, 1).update(method="phone call"), "item 1.2", "'method' must be one of records, onsite"),
        (lambda d: _it(d, 0, 1).update(min_sample=3), "item 1.2", "'min_sample' is allowed only with scoring: sample"),
        (lambda d: _it(d, 0, 1).update(max=3), "item 1.2", "'max' is allowed only with scoring: bonus or penalty"),
        (lambda d: _it(d, 0, 1).update(per=1), "item 1.2", "'per' is allowed only with scoring: deduct or bonus"),
        (lambda d: _it(d, 1, 0).update(min_sample=0), "item 2.1", "'min_sample' must be a whole number >= 1"),
        (lambda d: _it(d, 1, 0).update(min_sample=2.5), "item 2.1", "'min_sample' must be a whole number >= 1"),
        (lambda d: _it(d, 2, 0).update(points=1), "item 3.1", "'points' is not allowed with scoring: bonus"),
        (lambda d: _it(d, 2, 0).pop("per"), "item 3.1", "'per' is required"),
        (lambda d: _it(d, 2, 0).update(max=0), "item 3.1", "'max' must be > 0 and a multiple of 0.1"),
        (lambda d: _it(d, 2, 0).update(critical="checklist"), "item 3.1", "a bonus item cannot be critical"),
        (lambda d: _it(d, 2, 1).update(per=0.05), "item 3.2", "'per' must be > 0 and a multiple of 0.1"),
        (lambda d: d["sections"][2].update(points=1), "section extra",
         "section points (1) must equal the sum of its items' points (0)"),
        (lambda d: d["sections"][1].update(points=0), "section records",
         "section points may be 0 only when it holds nothing but bonus and penalty items"),
        (lambda d: _it(d, 0, 2).update(points=3), "group 1.3", "group points (3) must equal the sum of its items' points (2)"),
        (lambda d: _it(d, 0, 2)["items"].append({"id": "1.3.9", "title": "x", "points": 1, "items": []}),
         "group 1.3", "groups do not nest"),
        (lambda d: _it(d, 0, 2).update(id="1.1"), "group 1.1", "group id must be unique within the checklist"),
        (lambda d: _it(d, 0, 2)["items"][0].update(id="1.3"), "item 1.3", "item id must be unique within the checklist"),
        (lambda d: _it(d, 0, 2).update(id="G 1"), "section internal item #3", "group 'id' must match"),
        (lambda d: _it(d, 0, 2).pop("title"), "group 1.3", "'title' is required"),
        (lambda d: _it(d, 0, 2).update(items=[]), "group 1.3", "'items' must be a non-empty list"),
        (lambda d: _it(d, 0, 2).update(weight=2), "group 1.3", "unknown key 'weight'"),
        (lambda d: _it(d, 0, 1).update(points=1.05), "item 1.2", "'points' must be > 0 and a multiple of 0.1"),
]


@pytest.mark.parametrize(("mutate", "where", "rule"), V2_CASES)
def test_each_v2_rule_is_named(mutate, where, rule):
    checklist, problems = parse_checklist(broken(mutate), "checklists/v2.yaml")
    assert checklist is None
    hits = [p for p in problems if p.where == where and rule in p.rule]
    assert hits, problems
    assert str(hits[0]).startswith(f"checklists/v2.yaml: {where}: ")


def test_tenths_are_allowed_now():
    c = make_checklist([section("s", [item("s.a", 0.3, scoring="deduct", per=0.1), item("s.b", 1.7)])],
                       total_points=2)
    r = score(c, {"s.a": {"count": 2}, "s.b": {"result": "pass"}})
    assert r.awarded == D("1.8")  # 0.3 - 2 × 0.1 + 1.7


# ----------------------------------------------------------------------------- properties
tenths = st.integers(min_value=1, max_value=50).map(lambda n: D(n) / 10)


@st.composite
def rules_item(draw):
    points = draw(tenths)
    n = draw(st.integers(min_value=2, max_value=5))
    rules = []
    for k in range(n):
        takes_all = draw(st.booleans()) and draw(st.booleans())
        per = "all" if takes_all else float(min(draw(tenths), points))
        rules.append({"id": "abcde"[k], "text": f"clause {k}", "per": per})
    counts = {r["id"]: draw(st.integers(min_value=0, max_value=6)) for r in rules if draw(st.booleans())}
    return points, rules, counts


@settings(max_examples=150, deadline=None)
@given(rules_item(), st.randoms(use_true_random=False))
def test_rules_awarded_in_range_and_order_never_matters(data, rnd):
    points, rules, counts = data
    c = make_checklist([section("s", [item("s.r", float(points), scoring="deduct", rules=rules)])])
    got = score(c, {"s.r": {"counts": counts}}).items[0]
    assert 0 <= got.awarded <= points
    # by hand: the whole item goes with any "all" clause that happened, else points minus the sum, floored at 0
    lost = sum((D(str(r["per"])) * counts.get(r["id"], 0) for r in rules if r["per"] != "all"), D(0))
    took_all = any(r["per"] == "all" and counts.get(r["id"], 0) > 0 for r in rules)
    assert got.awarded == (0 if took_all else max(D(0), points - lost))
    assert got.failed == (got.awarded < points)
    # shuffling the clauses in the file, and the counts in the answer, changes nothing
    shuffled = rules[:]
    rnd.shuffle(shuffled)
    c2 = make_checklist([section("s", [item("s.r", float(points), scoring="deduct", rules=shuffled)])])
    keys = list(counts)
    rnd.shuffle(keys)
    assert score(c2, {"s.r": {"counts": {k: counts[k] for k in keys}}}).items[0].awarded == got.awarded


@settings(max_examples=150, deadline=None)
@given(tenths, st.integers(min_value=1, max_value=60), st.data())
def test_sample_awarded_in_range_and_monotone(points, checked, data):
    failed = data.draw(st.integers(min_value=0, max_value=checked))
    c = make_checklist([section("s", [item("s.r", float(points), scoring="sample")])])
    got = score(c, {"s.r": {"checked": checked, "failed": failed}}).items[0].awarded
    assert 0 <= got <= points
    assert abs(got - points * (checked - failed) / checked) <= D("0.005")
    if failed < checked:  # one more failure never scores higher
        assert score(c, {"s.r": {"checked": checked, "failed": failed + 1}}).items[0].awarded <= got


@st.composite
def with_adjustments(draw):
    regular = [item(f"s.i{k}", float(draw(tenths)), scoring="deduct", per=0.1)
               for k in range(draw(st.integers(min_value=1, max_value=4)))]
    bonus = adj("s.bonus", scoring="bonus", per=float(draw(tenths)))
    if draw(st.booleans()):
        bonus["max"] = float(draw(tenths))
    penalty = adj("s.pen", scoring="penalty", per=float(draw(tenths)), na=True)
    c = make_checklist([section("s", [*regular, bonus, penalty],
                                points=float(sum(D(str(i["points"])) for i in regular)))])
    ans = {i["id"]: {"count": draw(st.integers(min_value=0, max_value=60))} for i in regular}
    nb = draw(st.integers(min_value=0, max_value=5))
    np_ = draw(st.integers(min_value=0, max_value=5))
    return c, ans, nb, np_


@settings(max_examples=150, deadline=None)
@given(with_adjustments())
def test_bonus_and_penalty_keep_the_total_in_range(case):
    c, ans, nb, np_ = case
    plain = score(c, {**ans, "s.bonus": {"count": 0}, "s.pen": {"count": 0}})
    r = score(c, {**ans, "s.bonus": {"count": nb}, "s.pen": {"count": np_}})
    assert 0 <= r.awarded <= r.applicable == plain.applicable == plain.possible
    assert r.sections[0].awarded == plain.sections[0].awarded  # in no section figure
    bonus_only = score(c, {**ans, "s.bonus": {"count": nb}, "s.pen": {"count": 0}})
    penalty_only = score(c, {**ans, "s.bonus": {"count": 0}, "s.pen": {"count": np_}})
    assert plain.awarded <= bonus_only.awarded <= r.applicable  # a bonus never lifts above applicable
    assert penalty_only.awarded <= plain.awarded
    bonus = c.item("s.bonus")
    assert bonus.per is not None
    want_bonus = min(nb * bonus.per, bonus.max) if bonus.max is not None else nb * bonus.per
    assert r.bonus == want_bonus and r.penalty == np_ * c.item("s.pen").per
    assert r.awarded == min(max(plain.awarded + r.bonus - r.penalty, D(0)), r.applicable)
    assert ("s.pen" in r.failed_items) == (np_ > 0) and "s.bonus" not in r.failed_items
    na = score(c, {**ans, "s.bonus": {"count": nb}, "s.pen": {"result": "na"}})
    assert na.penalty == 0 and na.applicable == plain.applicable


@st.composite
def grouped(draw):
    """A section of direct items and groups; the group sums must match the items inside."""
    entries: list[dict[str, Any]] = []
    n = 0
    for g in range(draw(st.integers(min_value=0, max_value=3))):
        members = [item(f"i{n + k}", float(draw(tenths))) for k in range(draw(st.integers(min_value=1, max_value=3)))]
        n += len(members)
        entries.append({"id": f"g{g}", "title": f"group {g}",
                        "points": float(sum(D(str(m["points"])) for m in members)), "items": members})
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        entries.insert(draw(st.integers(min_value=0, max_value=len(entries))), item(f"i{n}", float(draw(tenths))))
        n += 1
    ids = [f"i{k}" for k in range(n)]
    ans = {i: {"result": draw(st.sampled_from(["pass", "fail"]))} for i in ids}
    return entries, ans


@settings(max_examples=100, deadline=None)
@given(grouped())
def test_groups_sum_into_their_section(case):
    entries, ans = case
    doc = checklist_dict([{"id": "s", "title": "s", "items": entries,
                           "points": float(sum(D(str(i["points"])) for i in _flat(entries)))}])
    c, problems = parse_checklist(doc, "g.yaml")
    assert c is not None, problems
    assert [e.id for e in c.sections[0].entries] == [e["id"] for e in entries]
    r = score(c, ans)
    s = r.sections[0]
    by_id = {i.id: i for i in r.items}
    for g, raw in zip(s.groups, [e for e in entries if "items" in e], strict=True):
        assert g.awarded == sum((by_id[m["id"]].awarded for m in raw["items"]), D(0))
        assert g.applicable == g.possible == D(str(raw["points"]))
        assert g.awarded <= g.applicable
    assert s.awarded == sum((i.awarded for i in r.items), D(0)) == r.awarded


def _flat(entries):
    for e in entries:
        yield from e.get("items", [e])
