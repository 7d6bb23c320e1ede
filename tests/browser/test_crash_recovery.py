"""A server killed with SIGKILL in the middle of an inspection loses no answer that showed 已保存.

The test runs its own server on its own data directory: it signs in, answers items on the inspection
screen (waiting for each card's saved state, i.e. the server's acknowledgement), SIGKILLs the server's
process group right after the last one, starts a new server on the same data directory and port, and
opens the same URL (?insp=…; the session is the cookie). Answers still queued when the server dies are
tests/browser/test_inspection_screen_browser.py's test_kill_9_with_answers_queued_then_restart.
"""

from __future__ import annotations

import signal
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from .conftest import SITE_CHECKLIST, LiveServer, Ui

pytestmark = pytest.mark.browser

TITLE = SITE_CHECKLIST["title"]
TAPS: list[list[tuple[str, str, dict[str, Any]]]] = [
    [("env.desk", "不合格", {"result": "fail"}),
     ("env.signage", "合格", {"result": "pass"}),
     ("env.floor", "2处 −2", {"count": 2}),
     ("env.lights", "合格", {"result": "pass"})],
    [("svc.greeting", "4分", {"points": "4"}),
     ("svc.register", "3处 −1.5", {"count": 3}),
     ("svc.phone", "不合格", {"result": "fail"})],  # the last tap: the server dies right after its saved state
]


def _norm(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: Decimal(str(v)) if k in ("count", "points") else v for k, v in answer.items()}


def test_kill_9_loses_no_saved_answer(make_server, open_ui) -> None:
    server: LiveServer = make_server()
    server.start()
    ui: Ui = open_ui(server)
    page = ui.page
    ui.sign_in(server.org.sup_main)
    iid = ui.start_inspection(TITLE)
    for item_id, label, _ in TAPS[0]:
        ui.tap(item_id, label)
    ui.next_section(TAPS[1][0][0])
    for item_id, label, _ in TAPS[1]:
        ui.tap(item_id, label)
    url = page.url
    assert f"insp={iid}" in url and "sid=" not in url  # the session is in the cookie, which the browser keeps

    killed = server.proc
    assert killed is not None
    server.kill9()
    assert killed.returncode == -signal.SIGKILL
    server.start()
    assert server.proc is not None and server.proc.pid != killed.pid

    page.goto(url)
    ui.wait_items([i for i, _, _ in TAPS[1]])
    assert ui.progress() == "进度 7/12"
    for item_id, label, _ in TAPS[1]:
        assert ui.selected(item_id) == [label], f"{item_id} lost its answer {label}"
    assert ui.selected("svc.uniform") == []
    ui.choose_section("1. 前台环境")
    ui.wait_items([i for i, _, _ in TAPS[0]])
    for item_id, label, _ in TAPS[0]:
        assert ui.selected(item_id) == [label], f"{item_id} lost its answer {label}"

    from app.db.models import Answer, Inspection

    db = server.database()
    try:
        with db.read() as s:
            status = s.scalar(select(Inspection.status).where(Inspection.id == iid))
            stored = {r.item_id: dict(r.value) for r in s.execute(
                select(Answer.item_id, Answer.value).where(Answer.inspection_id == iid)) if r.value}
    finally:
        db.engine.dispose()
    assert status == "draft"
    expected = {item_id: answer for sec in TAPS for item_id, _, answer in sec}
    assert {k: _norm(v) for k, v in stored.items()} == {k: _norm(v) for k, v in expected.items()}
