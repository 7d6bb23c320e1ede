"""The scoring structure and texts of a checklist, for comparing two versions of a standard.

What an Excel sheet holds is compared; what it cannot hold is not: section and group ids (an import
numbers them s1…, g1…), English titles, evidence rules, due hours and each item's ``source``.
"""

from __future__ import annotations

from typing import Any

from scoring.model import Checklist, Group, Item


def item_structure(item: Item) -> tuple[Any, ...]:
    return (
        item.id, item.text, item.points, item.scoring, item.per, item.step if item.scoring == "scale" else None,
        tuple((r.id, r.text, r.per) for r in item.rules), item.min_sample, item.max, item.critical, item.na,
        item.method,
    )


def structure(checklist: Checklist) -> tuple[Any, ...]:
    """Title, grades and every section, group and item with its scoring, in order."""
    sections = []
    for s in checklist.sections:
        entries: list[Any] = []
        for e in s.entries:
            if isinstance(e, Group):
                entries.append(("group", e.title, e.points, tuple(item_structure(i) for i in e.items)))
            else:
                entries.append(item_structure(e))
        sections.append((s.title, s.points, tuple(entries)))
    grades = tuple(sorted((b.grade, b.min) for b in checklist.grades))
    return checklist.title, grades, tuple(sections)


def differences(a: Checklist, b: Checklist) -> list[str]:
    """Where two checklists differ in structure or texts (empty when they are the same standard)."""
    out: list[str] = []
    if a.title != b.title:
        out.append(f"title: {a.title!r} != {b.title!r}")
    if structure(a)[1] != structure(b)[1]:
        out.append("grades differ")
    if len(a.sections) != len(b.sections):
        out.append(f"{len(a.sections)} sections != {len(b.sections)}")
    for sa, sb in zip(structure(a)[2], structure(b)[2], strict=False):
        if sa[:2] != sb[:2]:
            out.append(f"section {sa[:2]} != {sb[:2]}")
        for ea, eb in zip(sa[2], sb[2], strict=False):
            if ea != eb:
                out.append(f"{ea} != {eb}")
        if len(sa[2]) != len(sb[2]):
            out.append(f"section {sa[0]}: {len(sa[2])} entries != {len(sb[2])}")
    return out
