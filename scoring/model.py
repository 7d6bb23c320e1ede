"""Checklist domain model: frozen dataclasses, exact decimals.

A checklist is built only through :mod:`scoring.loader`, which validates every rule of the schema
in ``shared/DESIGN.md``; code that holds a :class:`Checklist` may rely on those rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from scoring.grades import DEFAULT_BANDS, GradeBand

Kind = Literal["appearance", "safety", "training", "standard", "workflow"]
Subject = Literal["staff", "site"]
ScoringType = Literal["pass_fail", "deduct", "scale"]
Critical = Literal["none", "section", "checklist"]
Evidence = Literal["none", "optional", "on_fail", "required"]

KINDS: tuple[str, ...] = ("appearance", "safety", "training", "standard", "workflow")
SUBJECTS: tuple[str, ...] = ("staff", "site")
SCORING_TYPES: tuple[str, ...] = ("pass_fail", "deduct", "scale")
CRITICALS: tuple[str, ...] = ("none", "section", "checklist")
EVIDENCES: tuple[str, ...] = ("none", "optional", "on_fail", "required")

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
class Item:
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
class Section:
    id: str
    title: str
    points: Decimal
    items: tuple[Item, ...]
    title_en: str | None = None


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
