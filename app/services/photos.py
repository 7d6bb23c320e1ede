"""Photo evidence on inspection items: attach (stored the moment it arrives), remove before submit, read."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.config import photos_dir
from app.db.dml import insert_if_absent
from app.db.models import Inspection, InspectionPhoto, Photo
from app.messages import msg
from app.photos import PhotoLimits, PhotoRejected, StoredPhoto, ingest_photo, open_stored
from app.services import audit, catalog
from app.services import inspections as insp_svc
from app.services.actor import Actor
from app.services.errors import Invalid, NotFound, PermissionDenied
from app.services.text import clean_name

MAX_PHOTOS_PER_ITEM = 6


def limits() -> PhotoLimits:
    mb = os.environ.get("PINZHI_PHOTO_MAX_MB")
    return PhotoLimits(max_bytes=int(float(mb) * 1024 * 1024)) if mb else PhotoLimits()


def _photo_row(session: Session, stored: StoredPhoto, actor: Actor) -> Photo:
    query = select(Photo).where(Photo.sha256 == stored.sha256)
    row = session.scalar(query)
    if row is None:  # the same photo uploaded twice at once: insert-on-conflict, never an IntegrityError
        insert_if_absent(session, Photo, dict(
            sha256=stored.sha256, display_path=stored.display_path, thumb_path=stored.thumb_path,
            width=stored.width, height=stored.height, original_width=stored.original_width,
            original_height=stored.original_height, original_format=stored.original_format,
            byte_size=stored.byte_size, captured_at=stored.captured_at, orientation=stored.orientation,
            created_at=datetime.now(UTC), uploaded_by=actor.id,
        ), ["sha256"])
        row = session.scalar(query)
        assert row is not None
    return row


def store_upload(session: Session, *, actor: Actor, data: bytes, filename: str | None = None,
                 root: Path | None = None) -> Photo:
    """Run the pipeline on untrusted bytes and record the photo. Raises :class:`Invalid` with the reason."""
    try:
        stored = ingest_photo(data, root=root or photos_dir(), limits=limits(), filename=filename)
    except PhotoRejected as exc:
        raise Invalid(exc.key, **exc.message_params()) from exc
    return _photo_row(session, stored, actor)


EARLIEST_CAPTURE = datetime(2000, 1, 1, tzinfo=UTC)


def clean_captured_at(value: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """A capture time reported by a device: with a time zone, not before 2000, not more than a day ahead of
    the server's clock (device clocks drift). Returned in UTC; raises :class:`Invalid`."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid("photos.capture_time_include_time")
    try:
        at = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise Invalid("photos.capture_time_not_valid") from exc
    latest = (now or datetime.now(UTC)) + timedelta(days=1)
    if not EARLIEST_CAPTURE <= at <= latest:
        raise Invalid("photos.capture_time_utc_out", at=at)
    return at


def attach_photo(*, session: Session, actor: Actor, inspection_id: int, item_id: str, data: bytes,
                 caption: str | None = None, filename: str | None = None, root: Path | None = None,
                 captured_at: datetime | None = None) -> insp_svc.PhotoRef:
    caption = clean_name(caption or "", field=msg("field.photo_caption"), max_len=200, required=False)
    captured = clean_captured_at(captured_at)
    draft = insp_svc.lock_draft(session, actor, inspection_id)  # locked: serialises with submit
    if not catalog.checklist_for_version(session, draft.checklist_version_id, draft.content_hash).has_item(item_id):
        raise Invalid("inspection.item_not_in_checklist", item_id=item_id)
    count = len(session.scalars(select(InspectionPhoto.id).where(
        InspectionPhoto.inspection_id == inspection_id, InspectionPhoto.item_id == item_id)).all())
    if count >= MAX_PHOTOS_PER_ITEM:
        raise Invalid("photo.too_many_per_item", n=MAX_PHOTOS_PER_ITEM)
    photo = store_upload(session, actor=actor, data=data, filename=filename, root=root)
    link = session.scalar(select(InspectionPhoto).where(
        InspectionPhoto.inspection_id == inspection_id, InspectionPhoto.item_id == item_id,
        InspectionPhoto.photo_id == photo.id))
    if link is None:
        link = InspectionPhoto(inspection_id=inspection_id, item_id=item_id, photo_id=photo.id,
                               caption=caption or None, added_by=actor.id,
                               added_at=datetime.now(UTC), captured_at=captured)
        session.add(link)
        session.flush()
        audit.record(session, actor=actor, action="photo.attach", entity="inspection", entity_id=inspection_id,
                     detail={"item": item_id, "photo": photo.sha256})
    session.execute(update(Inspection).where(Inspection.id == inspection_id).values(updated_at=datetime.now(UTC)))
    return insp_svc.PhotoRef(link.id, photo.id, item_id, link.caption, photo.display_path, photo.thumb_path,
                             photo.width, photo.height, link.captured_at)


def remove_photo(*, session: Session, actor: Actor, link_id: int, inspection_id: int | None = None) -> None:
    """Take a photo off an item of a draft (the photo file stays: other links may use it).

    With ``inspection_id`` (the API's path) the draft is checked first and the link must belong to it."""
    if inspection_id is not None:
        insp_svc.lock_draft(session, actor, inspection_id)  # locked: serialises with submit
    link = session.get(InspectionPhoto, link_id)
    if link is None or (inspection_id is not None and link.inspection_id != inspection_id):
        raise NotFound("photos.no_such_photo")
    if inspection_id is None:
        insp_svc.lock_draft(session, actor, link.inspection_id)  # locked: serialises with submit
    session.execute(delete(InspectionPhoto).where(InspectionPhoto.id == link_id))
    # a change of the draft like any other (a close-out signature given before it must be given again)
    session.execute(update(Inspection).where(Inspection.id == link.inspection_id).values(updated_at=datetime.now(UTC)))
    audit.record(session, actor=actor, action="photo.remove", entity="inspection", entity_id=link.inspection_id,
                 detail={"item": link.item_id, "photo_id": link.photo_id})


def photo_bytes(session: Session, *, actor: Actor, photo_id: int, size: str = "thumb",
                root: Path | None = None) -> bytes:
    """The stored JPEG (``thumb`` or ``display``) if the actor may see an inspection that uses it."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("photo.unknown")
    allowed = photo.uploaded_by == actor.id or actor.is_admin
    if not allowed:
        for insp in session.scalars(select(Inspection).join(InspectionPhoto, InspectionPhoto.inspection_id == Inspection.id)
                                    .where(InspectionPhoto.photo_id == photo_id)):
            if insp_svc.can_read(actor, insp):
                allowed = True
                break
    if not allowed:
        from app.services import actions

        allowed = actions.can_see_photo(session, actor, photo_id)
    if not allowed:
        raise PermissionDenied("photo.not_visible")
    return open_stored(root or photos_dir(), photo.thumb_path if size == "thumb" else photo.display_path)
