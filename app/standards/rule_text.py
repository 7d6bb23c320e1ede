"""The rule phrases of Chinese QA standards (评分标准), both ways.

:func:`parse_rule_text` reads a 评分标准 cell into the version-2 scoring of an item, as
``shared/DESIGN.md`` "Importing a standard from Excel" says; :func:`rule_text` writes an item's scoring
back as a cell that :func:`parse_rule_text` reads to the same scoring (the Excel export).

A cell is split into clauses at ；; 。 and newlines; a leading label ("A." "1、" "（1）") is dropped.
Per clause: 每处/每项/每次 … 扣 x 分 → a deduction of x per occurrence; 本项不得分 / 不得分 → the whole
item ("all"); 扣完为止 adds nothing; 按…比例扣分 → sample (抽查 N 户 → ``min_sample``); 酌情扣分 → scale
(以 x 分为单位 → ``step``); 加 x 分 (最多加 y 分) → bonus; 另扣 x 分 (最多扣 y 分) → penalty;
一票否决 → critical: checklist; 本部分不得分 → critical: section; 无此项… → N/A allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from app.messages import Msg, msg
from scoring.engine import number
from scoring.model import Item

NUM = r"(\d+(?:\.\d+)?)"
# full-width digits, letters and the full-width full stop, for matching only (one character each)
_HALF = str.maketrans({chr(c): chr(c - 0xFEE0) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                                           *range(0xFF41, 0xFF5B), 0xFF0E]})
SPLIT = re.compile(r"[；;。\n\r]+")
INLINE_LABEL = re.compile(r"(?<=\S)[ \t]*(?=[（(]\d{1,2}[)）]|[①-⑳])")  # "（1）…（2）…" on one line
LABEL = re.compile(
    r"^\s*(?:[（(]\s*(?:\d{1,2}|[A-Za-z]|[一二三四五六七八九十]{1,3})\s*[)）]"
    r"|[①-⑳]"
    r"|(?:[A-Za-z]|\d{1,2})\s*[.、:：)）](?!\d))\s*"
)
COMMA = "，,、：:"
BONUS_PHRASE, PENALTY_PHRASE = "加 x 分", "另扣 x 分"  # how a bonus or penalty is written, as problems quote it

SECTION_ZERO = re.compile(r"本部分不得分|该部分不得分|本大项不得分|本部分分值全扣")
VETO = re.compile(r"一票否决")
NA = re.compile(r"^无此项")
UNTIL = re.compile(r"扣完为止|扣完即止|扣至0分为止|扣完本项分值为止")
MAX = re.compile(r"(?:最多|最高|上限)(?:加|扣|可加|可扣)?\s*" + NUM + r"\s*分")
STEP = re.compile(r"以\s*" + NUM + r"\s*分为(?:一档|单位)")
SAMPLE_N = re.compile(r"抽查\s*" + NUM + r"\s*(?:户|份|个|人|间|处|次|套|本|项|名|单|条)")
RANGE = re.compile(r"扣\s*" + NUM + r"\s*(?:分)?\s*[-~～至到]\s*" + NUM + r"\s*分")

PENALTY = re.compile(r"另扣\s*" + NUM + r"\s*分")
BONUS = re.compile(r"加\s*" + NUM + r"\s*分")
SAMPLE = re.compile(r"按[^，,；;。]*?比例[^，,；;。]*?扣分|按比例扣分")
SCALE = re.compile(r"酌情(?:扣分|给分|评分|打分)")
PER = re.compile(r"扣\s*" + NUM + r"\s*分")
ALL = re.compile(r"不得分|分值全扣|本项全扣|本项扣完|计0分|得0分")
# the order matters: 另扣 before 扣, 加 before nothing else
MAIN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("penalty", PENALTY), ("bonus", BONUS), ("sample", SAMPLE), ("scale", SCALE), ("per", PER), ("all", ALL),
)
MODIFIERS = (SECTION_ZERO, VETO, UNTIL, MAX, STEP, SAMPLE_N)


@dataclass
class Clause:
    kind: str  # per | all | sample | scale | bonus | penalty
    text: str  # the clause as written (label dropped), or its description before the amount
    amount: Decimal | None = None


@dataclass
class ParsedRule:
    """What a 评分标准 cell says. ``problems`` are reasons, catalogue messages (the caller adds the cell address)."""

    clauses: list[Clause] = field(default_factory=list)
    critical: str = "none"
    na: bool = False
    max: Decimal | None = None
    step: Decimal | None = None
    min_sample: int | None = None
    problems: list[Msg] = field(default_factory=list)


def _half(text: str) -> str:
    return text.translate(_HALF)


def _strip_label(clause: str) -> str:
    m = LABEL.match(_half(clause))
    return clause[m.end():].strip() if m else clause.strip()


def _blank_out(text: str, m: re.Match[str]) -> str:
    """``text`` with the match replaced by spaces (positions kept)."""
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]


def _description(clause: str, start: int) -> str:
    """The words before the amount phrase: up to the last comma before it; the whole clause if none."""
    cut = max(clause.rfind(c, 0, start) for c in "，,:：")
    desc = clause[:cut].strip(" " + COMMA) if cut > 0 else ""
    return desc or UNTIL.sub("", clause).strip(" " + COMMA)


def _split_mains(clause: str, matching: str) -> list[tuple[str, str]]:
    """One clause holding two rules ("每处扣0.5分，情节严重的本项不得分") is split at the comma before the second."""
    starts: list[int] = []
    for _, pattern in MAIN:
        for m in pattern.finditer(matching):
            if not any(abs(m.start() - s) < 2 for s in starts):
                starts.append(m.start())
    starts.sort()
    # an amount preceded by its own trigger words counts once: keep only starts separated by a comma
    cuts = [0]
    for s in starts[1:]:
        cut = max(matching.rfind(c, cuts[-1], s) for c in "，,")
        if cut > cuts[-1]:
            cuts.append(cut + 1)
    cuts.append(len(clause))
    return [(clause[a:b].strip(" " + COMMA), matching[a:b].strip(" " + COMMA)) for a, b in zip(cuts, cuts[1:], strict=False)]


def _main(piece: str, matching: str, out: ParsedRule) -> None:
    rng = RANGE.search(matching)
    if rng:
        out.problems.append(msg("xlsx.rule_range", text=rng.group(0)))
        return
    for kind, pattern in MAIN:
        m = pattern.search(matching)
        if m is None:
            continue
        amount = Decimal(m.group(1)) if m.groups() else None
        out.clauses.append(Clause(kind, _description(piece, m.start()), amount))
        return
    out.problems.append(msg("xlsx.rule_unknown", clause=piece))


def parse_rule_text(text: str | None) -> ParsedRule:
    """Read a 评分标准 cell. An empty cell gives no clauses (the item is pass/fail)."""
    out = ParsedRule()
    for raw in SPLIT.split(INLINE_LABEL.sub("\n", text or "")):
        clause = _strip_label(raw)
        if not clause.strip(" " + COMMA):
            continue
        matching = _half(clause)
        if NA.search(matching):
            out.na = True
            continue
        veto_at: int | None = None
        for pattern in MODIFIERS:
            for m in list(pattern.finditer(matching)):
                if pattern is SECTION_ZERO:
                    out.critical = "section" if out.critical == "none" else out.critical
                    veto_at = m.start()
                elif pattern is VETO:
                    out.critical = "checklist"
                    veto_at = m.start()
                elif pattern is MAX:
                    out.max = Decimal(m.group(1))
                elif pattern is STEP:
                    out.step = Decimal(m.group(1))
                elif pattern is SAMPLE_N:
                    out.min_sample = int(Decimal(m.group(1)))
                matching = _blank_out(matching, m)
        if not matching.strip(" " + COMMA + "，。"):
            continue  # modifiers only (扣完为止, 一票否决, 最多加 1 分 …)
        if veto_at is not None and not any(p.search(matching) for _, p in MAIN):
            # "堵塞消防通道的，本部分不得分": the condition of a veto fails the whole item
            out.clauses.append(Clause("all", _description(clause, veto_at)))
            continue
        for piece, piece_matching in _split_mains(clause, matching):
            if piece_matching.strip(" " + COMMA):
                _main(piece, piece_matching, out)
    return out


# ----------------------------------------------------------------------------- writing
def _n(d: Decimal) -> str:
    return str(number(d))


def _with_amount(text: str, phrase: str, want: Decimal | None) -> str:
    """A rule's text as a clause: as written when it already says its amount, else with ``phrase`` added."""
    parsed = parse_rule_text(text)
    if not parsed.problems and len(parsed.clauses) == 1 and parsed.clauses[0].amount == want \
            and parsed.clauses[0].kind == ("all" if want is None else "per") and parsed.clauses[0].text == text:
        return text
    return f"{text}，{phrase}"


def rule_text(item: Item) -> str:
    """The 评分标准 cell of an item: read back by :func:`parse_rule_text` to the same scoring."""
    lines: list[str] = []
    if item.scoring == "pass_fail":
        lines.append("不符合要求本项不得分")
    elif item.scoring == "deduct" and item.rules:
        for k, r in enumerate(item.rules):
            phrase = "本项不得分" if r.per is None else f"每处扣{_n(r.per)}分"
            lines.append(f"{chr(ord('A') + k)}. {_with_amount(r.text, phrase, r.per)}")
        lines.append("扣完为止")
    elif item.scoring == "deduct":
        lines.append(f"每处扣{_n(item.per or Decimal(0))}分，扣完为止")
    elif item.scoring == "sample":
        lines.append(("" if item.min_sample <= 1 else f"抽查{item.min_sample}份，") + "按不符合比例扣分")
    elif item.scoring == "scale":
        lines.append(f"酌情扣分，以{_n(item.step)}分为单位")
    elif item.scoring in ("bonus", "penalty"):
        verb = "加" if item.scoring == "bonus" else "另扣"
        most = "" if item.max is None else f"，最多{'加' if item.scoring == 'bonus' else '扣'}{_n(item.max)}分"
        lines.append(f"每次{verb}{_n(item.per or Decimal(0))}分{most}")
    if item.na:
        lines.append("无此项不考核")
    return "\n".join(lines)
