"""Checklist domain model: frozen dataclasses, exact decimals.

A checklist is built only through :mod:`scoring.loader`, which validates every rule of the schema
in ``shared/DESIGN.md``; code that holds a :class:`Checklist` may rely on those rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Literal

from scoring.grades import DEFAULT_BANDS, GradeBand

Kind = Literal["appearance", "safety", "training", "standard", "workflow"]
Subject = Literal["staff", "site"]
ScoringType = Literal["pass_fail", "deduct", "scale", "sample", "bonus", "penalty"]
Critical = Literal["none", "section", "checklist"]
Evidence = Literal["none", "optional", "on_fail", "required"]
Method = Literal["records", "onsite", "mystery", "phone", "interview"]

KINDS: tuple[str, ...] = ("appearance", "safety", "training", "standard", "workflow")
SUBJECTS: tuple[str, ...] = ("staff", "site")
SCORING_TYPES: tuple[str, ...] = ("pass_fail", "deduct", "scale", "sample", "bonus", "penalty")
ADJUSTMENTS: tuple[str, ...] = ("bonus", "penalty")  # items outside every points figure
CRITICALS: tuple[str, ...] = ("none", "section", "checklist")
EVIDENCES: tuple[str, ...] = ("none", "optional", "on_fail", "required")
METHODS: tuple[str, ...] = ("records", "onsite", "mystery", "phone", "interview")
METHOD_LABELS: dict[str, str] = {
    "records": "查阅记录", "onsite": "现场查看", "mystery": "暗访", "phone": "电话", "interview": "询问",
}

DEFAULT_DUE_HOURS = 24


def as_decimal(value: object) -> Decimal | None:
    """A finite Decimal from a YAML/JSON number or numeric string; ``None`` for anything else (bools too)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


@dataclass(frozen=True, slots=True)
class Rule:
    """One deduction clause of a multi-clause ``deduct`` item; ``per`` ``None`` means "all" (本项不得分)."""

    id: str
    text: str
    per: Decimal | None

    @property
    def takes_all(self) -> bool:
        return self.per is None


@dataclass(frozen=True, slots=True)
class Item:
    """One checked item. ``points`` is 0 for ``bonus`` and ``penalty`` items (they have none)."""

    id: str
    text: str
    points: Decimal
    source: str
    scoring: ScoringType = "pass_fail"
    per: Decimal | None = None
    step: Decimal = Decimal("0.5")
    na: bool = False
    critical: Critical = "none"
    evidence: Evidence = "optional"
    due_hours: int | None = None
    text_en: str | None = None
    method: Method = "onsite"
    rules: tuple[Rule, ...] = ()
    min_sample: int = 1
    max: Decimal | None = None
    group: str | None = None  # the id of the group (分项) the item sits in, if any

    @property
    def adjustment(self) -> bool:
        """True for ``bonus`` and ``penalty`` items, which count in no points figure."""
        return self.scoring in ADJUSTMENTS

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def reconstructed(self) -> bool:
        """True when the item is not carried over verbatim from a seed document."""
        return self.source.startswith(("reconstructed:", "addition:"))

    @property
    def origin(self) -> Literal["original", "reconstructed", "addition"]:
        if self.source.startswith("reconstructed:"):
            return "reconstructed"
        if self.source.startswith("addition:"):
            return "addition"
        return "original"


@dataclass(frozen=True, slots=True)
class Group:
    """A 分项 inside a section: its own title and points over some of the section's items."""

    id: str
    title: str
    points: Decimal
    items: tuple[Item, ...]
    title_en: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """``items`` holds every item of the section in order, those inside groups included."""

    id: str
    title: str
    points: Decimal
    items: tuple[Item, ...]
    title_en: str | None = None
    groups: tuple[Group, ...] = ()

    @property
    def entries(self) -> tuple[Item | Group, ...]:
        """The section as written: items and groups in order (a group where its first item is)."""
        by_id = {g.id: g for g in self.groups}
        out: list[Item | Group] = []
        seen: set[str] = set()
        for item in self.items:
            if item.group is None:
                out.append(item)
            elif item.group not in seen:
                seen.add(item.group)
                out.append(by_id[item.group])
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Checklist:
    id: str
    version: str
    title: str
    kind: Kind
    subject: Subject
    sections: tuple[Section, ...]
    self_check: bool = False
    title_en: str | None = None
    total_points: Decimal | None = None
    grades: tuple[GradeBand, ...] = DEFAULT_BANDS
    due_hours: int = DEFAULT_DUE_HOURS
    _items_by_id: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)
    _section_of: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for section in self.sections:
            for item in section.items:
                self._items_by_id[item.id] = item
                self._section_of[item.id] = section.id

    @property
    def possible(self) -> Decimal:
        return sum((s.points for s in self.sections), Decimal(0))

    @property
    def groups(self) -> tuple[Group, ...]:
        return tuple(g for s in self.sections for g in s.groups)

    def map_items(self, fn: Callable[[Item], Item]) -> Checklist:
        """A copy with ``fn`` applied to every item (groups keep pointing at the same, mapped items)."""
        sections = []
        for s in self.sections:
            mapped = {i.id: fn(i) for i in s.items}
            groups = tuple(replace(g, items=tuple(mapped[i.id] for i in g.items)) for g in s.groups)
            sections.append(replace(s, items=tuple(mapped[i.id] for i in s.items), groups=groups))
        return replace(self, sections=tuple(sections), _items_by_id={}, _section_of={})

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for s in self.sections for i in s.items)

    def item(self, item_id: str) -> Item:
        return self._items_by_id[item_id]

    def has_item(self, item_id: str) -> bool:
        return item_id in self._items_by_id

    def section_of(self, item_id: str) -> str:
        return self._section_of[item_id]

    def item_due_hours(self, item_id: str) -> int:
        item = self.item(item_id)
        return item.due_hours if item.due_hours is not None else self.due_hours
