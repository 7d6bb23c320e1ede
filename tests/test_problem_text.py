"""The pure scoring package's problems (checklist files, answers that cannot be scored, refused YAML) come out
of the message catalogue in the user's language: the English catalogue says exactly what the loader says in
its own English; the Chinese one says it in Chinese, with the file's words and the values quoted as they are."""

from __future__ import annotations

import re
import string

import pytest
from test_loader import CASES
from test_loader import broken as broken_v1
from test_scoring_v2 import V2_CASES
from test_scoring_v2 import broken as broken_v2

from app import messages
from app.services.errors import Invalid
from app.standards.problem_text import (
    loader_detail,
    loader_problem,
    loader_problems,
    problem_text,
    scoring_reason,
)
from scoring import ScoringError, parse_checklist, parse_checklist_text, score_item
from scoring.engine import REFUSALS_EN as ENGINE_EN
from scoring.loader import RULES_EN, WHERE_EN
from scoring.model import Item
from scoring.monthly import RULES_EN as SCORECARD_EN

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff60]")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize(("prefix", "table"), [("loader.", RULES_EN), ("loader.at.", WHERE_EN), ("engine.", ENGINE_EN),
                                               ("scorecard_rules.", SCORECARD_EN)])
def test_every_code_has_its_message_with_the_same_fields(prefix, table):
    for code, english in table.items():
        key = prefix + code
        assert messages.has(key), key
        assert fields(messages.catalogue("zh")[key]) == fields(english), key
        assert messages.catalogue("en")[key] == english, key  # one English, whichever door says it
        assert CJK.search(messages.catalogue("zh")[key]) or prefix == "loader.at." and code == "line", key


ALL = [(broken_v1, m) for m, _, _ in CASES] + [(broken_v2, m) for m, _, _ in V2_CASES]


@pytest.mark.parametrize(("broken", "mutate"), ALL)
def test_each_problem_in_english_is_the_loaders_english_and_chinese_is_chinese(broken, mutate):
    checklist, problems = parse_checklist(broken(mutate), "checklists/x.yaml")
    assert checklist is None and problems
    for p in problems:
        assert problem_text(p, "en") == str(p)
        zh = problem_text(p, "zh")
        assert zh.startswith("checklists/x.yaml：") and CJK.search(zh.removeprefix("checklists/x.yaml")), zh
        assert zh != str(p)


@pytest.mark.parametrize(("mutate", "zh"), [
    (lambda d: d["sections"][0]["items"][0].update(points="两分"),
     "检查项 a.x：'points' 必须是数字（实际为 '两分'）"),
    (lambda d: d["sections"][0]["items"][0].update(id="A X"),
     "部分 a 第 1 项：检查项 'id' 只能由 a-z 0-9 _ . - 组成（实际为 'A X'）"),
    (lambda d: d["sections"][0]["items"][0].update(evidence="photo"),
     "检查项 a.x：'evidence' 必须是 none、optional、on_fail、required 之一（实际为 'photo'）"),
    (lambda d: d["sections"][0]["items"][0].update(step=1),
     "检查项 a.x：'step' 只能用于 scoring: scale"),
    (lambda d: d.update(grades=[{"grade": "A", "min": 120}]),
     "等级：等级 A：'min' 必须是 0 到 100 之间的数字（实际为 120）"),
])
def test_chinese_texts(mutate, zh):
    _, problems = parse_checklist(broken_v1(mutate), "x.yaml")
    assert zh in [loader_detail(p).render("zh") for p in problems], [loader_detail(p).render("zh") for p in problems]


def test_a_clause_problem_names_the_clause_in_both_languages():
    _, problems = parse_checklist(broken_v2(lambda d: d["sections"][0]["items"][0]["rules"][1].pop("per")), "v2.yaml")
    (p,) = problems
    assert loader_detail(p).render("en") == "item 1.1: rule b: 'per' is required (points per occurrence, or all)"
    assert loader_detail(p).render("zh") == "检查项 1.1：条款 b：缺少 'per'（每处扣分数，或 all）"


@pytest.mark.parametrize(("text", "zh", "en"), [
    ("a: 1\na: 2\n", "第 2 行：YAML 格式错误：重复的键 'a'（第一次出现在第 1 行）", "line 2: invalid YAML: duplicate key 'a'"),
    ("x: [1, 2\n", "第 2 行：YAML 格式错误：", "line 2: invalid YAML: "),
    ("- &a [*a]\n", "YAML 格式错误：递归别名", "invalid YAML: recursive alias"),
])
def test_refused_yaml_in_both_languages(text, zh, en):
    _, problems = parse_checklist_text(text, "f.yaml")
    (p,) = problems
    assert loader_detail(p).render("zh").startswith(zh) or zh in loader_detail(p).render("zh"), loader_detail(p).render("zh")
    assert en in loader_detail(p).render("en")
    assert loader_detail(p).render("en") in str(p)


def test_hostile_values_are_quoted_not_interpreted():
    hostile = "<img src=x onerror=alert(1)>{n}{0}\n![x](http://e/x.png)" + "长" * 500
    _, problems = parse_checklist(broken_v1(lambda d: d["sections"][0]["items"][0].update(scoring=hostile)), "x.yaml")
    (p,) = [p for p in problems if p.code == "one_of"]
    for lang in ("zh", "en"):
        out = loader_problem(p).render(lang)
        assert "<img src=x onerror=alert(1)>{n}{0}" in out  # as written: the page shows it as text, never markup
        assert len(out) < 300  # a 500-character value is cut ("… chars")


def test_answers_that_cannot_be_scored_say_why_in_the_users_language():
    item = Item(id="1.2", text="t", points=__import__("decimal").Decimal(4), source="s", scoring="scale")
    with pytest.raises(ScoringError) as info:
        score_item(item, {"points": 9})
    exc = Invalid("inspection.answer_invalid", detail=scoring_reason(info.value))
    assert exc.message("zh") == "答案无效：检查项 1.2：得分必须在 0 到 4 之间（实际为 9）"
    assert exc.message("en") == "Invalid answer: item 1.2: points must be from 0 to 4 (got 9)"
    assert scoring_reason(info.value).render("en") == str(info.value)


def test_publishing_a_broken_text_lists_its_problems_in_the_error_language(sqlite_db):
    from app.services import catalog

    with sqlite_db.write() as s, pytest.raises(Invalid) as info:
        catalog.publish_text(s, actor=None, text="id: Bad Id\nversion: '1'\n", source_file="bad.yaml")
    zh, en = info.value.message("zh"), info.value.message("en")
    assert "bad.yaml：检查表：'id' 只能由 a-z 0-9 - _ 组成（实际为 'Bad Id'）" in zh
    assert "bad.yaml: checklist: 'id' must be a slug of a-z 0-9 - _ (got 'Bad Id')" in en
    assert not CJK.search(en.replace("'Bad Id'", ""))


def test_several_problems_one_per_line():
    _, problems = parse_checklist({"id": "Bad Id"}, "x.yaml")
    text = loader_problems(problems, limit=3).render("en")
    assert text.count("\n") == 2 and text.splitlines()[0].startswith("x.yaml: checklist: ")
