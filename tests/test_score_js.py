"""The inspection screen's running score (app/ui/inspection_screen/score.js, run in Node) equals
``scoring.partial_score`` on random answer sets: valid, invalid and missing answers, N/A, deductions past
the item's points, scale steps, and failed red-line items (section and checklist vetoes)."""

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
    if item.scoring == "pass_fail":
        return {"result": "fail" if rnd.random() < 0.3 else "pass"}
    if item.scoring == "deduct":
        top = int(item.points / item.per) + 2
        return {"count": rnd.choice([0, 0, 0, rnd.randint(0, top)])}
    steps = int(item.points / item.step)
    k = rnd.choice([steps, steps, rnd.randint(0, steps)])
    value = item.step * k
    return {"points": str(value) if rnd.random() < 0.5 else (int(value) if value == int(value) else float(value))}


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


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("name", CHECKLISTS)
def test_js_running_score_equals_partial_score(name: str, tmp_path: Path) -> None:
    checklist = load_checklist_file(ROOT / "checklists" / f"{name}.yaml")
    answer_sets = cases(checklist, 300, seed=hash(name) & 0xFFFF)
    (tmp_path / "cases.json").write_text(json.dumps({"checklist": checklist_data(checklist), "cases": answer_sets},
                                                    default=lambda d: str(d) if isinstance(d, Decimal) else d))
    script = (f"import {{ partialScore }} from {json.dumps((ASSET_DIR / 'score.js').as_uri())};\n"
              "import { readFileSync } from 'node:fs';\n"
              f"const d = JSON.parse(readFileSync({json.dumps(str(tmp_path / 'cases.json'))}, 'utf8'));\n"
              "console.log(JSON.stringify(d.cases.map((a) => partialScore(d.checklist.sections, a).percent)));\n")
    (tmp_path / "run.mjs").write_text(script)
    out = subprocess.run([NODE, str(tmp_path / "run.mjs")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    py = [python_percent(checklist, a) for a in answer_sets]
    mismatches = [(i, js[i], py[i]) for i in range(len(py)) if js[i] != py[i]]
    assert not mismatches, f"{len(mismatches)} of {len(py)} differ, e.g. case/js/python {mismatches[:3]}"
    assert len(set(py)) > 20, "the random answer sets should give many different scores"
    assert any(partial_score(checklist, a).critical_failed for a in answer_sets) == any(
        i.critical == "checklist" for i in checklist.items)
