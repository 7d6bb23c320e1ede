"""Freeze the demo company's inspections as scored by the version-1 engine (run once, before version 2).

    .venv/bin/python tests/golden/make_demo_v1_scores.py

Builds the demo (fixed ``today`` and seed) in a temporary SQLite database and writes
``demo_v1_scores.json.gz``: the stored checklist versions' YAML (by content hash) and, per inspection,
its answers, its stored score snapshot and a running (partial) score of the first half of its answers.
``tests/test_scoring_v1_compat.py`` re-scores all of them with the current engine and compares.
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TODAY = date(2026, 11, 20)
SEED = 20261123
OUT = Path(__file__).with_name("demo_v1_scores.json.gz")


def figures(result) -> dict:
    """The comparable figures of a ScoreResult, as strings (exact)."""
    return {
        "awarded": str(result.awarded), "applicable": str(result.applicable), "possible": str(result.possible),
        "percent_exact": None if result.percent_exact is None else str(result.percent_exact),
        "grade": result.grade, "critical_failed": result.critical_failed,
        "sections": [[s.id, str(s.awarded), str(s.applicable), str(s.possible)] for s in result.sections],
        "items": [[i.id, str(i.awarded), str(i.applicable), i.na] for i in result.items],
        "failed_items": list(result.failed_items),
    }


def main() -> None:
    from sqlalchemy import select

    from app.db.engine import Database, make_engine
    from app.db.migrate import upgrade
    from app.db.models import Answer, Inspection
    from app.services import catalog, demo
    from scoring import partial_score

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/demo.db")
        upgrade(engine)
        db = Database(engine)
        demo.seed_demo(db, today=TODAY, seed=SEED, password="golden-demo")
        yamls: dict[str, str] = {}
        rows = []
        with db.read() as s:
            answers: dict[int, dict] = {}
            for a in s.scalars(select(Answer)):
                answers.setdefault(a.inspection_id, {})[a.item_id] = a.value
            for insp in s.scalars(select(Inspection).order_by(Inspection.id)).unique():
                v = insp.checklist_version
                yamls[v.content_hash] = v.yaml_text
                checklist = catalog.stored_checklist(v)
                ans = answers[insp.id]
                half_ids = [it.id for it in checklist.items][: len(checklist.items) // 2]
                half = {k: ans[k] for k in half_ids if k in ans}
                rows.append({
                    "hash": v.content_hash, "answers": ans, "snapshot": insp.snapshot,
                    "half": half_ids, "partial": figures(partial_score(checklist, half)),
                })
        engine.dispose()
    doc = {"today": TODAY.isoformat(), "seed": SEED, "checklists": yamls, "inspections": rows}
    OUT.write_bytes(gzip.compress(json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8"), mtime=0))
    print(f"{len(rows)} inspections, {len(yamls)} checklist versions -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
