"""Close-out (SQLite and PostgreSQL): signatures drawn on the tablet or a refusal with its reason, required
before a supervisor inspection is submitted; the audit log records each; the result summary and the
one-inspection PDF show them."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
from datetime import date

import pytest
import sqlalchemy as sa
from api_support import jpeg
from factories import checklist_dict, item, section, use_checklists
from PIL import Image, ImageDraw
from world import build_world

from app.db.models import AuditLog, Inspection, InspectionSignature
from app.services import audit, closeout, photos, signatures
from app.services import inspections as svc
from app.services.errors import Conflict, Invalid, PermissionDenied

SITE_CL = checklist_dict(
    [section("desk", [item("desk.clean", 2, evidence="on_fail"), item("desk.sign", 1), item("desk.phone", 1)])],
    id="close-site", version="3", subject="site", kind="standard", title="前台服务检查",
)
STAFF_CL = checklist_dict([section("look", [item("look.badge", 1), item("look.hair", 1)])],
                          id="close-staff", version="1", subject="staff", kind="appearance", title="仪容仪表",
                          self_check=True)
HOSTILE = ['<img src=x onerror=alert(1)>', '<iframe srcdoc="<script>alert(1)</script>">', "![x](http://evil/x.png)",
           "第一行\n第二行", "长" * 500]


def drawn_png(size=(600, 200), *, strokes=True, background=(0, 0, 0, 0)) -> bytes:
    im = Image.new("RGBA", size, background)
    if strokes:
        d = ImageDraw.Draw(im)
        d.line([(40, 150), (120, 40), (200, 160), (300, 50), (420, 140)], fill=(17, 24, 39, 255), width=5)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def setup(db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, SITE_CL, STAFF_CL)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PINZHI_SIGNATURES", "required")
    w = build_world(db)
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 2),
                                   shift_name="早班", subject_type="site", checklist_id="close-site")
    return w, iid


def answer_all(db, w, iid, **results):
    for item_id, result in results.items():
        with db.write() as s:
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=item_id.replace("_", "."),
                            value={"result": result})


def sign(db, actor, iid, role, **kw):
    with db.write() as s:
        return signatures.sign_inspection(session=s, actor=actor, inspection_id=iid, role=role, **kw)


def submit(db, actor, iid):
    with db.write() as s:
        return svc.submit_inspection(session=s, actor=actor, inspection_id=iid)


def rows(db, iid):
    with db.read() as s:
        return {r.role: r for r in s.scalars(sa.select(InspectionSignature)
                                             .where(InspectionSignature.inspection_id == iid))}


def audit_rows(db, iid, prefix="signature."):
    with db.read() as s:
        return [(r.action, r.detail) for r in s.scalars(
            sa.select(AuditLog).where(AuditLog.entity == "inspection", AuditLog.entity_id == str(iid),
                                      AuditLog.action.like(prefix + "%")).order_by(AuditLog.seq))]


def test_submit_needs_both_signatures_then_stores_them_and_audits(db, setup):
    w, iid = setup
    answer_all(db, w, iid, desk_clean="pass", desk_sign="fail", desk_phone="pass")
    with pytest.raises(Invalid) as exc:
        submit(db, w.supervisor, iid)
    assert "缺少检查人签字、被检查人签字（或拒签原因）" in str(exc.value)
    assert exc.value.en and "inspector's signature" in exc.value.en
    png = drawn_png()
    sign(db, w.supervisor, iid, "inspector", image_png=png)
    with pytest.raises(Invalid) as exc:
        submit(db, w.supervisor, iid)
    assert "被检查人签字" in str(exc.value) and "检查人签字、" not in str(exc.value)
    lead = drawn_png((500, 180))
    sign(db, w.supervisor, iid, "subject", image_png=lead, signer_name="  前台组长 陈静 ")
    result = submit(db, w.supervisor, iid)
    assert result.failed_items == ("desk.sign",)
    stored = rows(db, iid)
    assert stored["inspector"].image_png == png and stored["inspector"].signer_name == w.supervisor.display_name
    assert (stored["inspector"].width, stored["inspector"].height, stored["inspector"].refused) == (600, 200, False)
    assert stored["subject"].image_png == lead and stored["subject"].signer_name == "前台组长 陈静"
    assert stored["subject"].signed_by == w.supervisor.id
    logged = audit_rows(db, iid)
    assert [a for a, _ in logged] == ["signature.sign", "signature.sign"]
    assert logged[1][1]["signer"] == "前台组长 陈静" and logged[1][1]["role"] == "subject"
    assert len(logged[1][1]["sha256"]) == 64 and logged[1][1]["bytes"] == len(lead)
    with db.read() as s:
        assert audit.verify(s).ok
    # submitted: the signatures are frozen with the inspection
    with pytest.raises(Conflict):
        sign(db, w.supervisor, iid, "subject", refused=True, reason="改主意", signer_name="陈静")


def test_refusal_needs_a_reason_and_counts_as_the_subjects_part(db, setup):
    w, iid = setup
    answer_all(db, w, iid, desk_clean="pass", desk_sign="pass", desk_phone="pass")
    sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    for blank in (None, "", "  \n "):
        with pytest.raises(Invalid, match="拒签必须填写原因"):
            sign(db, w.supervisor, iid, "subject", refused=True, reason=blank, signer_name="陈静")
    assert "subject" not in rows(db, iid)
    with pytest.raises(Invalid, match="检查人不能拒签"):
        sign(db, w.supervisor, iid, "inspector", refused=True, reason="不想签")
    with pytest.raises(Invalid, match="前台负责人姓名不能为空"):
        sign(db, w.supervisor, iid, "subject", refused=True, reason="不认可扣分")
    sign(db, w.supervisor, iid, "subject", refused=True, reason="不认可扣分\n要求复查", signer_name="陈静")
    submit(db, w.supervisor, iid)
    r = rows(db, iid)["subject"]
    assert (r.refused, r.refusal_reason, r.image_png, r.signer_name) == (True, "不认可扣分\n要求复查", None, "陈静")
    assert audit_rows(db, iid)[-1] == ("signature.refuse", {"role": "subject", "signer": "陈静", "subject_type": "site",
                                                            "reason": "不认可扣分\n要求复查"})


@pytest.mark.parametrize("bad, message", [
    (drawn_png(strokes=False), "签名为空"),
    (drawn_png(strokes=False, background=(255, 255, 255, 255)), "签名为空"),
    (jpeg(), "签名必须是 PNG 图片"),
    (b"", "签名为空"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "无法读取"),
    (drawn_png((60, 30)), "尺寸 60×30"),
    (drawn_png((5000, 200)), "尺寸 5000×200"),
])
def test_bad_images_are_refused_with_a_clear_message(db, setup, bad, message):
    w, iid = setup
    with pytest.raises(Invalid, match=message):
        sign(db, w.supervisor, iid, "inspector", image_png=bad)
    assert rows(db, iid) == {} and audit_rows(db, iid) == []


def test_data_url_decoding_and_size_limit():
    png = drawn_png()
    assert signatures.decode_data_url("data:image/png;base64," + base64.b64encode(png).decode()) == png
    for bad in ("data:image/jpeg;base64,AAAA", "data:image/png;base64,@@@", None, "javascript:alert(1)"):
        with pytest.raises(Invalid):
            signatures.decode_data_url(bad)
    huge = b"\x89PNG\r\n\x1a\n" + b"\0" * (signatures.MAX_BYTES + 1)
    with pytest.raises(Invalid, match="过大"):
        signatures.check_png(huge)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_and_reasons_are_stored_as_text_or_refused(db, setup, text):
    w, iid = setup
    answer_all(db, w, iid, desk_clean="pass", desk_sign="pass", desk_phone="pass")
    if "\n" in text:  # a name is one line; a reason may hold newlines
        with pytest.raises(Invalid, match="换行符"):
            sign(db, w.supervisor, iid, "subject", image_png=drawn_png(), signer_name=text)
    elif len(text) > signatures.NAME_MAX:
        with pytest.raises(Invalid, match="过长"):
            sign(db, w.supervisor, iid, "subject", image_png=drawn_png(), signer_name=text)
    else:
        sign(db, w.supervisor, iid, "subject", image_png=drawn_png(), signer_name=text)
        assert rows(db, iid)["subject"].signer_name == text
    if len(text) > signatures.REASON_MAX:
        with pytest.raises(Invalid, match="过长"):
            sign(db, w.supervisor, iid, "subject", refused=True, reason=text, signer_name="陈静")
    else:
        sign(db, w.supervisor, iid, "subject", refused=True, reason=text, signer_name="陈静")
        assert rows(db, iid)["subject"].refusal_reason == text


def test_who_may_sign_and_self_checks_take_none(db, setup):
    w, iid = setup
    with pytest.raises(PermissionDenied):
        sign(db, w.other_supervisor, iid, "inspector", image_png=drawn_png())
    with pytest.raises(PermissionDenied):
        sign(db, w.manager, iid, "subject", image_png=drawn_png(), signer_name="陈静")
    with pytest.raises(Invalid, match="签字角色"):
        sign(db, w.supervisor, iid, "witness", image_png=drawn_png())
    # a staff subject signs under the staff record's name, whatever name is typed
    with db.write() as s:
        staff_iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 2),
                                         shift_name="早班", subject_type="staff", staff_id=w.staff_a1,
                                         checklist_id="close-staff")
    for item_id in ("look.badge", "look.hair"):
        with db.write() as s:
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=staff_iid, item_id=item_id,
                            value={"result": "pass"})
    sign(db, w.supervisor, staff_iid, "subject", image_png=drawn_png(), signer_name="冒名")
    assert rows(db, staff_iid)["subject"].signer_name == "张丽"
    # a self-check: no signature is asked for (and none can be recorded), submit is not blocked
    with db.write() as s:
        self_iid = svc.start_inspection(session=s, actor=w.staff, site_id=w.site_a, shift_date=date(2026, 11, 3),
                                        shift_name="早班", subject_type="staff", staff_id=w.staff_a1,
                                        checklist_id="close-staff", kind="self_check")
    with pytest.raises(Invalid, match="自查无需签字"):
        sign(db, w.staff, self_iid, "subject", image_png=drawn_png())
    for item_id in ("look.badge", "look.hair"):
        with db.write() as s:
            svc.save_answer(session=s, actor=w.staff, inspection_id=self_iid, item_id=item_id, value={"result": "pass"})
    assert submit(db, w.staff, self_iid).percent is not None


def test_signing_waits_for_the_finished_result_and_a_later_change_needs_a_new_signature(db, setup):
    w, iid = setup
    answer_all(db, w, iid, desk_clean="fail", desk_sign="pass")
    with pytest.raises(Invalid, match="请先完成所有检查项"):  # desk.phone unanswered
        sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    answer_all(db, w, iid, desk_phone="pass")
    with pytest.raises(Invalid, match="请先完成所有检查项"):  # desk.clean failed: a photo or a reason is missing
        sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    with db.write() as s:
        svc.record_no_photo_reason(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.clean",
                                   reason="相机故障")
    sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    sign(db, w.supervisor, iid, "subject", refused=True, reason="不同意", signer_name="陈静")
    answer_all(db, w, iid, desk_sign="fail")  # changed after both signed: what they signed is not this
    with pytest.raises(Invalid) as exc:
        submit(db, w.supervisor, iid)
    assert "缺少检查人签字、被检查人签字（或拒签原因）（签字后如修改了检查内容，须重新签字）" in str(exc.value)
    with db.read() as s:
        assert signatures.pending(s, actor=w.supervisor, inspection_id=iid) == ["inspector", "subject"]
    sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    sign(db, w.supervisor, iid, "subject", refused=True, reason="仍不同意", signer_name="陈静")
    # a photo added and removed after signing is a change too
    with db.write() as s:
        ref = photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.sign", data=jpeg())
    with db.read() as s:
        assert signatures.pending(s, actor=w.supervisor, inspection_id=iid) == ["inspector", "subject"]
    sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    sign(db, w.supervisor, iid, "subject", refused=True, reason="仍不同意", signer_name="陈静")
    with db.write() as s:
        photos.remove_photo(session=s, actor=w.supervisor, link_id=ref.link_id)
    with db.read() as s:
        assert signatures.pending(s, actor=w.supervisor, inspection_id=iid) == ["inspector", "subject"]
    sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    sign(db, w.supervisor, iid, "subject", refused=True, reason="仍不同意", signer_name="陈静")
    with db.read() as s:
        assert signatures.pending(s, actor=w.supervisor, inspection_id=iid) == []
    assert submit(db, w.supervisor, iid).failed_items == ("desk.clean", "desk.sign")


def test_signing_again_replaces_and_discard_removes(db, setup):
    w, iid = setup
    answer_all(db, w, iid, desk_clean="pass", desk_sign="pass", desk_phone="pass")
    sign(db, w.supervisor, iid, "subject", refused=True, reason="先拒签", signer_name="陈静")
    sign(db, w.supervisor, iid, "subject", image_png=drawn_png(), signer_name="陈静")
    assert rows(db, iid)["subject"].refused is False
    assert [a for a, _ in audit_rows(db, iid)] == ["signature.refuse", "signature.sign"]
    with db.write() as s:
        svc.discard_draft(session=s, actor=w.supervisor, inspection_id=iid)
    assert rows(db, iid) == {}


def test_optional_policy_and_waiver(db, setup, monkeypatch):
    w, iid = setup
    answer_all(db, w, iid, desk_clean="pass", desk_sign="pass", desk_phone="pass")
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid, signature_waiver="纸质记录补录")
    assert audit_rows(db, iid) == [("signature.waived", {"roles": ["inspector", "subject"], "reason": "纸质记录补录"})]
    monkeypatch.setenv("PINZHI_SIGNATURES", "optional")
    with db.write() as s:
        other = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 4),
                                     shift_name="早班", subject_type="site", checklist_id="close-site")
    answer_all(db, w, other, desk_clean="pass", desk_sign="pass", desk_phone="pass")
    submit(db, w.supervisor, other)
    with db.read() as s:
        assert s.get(Inspection, other).status == "submitted"


def _closed_out(db, w, iid, *, refuse=False):
    answer_all(db, w, iid, desk_clean="fail", desk_sign="fail", desk_phone="pass")
    with db.write() as s:
        photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.clean", data=jpeg())
        svc.save_note(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.sign", note="门口指示牌缺失")
    sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    if refuse:
        sign(db, w.supervisor, iid, "subject", refused=True, reason="认为指示牌不归前台负责", signer_name="陈静")
    else:
        sign(db, w.supervisor, iid, "subject", image_png=drawn_png(), signer_name="陈静")
    submit(db, w.supervisor, iid)


def test_closeout_summary_lists_failed_items_actions_and_signatures(db, setup):
    w, iid = setup
    _closed_out(db, w, iid)
    with db.read() as s:
        co = closeout.closeout(s, actor=w.manager, inspection_id=iid)
    assert [(f.number, f.item_id, f.note, len(f.photos)) for f in co.failed] == [
        (1, "desk.clean", None, 1), (2, "desk.sign", "门口指示牌缺失", 0)]
    assert [(a.item_id, a.status) for a in co.actions] == [("desk.clean", "open"), ("desk.sign", "open")]
    assert set(co.signatures) == {"inspector", "subject"}
    with pytest.raises(PermissionDenied), db.read() as s:  # site B's supervisor may not see site A's inspection
        closeout.closeout(s, actor=w.other_supervisor, inspection_id=iid)


pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_images(data: bytes, tmp_path) -> int:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines()[2:] if line.split() and line.split()[2] == "image")


@pdftotext
@pytest.mark.parametrize("refuse", [False, True])
def test_one_inspection_pdf(db, setup, tmp_path, refuse):
    from app.reports.inspection_pdf import inspection_pdf

    w, iid = setup
    _closed_out(db, w, iid, refuse=refuse)
    with db.read() as s:
        data = inspection_pdf(s, actor=w.manager, inspection_id=iid)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    for expected in ("前台服务检查", "v3", "金地格林小区", "2026-11-02 早班", "检查人", w.supervisor.display_name,
                     "不合格项（2）", "text of desk.clean", "text of desk.sign", "门口指示牌缺失", "陈静", "生成时间",
                     "签字确认"):
        assert expected in text, expected
    # images: the failed item's photo, the inspector's signature, and the lead's signature unless refused
    assert pdf_images(data, tmp_path) == (2 if refuse else 3)
    if refuse:
        assert "拒签" in text and "认为指示牌不归前台负责" in text
    else:
        assert "拒签" not in text
    with pytest.raises(PermissionDenied), db.read() as s:
        inspection_pdf(s, actor=w.other_supervisor, inspection_id=iid)


@pdftotext
def test_pdf_with_hostile_text(db, setup, tmp_path):
    from app.reports.inspection_pdf import inspection_pdf

    w, iid = setup
    answer_all(db, w, iid, desk_clean="pass", desk_sign="fail", desk_phone="pass")
    with db.write() as s:
        svc.save_note(session=s, actor=w.supervisor, inspection_id=iid, item_id="desk.sign", note=HOSTILE[3] + HOSTILE[0])
    sign(db, w.supervisor, iid, "inspector", image_png=drawn_png())
    sign(db, w.supervisor, iid, "subject", refused=True, reason=HOSTILE[1] + "\n" + HOSTILE[2], signer_name=HOSTILE[0])
    submit(db, w.supervisor, iid)
    with db.read() as s:
        text = pdf_text(inspection_pdf(s, actor=w.supervisor, inspection_id=iid), tmp_path)
    assert "<img src=x onerror=alert(1)>" in text and "<iframe srcdoc=" in text and "第二行" in text
