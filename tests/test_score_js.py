"""The inspection screen's running score (app/ui/inspection_screen/score.js, run in Node) equals
``scoring.partial_score`` on random answer sets: valid, invalid and missing answers, N/A, deductions past
the item's points, scale steps, and failed red-line items (section and checklist vetoes); for version-2
checklists (a handwritten standard and random ones holding every kind) also multi-clause counts with
``per: all`` clauses, samples, bonus and penalty (with and without ``max``, a critical penalty)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.ui.inspection_screen import ASSET_DIR, checklist_data
from scoring import Checklist, load_checklist_file, partial_score

ROOT = Path(__file__).resolve().parents[1]
CHECKLISTS = ["jindi-community-cs", "jindi-salesoffice-cs", "frontdesk-workflow", "appearance-etiquette",
              "office-safety"]
NODE = shutil.which("node") or shutil.which("nodejs")


def random_answer(item: Any, rnd: random.Random) -> dict[str, Any] | None:
    roll = rnd.random()
    if roll < 0.12:
        return None  # unanswered
    if roll < 0.2:
        return {"result": "na"}  # refused (counts as N/A) where the item has no N/A
    if roll < 0.24:  # invalid shapes: treated as N/A
        return rnd.choice([{"result": "maybe"}, {"count": -1}, {"points": "999"}, {"count": 1.5}, {"result": "pass", "x": 1},
                           {"points": str(item.step / 3)}, {}])
    if item.scoring in ("sample", "bonus", "penalty") or item.rules:
        return random_v2_answer(item, rnd)
    if item.scoring == "pass_fail":
        return {"result": "fail" if rnd.random() < 0.3 else "pass"}
    if item.scoring == "deduct":
        top = int(item.points / item.per) + 2
        return {"count": rnd.choice([0, 0, 0, rnd.randint(0, top)])}
    steps = int(item.points / item.step)
    k = rnd.choice([steps, steps, rnd.randint(0, steps)])
    value = item.step * k
    return {"points": str(value) if rnd.random() < 0.5 else (int(value) if value == int(value) else float(value))}


def random_v2_answer(item: Any, rnd: random.Random) -> dict[str, Any]:
    """A valid answer of a version-2 kind most of the time, else one of its invalid shapes."""
    bad = rnd.random() < 0.15
    if item.rules:
        if bad:
            return rnd.choice([{"counts": {"zz": 1}}, {"counts": {item.rules[0].id: -1}}, {"counts": [1]},
                               {"counts": {item.rules[0].id: 1.5}}, {"counts": {item.rules[0].id: True}},
                               {"count": 1}, {"counts": None}, {"result": "pass", "counts": {}}])
        counts: dict[str, Any] = {}
        for r in item.rules:
            roll = rnd.random()
            if roll < 0.45:
                continue
            n = rnd.choice([0, 1, 1, 2, 3, 7]) if r.per is not None else rnd.choice([0, 1, 1, 2])
            counts[r.id] = str(n) if rnd.random() < 0.1 else n
        return {"counts": counts}
    if item.scoring == "sample":
        if bad:
            return rnd.choice([{"checked": item.min_sample - 1, "failed": 0}, {"checked": 3, "failed": 4},
                               {"checked": item.min_sample}, {"failed": 0}, {"checked": 10.5, "failed": 1},
                               {"checked": True, "failed": 0}, {"checked": item.min_sample, "failed": -1}])
        n = rnd.randint(item.min_sample, item.min_sample + 12)
        k = rnd.choice([0, 0, rnd.randint(0, n), n])
        return {"checked": str(n) if rnd.random() < 0.1 else n, "failed": k}
    if bad:
        return rnd.choice([{"count": -1}, {"count": 0.5}, {"points": 1}, {"count": "x"}, {"result": "pass"}])
    return {"count": rnd.choice([0, 0, 1, 2, 3, 5])}


def cases(checklist: Checklist, n: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        answers = {}
        for item in checklist.items:
            a = random_answer(item, rnd)
            if a is not None:
                answers[item.id] = a
        out.append(answers)
    return out


def python_percent(checklist: Checklist, answers: dict[str, Any]) -> str | None:
    p = partial_score(checklist, answers).percent
    return None if p is None else str(p)


def js_percents(checklist: Checklist, answer_sets: list[dict[str, Any]], tmp_path: Path) -> list[Any]:
    """What score.js says for each answer set: [percent, bonus, penalty] (bonus/penalty in millionths)."""
    (tmp_path / "cases.json").write_text(json.dumps({"checklist": checklist_data(checklist), "cases": answer_sets},
                                                    default=lambda d: str(d) if isinstance(d, Decimal) else d))
    script = (f"import {{ partialScore }} from {json.dumps((ASSET_DIR / 'score.js').as_uri())};\n"
              "import { readFileSync } from 'node:fs';\n"
              f"const d = JSON.parse(readFileSync({json.dumps(str(tmp_path / 'cases.json'))}, 'utf8'));\n"
              "console.log(JSON.stringify(d.cases.map((a) => { const r = partialScore(d.checklist.sections, a);\n"
              "  return [r.percent, String(r.bonus), String(r.penalty)]; })));\n")
    (tmp_path / "run.mjs").write_text(script)
    assert NODE is not None
    out = subprocess.run([NODE, str(tmp_path / "run.mjs")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result: list[Any] = json.loads(out.stdout)
    return result


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("name", CHECKLISTS)
def test_js_running_score_equals_partial_score(name: str, tmp_path: Path) -> None:
    checklist = load_checklist_file(ROOT / "checklists" / f"{name}.yaml")
    answer_sets = cases(checklist, 300, seed=hash(name) & 0xFFFF)
    js = [r[0] for r in js_percents(checklist, answer_sets, tmp_path)]
    py = [python_percent(checklist, a) for a in answer_sets]
    mismatches = [(i, js[i], py[i]) for i in range(len(py)) if js[i] != py[i]]
    assert not mismatches, f"{len(mismatches)} of {len(py)} differ, e.g. case/js/python {mismatches[:3]}"
    assert len(set(py)) > 20, "the random answer sets should give many different scores"
    assert any(partial_score(checklist, a).critical_failed for a in answer_sets) == any(
        i.critical == "checklist" for i in checklist.items)


# ----------------------------------------------------------------------------- version 2
def tenth(rnd: random.Random, lo: int, hi: int) -> float:
    """A multiple of 0.1 from lo/10 to hi/10."""
    return rnd.randint(lo, hi) / 10


def random_v2_item(rnd: random.Random, iid: str) -> dict[str, Any]:
    """One item of a random kind, version 1 and 2 alike (bonus/penalty have no points)."""
    kind = rnd.choice(["pass_fail", "deduct", "rules", "rules", "scale", "sample", "sample", "bonus", "penalty"])
    base: dict[str, Any] = {"id": iid, "text": f"检查项 {iid}", "source": "test", "na": rnd.random() < 0.3}
    points = tenth(rnd, 1, 60)
    if kind == "pass_fail":
        base.update(points=points, critical=rnd.choice(["none", "none", "none", "section", "checklist"]))
    elif kind == "deduct":
        base.update(points=points, scoring="deduct", per=tenth(rnd, 1, int(points * 10)))
    elif kind == "rules":
        rules = []
        for j in range(rnd.randint(2, 4)):
            per: Any = "all" if rnd.random() < 0.25 else tenth(rnd, 1, int(points * 10))
            rules.append({"id": "abcd"[j], "text": f"细则 {j}", "per": per})
        base.update(points=points, scoring="deduct", rules=rules,
                    critical=rnd.choice(["none", "none", "none", "section", "checklist"]))
    elif kind == "scale":
        base.update(points=float(rnd.randint(1, 5)), scoring="scale", step=rnd.choice([0.5, 1]))
    elif kind == "sample":
        base.update(points=points, scoring="sample", min_sample=rnd.randint(1, 10),
                    critical=rnd.choice(["none", "none", "none", "section"]))
    else:
        base.update(scoring=kind, per=tenth(rnd, 1, 30))
        if rnd.random() < 0.5:
            base["max"] = tenth(rnd, 1, 60)
        if kind == "penalty" and rnd.random() < 0.2:
            base["critical"] = "checklist"
    return base


def _points(entries: list[dict[str, Any]]) -> float:
    """A section's or group's points: its entries' (bonus and penalty items have none)."""
    return sum(round(e["points"] * 10) for e in entries if "points" in e) / 10


def random_v2_checklist(seed: int) -> Checklist:
    """Sections with items of every kind, some inside groups; validated by the loader."""
    rnd = random.Random(seed)
    sections = []
    n = 0
    for si in range(rnd.randint(2, 4)):
        entries: list[dict[str, Any]] = []
        for gi in range(rnd.randint(3, 6)):
            if rnd.random() < 0.3:
                items = []
                for _ in range(rnd.randint(1, 3)):
                    n += 1
                    it = random_v2_item(rnd, f"{si + 1}.{gi + 1}.{n}")
                    if "points" not in it:  # a group holds scored items only
                        it = {"id": it["id"], "text": it["text"], "points": 1, "source": "test"}
                    items.append(it)
                entries.append({"id": f"g{si + 1}.{gi + 1}", "title": f"分项 {si + 1}.{gi + 1}",
                                "points": _points(items), "items": items})
            else:
                n += 1
                entries.append(random_v2_item(rnd, f"{si + 1}.{n}"))
        if not any("points" in e for e in entries):
            n += 1
            entries.append({"id": f"{si + 1}.{n}", "text": "保底项", "points": 1, "source": "test"})
        sections.append({"id": f"s{si + 1}", "title": f"部分 {si + 1}", "points": _points(entries), "items": entries})
    from factories import make_checklist

    return make_checklist(sections, id=f"random-v2-{seed}")


def v2_standard() -> Checklist:
    from v2_standard import V2_STANDARD_YAML

    from scoring import parse_checklist_text

    checklist, problems = parse_checklist_text(V2_STANDARD_YAML, "v2_standard.yaml")
    assert checklist is not None, problems
    return checklist


def _check_v2(checklist: Checklist, answer_sets: list[dict[str, Any]], tmp_path: Path) -> None:
    js = js_percents(checklist, answer_sets, tmp_path)
    mismatches = []
    for i, answers in enumerate(answer_sets):
        r = partial_score(checklist, answers)
        py = [None if r.percent is None else str(r.percent), str(int(r.bonus * 1000000)),
              str(int(r.penalty * 1000000))]
        if js[i] != py:
            mismatches.append((answers, js[i], py))
    assert not mismatches, f"{len(mismatches)} of {len(answer_sets)} differ, e.g. answers/js/python {mismatches[:2]}"


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_js_running_score_equals_partial_score_on_the_v2_standard(tmp_path: Path) -> None:
    checklist = v2_standard()
    answer_sets = cases(checklist, 400, seed=1313)
    # by hand: 1.1 clause a twice (3 - 1 = 2), 1.2.1 pass (1), 1.2.2 pass (1), 1.3 b and c (3 - 1.3 = 1.7),
    # 2.1 10 checked 3 failed (4 x 7/10 = 2.8), 2.2 7 checked 1 failed (2 x 6/7 = 1.714.. -> 1.71),
    # bonus 3 x 0.5 at most 1, penalty 1 x 2: 2 + 1 + 1 + 1.7 + 2.8 + 1.71 + 1 - 2 = 9.21 of 14 -> 65.79 %
    by_hand = {"1.1": {"counts": {"a": 2}}, "1.2.1": {"count": 0}, "1.2.2": {"result": "pass"},
               "1.3": {"counts": {"b": 1, "c": 1}}, "2.1": {"checked": 10, "failed": 3},
               "2.2": {"checked": 7, "failed": 1}, "3.1": {"count": 3}, "3.2": {"count": 1}}
    # a per-all clause takes the whole item: 1.3 d -> 0; 9.21 - 1.7 = 7.51 of 14 -> 53.64 %
    all_clause = {**by_hand, "1.3": {"counts": {"a": 1, "d": 1}}}
    answer_sets += [by_hand, all_clause]
    _check_v2(checklist, answer_sets, tmp_path)
    assert str(partial_score(checklist, by_hand).percent) == "65.79"
    assert str(partial_score(checklist, all_clause).percent) == "53.64"
    js = js_percents(checklist, [by_hand, all_clause], tmp_path)
    assert js == [["65.79", "1000000", "2000000"], ["53.64", "1000000", "2000000"]]
    assert len({str(partial_score(checklist, a).percent) for a in answer_sets}) > 50


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("seed", range(12))
def test_js_running_score_equals_partial_score_on_random_v2_checklists(seed: int, tmp_path: Path) -> None:
    checklist = random_v2_checklist(seed)
    kinds = {("rules" if i.rules else i.scoring) for i in checklist.items}
    answer_sets = cases(checklist, 250, seed=seed)
    _check_v2(checklist, answer_sets, tmp_path)
    assert len({str(partial_score(checklist, a).percent) for a in answer_sets}) > 10
    assert len(kinds) >= 3, kinds


def test_random_v2_checklists_cover_every_kind() -> None:
    kinds: set[str] = set()
    for seed in range(12):
        checklist = random_v2_checklist(seed)
        kinds |= {("rules" if i.rules else i.scoring) for i in checklist.items}
        kinds |= {"all" for i in checklist.items for r in i.rules if r.per is None}
        kinds |= {"group" for i in checklist.items if i.group}
        kinds |= {"max" for i in checklist.items if i.max is not None}
    assert kinds == {"pass_fail", "deduct", "rules", "scale", "sample", "bonus", "penalty", "all", "group", "max"}
