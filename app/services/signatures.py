"""Close-out signatures: drawn on the tablet after the review, before submit, stored with the inspection.

Two roles per inspection:

* ``inspector`` — the inspector (the signed-in user holding the tablet) signs; cannot refuse.
* ``subject`` — the inspected staff member signs (their name is the staff record's); for a site subject
  the front-desk lead signs and gives a name. Either may refuse to sign (拒签): then a reason is required
  and no image is stored.

A signature is a PNG drawn on the canvas of ``app/ui/signature_pad`` (or sent by an API client). It is
checked here, never trusted: at most :data:`MAX_BYTES`, a PNG that Pillow decodes, dimensions within
:data:`MIN_SIZE`..:data:`MAX_SIZE`, and not blank (at least :data:`MIN_INK` dark pixels spread over
:data:`MIN_SPAN` pixels). The PNG is stored as sent (no re-encoding), with its SHA-256.

Policy (enforced by :func:`app.services.inspections.submit_inspection`, see :func:`missing`):
a **supervisor** inspection needs the inspector's signature and the subject's signature or refusal,
unless ``PINZHI_SIGNATURES=optional`` (:func:`app.config.signatures_required`); imports of paper records
and the demo pass a waiver that is audit-logged. A **self-check** is done by the subject on themselves:
no signature is asked for, and none can be recorded (the staff member's own sign-in is the attestation).

Every signature and refusal is audit-logged (``signature.sign`` / ``signature.refuse``: role, signer,
image hash and size, or the reason).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.models import Inspection, InspectionSignature, Staff
from app.messages import Joined, msg, text
from app.services import audit
from app.services import inspections as insp_svc
from app.services.actor import Actor
from app.services.errors import Invalid
from app.services.text import clean_name, clean_note

ROLES = ("inspector", "subject")
MAX_BYTES = 512 * 1024
MIN_SIZE = (120, 60)  # width, height in pixels
MAX_SIZE = (2400, 1200)
MIN_INK = 40  # dark pixels
MIN_SPAN = 12  # the ink's bounding box spans at least this many pixels (width or height)
NAME_MAX = 40
REASON_MAX = 500
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class SignatureView:
    role: str
    signer_name: str
    refused: bool
    refusal_reason: str | None
    image_png: bytes | None
    width: int | None
    height: int | None
    signed_at: datetime
    signed_by: int


def _now() -> datetime:
    return datetime.now(UTC)


# ----------------------------------------------------------------------------- the image
def decode_data_url(value: object) -> bytes:
    """The bytes of a ``data:image/png;base64,…`` URL (what the canvas sends). Raises :class:`Invalid`."""
    if not isinstance(value, str) or not value.startswith("data:image/png;base64,"):
        raise Invalid("signatures.signature_png_image")
    payload = value.split(",", 1)[1]
    if len(payload) > MAX_BYTES * 4 // 3 + 8:
        raise Invalid("signatures.image_too_large", max=MAX_BYTES // 1024)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("signatures.signature_image_data_cannot") from exc


def check_png(data: object) -> tuple[int, int]:
    """(width, height) of a signature PNG that is acceptable; :class:`Invalid` naming what is wrong."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise Invalid("signatures.signature_empty_please_sign")
    if len(data) > MAX_BYTES:
        raise Invalid("signatures.image_too_large_kb", size=len(data) // 1024, max=MAX_BYTES // 1024)
    if not bytes(data[:8]) == PNG_MAGIC:
        raise Invalid("signatures.signature_png_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(bytes(data))) as im:
                if im.format != "PNG":
                    raise Invalid("signatures.signature_png_image")
                w, h = im.size
                if not (MIN_SIZE[0] <= w <= MAX_SIZE[0] and MIN_SIZE[1] <= h <= MAX_SIZE[1]):
                    raise Invalid("signatures.image_size", w=w, h=h, min_w=MIN_SIZE[0], min_h=MIN_SIZE[1],
                                  max_w=MAX_SIZE[0], max_h=MAX_SIZE[1])
                im.load()
                rgba = im.convert("RGBA")
    except Invalid:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Invalid("signatures.signature_image_cannot_read") from exc
    # ink = a pixel that is dark once laid on white paper (transparent canvas or white background alike)
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    gray = Image.alpha_composite(paper, rgba).convert("L")
    ink = gray.point(lambda v: 255 if v < 160 else 0)
    count = sum(ink.histogram()[255:])
    box = ink.getbbox()
    if count < MIN_INK or box is None or max(box[2] - box[0], box[3] - box[1]) < MIN_SPAN:
        raise Invalid("signatures.signature_blank_please_sign")
    return w, h


# ----------------------------------------------------------------------------- signing
def _subject_name(session: Session, insp: Inspection) -> str | None:
    if insp.staff_id is None:
        return None
    staff = session.get(Staff, insp.staff_id)
    return staff.name if staff is not None else None


def sign_inspection(*, session: Session, actor: Actor, inspection_id: int, role: str,
                    image_png: bytes | None = None, signer_name: str | None = None, refused: bool = False,
                    reason: str | None = None) -> SignatureView:
    """Record the ``role``'s signature (or refusal) on a draft; replaces an earlier one of that role.

    Only the inspector (on their own tablet, as for answering) records signatures, while the inspection is
    a draft. The inspector signs as themselves; the subject is the staff member inspected, or for a site
    the front-desk lead whose ``signer_name`` is required. ``refused`` (subject only) needs ``reason``.
    """
    if role not in ROLES:
        raise Invalid("signatures.signing_role_inspector_subject")
    insp_svc.lock_draft(session, actor, inspection_id)  # inspector only, draft only, still assigned; locked
    insp = session.get(Inspection, inspection_id)
    assert insp is not None
    if insp.kind != "supervisor":
        raise Invalid("signatures.self_check_takes_no")
    if role == "inspector":
        if refused:
            raise Invalid("signatures.inspector_cannot_refuse_sign")
        name = actor.display_name
    elif insp.subject_type == "staff":
        name = _subject_name(session, insp) or ""
    else:
        name = clean_name(signer_name or "", field=msg("field.lead_name"), max_len=NAME_MAX)
    text = None
    size: tuple[int | None, int | None]
    if refused:
        text = clean_note(reason, field=msg("field.refusal_reason"), max_len=REASON_MAX)
        if not text:
            raise Invalid("signatures.refusal_sign_needs_reason")
        png, size, digest = None, (None, None), None
    else:
        if image_png is None:
            raise Invalid("signatures.signature_empty_please_sign")
        w, h = check_png(image_png)
        png, size, digest = bytes(image_png), (w, h), hashlib.sha256(image_png).hexdigest()
    rv = insp_svc.review(session, actor=actor, inspection_id=inspection_id)
    if not rv.can_submit:  # a signature confirms the finished result, not a half-answered draft
        raise Invalid("signatures.finish_every_item_photos")
    now = _now()
    session.execute(delete(InspectionSignature).where(InspectionSignature.inspection_id == inspection_id,
                                                      InspectionSignature.role == role))
    row = InspectionSignature(inspection_id=inspection_id, role=role, signer_name=name, refused=refused,
                              refusal_reason=text, image_png=png, image_sha256=digest, width=size[0],
                              height=size[1], signed_at=now, signed_by=actor.id)
    session.add(row)
    session.flush()
    detail: dict[str, object] = {"role": role, "signer": name, "subject_type": insp.subject_type}
    if refused:
        detail["reason"] = text
    else:
        detail.update(sha256=digest, bytes=len(png or b""), width=size[0], height=size[1])
    audit.record(session, actor=actor, action="signature.refuse" if refused else "signature.sign",
                 entity="inspection", entity_id=inspection_id, detail=detail)
    return _view(row)


def _view(r: InspectionSignature) -> SignatureView:
    return SignatureView(r.role, r.signer_name, r.refused, r.refusal_reason, r.image_png, r.width, r.height,
                         r.signed_at, r.signed_by)


def signatures_of(session: Session, inspection_id: int) -> dict[str, SignatureView]:
    """The stored signatures by role (no permission check: for services that already checked)."""
    rows = session.scalars(select(InspectionSignature).where(InspectionSignature.inspection_id == inspection_id))
    return {r.role: _view(r) for r in rows}


def list_signatures(session: Session, *, actor: Actor, inspection_id: int) -> dict[str, SignatureView]:
    """The signatures of an inspection the actor may see."""
    insp_svc.load_header(session, actor=actor, inspection_id=inspection_id)
    return signatures_of(session, inspection_id)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC times


def is_stale(sig: SignatureView, updated_at: datetime) -> bool:
    """The inspection (answers, notes, photos, reasons) changed after this signature was given: what was
    signed is no longer what would be submitted, so it must be given again."""
    return _utc(sig.signed_at) < _utc(updated_at)


def missing(session: Session, insp: Inspection) -> list[str]:
    """The roles whose signature (or, for the subject, refusal) is missing or stale before submit."""
    if insp.kind != "supervisor":
        return []
    have = signatures_of(session, insp.id)
    return [r for r in ROLES if r not in have or is_stale(have[r], insp.updated_at)]


def missing_message(roles: list[str]) -> Joined:
    """The signatures still missing, named in the reader's language (``signatures.missing_<role>``)."""
    return Joined(tuple(msg(f"signatures.missing_{r}") for r in roles),
                  {"zh": text("list_sep", "zh"), "en": text("and_sep", "en")})


def pending(session: Session, *, actor: Actor, inspection_id: int) -> list[str]:
    """The roles still to sign before the inspection can be submitted (empty for a self-check, or when the
    policy makes signatures optional): what :func:`app.services.inspections.submit_inspection` will ask."""
    from app.config import signatures_required

    insp_svc.load_header(session, actor=actor, inspection_id=inspection_id)
    insp = session.get(Inspection, inspection_id)
    assert insp is not None
    return missing(session, insp) if signatures_required() else []
