"""Test factories: build checklists from small dicts without touching files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scoring import Checklist, parse_checklist


def item(id: str, points: float = 1, **kw: Any) -> dict[str, Any]:
    return {"id": id, "text": f"text of {id}", "points": points, "source": "test", **kw}


def section(id: str, items: list[dict[str, Any]], points: float | None = None, **kw: Any) -> dict[str, Any]:
    total = points if points is not None else sum(float(i.get("points", 0)) for i in items)
    return {"id": id, "title": f"section {id}", "points": total, "items": items, **kw}


def checklist_dict(sections: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "t", "version": "1", "title": "test checklist", "kind": "standard", "subject": "site",
        "sections": sections,
    }
    base.update(kw)
    return base


def use_checklists(tmp_path: Path, monkeypatch: Any, *docs: dict[str, Any],
                   scorecard: dict[str, Any] | None = None) -> Path:
    """Write ``docs`` (and an optional scorecard.yaml) to a fresh checklists dir the app will read."""
    d = tmp_path / "checklists"
    d.mkdir()
    for doc in docs:
        (d / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    if scorecard is not None:
        (d / "scorecard.yaml").write_text(yaml.safe_dump(scorecard, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(d))
    return d


def make_checklist(sections: list[dict[str, Any]], **kw: Any) -> Checklist:
    checklist, problems = parse_checklist(checklist_dict(sections, **kw), "test.yaml")
    assert checklist is not None, problems
    return checklist
