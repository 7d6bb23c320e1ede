"""The tablet inspection screen as ONE client-side component (Streamlit custom components v2, no iframe).

The component (``inspection.js``, ``score.js``, ``inspection.css`` in this folder) receives the whole
checklist and the draft's stored answers, notes and photos, draws every section on the tablet itself
(a section change never goes to the server) and never derives an answer from a widget's absence. Every
tap is written first to a local outbox (``localStorage`` key ``pinzhi.outbox.u<user id>.i<inspection id>``:
one localStorage entry per op, ``{kind: "answer"|"note"|"reason"|"photo"|"remove_photo", item_id,
value|note|reason|photo|link_id, op_id, at}``, ``at`` = tap time in epoch ms), shown at once, then sent in
order to the JSON API v1 with the session cookie and the ``X-CSRF-Token`` of ``GET /api/v1/me``:
``PUT …/answers/{item_id}`` (idempotent by ``op_id``, ordered by ``answered_at``), ``PUT …/notes/{item_id}``,
``PUT …/no-photo-reason/{item_id}``, ``POST …/photos`` (form fields ``item_id``, ``file``, ``captured_at``),
``DELETE …/photos/{link_id}`` (a 404 counts as done: the photo is gone). A network failure, a 5xx or a
restarting server keeps the op queued and retried (also after a reload: the outbox is read back at mount);
while the browser reports itself offline (``navigator.onLine``) nothing is tried until it is back online.
A refusal (4xx) drops the op, shows the server's reason on the card and puts the stored value back.

Data contract (``data=`` of the mount), all JSON:

- ``mode``: ``"items"`` (the screen) or ``"nav"`` (a row of buttons, used around the review step);
- ``inspection_id`` (int), ``user_id`` (int), ``lang`` (``"zh"``/``"en"``), ``api`` (``"/api/v1"``);
- ``checklist``: ``{"sections": [{"id", "title", "title_en", "points", "groups": [{"id", "title", "title_en",
  "points"}], "items": [{"id", "text", "text_en", "points", "scoring": "pass_fail"|"deduct"|"scale"|"sample"|
  "bonus"|"penalty", "per", "step", "na", "critical", "evidence", "method", "rules": [{"id", "text", "per"}],
  "min_sample", "max", "group"}]}]}`` (standards language version 2: a rule's ``per`` ``null`` is "all",
  本项不得分; ``group`` is the id of the item's 分项 or ``null``; ``max`` ``null`` when none);
- ``answers``: ``{item_id: {"result": …} | {"count": n} | {"points": x} | {"counts": {clause id: n}} |
  {"checked": n, "failed": k}}`` (exactly the shapes ``scoring.evaluate`` accepts; a multi-clause item's clauses
  at 0 are left out, ``{"counts": {}}`` is "no deduction"); ``tapped``: ``{item_id: epoch ms}``;
- ``notes``: ``{item_id: text}``; ``photos``: ``{item_id: [{"link_id", "photo_id", "captured_at"}]}``;
- ``no_photo_reasons``: ``{item_id: text}`` (asked for on a failed ``evidence: on_fail`` item);
- ``section``: the section to open (index) or ``None``; ``focus_item``: an item to scroll to and highlight;
- ``hints``: ``{item_id: text}``, a line of plain text under an item (the training records' figures
  beside the training items);
- ``labels``: the UI texts (Chinese or English).

In ``"nav"`` mode the data is ``{"mode": "nav", "buttons": [{"action", "label", "item"?, "primary"?}]}``.

The component reports one trigger, ``nav``: ``{"action": "review"|"back-to-items"|"jump", "item"?}``
(``review`` is only sent once the outbox is empty, so the review reads everything from the database).

DOM hooks (tests, assistive technology): each card ``[data-item-id][data-state=unanswered|pending|saved|error]``;
each choice ``button[role=radio][aria-checked]`` named by its label (a stepper beyond 9 choices);
a multi-clause item's clause rows ``[data-clause=<id>]`` (a counter ``[data-role=clause-count]`` between
``button[data-step=-1|1]``, or for a ``per: all`` clause two ``button[role=radio][data-clause-value=0|1]``),
a sample item's ``[data-field=checked|failed]`` counters (an ``input`` between ``button[data-step]``),
a group heading ``[data-group-id]``, the method badge ``[data-role=method]``, the header's ``[data-role=adjust]``
(bonus and penalty so far);
``[data-action=next-section|prev-section|review|back-to-items|next-unanswered|clear|remove-photo]``;
``[data-role=progress|score|section-picker|offline-banner|status|hint|no-photo-reason|thumbs]``.

The JS is served as a file from this folder under ``/_stcore/bidi-components/pinzhi.inspection/`` (the
component is registered with this folder as its asset directory), so it runs under the app's
``script-src 'self'`` CSP: inline component JS would be loaded from a ``blob:`` URL, which the CSP refuses.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.services import inspections as svc
from app.ui.components import file_component
from app.ui.i18n import lang, t
from scoring import Checklist
from scoring.model import Group, Item

NAME = "pinzhi.inspection"
ASSET_DIR = Path(__file__).resolve().parent

EXTRA_KEYS = ("next_unanswered", "clear", "pending", "offline", "syncing", "signed_out", "review_wait",  # screen.<key>
              "storage_full", "photo_unreadable", "taken")
LABEL_KEYS = ("pass", "fail", "na", "pts", "progress", "score_so_far", "section", "prev", "next", "to_review",
              "back_to_items", "saved", "save_failed", "note", "result", "take_photo", "upload_photo", "photo",
              "critical_checklist", "critical_section", "evidence_required", "evidence_on_fail",
              "no_photo_reason", "no_photo_reason_placeholder", "remove_photo", "remove_photo_confirm")
# the version-2 kinds (multi-clause items, samples, bonus and penalty, groups, methods)
V2_LABEL_KEYS = ("v2_no_deduction", "v2_all_no", "v2_all_yes", "v2_each", "v2_all", "v2_checked", "v2_failed",
                 "v2_min_sample", "v2_bonus_each", "v2_penalty_each", "v2_max", "v2_times", "v2_adjust",
                 "v2_bonus", "v2_penalty", "v2_sample_badge", "method_records", "method_onsite", "method_mystery",
                 "method_phone", "method_interview")


def labels() -> dict[str, str]:
    out = {k: t(k) for k in LABEL_KEYS}
    out["count"] = t("count_fmt", n=999).replace("999", "{n}")
    out.update({k: t(f"screen.{k}") for k in EXTRA_KEYS})
    out.update({k: t(k) for k in V2_LABEL_KEYS})
    return out


def _num(d: Decimal | None) -> float | str | None:
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else str(d.normalize())


def checklist_data(checklist: Checklist) -> dict[str, Any]:
    """The ``checklist`` of the data contract."""
    return {"sections": [
        {"id": s.id, "title": s.title, "title_en": s.title_en, "points": _num(s.points), "items": [
            {"id": i.id, "text": i.text, "text_en": i.text_en, "points": _num(i.points), "scoring": i.scoring,
             "per": _num(i.per), "step": _num(i.step), "na": i.na, "critical": i.critical, "evidence": i.evidence,
             **_v2_item(i)}
            for i in s.items], "groups": [_v2_group(g) for g in s.groups]} for s in checklist.sections]}


def _v2_item(i: Item) -> dict[str, Any]:
    """The version-2 fields of an item (standards language version 2)."""
    return {"method": i.method, "rules": [{"id": r.id, "text": r.text, "per": _num(r.per)} for r in i.rules],
            "min_sample": i.min_sample, "max": _num(i.max), "group": i.group}


def _v2_group(g: Group) -> dict[str, Any]:
    return {"id": g.id, "title": g.title, "title_en": g.title_en, "points": _num(g.points)}


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, default=lambda o: _num(o) if isinstance(o, Decimal) else str(o)))


def _register() -> Any:
    """This folder as the component's asset directory (``'self'`` under the CSP) and the component."""
    return file_component("inspection", ASSET_DIR, html="<div class='pzi-root'></div>", css="inspection.css",
                          js="inspection.js")


def screen(view: svc.DraftView, *, user_id: int, section: int | None, focus_item: str | None,
           hints: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Mount the inspection screen; returns the ``nav`` trigger of this run (or None)."""
    component = _register()
    data = {"mode": "items", "inspection_id": view.header.id, "user_id": user_id, "lang": lang(), "api": "/api/v1",
            "checklist": checklist_data(view.checklist), "answers": _jsonable(view.answers), "notes": dict(view.notes),
            "photos": {k: [{"link_id": p.link_id, "photo_id": p.photo_id,
                            "captured_at": p.captured_at.isoformat() if p.captured_at else None} for p in ps]
                       for k, ps in view.photos.items()},
            "no_photo_reasons": dict(view.no_photo_reasons),
            "section": section, "focus_item": focus_item, "hints": hints or {}, "labels": labels()}
    result = component(key=f"pzi_{view.header.id}", data=data, on_nav_change=lambda: None)
    return getattr(result, "nav", None)


def nav(buttons: list[dict[str, Any]], *, key: str) -> dict[str, Any] | None:
    """A row of buttons carrying ``data-action`` hooks (around the review step); returns the pressed one."""
    component = _register()
    result = component(key=key, data={"mode": "nav", "buttons": buttons}, on_nav_change=lambda: None)
    return getattr(result, "nav", None)
