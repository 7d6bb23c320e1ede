"""Close-out through the JSON API (SQLite and PostgreSQL) and the CLI: signatures (or 拒签) required before
submit, the one-inspection PDF at ``GET /api/v1/inspections/{id}/report.pdf`` for whoever may view it, and
``pinzhi report inspection ID -o file.pdf``."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from api_support import Api, api_for, jpeg
from test_signatures import drawn_png

from app.db.models import AuditLog, Inspection, InspectionSignature

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture
def api(db, tmp_path, monkeypatch):
    monkeypatch.setenv("PINZHI_SIGNATURES", "required")
    yield from api_for(db, tmp_path, monkeypatch)


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def pdf_text(data: bytes, tmp_path: Path) -> str:
    p = tmp_path / "r.pdf"
    p.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True, check=True).stdout


def answered(api: Api) -> int:
    r = api.call("sup", "POST", "/inspections", json={"site": "A", "shift_date": "2026-11-20", "shift": "早班",
                                                      "subject": "staff", "staff": "S001", "checklist": "staff-look"})
    assert r.status_code == 201, r.text
    iid = int(r.json()["id"])
    for item_id, result in (("look.badge", "fail"), ("look.hair", "pass")):
        r = api.call("sup", "PUT", f"/inspections/{iid}/answers/{item_id}",
                     json={"value": {"result": result}, "op_id": str(uuid.uuid4()), "answered_at": 1_000})
        assert r.status_code == 200, r.text
    api.call("sup", "PUT", f"/inspections/{iid}/notes/look.badge", json={"note": "工牌未佩戴 <b>x</b>"})
    return iid


def test_sign_refuse_submit_and_download_the_report(api: Api, tmp_path):
    iid = answered(api)
    r = api.call("sup", "POST", f"/inspections/{iid}/submit")
    assert r.status_code == 422 and "缺少检查人签字" in r.json()["message"]
    r = api.call("sup", "PUT", f"/inspections/{iid}/signatures/inspector", json={"image_png": data_url(drawn_png())})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "inspector" and r.json()["width"] == 600 and r.json()["refused"] is False
    # a blank canvas, a JPEG, a refusal without a reason: refused with the reason, nothing stored
    blank = api.call("sup", "PUT", f"/inspections/{iid}/signatures/subject",
                     json={"image_png": data_url(drawn_png(strokes=False))})
    assert blank.status_code == 422 and "签名为空" in blank.json()["message"]
    not_png = api.call("sup", "PUT", f"/inspections/{iid}/signatures/subject",
                       json={"image_png": base64.b64encode(jpeg()).decode()})
    assert not_png.status_code == 422 and "PNG" in not_png.json()["message"]
    no_reason = api.call("sup", "PUT", f"/inspections/{iid}/signatures/subject", json={"refused": True})
    assert no_reason.status_code == 422 and "拒签必须填写原因" in no_reason.json()["message"]
    other = api.call("sup_b", "PUT", f"/inspections/{iid}/signatures/subject", json={"refused": True, "reason": "x"})
    assert other.status_code == 403
    r = api.call("sup", "PUT", f"/inspections/{iid}/signatures/subject",
                 json={"refused": True, "reason": "不认可：<img src=x onerror=alert(1)>"})
    assert r.status_code == 200, r.text
    assert r.json()["signer_name"] == "张丽" and r.json()["refusal_reason"] == "不认可：<img src=x onerror=alert(1)>"
    listed = api.call("zhangli", "GET", f"/inspections/{iid}/signatures", csrf=False)  # the subject sees them
    assert listed.status_code == 200
    assert [(x["role"], x["signer_name"], x["refused"]) for x in listed.json()] == [
        ("inspector", "sup", False), ("subject", "张丽", True)]
    assert api.call("sup_b", "GET", f"/inspections/{iid}/signatures", csrf=False).status_code == 403
    r = api.call("sup", "POST", f"/inspections/{iid}/submit")
    assert r.status_code == 200, r.text
    with api.db.read() as s:
        assert s.get(Inspection, iid).status == "submitted"
        sigs = {x.role: x for x in s.scalars(sa.select(InspectionSignature).where(InspectionSignature.inspection_id == iid))}
        actions = list(s.scalars(sa.select(AuditLog.action).where(AuditLog.entity_id == str(iid))
                                 .order_by(AuditLog.seq)))
    assert sigs["inspector"].image_png == drawn_png() and sigs["subject"].refused
    assert [a for a in actions if a.startswith("signature.")] == ["signature.sign", "signature.refuse"]

    # the report: the inspector, the inspected staff member and her manager may download it; site B may not
    for user in ("sup", "zhangli", "manager"):
        r = api.call(user, "GET", f"/inspections/{iid}/report.pdf", csrf=False)
        assert r.status_code == 200, (user, r.text)
        assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
        assert f'filename="pinzhi-inspection-{iid}.pdf"' in r.headers["content-disposition"]
    text = pdf_text(r.content, tmp_path)
    for expected in ("张丽", "text of look.badge", "工牌未佩戴 <b>x</b>", "拒签", "不认可：<img src=x onerror=alert(1)>"):
        assert expected in text, expected
    assert api.call("sup_b", "GET", f"/inspections/{iid}/report.pdf", csrf=False).status_code == 403
    assert api.call("sup", "GET", "/inspections/999999/report.pdf", csrf=False).status_code == 404
    assert api.call(None, "GET", f"/inspections/{iid}/report.pdf", csrf=False).status_code == 401


def test_cli_writes_the_report(api: Api, tmp_path):
    if api.db.engine.dialect.name != "sqlite":
        pytest.skip("the CLI test reads the SQLite file")
    iid = answered(api)
    for role, body in (("inspector", {"image_png": data_url(drawn_png())}),
                       ("subject", {"image_png": data_url(drawn_png((400, 160)))})):
        assert api.call("sup", "PUT", f"/inspections/{iid}/signatures/{role}", json=body).status_code == 200
    assert api.call("sup", "POST", f"/inspections/{iid}/submit").status_code == 200
    pinzhi = shutil.which("pinzhi", path=str(Path(sys.executable).parent)) or "pinzhi"
    out = tmp_path / "one.pdf"
    env = {**os.environ, "DATABASE_URL": str(api.db.engine.url)}
    r = subprocess.run([pinzhi, "report", "inspection", str(iid), "-o", str(out)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    text = pdf_text(out.read_bytes(), tmp_path)
    assert "张丽" in text and "text of look.badge" in text and "拒签" not in text
    r = subprocess.run([pinzhi, "report", "inspection", "424242", "-o", str(tmp_path / "x.pdf")], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 2 and "424242" in r.stderr and not (tmp_path / "x.pdf").exists()
