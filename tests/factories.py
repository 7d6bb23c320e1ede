"""Test factories: build checklists from small dicts without touching files."""

from __future__ import annotations

from typing import Any

from scoring import Checklist, parse_checklist


def item(id: str, points: float = 1, **kw: Any) -> dict[str, Any]:
    return {"id": id, "text": f"text of {id}", "points": points, "source": "test", **kw}


def section(id: str, items: list[dict[str, Any]], points: float | None = None, **kw: Any) -> dict[str, Any]:
    total = points if points is not None else sum(float(i["points"]) for i in items)
    return {"id": id, "title": f"section {id}", "points": total, "items": items, **kw}


def checklist_dict(sections: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "t", "version": "1", "title": "test checklist", "kind": "standard", "subject": "site",
        "sections": sections,
    }
    base.update(kw)
    return base


def make_checklist(sections: list[dict[str, Any]], **kw: Any) -> Checklist:
    checklist, problems = parse_checklist(checklist_dict(sections, **kw), "test.yaml")
    assert checklist is not None, problems
    return checklist
