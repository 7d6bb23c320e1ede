"""The pure scoring package's problems in the user's language.

``scoring`` stays free of the app: a checklist-file problem (:class:`scoring.loader.Problem`, refused YAML
included), an answer that cannot be scored (:class:`scoring.engine.ScoringError`) and a broken scorecard rules
file (:class:`scoring.monthly.ScorecardRulesError`) carry a code and parameters beside their English text. Here
they become catalogue messages (``loader.<code>``, ``loader.at.<kind>``, ``engine.<code>``,
``scorecard_rules.<code>`` in app/locale): objects with ``render(lang)``, usable as parameters of other
messages and service errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.messages import LANGS, Joined, Msg, msg, text
from scoring.engine import ScoringError
from scoring.loader import Problem
from scoring.monthly import ScorecardRulesError

# a list parameter (words of the file format): how its words are joined, per language
_LIST_SEP = {lang: text("list_sep", lang) for lang in LANGS}
_OR_SEP = {lang: text("or_sep", lang) for lang in LANGS}


def _params(params: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {k: Joined(tuple(map(str, v)), _OR_SEP if k == "allowed" else _LIST_SEP) if isinstance(v, tuple) else v
            for k, v in params}


def _where(parts: Iterable[tuple[str, str]]) -> Joined:
    return Joined(tuple(msg(f"loader.at.{kind}", v=v) for kind, v in parts), {"zh": " ", "en": " "})


@dataclass(frozen=True)
class _Plain:
    """Text that is the same in every language (a problem made outside the loader's codes)."""

    value: str

    def render(self, lang: str) -> str:
        return self.value


def loader_rule(p: Problem) -> Msg | _Plain:
    """The broken rule (with the clause or grade band it is about), without the place."""
    if not p.code:
        return _Plain(p.rule)
    rule = msg(f"loader.{p.code}", **_params(p.params))
    return msg("loader.sub", sub=_where(p.sub), rule=rule) if p.sub else rule


def loader_where(p: Problem) -> Joined | _Plain:
    return _where(p.at) if p.at else _Plain(p.where)


def loader_detail(p: Problem) -> Msg:
    """``where: rule`` (no file), e.g. "检查项 1.2：'per' 必须…" / "item 1.2: 'per' must …"."""
    return msg("loader.detail", where=loader_where(p), rule=loader_rule(p))


def loader_problem(p: Problem) -> Msg:
    """``file: where: rule``."""
    return msg("loader.problem", file=p.file, where=loader_where(p), rule=loader_rule(p))


def loader_problems(problems: Iterable[Problem], *, limit: int | None = None) -> Joined:
    """Several problems, one per line."""
    shown = list(problems)[:limit]
    return Joined(tuple(loader_problem(p) for p in shown), {"zh": "\n", "en": "\n"})


def scoring_reason(exc: ScoringError) -> Msg | _Plain:
    """Why an answer cannot be scored, in the user's language."""
    code = getattr(exc, "code", "")
    return msg(f"engine.{code}", **exc.params) if code else _Plain(str(exc))


def scorecard_rules_problem(exc: ScorecardRulesError) -> Msg:
    """A broken scorecard rules file (checklists/scorecard.yaml): ``file: key: rule``."""
    return msg("scorecard_rules.problem", file=exc.source, key=exc.key,
               rule=msg(f"scorecard_rules.{exc.code}", **exc.params))


def problem_text(p: Problem, lang: str) -> str:
    return loader_problem(p).render(lang)
