"""Close-out in Chromium at tablet size (820×1180): the supervisor answers on the inspection
screen, goes to the review, the signatures are drawn with the mouse on the signature pads (or the
front-desk lead refuses to sign, with a reason), submit, the result screen with the failed items and the
corrective actions, the one-inspection PDF downloaded at once; then the rows in the database (signatures,
audit log). On SQLite and PostgreSQL. Screenshots: closeout-signatures.png, closeout-result.png, closeout-refused.png.

These servers run with ``PINZHI_SIGNATURES=required`` (the production default).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from .conftest import SCREENSHOTS, SITE_CHECKLIST_ID, STAFF_CHECKLIST_ID, LiveServer, Ui

pytestmark = pytest.mark.browser

HOSTILE_REASON = '<img src=x onerror="window.__pwned=1"> 不认可 ![x](http://127.0.0.1:9/x.png)\n第二行'


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, make_server, monkeypatch) -> Iterator[LiveServer]:
    """A server of the test's own with signatures required: SQLite, or a fresh PostgreSQL schema."""
    monkeypatch.setenv("PINZHI_SIGNATURES", "required")
    if request.param == "sqlite":
        yield make_server().start()
        return
    import sqlalchemy as sa

    pg = os.environ.get("DATABASE_URL_PG")
    if not pg:
        pytest.skip("DATABASE_URL_PG not set")
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    schema = f"c_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    server = make_server(f"{pg}{'&' if '?' in pg else '?'}options={quote(f'-csearch_path={schema}')}")
    try:
        yield server.start()
    finally:
        server.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def api_start(ui: Ui, body: dict[str, Any]) -> tuple[int, str]:
    req = ui.page.request
    csrf = req.get(f"{ui.server.url}/api/v1/me").json()["csrf"]
    r = req.post(f"{ui.server.url}/api/v1/inspections", headers={"X-CSRF-Token": csrf}, data=body)
    assert r.status == 201, r.text()
    return int(r.json()["id"]), csrf


def tap(page: Any, item_id: str, label: str) -> None:
    card = page.locator(f"[data-item-id='{item_id}']")
    card.get_by_role("radio", name=label, exact=True).click()
    page.wait_for_function("([id]) => document.querySelector(`[data-item-id='${id}']`).dataset.state === 'saved'",
                           arg=[item_id])


def draw(page: Any, role: str, *, offset: int = 0) -> None:
    """A signature stroke with the mouse (pointer events) across the role's canvas."""
    canvas = page.locator(f"canvas[data-role-name={role}]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 300 and box["height"] >= 150, box
    x0, y0 = box["x"] + 40, box["y"] + box["height"] * 0.7
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k, (dx, dy) in enumerate([(60, -80), (120, 40), (190, -70), (260, 30), (330, -40)]):
        page.mouse.move(x0 + dx + offset, y0 + dy + (k % 2) * 5, steps=6)
    page.mouse.up()


def pad_button(page: Any, role: str, action: str) -> Any:
    return page.locator(f".st-key-pz-sig-{role} button[data-action={action}]")


def settle(ui: Ui) -> None:
    ui.settle()
    ui.page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')"
                              " || !/Running/i.test(document.querySelector('[data-testid=stStatusWidget]').innerText)")


def signature_rows(server: LiveServer, iid: int) -> dict[str, Any]:
    from app.db.models import InspectionSignature

    db = server.database()
    try:
        with db.read() as s:
            return {r.role: (r.signer_name, r.refused, r.refusal_reason, r.image_png, r.width, r.height)
                    for r in s.scalars(select(InspectionSignature).where(InspectionSignature.inspection_id == iid))}
    finally:
        db.engine.dispose()


def audit_actions(server: LiveServer, iid: int) -> list[tuple[str, dict[str, Any] | None]]:
    from app.db.models import AuditLog
    from app.services import audit

    db = server.database()
    try:
        with db.read() as s:
            assert audit.verify(s).ok
            return [(r.action, r.detail) for r in s.scalars(
                select(AuditLog).where(AuditLog.entity == "inspection", AuditLog.entity_id == str(iid))
                .order_by(AuditLog.seq))]
    finally:
        db.engine.dispose()


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_images(path: Path) -> int:
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines()[2:] if line.split() and line.split()[2] == "image")


def download_pdf(page: Any, tmp_path: Path, name: str) -> Path:
    button = page.locator("[data-testid=stDownloadButton] button").filter(has_text="下载检查报告 PDF")
    with page.expect_download() as info:
        button.click()
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    info.value.save_as(str(path))
    assert path.read_bytes().startswith(b"%PDF")
    return path


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_staff_inspection_signed_by_both_then_result_and_pdf(server: LiveServer, open_ui, tmp_path) -> None:
    ui: Ui = open_ui(server)
    page = ui.page
    ui.sign_in(server.org.sup_main)
    day = (date.today() - timedelta(days=1)).isoformat()
    iid, _ = api_start(ui, {"site": "M", "shift_date": day, "shift": "早班", "subject": "staff", "staff": "S001",
                            "checklist": STAFF_CHECKLIST_ID})
    page.goto(f"{server.url}/?insp={iid}&step=items")
    page.locator("[data-item-id]").first.wait_for()
    tap(page, "look.uniform", "不合格")
    tap(page, "look.hair", "合格")
    tap(page, "look.shoes", "1处 −0.5")
    page.locator("[data-action=review]:visible").first.click()

    # the review: the signature step; submit is held until both have signed
    page.get_by_text("签字确认").first.wait_for()
    settle(ui)
    submit = page.get_by_role("button", name="✓ 提交检查")
    assert submit.is_disabled()
    page.get_by_text("还需签字后才能提交：检查人签字、被检查人签字").wait_for()
    # a blank canvas is refused with a clear message, nothing stored
    pad_button(page, "inspector", "save-signature").click()
    page.get_by_text("签名为空").first.wait_for()
    assert signature_rows(server, iid) == {}
    settle(ui)
    draw(page, "inspector")
    pad_button(page, "inspector", "save-signature").click()
    page.locator(".st-key-pz-sig-inspector [data-testid=stImage] img").wait_for()
    settle(ui)
    # the staff member: a first attempt cleared (清除), then signed
    draw(page, "subject", offset=10)
    pad_button(page, "subject", "clear-signature").click()
    draw(page, "subject", offset=-20)
    ui.screenshot("closeout-signatures-drawing.png")
    pad_button(page, "subject", "save-signature").click()
    page.locator(".st-key-pz-sig-subject [data-testid=stImage] img").wait_for()
    settle(ui)
    assert page.get_by_text("还需签字后才能提交").count() == 0
    ui.screenshot("closeout-signatures.png")
    rows = signature_rows(server, iid)
    assert set(rows) == {"inspector", "subject"}
    assert rows["inspector"][0] == "李督导" and rows["subject"][0] == "张丽"
    assert all(r[1] is False and r[3].startswith(b"\x89PNG") and r[4] >= 300 for r in rows.values())

    # submit: the result screen at once
    page.get_by_role("button", name="✓ 提交检查").click()
    page.locator(".st-key-pz-result").wait_for()
    settle(ui)
    result = page.locator(".st-key-pz-result")
    assert ui.metric("等级") != "—"
    failed = page.locator(".st-key-pz-result-failed").inner_text()
    assert "不合格项（2）" in failed and "工装整洁、工牌端正" in failed and "鞋袜干净" in failed
    actions = page.locator(".st-key-pz-result-actions").inner_text()
    assert "本次检查开出的整改（2）" in actions and "工装整洁、工牌端正" in actions and "张丽" in actions
    assert result.locator(f".st-key-pz-signatures-{iid} [data-testid=stImage] img").count() == 2
    ui.screenshot("closeout-result.png")
    pdf = download_pdf(page, SCREENSHOTS, "closeout-result.pdf")  # kept beside the screenshots to look at
    text = pdf_text(pdf)
    for expected in ("上岗前自查（浏览器测试）", "张丽", "李督导", "不合格项（2）", "工装整洁、工牌端正", "签字确认"):
        assert expected in text, expected
    assert "拒签" not in text and pdf_images(pdf) == 2  # the two signatures (no photos in this inspection)

    logged = audit_actions(server, iid)
    sig = [(a, d["role"], d["signer"]) for a, d in logged if a.startswith("signature.") and d]
    assert sig == [("signature.sign", "inspector", "李督导"), ("signature.sign", "subject", "张丽")]
    assert [a for a, _ in logged][-1] == "inspection.submit"

    # history's detail shows the signatures and offers the same PDF
    page.goto(f"{server.url}/history?view={iid}")
    page.locator(f".st-key-pz-signatures-{iid} [data-testid=stImage] img").first.wait_for()
    assert page.locator(f".st-key-pz-signatures-{iid} [data-testid=stImage] img").count() == 2
    settle(ui)
    ui.screenshot("closeout-history-detail.png")
    assert "工装整洁、工牌端正" in pdf_text(download_pdf(page, tmp_path, "history.pdf"))

    # the result screen in English (the checklist's own texts stay as written)
    page.goto(f"{server.url}/?insp={iid}&lang=en")
    page.locator(".st-key-pz-result").wait_for()
    # the PDF button is drawn once its report is built: wait for it before reading the screen's text
    page.locator(".st-key-pz-result").get_by_text("Download the inspection report (PDF)").wait_for()
    settle(ui)
    text = page.locator(".st-key-pz-result").inner_text()
    for expected in ("Failed items (2)", "Corrective actions opened by this inspection (2)", "Inspector's signature",
                     "Inspected staff member's signature", "Download the inspection report (PDF)"):
        assert expected in text, expected
    ui.screenshot("closeout-result-en.png")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_site_inspection_lead_refuses_with_a_reason(server: LiveServer, open_ui, tmp_path) -> None:
    ui: Ui = open_ui(server)
    page = ui.page
    ui.sign_in(server.org.sup_v2)
    day = (date.today() - timedelta(days=2)).isoformat()
    iid, csrf = api_start(ui, {"site": "V", "shift_date": day, "shift": "中班", "subject": "site",
                               "checklist": SITE_CHECKLIST_ID})
    # most answers through the API (the screen's own tests cover tapping); the last ones on the screen
    answers = {"env.desk": {"result": "pass"}, "env.signage": {"result": "na"}, "env.floor": {"count": 0},
               "env.lights": {"result": "pass"}, "svc.greeting": {"points": 4}, "svc.register": {"count": 0},
               "svc.uniform": {"result": "pass"}, "safe.fire": {"result": "pass"}, "safe.cash": {"result": "pass"},
               "safe.keys": {"points": 3}, "safe.door": {"result": "pass"}}
    for n, (item_id, value) in enumerate(answers.items()):
        r = page.request.put(f"{server.url}/api/v1/inspections/{iid}/answers/{item_id}",
                             headers={"X-CSRF-Token": csrf},
                             data={"value": value, "op_id": f"00000000-0000-4000-8000-{n:012d}", "answered_at": 1000})
        assert r.status == 200, r.text()
    page.goto(f"{server.url}/?insp={iid}&step=items")
    page.locator("[data-item-id]").first.wait_for()
    page.locator("[data-role=section-picker]").select_option(index=1)
    tap(page, "svc.phone", "不合格")
    page.locator("[data-action=review]:visible").first.click()
    page.get_by_text("签字确认").first.wait_for()
    settle(ui)

    draw(page, "inspector")
    pad_button(page, "inspector", "save-signature").click()
    page.locator(".st-key-pz-sig-inspector [data-testid=stImage] img").wait_for()
    settle(ui)
    lead = page.locator(".st-key-pz-sig-subject")
    assert "前台负责人签字" in lead.inner_text()
    lead.get_by_label("前台负责人姓名").fill("陈静")
    lead.get_by_role("radio", name="拒签").click()  # the segmented control 签字 / 拒签
    lead.get_by_label("拒签原因").wait_for()
    settle(ui)
    lead.get_by_role("button", name="确认拒签").click()  # no reason yet: refused
    page.get_by_text("拒签必须填写原因").wait_for()
    assert "subject" not in signature_rows(server, iid)
    settle(ui)
    lead = page.locator(".st-key-pz-sig-subject")
    lead.get_by_label("拒签原因").fill(HOSTILE_REASON)
    lead.get_by_label("拒签原因").blur()
    settle(ui)
    lead.get_by_role("button", name="确认拒签").click()
    # stored: the block now shows the refusal and 重新签字 (the reason's text alone may still be the text area's)
    page.locator(".st-key-pz-sig-subject").get_by_role("button", name="重新签字").wait_for()
    assert page.locator(".st-key-pz-sig-subject textarea").count() == 0
    settle(ui)
    ui.screenshot("closeout-refused.png")
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator(".st-key-pz-sig-subject img[src='x']").count() == 0
    rows = signature_rows(server, iid)
    assert rows["subject"][:3] == ("陈静", True, HOSTILE_REASON) and rows["subject"][3] is None

    page.get_by_role("button", name="✓ 提交检查").click()
    page.locator(".st-key-pz-result").wait_for()
    settle(ui)
    assert "电话铃响三声内接听" in page.locator(".st-key-pz-result-failed").inner_text()
    sigs = page.locator(f".st-key-pz-signatures-{iid}").inner_text()
    assert "拒签" in sigs and "陈静" in sigs and "第二行" in sigs
    assert page.evaluate("() => window.__pwned") is None
    ui.screenshot("closeout-result-refused.png")
    pdf = download_pdf(page, SCREENSHOTS, "closeout-refused.pdf")
    text = pdf_text(pdf)
    assert "拒签" in text and "陈静" in text and '<img src=x onerror="window.__pwned=1">' in text
    assert "电话铃响三声内接听" in text and re.search(r"前台负责人签字", text)
    assert pdf_images(pdf) == 1  # only the inspector's signature
    logged = [(a, d) for a, d in audit_actions(server, iid) if a.startswith("signature.")]
    assert [a for a, _ in logged] == ["signature.sign", "signature.refuse"]
    assert logged[1][1] == {"role": "subject", "signer": "陈静", "subject_type": "site", "reason": HOSTILE_REASON}


def test_signed_off_month_is_announced_on_the_start_screen_and_refused(server: LiveServer, open_ui) -> None:
    """The manager signed the month off: 现场巡检 says so before anything is answered, 开始检查 is disabled,
    and a start through the API is refused (409) — nothing is created."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.db.models import Inspection, Site
    from app.services import auth, signoff

    from .conftest import PASSWORD

    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # the page's default date is today there
    db = server.database()
    try:
        with db.write() as s:
            _, admin = auth.sign_in(s, username=server.org.admin, password=PASSWORD)
            site_id = s.scalar(select(Site.id).where(Site.code == "M"))
            signoff.sign_off(session=s, actor=admin, site_id=site_id, month=month)
    finally:
        db.engine.dispose()
    ui: Ui = open_ui(server)
    page = ui.page
    ui.sign_in(server.org.sup_main)
    warning = page.get_by_text(f"金地格林小区 {month} 月度考核已签字确认：该月不能再开始新的检查")
    warning.wait_for()
    settle(ui)
    assert page.get_by_role("button", name="开始检查").is_disabled()
    ui.screenshot("closeout-month-signed-start.png")
    req = page.request
    csrf = req.get(f"{server.url}/api/v1/me").json()["csrf"]
    r = req.post(f"{server.url}/api/v1/inspections", headers={"X-CSRF-Token": csrf},
                 data={"site": "M", "shift_date": datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
                       "shift": "早班", "subject": "staff", "staff": "S001", "checklist": STAFF_CHECKLIST_ID})
    assert r.status == 409 and "已签字确认" in r.json()["message"], r.text()
    db = server.database()
    try:
        with db.read() as s:
            assert s.scalar(select(Inspection.id).where(Inspection.site_id == site_id)) is None
    finally:
        db.engine.dispose()
