"""CSV of the monthly scorecard: the columns of ``pinzhi scorecard --format json``, flattened.

UTF-8 with a BOM so that Excel (and WPS) open the Chinese names correctly; every text cell goes
through :func:`app.reports.safe_text`, numbers are written as plain numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from app.reports import safe_text
from app.services.clause_pareto import Adjustment
from app.services.scorecard import ScorecardLine
from scoring.monthly import KINDS

BOM = "\ufeff"

# The keys of one JSON row of ``pinzhi scorecard --format json``, in order.
JSON_KEYS: tuple[str, ...] = ("subject", "name", "site", "score", "grade", "coverage", "rank", "delta",
                              "inspections", "kinds", "self_checks", "self_gap", "open_actions")


def json_row(line: ScorecardLine) -> dict[str, Any]:
    """Exactly the JSON keys of the CLI (from :meth:`ScorecardLine.to_dict`), in :data:`JSON_KEYS` order."""
    d = line.to_dict()
    return {k: d[k] for k in JSON_KEYS}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    return safe_text(value)


def csv_header(kinds: Sequence[str]) -> list[str]:
    """``subject`` becomes ``subject_type`` + ``subject`` (the code); ``kinds`` one ``kinds.<kind>`` column each."""
    head: list[str] = ["subject_type", "subject"]
    for key in JSON_KEYS[1:]:
        if key == "kinds":
            head += [f"kinds.{k}" for k in kinds]
        else:
            head.append(key)
    return head


def scorecard_csv(lines: Sequence[ScorecardLine], adjust: Mapping[int, Adjustment] | None = None) -> str:
    """The scorecard lines as CSV text (starts with a BOM; CRLF line ends, as Excel writes them).

    With ``adjust`` (:func:`app.services.clause_pareto.adjustments`) holding any subject, two more columns
    ``bonus`` and ``penalty`` (version-2 standards: what bonus rows added and penalty rows took in the month).
    """
    rows = [json_row(line) for line in lines]
    present = {k for r in rows for k in r["kinds"]}
    kinds = [k for k in KINDS if k in present] + sorted(present - set(KINDS))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(csv_header(kinds) + (["bonus", "penalty"] if adjust else []))
    for r, line in zip(rows, lines, strict=True):
        ((subject_type, code),) = r["subject"].items()
        out: list[Any] = [subject_type, code]
        for key in JSON_KEYS[1:]:
            if key == "kinds":
                out += [r["kinds"].get(k) for k in kinds]
            else:
                out.append(r[key])
        if adjust:
            a = adjust.get(line.subject_id)
            out += [float(a.bonus), float(a.penalty)] if a else [None, None]
        w.writerow([_cell(v) for v in out])
    return BOM + buf.getvalue()
