"""The checklist loader: every schema rule is reported with file, section/item id and rule."""

from __future__ import annotations

import copy

import pytest
import yaml
from factories import checklist_dict, item, section

from scoring import ChecklistError, load_checklist_file, load_directory, parse_checklist

GOOD = checklist_dict(
    [
        section("a", [item("a.x", 2), item("a.y", 1, scoring="deduct", per=0.5)]),
        section("b", [item("b.z", 3, scoring="scale", step=1, na=True, critical="section", evidence="on_fail")]),
    ],
    total_points=6,
)


def broken(mutate):
    d = copy.deepcopy(GOOD)
    mutate(d)
    return d


def _items(d, s=0):
    return d["sections"][s]["items"]


CASES = [
        (lambda d: d.update(id="Bad Id"), "checklist", "'id' must be a slug"),
        (lambda d: d.update(version=2026.1), "checklist", "'version' must be a non-empty string"),
        (lambda d: d.update(kind="hygiene"), "checklist", "'kind' must be one of"),
        (lambda d: d.update(subject="desk"), "checklist", "'subject' must be one of"),
        (lambda d: d.update(self_check="yes"), "checklist", "'self_check' must be true or false"),
        (lambda d: d.update(total_points=7), "checklist", "total_points (7) must equal the sum of the sections (6)"),
        (lambda d: d.update(sections=[]), "checklist", "'sections' must be a non-empty list"),
        (lambda d: d.update(colour="red"), "checklist", "unknown key 'colour'"),
        (lambda d: d.update(grades=[{"grade": "A", "min": 50}]), "grades", "lowest band must have min 0"),
        (lambda d: d.update(grades=[{"grade": "A", "min": 0}, {"grade": "B", "min": 0}]), "grades", "distinct"),
        (lambda d: d.update(grades=[{"grade": "A", "min": 120}]), "grades", "'min' must be a number from 0 to 100"),
        (lambda d: d["sections"][0].update(points=4), "section a", "section points (4) must equal the sum of its items' points (3)"),
        (lambda d: d["sections"][1].update(id="a"), "section a", "section id must be unique"),
        (lambda d: d["sections"][0].update(items=[]), "section a", "'items' must be a non-empty list"),
        (lambda d: _items(d)[0].update(points=0), "item a.x", "'points' must be > 0 and a multiple of 0.1"),
        (lambda d: _items(d)[0].update(points=1.25), "item a.x", "'points' must be > 0 and a multiple of 0.1"),
        (lambda d: _items(d)[0].update(points="two"), "item a.x", "'points' must be a number"),
        (lambda d: _items(d)[0].update(points=True), "item a.x", "'points' must be a number"),
        (lambda d: _items(d)[0].update(scoring="stars"), "item a.x", "'scoring' must be one of"),
        (lambda d: _items(d)[0].update(critical="yes"), "item a.x", "'critical' must be one of"),
        (lambda d: _items(d)[0].update(evidence="photo"), "item a.x", "'evidence' must be one of"),
        (lambda d: _items(d)[0].update(na="maybe"), "item a.x", "'na' must be true or false"),
        (lambda d: _items(d)[0].update(source=""), "item a.x", "'source' must be a non-empty string"),
        (lambda d: _items(d)[0].pop("source"), "item a.x", "'source' is required"),
        (lambda d: _items(d)[0].pop("text"), "item a.x", "'text' is required"),
        (lambda d: _items(d)[0].update(per=1), "item a.x", "'per' is allowed only with scoring: deduct"),
        (lambda d: _items(d)[1].pop("per"), "item a.y", "'per' is required"),
        (lambda d: _items(d)[1].update(per=2), "item a.y", "'per' (2) must not exceed the item's points (1)"),
        (lambda d: _items(d, 1)[0].update(step=2), "item b.z", "'step' (2) must divide the item's points (3)"),
        (lambda d: _items(d)[0].update(step=1), "item a.x", "'step' is allowed only with scoring: scale"),
        (lambda d: _items(d)[1].update(id="a.x"), "item a.x", "item id must be unique within the checklist"),
        (lambda d: _items(d)[0].update(id="A X"), "section a item #1", "item 'id' must match"),
        (lambda d: _items(d)[0].update(due_hours=-3), "item a.x", "'due_hours' must be a whole number"),
        (lambda d: _items(d)[0].update(weight=3), "item a.x", "unknown key 'weight'"),
]


@pytest.mark.parametrize(("mutate", "where", "rule"), CASES)
def test_each_rule_is_named(mutate, where, rule):
    checklist, problems = parse_checklist(broken(mutate), "checklists/x.yaml")
    assert checklist is None
    hits = [p for p in problems if p.where == where and rule in p.rule]
    assert hits, problems
    assert str(hits[0]).startswith(f"checklists/x.yaml: {where}: ")


def test_good_parses_with_defaults():
    c, problems = parse_checklist(GOOD, "x.yaml")
    assert problems == [] and c is not None
    x = c.item("a.x")
    assert (x.scoring, x.na, x.critical, x.evidence) == ("pass_fail", False, "none", "optional")
    assert c.possible == 6 and c.section_of("b.z") == "b"
    assert [g.grade for g in c.grades] == ["优秀", "良好", "合格", "不合格"]


def test_every_problem_is_reported_not_just_the_first():
    def many(d):
        _items(d)[0].update(points=0)
        _items(d)[1].pop("source")
        d.update(kind="nope")

    _, problems = parse_checklist(broken(many), "x.yaml")
    assert {p.where for p in problems} >= {"item a.x", "item a.y", "checklist"}


def test_directory_keeps_loading_after_a_broken_file(tmp_path):
    (tmp_path / "a-good.yaml").write_text(yaml.safe_dump(GOOD, allow_unicode=True), encoding="utf-8")
    (tmp_path / "b-broken.yaml").write_text("id: b\nsections: [unclosed\n", encoding="utf-8")
    other = copy.deepcopy(GOOD)
    other["id"] = "c"
    _items(other)[0]["points"] = -1
    (tmp_path / "c-bad.yaml").write_text(yaml.safe_dump(other), encoding="utf-8")
    dup = copy.deepcopy(GOOD)
    (tmp_path / "d-dup.yaml").write_text(yaml.safe_dump(dup), encoding="utf-8")
    (tmp_path / "scorecard.yaml").write_text("not: a checklist\n", encoding="utf-8")
    result = load_directory(tmp_path)
    assert list(result.checklists) == ["t"]
    text = "\n".join(map(str, result.problems))
    assert "b-broken.yaml: line 3: invalid YAML" in text
    assert "c-bad.yaml: item a.x: 'points' must be > 0" in text
    assert "d-dup.yaml: checklist: id 't' must be unique across files" in text
    assert "scorecard" not in text


def test_load_file_raises_with_all_problems(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text(yaml.safe_dump(broken(lambda d: _items(d)[0].update(points=0))), encoding="utf-8")
    with pytest.raises(ChecklistError) as exc:
        load_checklist_file(p)
    assert "item a.x" in str(exc.value)
