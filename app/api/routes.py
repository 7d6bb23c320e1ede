"""The routes of API v1: thin doors onto ``app/services`` (the services check every permission)."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import text

from app.api import schemas as m
from app.api.security import Caller, dependencies
from app.db.engine import Database
from app.messages import accept_language
from app.services import inspections as insp_svc
from app.services import org, photos, signatures
from app.services import scorecard as scorecard_svc
from app.services.errors import ServiceError

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": m.ErrorOut, "description": text}
    for status, text in ((400, "the request body cannot be parsed"), (401, "not signed in, or the session or token is no longer valid"),
                         (403, "not allowed (or, with the session cookie, a write without X-CSRF-Token)"),
                         (404, "not found"), (409, "conflicts with the current state (e.g. already submitted)"),
                         (422, "invalid input: the message names the field or item"),
                         (503, "the database cannot be reached"))
}
InspectionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ItemId = Annotated[str, Path(min_length=1, max_length=96)]
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"  # codes and ids never hold control characters (PostgreSQL refuses NUL)
Month = Annotated[str | None, Query(pattern=m.MONTH, description="YYYY-MM")]


def build_router(get_db: Callable[[], Database]) -> APIRouter:
    reader, writer = dependencies(get_db)
    Reader = Annotated[Caller, Depends(reader)]
    Writer = Annotated[Caller, Depends(writer)]
    api = APIRouter(responses=ERRORS)

    @api.get("/healthz", tags=["health"], responses={503: ERRORS[503]})
    def healthz() -> m.HealthOut:
        """For load balancers: the database answers. No sign-in needed."""
        with get_db().read() as s:
            s.execute(text("SELECT 1"))
        return m.HealthOut(status="ok", database="ok")

    @api.get("/me", tags=["account"])
    def me(who: Reader) -> m.MeOut:
        a = who.actor
        with get_db().read() as s:
            sites = [m.SiteOut.of(v) for v in org.visible_sites(s, actor=a)]
            staff = None
            if a.staff_id is not None:
                try:
                    sv = org.staff_view(s, actor=a, staff_id=a.staff_id)
                    staff = m.StaffRef(id=sv.id, code=sv.code, name=sv.name)
                except ServiceError:  # linked to staff of a site not (or no longer) assigned: not shown
                    staff = None
        return m.MeOut(id=a.id, username=a.username, display_name=a.display_name, role=a.role,
                       sites=sites, staff=staff, auth=who.via, csrf=who.csrf)

    @api.get("/inspections", tags=["inspections"])
    def list_inspections(
        who: Reader,
        site: Annotated[str | None, Query(max_length=32, pattern=NO_CONTROL, description="site code")] = None,
        month: Month = None,
        date_from: Annotated[date | None, Query(description="shift date on or after")] = None,
        date_to: Annotated[date | None, Query(description="shift date on or before")] = None,
        status: Literal["draft", "submitted"] | None = None,
        subject: Literal["staff", "site"] | None = None,
        staff: Annotated[str | None, Query(max_length=32, pattern=NO_CONTROL, description="staff code")] = None,
        checklist: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL, description="checklist id")] = None,
        kind: Literal["supervisor", "self_check"] | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> m.InspectionPage:
        """The inspections you may see, newest first, one page at a time."""
        with get_db().read() as s:
            site_id = None if site is None else org.site_id_by_code(s, code=site)
            staff_id = None if staff is None else org.staff_id_by_code(s, code=staff)
            rows, total = insp_svc.search_inspections(
                s, actor=who.actor, month=month, site_id=site_id, staff_id=staff_id, status=status, kind=kind,
                subject_type=subject, checklist_id=checklist, date_from=date_from, date_to=date_to, limit=limit,
                offset=offset)
        return m.InspectionPage(items=[m.InspectionOut.of(h) for h in rows], total=total, limit=limit, offset=offset)

    @api.post("/inspections", tags=["inspections"], status_code=201)
    def start_inspection(who: Writer, body: m.InspectionIn) -> m.InspectionOut:
        """Open a draft (or get back your open draft for the same shift, subject and checklist)."""
        with get_db().write() as s:
            site_id = org.site_id_by_code(s, code=body.site)
            staff_id = None if body.staff is None else org.staff_id_by_code(s, code=body.staff)
            iid = insp_svc.start_inspection(
                session=s, actor=who.actor, site_id=site_id, shift_date=body.shift_date, shift_name=body.shift,
                subject_type=body.subject, checklist_id=body.checklist, staff_id=staff_id, kind=body.kind)
            view = insp_svc.load_inspection(s, actor=who.actor, inspection_id=iid)
        return m.InspectionOut.of(view.header)

    @api.get("/inspections/{inspection_id}", tags=["inspections"])
    def get_inspection(who: Reader, inspection_id: InspectionId) -> m.InspectionDetail:
        """Header, checklist (sections and items), answers, notes and photos."""
        with get_db().read() as s:
            view = insp_svc.load_inspection(s, actor=who.actor, inspection_id=inspection_id)
        return m.InspectionDetail.of(view)

    @api.put("/inspections/{inspection_id}/answers/{item_id}", tags=["inspections"])
    def put_answer(who: Writer, inspection_id: InspectionId, item_id: ItemId, body: m.AnswerIn) -> m.AnswerOut:
        """Idempotent and ordered: a replayed op_id, or a tap older than the stored one, changes nothing.

        Either way the answer as stored is returned (``applied`` tells whether this request changed it).
        """
        tapped = datetime.fromtimestamp(body.answered_at / 1000, UTC)
        with get_db().write() as s:
            stored = insp_svc.save_answer(
                session=s, actor=who.actor, inspection_id=inspection_id, item_id=item_id,
                value=None if body.value is None else body.value.stored(), op_id=str(body.op_id),
                answered_at=tapped)
        return m.AnswerOut.of(stored)

    @api.put("/inspections/{inspection_id}/notes/{item_id}", tags=["inspections"])
    def put_note(who: Writer, inspection_id: InspectionId, item_id: ItemId, body: m.NoteIn) -> m.NoteOut:
        with get_db().write() as s:
            insp_svc.save_note(session=s, actor=who.actor, inspection_id=inspection_id, item_id=item_id,
                               note=body.note)
        return m.NoteOut(item_id=item_id, note=body.note.strip() or None)

    @api.put("/inspections/{inspection_id}/no-photo-reason/{item_id}", tags=["inspections"])
    def put_no_photo_reason(who: Writer, inspection_id: InspectionId, item_id: ItemId,
                            body: m.NoPhotoReasonIn) -> m.NoPhotoReasonOut:
        """Why a failed item whose evidence rule is ``on_fail`` has no photo (excuses the photo at submit)."""
        with get_db().write() as s:
            stored = insp_svc.record_no_photo_reason(session=s, actor=who.actor, inspection_id=inspection_id,
                                                     item_id=item_id, reason=body.reason)
        return m.NoPhotoReasonOut(item_id=item_id, reason=stored)

    @api.post("/inspections/{inspection_id}/photos", tags=["inspections"], status_code=201)
    def add_photo(who: Writer, inspection_id: InspectionId,
                  item_id: Annotated[str, Form(min_length=1, max_length=96)],
                  file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or HEIC")],
                  caption: Annotated[str | None, Form(max_length=200)] = None,
                  captured_at: Annotated[datetime | None, Form(
                      description="when the photo was taken, ISO 8601 with a time zone")] = None) -> m.PhotoOut:
        """Attach a photo to an item (the same pipeline as the app: checked, re-encoded, EXIF removed)."""
        data = file.file.read(photos.limits().max_bytes + 1)
        with get_db().write() as s:
            ref = photos.attach_photo(session=s, actor=who.actor, inspection_id=inspection_id, item_id=item_id,
                                      data=data, caption=caption, filename=file.filename, captured_at=captured_at)
        return m.PhotoOut.of(ref)

    @api.delete("/inspections/{inspection_id}/photos/{link_id}", tags=["inspections"], status_code=204,
                response_class=Response)
    def remove_photo(who: Writer, inspection_id: InspectionId,
                     link_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="the photo's link_id")]) -> Response:
        """Take a photo off an item of your draft (``link_id`` as listed in the inspection's photos)."""
        with get_db().write() as s:
            photos.remove_photo(session=s, actor=who.actor, inspection_id=inspection_id, link_id=link_id)
        return Response(status_code=204)

    @api.get("/photos/{photo_id}", tags=["inspections"], response_class=Response,
             responses={200: {"content": {"image/jpeg": {}}, "description": "the stored JPEG"}})
    def get_photo(who: Reader, photo_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                  size: Literal["thumb", "display"] = "thumb") -> Response:
        with get_db().read() as s:
            data = photos.photo_bytes(s, actor=who.actor, photo_id=photo_id, size=size)
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})

    @api.put("/inspections/{inspection_id}/signatures/{role}", tags=["inspections"])
    def put_signature(who: Writer, inspection_id: InspectionId, role: Literal["inspector", "subject"],
                      body: m.SignatureIn) -> m.SignatureOut:
        """Record a close-out signature (a PNG drawn on the device) or the subject's refusal with its reason.

        A supervisor inspection needs the inspector's signature and the subject's signature or refusal
        before submit. Signing again before submit replaces the earlier one; each is audit-logged.
        """
        data = None
        if body.image_png is not None and not body.refused:
            url = body.image_png if body.image_png.startswith("data:") else "data:image/png;base64," + body.image_png
            data = signatures.decode_data_url(url)
        with get_db().write() as s:
            sig = signatures.sign_inspection(session=s, actor=who.actor, inspection_id=inspection_id, role=role,
                                             image_png=data, signer_name=body.signer_name, refused=body.refused,
                                             reason=body.reason)
        return m.SignatureOut.of(sig)

    @api.get("/inspections/{inspection_id}/signatures", tags=["inspections"])
    def get_signatures(who: Reader, inspection_id: InspectionId) -> list[m.SignatureOut]:
        """The close-out signatures (or refusals) given so far; the images are in the report PDF."""
        with get_db().read() as s:
            sigs = signatures.list_signatures(s, actor=who.actor, inspection_id=inspection_id)
        return [m.SignatureOut.of(sigs[r]) for r in signatures.ROLES if r in sigs]

    @api.get("/inspections/{inspection_id}/report.pdf", tags=["inspections"], response_class=Response,
             responses={200: {"content": {"application/pdf": {}}, "description": "the one-inspection report"}})
    def inspection_report(who: Reader, inspection_id: InspectionId, request: Request) -> Response:
        """The report of one inspection as PDF: header, score and grade, failed items with photos, corrective
        actions, signatures (or 拒签 and the reason). Whoever may view the inspection may download it."""
        from app.reports.inspection_pdf import inspection_pdf  # fpdf2 and the fonts load on first use

        with get_db().read() as s:
            data = inspection_pdf(s, actor=who.actor, inspection_id=inspection_id,
                                  lang=accept_language(request.headers.get("accept-language")))
        return Response(data, media_type="application/pdf", headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="pinzhi-inspection-{inspection_id}.pdf"'})

    @api.post("/inspections/{inspection_id}/submit", tags=["inspections"])
    def submit(who: Writer, inspection_id: InspectionId) -> m.SubmitOut:
        """Score and submit. Idempotent: a second submit returns the first one's result."""
        with get_db().write() as s:
            result = insp_svc.submit_inspection(session=s, actor=who.actor, inspection_id=inspection_id)
        return m.SubmitOut.of(result)

    @api.get("/scorecard", tags=["scorecard"])
    def scorecard(who: Reader, month: Annotated[str, Query(pattern=m.MONTH, description="YYYY-MM")],
                  subject: Literal["staff", "site"] = "staff",
                  site: Annotated[str | None, Query(max_length=32, pattern=NO_CONTROL, description="site code")] = None
                  ) -> m.ScorecardOut:
        """The monthly scorecard (the same figures as the review page and ``pinzhi scorecard``)."""
        with get_db().read() as s:
            site_id = None if site is None else org.site_id_by_code(s, code=site)
            lines = scorecard_svc.scorecard(s, actor=who.actor, month=month, subject_type=subject, site_id=site_id)
        return m.ScorecardOut(month=month, subject=subject, rows=[m.ScorecardRowOut.of(ln) for ln in lines])

    return api
