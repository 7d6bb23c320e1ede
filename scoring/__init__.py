"""Pinzhi's pure core: checklist schema and loader, scoring of one inspection, grades.

Imports neither Streamlit nor SQLAlchemy nor ``app``.
"""

from scoring.engine import (
    GroupScore,
    ItemScore,
    Outcome,
    ScoreResult,
    ScoringError,
    SectionScore,
    evaluate,
    partial_score,
    score,
    score_item,
)
from scoring.grades import DEFAULT_BANDS, GradeBand, grade_for, round_half_up
from scoring.loader import (
    ChecklistError,
    LoadResult,
    Problem,
    content_hash,
    load_checklist_file,
    load_directory,
    parse_checklist,
    parse_checklist_text,
)
from scoring.model import Checklist, Group, Item, Rule, Section

__all__ = [
    "DEFAULT_BANDS", "Checklist", "ChecklistError", "GradeBand", "Group", "GroupScore", "Item", "ItemScore",
    "LoadResult", "Outcome", "Problem", "Rule", "ScoreResult", "ScoringError", "Section", "SectionScore",
    "content_hash", "evaluate", "grade_for", "load_checklist_file", "load_directory", "parse_checklist",
    "parse_checklist_text", "partial_score", "round_half_up", "score", "score_item",
]
