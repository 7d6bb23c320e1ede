"""Request and response models of the JSON API v1 (they are the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.services import inspections as insp_svc
from app.services import org
from app.services.scorecard import ScorecardLine
from scoring import Checklist

Shift = Literal["早班", "中班", "夜班"]
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def _utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)  # SQLite hands back naive UTC datetimes


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


def _num(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


def epoch_ms(dt: datetime | None) -> int | None:
    """Milliseconds since the epoch (SQLite gives naive UTC datetimes back)."""
    return None if dt is None else int(_utc(dt).timestamp() * 1000)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------- errors
class FieldError(Model):
    loc: str
    message: str


class ErrorOut(Model):
    error: str = Field(description="machine-readable code: unauthenticated, csrf, forbidden, not_found, "
                                   "conflict, invalid, database_unavailable, internal, ...")
    message: str = Field(description="for people, in the request's Accept-Language (Simplified Chinese first)")
    key: str | None = Field(default=None, description="the message's id in the catalogue (service errors)")
    fields: list[FieldError] | None = None


# ----------------------------------------------------------------------------- who
class SiteOut(Model):
    id: int
    code: str
    name: str
    kind: str

    @classmethod
    def of(cls, s: org.SiteView) -> SiteOut:
        return cls(id=s.id, code=s.code, name=s.name, kind=s.kind)


class StaffRef(Model):
    id: int
    code: str
    name: str


class MeOut(Model):
    id: int
    username: str
    display_name: str
    role: Literal["admin", "manager", "supervisor", "staff"]
    sites: list[SiteOut]
    staff: StaffRef | None
    auth: Literal["cookie", "bearer"]
    csrf: str | None = Field(description="send it back as X-CSRF-Token on writes made with the session cookie "
                                         "(null with a bearer token, which needs none)")


# ----------------------------------------------------------------------------- inspections
class ChecklistRef(Model):
    id: str
    title: str
    version: str


class SiteRef(Model):
    id: int
    code: str
    name: str


class PersonRef(Model):
    id: int
    name: str


class InspectionOut(Model):
    id: int
    status: Literal["draft", "submitted"]
    kind: Literal["supervisor", "self_check"]
    checklist: ChecklistRef
    site: SiteRef
    subject: Literal["staff", "site"]
    staff: StaffRef | None
    subject_name: str
    shift_date: date
    shift: str
    inspector: PersonRef
    updated_at: UtcDatetime
    submitted_at: UtcDatetime | None
    percent: float | None = Field(description="exact to 6 places once submitted")
    grade: str | None
    amended: bool

    @classmethod
    def of(cls, h: insp_svc.InspectionHeader) -> InspectionOut:
        staff = None if h.staff_id is None else StaffRef(id=h.staff_id, code=h.staff_code or "", name=h.subject_name)
        return cls(
            id=h.id, status=h.status, kind=h.kind,
            checklist=ChecklistRef(id=h.checklist_id, title=h.checklist_title, version=h.checklist_version),
            site=SiteRef(id=h.site_id, code=h.site_code, name=h.site_name), subject=h.subject_type,
            staff=staff, subject_name=h.subject_name, shift_date=h.shift_date, shift=h.shift_name,
            inspector=PersonRef(id=h.inspector_id, name=h.inspector), updated_at=h.updated_at,
            submitted_at=h.submitted_at, percent=_num(h.percent), grade=h.grade, amended=h.amended,
        )


class InspectionPage(Model):
    items: list[InspectionOut]
    total: int = Field(description="how many inspections match the filters in all")
    limit: int
    offset: int


class InspectionIn(Model):
    site: str = Field(min_length=1, max_length=32, description="site code")
    shift_date: date
    shift: Shift
    subject: Literal["staff", "site"]
    staff: str | None = Field(default=None, max_length=32, description="staff code (subject staff)")
    checklist: str = Field(min_length=1, max_length=64, description="checklist id")
    kind: Literal["supervisor", "self_check"] = "supervisor"


class RuleOut(Model):
    """One lettered clause of a multi-clause item; ``per`` null is "all" (本项不得分)."""

    id: str
    text: str
    per: float | None


class ItemOut(Model):
    id: str
    text: str
    text_en: str | None
    points: float
    scoring: Literal["pass_fail", "deduct", "scale", "sample", "bonus", "penalty"]
    per: float | None
    step: float
    na: bool
    critical: Literal["none", "section", "checklist"]
    evidence: Literal["none", "optional", "on_fail", "required"]
    method: Literal["records", "onsite", "mystery", "phone", "interview"] = "onsite"
    rules: list[RuleOut] = Field(default_factory=list, description="clauses of a multi-clause deduct item")
    min_sample: int = Field(default=1, description="a sample item: the fewest records to check")
    max: float | None = Field(default=None, description="a bonus or penalty item: the most it adds or takes")
    group: str | None = Field(default=None, description="the id of the group (分项) the item sits in")


class GroupOut(Model):
    id: str
    title: str
    title_en: str | None
    points: float


class SectionOut(Model):
    id: str
    title: str
    title_en: str | None
    points: float
    items: list[ItemOut]
    groups: list[GroupOut] = Field(default_factory=list)


class ChecklistOut(Model):
    id: str
    version: str
    title: str
    kind: str
    subject: Literal["staff", "site"]
    self_check: bool
    sections: list[SectionOut]

    @classmethod
    def of(cls, c: Checklist) -> ChecklistOut:
        return cls(
            id=c.id, version=c.version, title=c.title, kind=c.kind, subject=c.subject, self_check=c.self_check,
            sections=[SectionOut(id=s.id, title=s.title, title_en=s.title_en, points=float(s.points), items=[
                ItemOut(id=i.id, text=i.text, text_en=i.text_en, points=float(i.points), scoring=i.scoring,
                        per=_num(i.per), step=float(i.step), na=i.na, critical=i.critical, evidence=i.evidence,
                        method=i.method, rules=[RuleOut(id=r.id, text=r.text, per=_num(r.per)) for r in i.rules],
                        min_sample=i.min_sample, max=_num(i.max), group=i.group)
                for i in s.items], groups=[GroupOut(id=g.id, title=g.title, title_en=g.title_en, points=float(g.points))
                                           for g in s.groups]) for s in c.sections],
        )


Count = Annotated[int, Field(ge=0, le=1_000_000)]


class AnswerValue(Model):
    """``{"result": "pass"|"fail"|"na"}`` (pass/fail items, or N/A), ``{"count": n}`` (deduct items with one
    ``per``, bonus and penalty items), ``{"points": x}`` (scale items), ``{"counts": {"a": n, …}}`` (multi-clause
    deduct items; omitted clauses count 0) or ``{"checked": n, "failed": k}`` (sample items)."""

    result: Literal["pass", "fail", "na"] | None = None
    count: int | None = Field(default=None, ge=0, le=1_000_000)
    points: float | None = Field(default=None, ge=0, le=1_000_000)
    counts: dict[Annotated[str, Field(max_length=64)], Count] | None = Field(default=None, max_length=100)
    checked: int | None = Field(default=None, ge=0, le=1_000_000)
    failed: int | None = Field(default=None, ge=0, le=1_000_000)

    def stored(self) -> dict[str, Any]:
        out: dict[str, Any] = self.model_dump(exclude_none=True)
        if isinstance(out.get("points"), float) and out["points"].is_integer():
            out["points"] = int(out["points"])
        return out


class PhotoOut(Model):
    link_id: int
    photo_id: int
    item_id: str
    caption: str | None
    width: int
    height: int
    captured_at: datetime | None = Field(default=None, description="when it was taken, as the device reported it")

    @classmethod
    def of(cls, p: insp_svc.PhotoRef) -> PhotoOut:
        return cls(link_id=p.link_id, photo_id=p.photo_id, item_id=p.item_id, caption=p.caption, width=p.width,
                   height=p.height, captured_at=p.captured_at)


class InspectionDetail(Model):
    header: InspectionOut
    checklist: ChecklistOut
    answers: dict[str, AnswerValue] = Field(description="item id -> answer")
    notes: dict[str, str] = Field(description="item id -> note")
    photos: dict[str, list[PhotoOut]] = Field(description="item id -> photos (GET /photos/{photo_id})")
    no_photo_reasons: dict[str, str] = Field(default_factory=dict,
                                             description="item id -> why a failed on_fail item has no photo")

    @classmethod
    def of(cls, v: insp_svc.DraftView) -> InspectionDetail:
        return cls(header=InspectionOut.of(v.header), checklist=ChecklistOut.of(v.checklist),
                   answers={k: AnswerValue(**a) for k, a in v.answers.items()}, notes=v.notes,
                   photos={k: [PhotoOut.of(p) for p in ps] for k, ps in v.photos.items()},
                   no_photo_reasons=dict(v.no_photo_reasons))


class AnswerIn(Model):
    value: AnswerValue | None = Field(description="the answer; null clears it")
    op_id: UUID = Field(description="the client's id of this operation: a replay changes nothing")
    answered_at: int = Field(ge=0, le=MAX_EPOCH_MS, description="epoch milliseconds of the tap on the device: "
                                                                "a tap older than the stored one changes nothing")


class AnswerOut(Model):
    item_id: str
    value: AnswerValue | None
    op_id: str | None
    answered_at: int | None = Field(description="epoch milliseconds of the stored tap")
    applied: bool = Field(description="false when this request changed nothing (a replay or an older tap)")

    @classmethod
    def of(cls, a: insp_svc.StoredAnswer) -> AnswerOut:
        return cls(item_id=a.item_id, value=None if a.value is None else AnswerValue(**a.value), op_id=a.op_id,
                   answered_at=epoch_ms(a.tapped_at), applied=a.applied)


class NoteIn(Model):
    note: str = Field(max_length=2000, description="empty clears the note")


class NoteOut(Model):
    item_id: str
    note: str | None


class NoPhotoReasonIn(Model):
    reason: str = Field(max_length=500, description="why a failed on_fail item has no photo; empty clears it")


class NoPhotoReasonOut(Model):
    item_id: str
    reason: str | None


class SubmitOut(Model):
    id: int
    status: Literal["submitted"] = "submitted"
    percent: float | None
    grade: str | None
    awarded: float
    applicable: float
    failed_items: list[str]
    already_submitted: bool

    @classmethod
    def of(cls, r: insp_svc.SubmitResult) -> SubmitOut:
        return cls(id=r.inspection_id, percent=_num(r.percent), grade=r.grade, awarded=float(r.awarded),
                   applicable=float(r.applicable), failed_items=list(r.failed_items),
                   already_submitted=r.already_submitted)


# ----------------------------------------------------------------------------- scorecard and health
class ScorecardRowOut(Model):
    subject: Literal["staff", "site"]
    code: str
    name: str
    site: str
    post: str | None
    score: float | None
    grade: str | None
    coverage: float
    rank: int | None
    delta: float | None
    inspections: int
    kinds: dict[str, float]
    self_checks: int
    self_gap: float | None
    open_actions: int

    @classmethod
    def of(cls, line: ScorecardLine) -> ScorecardRowOut:
        d = line.to_dict()
        d.pop("subject")
        return cls(subject=line.subject_type, code=line.code, **d)


class ScorecardOut(Model):
    month: str
    subject: Literal["staff", "site"]
    rows: list[ScorecardRowOut]


class HealthOut(Model):
    status: Literal["ok"]
    database: Literal["ok"]


# ----------------------------------------------------------------------------- close-out signatures
class SignatureIn(Model):
    """A close-out signature drawn on the device (a PNG), or the subject's refusal to sign with its reason."""

    image_png: str | None = Field(default=None, max_length=720_000,
                                  description="data:image/png;base64,… (or the bare base64 of the PNG); "
                                              "omitted when refused")
    signer_name: str | None = Field(default=None, max_length=200,
                                    description="the front-desk lead's name (a site subject); ignored otherwise")
    refused: bool = Field(default=False, description="the subject refused to sign (拒签): reason required")
    reason: str | None = Field(default=None, max_length=2000)


class SignatureOut(Model):
    role: Literal["inspector", "subject"]
    signer_name: str
    refused: bool
    refusal_reason: str | None
    width: int | None
    height: int | None
    signed_at: UtcDatetime

    @classmethod
    def of(cls, s: Any) -> SignatureOut:
        return cls(role=s.role, signer_name=s.signer_name, refused=s.refused, refusal_reason=s.refusal_reason,
                   width=s.width, height=s.height, signed_at=s.signed_at)
