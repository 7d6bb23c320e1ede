"""Load and validate checklist YAML files.

Every problem is collected (not just the first) and names the file, the section or item id and the
rule that was broken. A broken file never stops the other files of a directory from loading.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import yaml

from scoring import safe_yaml
from scoring.grades import DEFAULT_BANDS, GradeBand
from scoring.model import (
    ADJUSTMENTS,
    CRITICALS,
    DEFAULT_DUE_HOURS,
    EVIDENCES,
    KINDS,
    METHODS,
    SCORING_TYPES,
    SUBJECTS,
    Checklist,
    Critical,
    Evidence,
    Group,
    Item,
    Kind,
    Method,
    Rule,
    ScoringType,
    Section,
    Subject,
    as_decimal,
)
from scoring.safe_yaml import short_repr

SLUG = re.compile(r"^[a-z0-9_-]+$")
ITEM_ID = re.compile(r"^[a-z0-9_.-]+$")  # item and group ids: slugs or dotted numbers ("1.3.1")
RULE_ID = re.compile(r"^[a-z0-9_]+$")
TENTH = Decimal("0.1")
RESERVED_FILES = {"scorecard.yaml"}

CHECKLIST_KEYS = {
    "id", "version", "title", "title_en", "kind", "subject", "self_check", "total_points", "grades",
    "sections", "due_hours", "description",
}
SECTION_KEYS = {"id", "title", "title_en", "points", "items"}
GROUP_KEYS = {"id", "title", "title_en", "points", "items"}
ITEM_KEYS = {
    "id", "text", "text_en", "points", "scoring", "per", "step", "na", "critical", "evidence", "source",
    "due_hours", "method", "rules", "min_sample", "max",
}
RULE_KEYS = {"id", "text", "text_en", "per"}


#: Where a problem is: a path of parts, each (kind, value). The English text of each kind is here; the app's
#: message catalogue has ``loader.at.<kind>`` in every language.
WHERE_EN = {
    "checklist": "checklist", "grades": "grades", "directory": "directory", "line": "line {v}",
    "section": "section {v}", "section_n": "section #{v}", "group": "group {v}", "item": "item {v}",
    "entry_n": "item #{v}", "rule": "rule {v}", "rule_n": "rule #{v}", "band": "band {v}", "band_n": "band #{v}",
}
#: Every rule of a checklist file, by code: the English template (``str.format`` with named fields). The app's
#: message catalogue has ``loader.<code>`` with the same fields in every language. A tuple parameter is a
#: list of words of the file format (joined with ", ", or " or " for ``allowed``).
RULES_EN = {
    "required": "'{key}' is required",
    "non_empty": "'{key}' must be a non-empty string",
    "one_of": "'{key}' must be one of {options} (got {got})",
    "boolean": "'{key}' must be true or false (got {got})",
    "number": "'{key}' must be a number (got {got})",
    "positive_tenth": "'{key}' must be > 0 and a multiple of 0.1 (got {got})",
    "due_hours": "'due_hours' must be a whole number of hours > 0 (got {got})",
    "unknown_key": "unknown key '{key}'",
    "rules_list": "'rules' must be a list of at least 2 clauses (a single clause is written as 'per')",
    "rule_mapping": "must be a mapping {{id, text, per}}",
    "rule_id": "'id' must match [a-z0-9_]+ (got {got})",
    "rule_id_unique": "rule id must be unique within the item",
    "rule_per_required": "'per' is required (points per occurrence, or all)",
    "rule_per": "'per' must be all, or > 0 and a multiple of 0.1 (got {got})",
    "per_exceeds": "'per' ({per}) must not exceed the item's points ({points})",
    "whole_min": "'{key}' must be a whole number >= {minimum} (got {got})",
    "only_with": "'{key}' is allowed only with scoring: {allowed}",
    "points_not_allowed": "'points' is not allowed with scoring: {scoring} (it adds or takes 'per' each time)",
    "bonus_critical": "a bonus item cannot be critical",
    "per_or_rules": "a deduct item takes either 'per' or 'rules', not both",
    "step_divides": "'step' ({step}) must divide the item's points ({points})",
    "item_mapping": "item must be a mapping",
    "item_id": "item 'id' must match [a-z0-9_.-]+ (got {got})",
    "item_id_unique": "item id must be unique within the checklist",
    "section_zero": "section points may be 0 only when it holds nothing but bonus and penalty items",
    "group_zero": "group points may be 0 only when it holds nothing but bonus and penalty items",
    "section_sum": "section points ({points}) must equal the sum of its items' points ({total})",
    "group_sum": "group points ({points}) must equal the sum of its items' points ({total})",
    "group_id": "group 'id' must match [a-z0-9_.-]+ (got {got})",
    "group_id_unique": "group id must be unique within the checklist (items and groups share ids)",
    "items_list": "'items' must be a non-empty list",
    "group_nest": "entry #{n}: groups do not nest (a group holds items only)",
    "grades_list": "'grades' must be a non-empty list of {{grade, min}}",
    "band_grade": "needs a non-empty 'grade'",
    "band_min": "'min' must be a number from 0 to 100 (got {got})",
    "bands_distinct": "band minimums must be distinct",
    "lowest_band": "the lowest band must have min 0 so every percent gets a grade",
    "file_mapping": "the file must hold a mapping (id, version, title, kind, subject, sections)",
    "checklist_id": "'id' must be a slug of a-z 0-9 - _ (got {got})",
    "version": "'version' must be a non-empty string, quoted in YAML (got {got})",
    "sections_list": "'sections' must be a non-empty list",
    "section_mapping": "section must be a mapping",
    "section_id": "section 'id' must be a slug of a-z 0-9 - _ (got {got})",
    "section_id_unique": "section id must be unique within the checklist",
    "total_points": "total_points ({total}) must equal the sum of the sections ({sum})",
    "invalid_yaml": "invalid YAML: {detail}",
    "cannot_read": "cannot read file: {detail}",
    "not_directory": "not a directory",
    "id_not_unique": "id '{id}' must be unique across files (also in {other})",
    **{code: "invalid YAML: " + text for code, text in safe_yaml.REFUSALS_EN.items()},
}

Where = tuple[tuple[str, str], ...]
Params = tuple[tuple[str, Any], ...]


def _en(value: Any, key: str) -> Any:
    if isinstance(value, tuple):
        return (" or " if key == "allowed" else ", ").join(map(str, value))
    return value


def where_en(at: Where) -> str:
    return " ".join(WHERE_EN[kind].format(v=v) for kind, v in at)


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule. ``where`` and ``rule`` are English (for logs and the file tools); ``at``, ``code`` and
    ``params`` say the same as data, so the app renders it in the user's language (app/standards/problem_text.py).
    ``sub`` is a part inside the place (a clause or grade band of an item), written before the rule."""

    file: str
    where: str  # "checklist", "section <id>", "item <id>", "grades"
    rule: str
    code: str = ""
    params: Params = ()
    at: Where = ()
    sub: Where = ()

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.rule}"


def problem(file: str, at: Where, code: str, sub: Where = (), /, **params: Any) -> Problem:
    """A problem by code and parameters, its English ``where`` and ``rule`` written from them."""
    rule = RULES_EN[code].format(**{k: _en(v, k) for k, v in params.items()})
    if sub:
        rule = f"{where_en(sub)}: {rule}"
    return Problem(file, where_en(at), rule, code, tuple(params.items()), at, sub)


CHECKLIST: Where = (("checklist", ""),)
GRADES: Where = (("grades", ""),)


class ChecklistError(ValueError):
    """Raised by :func:`load_checklist_file` when a file breaks the schema."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass
class LoadResult:
    checklists: dict[str, Checklist] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # id -> YAML text as loaded

    @property
    def ok(self) -> bool:
        return not self.problems


def _decimal(value: Any) -> Decimal | None:
    d = as_decimal(value)
    return None if d is None else _canonical(d)


def _canonical(d: Decimal) -> Decimal:
    """6.0 -> 6, 1.50 -> 1.5 (so messages and hashes read naturally)."""
    return Decimal(int(d)) if d == d.to_integral_value() else d.normalize()


def _is_tenth_multiple(d: Decimal) -> bool:
    return (d / TENTH) == (d / TENTH).to_integral_value()


class _Checker:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, where: Where, code: str, sub: Where = (), /, **params: Any) -> None:
        self.problems.append(problem(self.file, where, code, sub, **params))

    def text(self, data: dict[str, Any], key: str, where: Where, *, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(where, "required", key=key)
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(where, "non_empty", key=key)
            return None
        return value.strip()

    def choice(self, data: dict[str, Any], key: str, where: Where, options: Iterable[str], default: str | None) -> str:
        opts = tuple(options)
        value = data.get(key, default)
        if value not in opts:
            self.add(where, "one_of", key=key, options=opts, got=short_repr(value))
            return default or opts[0]
        return cast(str, value)

    def boolean(self, data: dict[str, Any], key: str, where: Where, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(where, "boolean", key=key, got=short_repr(value))
            return default
        return value

    def points(self, data: dict[str, Any], key: str, where: Where, *, required: bool = True) -> Decimal | None:
        if key not in data:
            if required:
                self.add(where, "required", key=key)
            return None
        d = _decimal(data[key])
        if d is None:
            self.add(where, "number", key=key, got=short_repr(data[key]))
            return None
        if d <= 0 or not _is_tenth_multiple(d):
            self.add(where, "positive_tenth", key=key, got=str(data[key])[:60])
            return None
        return d

    def hours(self, data: dict[str, Any], where: Where) -> int | None:
        value = data.get("due_hours")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.add(where, "due_hours", got=short_repr(value))
            return None
        return value

    def unknown_keys(self, data: dict[str, Any], allowed: set[str], where: Where, sub: Where = ()) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.add(where, "unknown_key", sub, key=short_repr(key, 40) if not isinstance(key, str) else key[:60])


def _parse_rules(ck: _Checker, raw: Any, where: Where, points: Decimal | None) -> tuple[Rule, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        ck.add(where, "rules_list")
        return ()
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, rr in enumerate(raw):
        label: Where = (("rule_n", str(i + 1)),)
        if not isinstance(rr, dict):
            ck.add(where, "rule_mapping", label)
            continue
        rid = rr.get("id")
        if not isinstance(rid, str) or not RULE_ID.match(rid):
            ck.add(where, "rule_id", label, got=short_repr(rid))
            continue
        label = (("rule", rid),)
        if rid in seen:
            ck.add(where, "rule_id_unique", label)
        seen.add(rid)
        ck.unknown_keys(rr, RULE_KEYS, where, label)
        text = rr.get("text")
        if not isinstance(text, str) or not text.strip():
            ck.add(where, "non_empty", label, key="text")
            continue
        if "per" not in rr:
            ck.add(where, "rule_per_required", label)
            continue
        per: Decimal | None = None
        if rr["per"] != "all":
            per = _decimal(rr["per"])
            if per is None or per <= 0 or not _is_tenth_multiple(per):
                ck.add(where, "rule_per", label, got=short_repr(rr["per"]))
                continue
            if points is not None and per > points:
                ck.add(where, "per_exceeds", label, per=str(per), points=str(points))
                continue
        rules.append(Rule(id=rid, text=text.strip(), per=per))
    return tuple(rules)


def _whole(ck: _Checker, raw: dict[str, Any], key: str, where: Where, minimum: int) -> int | None:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        ck.add(where, "whole_min", key=key, minimum=minimum, got=short_repr(value))
        return None
    return value


def _only_with(ck: _Checker, raw: dict[str, Any], key: str, where: Where, scoring: str,
               allowed: tuple[str, ...]) -> bool:
    """True when ``key`` may appear for this scoring type; reports it when present but not allowed."""
    if scoring in allowed:
        return True
    if key in raw:
        ck.add(where, "only_with", key=key, allowed=allowed)
    return False


def _parse_item(ck: _Checker, raw: Any, label: Where, seen: set[str], group: str | None) -> Item | None:
    if not isinstance(raw, dict):
        ck.add(label, "item_mapping")
        return None
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not ITEM_ID.match(item_id):
        ck.add(label, "item_id", got=short_repr(item_id))
        return None
    where: Where = (("item", item_id),)
    if item_id in seen:
        ck.add(where, "item_id_unique")
    seen.add(item_id)
    ck.unknown_keys(raw, ITEM_KEYS, where)
    text = ck.text(raw, "text", where)
    source = ck.text(raw, "source", where)
    text_en = ck.text(raw, "text_en", where, required=False)
    scoring = ck.choice(raw, "scoring", where, SCORING_TYPES, "pass_fail")
    points: Decimal | None
    if scoring in ADJUSTMENTS:
        points = Decimal(0)
        if "points" in raw:
            ck.add(where, "points_not_allowed", scoring=scoring)
    else:
        points = ck.points(raw, "points", where)
    na = ck.boolean(raw, "na", where, False)
    critical = ck.choice(raw, "critical", where, CRITICALS, "none")
    if scoring == "bonus" and critical != "none":
        ck.add(where, "bonus_critical")
    evidence = ck.choice(raw, "evidence", where, EVIDENCES, "optional")
    method = ck.choice(raw, "method", where, METHODS, "onsite")
    due = ck.hours(raw, where)
    per: Decimal | None = None
    rules: tuple[Rule, ...] = ()
    step = Decimal("0.5")
    min_sample = 1
    most: Decimal | None = None
    if scoring == "deduct" and "rules" in raw:
        if "per" in raw:
            ck.add(where, "per_or_rules")
        rules = _parse_rules(ck, raw["rules"], where, points)
    elif _only_with(ck, raw, "per", where, scoring, ("deduct", "bonus", "penalty")):
        per = ck.points(raw, "per", where)
        if scoring == "deduct" and per is not None and points is not None and per > points:
            ck.add(where, "per_exceeds", per=str(per), points=str(points))
    if scoring != "deduct" and "rules" in raw:
        ck.add(where, "only_with", key="rules", allowed=("deduct",))
    if _only_with(ck, raw, "step", where, scoring, ("scale",)):
        if "step" in raw:
            s = ck.points(raw, "step", where)
            if s is not None:
                step = s
        if points is not None and (points / step) != (points / step).to_integral_value():
            ck.add(where, "step_divides", step=str(step), points=str(points))
    if _only_with(ck, raw, "min_sample", where, scoring, ("sample",)) and "min_sample" in raw:
        min_sample = _whole(ck, raw, "min_sample", where, 1) or 1
    if _only_with(ck, raw, "max", where, scoring, ADJUSTMENTS) and "max" in raw:
        most = ck.points(raw, "max", where)
    if text is None or source is None or points is None:
        return None
    return Item(
        id=item_id, text=text, text_en=text_en, points=points, source=source,
        scoring=cast(ScoringType, scoring), per=per, step=step, na=na,
        critical=cast(Critical, critical), evidence=cast(Evidence, evidence), due_hours=due,
        method=cast(Method, method), rules=rules, min_sample=min_sample, max=most, group=group,
    )


def _counted_points(items: Iterable[Item]) -> Decimal:
    """The points a section or group must add up to: bonus and penalty items excluded."""
    return sum((i.points for i in items if not i.adjustment), Decimal(0))


def _container_points(ck: _Checker, raw: dict[str, Any], where: Where) -> Decimal | None:
    """Section and group points: > 0 and a multiple of 0.1, or 0 (checked later: only bonus/penalty inside)."""
    if "points" in raw and _decimal(raw["points"]) == 0:
        return Decimal(0)
    return ck.points(raw, "points", where)


def _check_sum(ck: _Checker, where: Where, kind: str, points: Decimal | None, items: list[Item | None]) -> None:
    good = [i for i in items if i is not None]
    if points is None or len(good) != len(items) or not items:
        return
    total = _canonical(_counted_points(good))
    if points == 0 and total == 0:
        return
    if points == 0:
        ck.add(where, f"{kind}_zero")
    elif total != points:
        ck.add(where, f"{kind}_sum", points=str(points), total=str(total))


def _parse_group(ck: _Checker, raw: dict[str, Any], label: Where,
                 seen: set[str]) -> tuple[Group | None, list[Item | None]]:
    gid = raw.get("id")
    if not isinstance(gid, str) or not ITEM_ID.match(gid):
        ck.add(label, "group_id", got=short_repr(gid))
        return None, [None]
    where: Where = (("group", gid),)
    if gid in seen:
        ck.add(where, "group_id_unique")
    seen.add(gid)
    ck.unknown_keys(raw, GROUP_KEYS, where)
    title = ck.text(raw, "title", where)
    title_en = ck.text(raw, "title_en", where, required=False)
    points = _container_points(ck, raw, where)
    raw_items = raw.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        ck.add(where, "items_list")
        raw_items = []
    items: list[Item | None] = []
    for ii, ri in enumerate(raw_items):
        if isinstance(ri, dict) and "items" in ri:
            ck.add(where, "group_nest", n=ii + 1)
            items.append(None)
            continue
        items.append(_parse_item(ck, ri, (*where, ("entry_n", str(ii + 1))), seen, gid))
    _check_sum(ck, where, "group", points, items)
    if title is None or points is None or any(i is None for i in items):
        return None, items
    good = tuple(i for i in items if i is not None)
    return Group(id=gid, title=title, title_en=title_en, points=points, items=good), items


def _parse_section(ck: _Checker, rs: dict[str, Any], sid: str, seen: set[str]) -> Section | None:
    where: Where = (("section", sid),)
    ck.unknown_keys(rs, SECTION_KEYS, where)
    stitle = ck.text(rs, "title", where)
    stitle_en = ck.text(rs, "title_en", where, required=False)
    spoints = _container_points(ck, rs, where)
    raw_items = rs.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        ck.add(where, "items_list")
        raw_items = []
    items: list[Item | None] = []
    groups: list[Group] = []
    for ii, ri in enumerate(raw_items):
        label: Where = (*where, ("entry_n", str(ii + 1)))
        if isinstance(ri, dict) and "items" in ri:
            group, inner = _parse_group(ck, ri, label, seen)
            items.extend(inner)
            if group is not None:
                groups.append(group)
        else:
            items.append(_parse_item(ck, ri, label, seen, None))
    _check_sum(ck, where, "section", spoints, items)
    if stitle is None or spoints is None:
        return None
    good = tuple(i for i in items if i is not None)
    return Section(id=sid, title=stitle, title_en=stitle_en, points=spoints, items=good, groups=tuple(groups))


def _parse_grades(ck: _Checker, raw: Any) -> tuple[GradeBand, ...]:
    if raw is None:
        return DEFAULT_BANDS
    if not isinstance(raw, list) or not raw:
        ck.add(GRADES, "grades_list")
        return DEFAULT_BANDS
    bands: list[GradeBand] = []
    for i, band in enumerate(raw):
        if not isinstance(band, dict) or not isinstance(band.get("grade"), str) or not band.get("grade"):
            ck.add(GRADES, "band_grade", (("band_n", str(i + 1)),))
            continue
        m = _decimal(band.get("min"))
        if m is None or m < 0 or m > 100:
            ck.add(GRADES, "band_min", (("band", band["grade"][:60]),), got=short_repr(band.get("min")))
            continue
        bands.append(GradeBand(band["grade"], m))
    mins = [b.min for b in bands]
    if len(set(mins)) != len(mins):
        ck.add(GRADES, "bands_distinct")
    if bands and min(mins) != 0:
        ck.add(GRADES, "lowest_band")
    return tuple(bands) or DEFAULT_BANDS


def parse_checklist(data: Any, file: str) -> tuple[Checklist | None, list[Problem]]:
    """Validate a parsed YAML document; return the checklist (or None) and every problem found."""
    ck = _Checker(file)
    if not isinstance(data, dict):
        ck.add(CHECKLIST, "file_mapping")
        return None, ck.problems
    ck.unknown_keys(data, CHECKLIST_KEYS, CHECKLIST)
    cid = data.get("id")
    if not isinstance(cid, str) or not SLUG.match(cid):
        ck.add(CHECKLIST, "checklist_id", got=short_repr(cid))
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        ck.add(CHECKLIST, "version", got=short_repr(version))
    title = ck.text(data, "title", CHECKLIST)
    title_en = ck.text(data, "title_en", CHECKLIST, required=False)
    kind = ck.choice(data, "kind", CHECKLIST, KINDS, None)
    subject = ck.choice(data, "subject", CHECKLIST, SUBJECTS, None)
    self_check = ck.boolean(data, "self_check", CHECKLIST, False)
    due_hours = ck.hours(data, CHECKLIST) or DEFAULT_DUE_HOURS
    grades = _parse_grades(ck, data.get("grades"))

    sections: list[Section] = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        ck.add(CHECKLIST, "sections_list")
        raw_sections = []
    seen_sections: set[str] = set()
    seen_ids: set[str] = set()  # item and group ids
    for si, rs in enumerate(raw_sections):
        if not isinstance(rs, dict):
            ck.add((("section_n", str(si + 1)),), "section_mapping")
            continue
        sid = rs.get("id")
        if not isinstance(sid, str) or not SLUG.match(sid):
            ck.add((("section_n", str(si + 1)),), "section_id", got=short_repr(sid))
            continue
        if sid in seen_sections:
            ck.add((("section", sid),), "section_id_unique")
        seen_sections.add(sid)
        section = _parse_section(ck, rs, sid, seen_ids)
        if section is not None:
            sections.append(section)

    total_points: Decimal | None = None
    if "total_points" in data:
        total_points = ck.points(data, "total_points", CHECKLIST)
        if total_points is not None and len(sections) == len(raw_sections):
            s = sum((x.points for x in sections), Decimal(0))
            if s != total_points:
                ck.add(CHECKLIST, "total_points", total=str(total_points), sum=str(s))

    if ck.problems:
        return None, ck.problems
    checklist = Checklist(
        id=cast(str, cid), version=cast(str, version).strip(), title=cast(str, title), title_en=title_en,
        kind=cast(Kind, kind), subject=cast(Subject, subject), self_check=self_check,
        total_points=total_points, grades=grades, due_hours=due_hours, sections=tuple(sections),
    )
    return checklist, []


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def parse_checklist_text(text: str, file: str) -> tuple[Checklist | None, list[Problem]]:
    try:
        data = safe_yaml.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where: Where = (("line", str(mark.line + 1)),) if mark is not None else CHECKLIST
        if isinstance(exc, safe_yaml.SafeYAMLError) and exc.code:
            return None, [problem(file, where, exc.code, **exc.params)]
        detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]  # PyYAML's own words (English)
        return None, [problem(file, where, "invalid_yaml", detail=detail)]
    return parse_checklist(data, file)


def load_checklist_file(path: str | Path) -> Checklist:
    """Load one file; raise :class:`ChecklistError` listing every problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistError([problem(_display(p), CHECKLIST, "cannot_read", detail=str(exc))]) from exc
    checklist, problems = parse_checklist_text(text, _display(p))
    if checklist is None:
        raise ChecklistError(problems)
    return checklist


def checklist_files(directory: str | Path) -> list[Path]:
    d = Path(directory)
    files = sorted([*d.glob("*.yaml"), *d.glob("*.yml")])
    return [f for f in files if f.name not in RESERVED_FILES]


def load_directory(directory: str | Path) -> LoadResult:
    """Load every checklist file of a directory; broken files are reported, the rest still load."""
    result = LoadResult()
    d = Path(directory)
    if not d.is_dir():
        result.problems.append(problem(str(d), (("directory", ""),), "not_directory"))
        return result
    for path in checklist_files(d):
        shown = _display(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(problem(shown, CHECKLIST, "cannot_read", detail=str(exc)))
            continue
        checklist, problems = parse_checklist_text(text, shown)
        if checklist is None:
            result.problems.extend(problems)
            continue
        if checklist.id in result.checklists:
            other = _display(result.paths[checklist.id])
            result.problems.append(
                problem(shown, CHECKLIST, "id_not_unique", id=checklist.id, other=other)
            )
            continue
        result.checklists[checklist.id] = checklist
        result.paths[checklist.id] = path
        result.raw[checklist.id] = text
    return result


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
