"""Typed SQLAlchemy 2.x models. The schema is created by Alembic migrations (app/db/migrations)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "manager", "supervisor", "staff", "qa")  # qa: 品质部, owns the standards
SITE_KINDS = ("residential", "sales_office")
SHIFT_NAMES = ("早班", "中班", "夜班")
POSTS = ("前台接待", "客服助理", "管家", "客服主管")

Points = Numeric(9, 2)
Percent = Numeric(12, 6)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="residential")  # residential | sales_office
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    post: Mapped[str] = mapped_column(String(32))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    responsible: Mapped[bool] = mapped_column(Boolean, default=False)  # answers for the site's corrective actions
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    site: Mapped[Site] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class UserSite(Base):
    """Sites a manager or supervisor is assigned to."""

    __tablename__ = "user_sites"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)


class AuthSession(Base):
    """A signed-in device. Only the SHA-256 of the token is stored."""

    __tablename__ = "auth_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginThrottle(Base):
    """Failed sign-ins per key ("user:<name>" or "addr:<client address>"), for throttling and locking."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class ChecklistVersion(Base):
    """A checklist exactly as it was loaded. History never changes when the YAML file changes."""

    __tablename__ = "checklist_versions"
    __table_args__ = (UniqueConstraint("checklist_id", "content_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    yaml_text: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(8))
    self_check: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime]
    # the catalogue (app/services/catalog.py): a published version of a standard. ``status``:
    # frozen (used by inspections before the catalogue lived here, never published) | in_force (in force
    # for at least one site kind) | published (published, in force nowhere) | retired
    status: Mapped[str] = mapped_column(String(12), default="frozen")
    label: Mapped[str | None] = mapped_column(String(40))  # the version label given at publishing ("A/3")
    published_at: Mapped[datetime | None]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the shipped default
    source_file: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    retired_at: Mapped[datetime | None]
    retired_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ChecklistInForce(Base):
    """Which version of a checklist is in force for one kind of site. ``version_id`` None: switched off
    on purpose (the shipped default is then not switched back on); no row: never set."""

    __tablename__ = "checklist_in_force"
    checklist_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_versions.id"))
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Shift(Base):
    __tablename__ = "shifts"
    __table_args__ = (UniqueConstraint("site_id", "date", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    date: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(8))  # 早班 | 中班 | 夜班


class Inspection(Base):
    __tablename__ = "inspections"
    __table_args__ = (
        Index("ix_inspections_month_subject", "month", "subject_type", "status"),
        Index("ix_inspections_inspector_status", "inspector_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(8))  # staff | site
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM of the shift date (Asia/Shanghai)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(12))  # supervisor | self_check
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | submitted
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    # score snapshot, written once at submit (and by an amendment)
    awarded: Mapped[Decimal | None] = mapped_column(Points)
    applicable: Mapped[Decimal | None] = mapped_column(Points)
    possible: Mapped[Decimal | None] = mapped_column(Points)
    percent: Mapped[Decimal | None] = mapped_column(Percent)  # exact to 6 places; display rounds half-up
    grade: Mapped[str | None] = mapped_column(String(16))
    critical_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot: Mapped[dict[str, Any] | None]
    amended: Mapped[bool] = mapped_column(Boolean, default=False)

    checklist_version: Mapped[ChecklistVersion] = relationship(lazy="joined")
    site: Mapped[Site] = relationship(lazy="joined")
    staff: Mapped[Staff | None] = relationship(lazy="joined")
    shift: Mapped[Shift] = relationship(lazy="joined")
    inspector: Mapped[User] = relationship(lazy="joined")


class InspectionSection(Base):
    """Per-inspection section totals, written in the submit transaction (monthly figures read these)."""

    __tablename__ = "inspection_sections"
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    awarded: Mapped[Decimal] = mapped_column(Points)
    applicable: Mapped[Decimal] = mapped_column(Points)
    possible: Mapped[Decimal] = mapped_column(Points)


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(96))
    value: Mapped[dict[str, Any]]  # {"result": ...} | {"count": n} | {"points": x}
    note: Mapped[str | None] = mapped_column(Text)
    # why no photo could be taken of an item whose evidence rule is on_fail (excuses the missing photo)
    no_photo_reason: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime]
    # the value's own tap: when it was given on the device and the client's operation id (API replays)
    tapped_at: Mapped[datetime | None]
    op_id: Mapped[str | None] = mapped_column(String(64))


class AuditLog(Base):
    """Append-only (triggers refuse UPDATE, DELETE and REPLACE) and hash-chained (see app.services.audit)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("uq_audit_log_seq", "seq", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None]
    # the hash chain (migration 0005); NULL only in rows written outside the app, which verify reports
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class Photo(Base):
    """A stored photo (display copy + thumbnail on disk, content-addressed). Metadata only here."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    display_path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    original_width: Mapped[int]
    original_height: Mapped[int]
    original_format: Mapped[str] = mapped_column(String(8))
    byte_size: Mapped[int]
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    orientation: Mapped[int | None]
    created_at: Mapped[datetime]
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class InspectionPhoto(Base):
    """A photo attached to one item of an inspection (several per item)."""

    __tablename__ = "inspection_photos"
    __table_args__ = (
        UniqueConstraint("inspection_id", "item_id", "photo_id"),
        Index("ix_inspection_photos_inspection", "inspection_id", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(96))
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"))
    caption: Mapped[str | None] = mapped_column(String(200))
    added_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime]
    #: when the photo was taken, as the device reported it (the screen downscales in the browser, which
    #: drops the EXIF time that ``Photo.captured_at`` would hold)
    captured_at: Mapped[datetime | None]
    photo: Mapped[Photo] = relationship(lazy="joined")


class InspectionSignature(Base):
    """A signature drawn on the tablet at close-out (PNG in the row), or a refusal to sign with its reason.

    One per inspection and role: ``inspector`` (who inspected) and ``subject`` (the inspected staff member, or
    for a site the front-desk lead, named in ``signer_name``). Signing again before submit replaces the row
    (the audit log keeps every signature and refusal).
    """

    __tablename__ = "inspection_signatures"
    __table_args__ = (UniqueConstraint("inspection_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12))  # inspector | subject
    signer_name: Mapped[str] = mapped_column(String(80))
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary)  # NULL when refused
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    signed_at: Mapped[datetime]
    signed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the signed-in user holding the tablet


class MonthlyRollup(Base):
    """Per subject, month, checklist and inspection kind: count and sum of exact percents.

    Written in the submit (and amend) transaction, so monthly figures never re-read answers.
    """

    __tablename__ = "monthly_rollup"
    __table_args__ = (Index("ix_monthly_rollup_month", "month", "subject_type"),)
    subject_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # staff.id or sites.id
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    checklist_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # the checklist's kind
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    count: Mapped[int] = mapped_column(Integer, default=0)
    percent_sum: Mapped[Decimal] = mapped_column(Numeric(24, 6), default=0)
    percent_count: Mapped[int] = mapped_column(Integer, default=0)


class CorrectiveAction(Base):
    """整改: one per failed item of a submitted supervisor inspection."""

    __tablename__ = "corrective_actions"
    __table_args__ = (
        UniqueConstraint("inspection_id", "item_id"),
        Index("ix_corrective_actions_status", "status", "due_at"),
        Index("ix_corrective_actions_site_month", "site_id", "month"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(96))
    item_text: Mapped[str] = mapped_column(Text)
    section_id: Mapped[str] = mapped_column(String(64))
    checklist_id: Mapped[str] = mapped_column(String(64))
    points_lost: Mapped[Decimal] = mapped_column(Points)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)  # who fixes it
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | fixed | verified
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    fixed_at: Mapped[datetime | None]
    fixed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    fix_note: Mapped[str | None] = mapped_column(Text)
    fix_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verify_note: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[int] = mapped_column(Integer, default=0)


class TrainingSession(Base):
    """培训记录: one training session with its material and attendees."""

    __tablename__ = "training_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    planned_month: Mapped[str] = mapped_column(String(7))
    held_on: Mapped[date | None] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    trainer: Mapped[str] = mapped_column(String(80))
    material: Mapped[str | None] = mapped_column(String(300))  # archived material
    material_section: Mapped[str | None] = mapped_column(String(120))  # cited system-document section
    pass_mark: Mapped[Decimal] = mapped_column(Points, default=Decimal(60))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class TrainingAttendance(Base):
    __tablename__ = "training_attendance"
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    signed_in: Mapped[bool] = mapped_column(Boolean, default=False)
    exam_score: Mapped[Decimal | None] = mapped_column(Points)


class MonthSignoff(Base):
    """A manager's sign-off of a site's month; reopening needs a reason (both in the audit log)."""

    __tablename__ = "month_signoffs"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # signed | reopened
    signed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime]
    reopened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None]
    reopen_reason: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """A per-user API token created by an admin. Only the SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token in a list
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
