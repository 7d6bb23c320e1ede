"""The catalogue in the database and the standards workshop's services, on SQLite and PostgreSQL.

Published versions are rows; shipped files are published on first read (once); what is in force is per
checklist and kind of site; retiring falls back; only the QA department and administrators change it;
a second server (another engine on the same database) sees a publish at once; the workshop reads an
Excel sheet with problems on their cells, takes the fixed grid and keeps each item's source.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from conftest import PG_URL
from factories import checklist_dict, item, section, use_checklists
from openpyxl import Workbook
from world import PASSWORD, build_world

from app.db.engine import Database, make_engine
from app.db.migrate import upgrade
from app.db.models import AuditLog, ChecklistInForce, ChecklistVersion, Inspection
from app.services import auth, catalog, standards
from app.services import inspections as svc
from app.services.actor import SYSTEM
from app.services.errors import Conflict, Invalid, NotFound, PermissionDenied

ROOT = Path(__file__).resolve().parents[1]
SITE_CL = checklist_dict(
    [section("desk", [item("desk.clean", 2), item("desk.log", 3, scoring="deduct", per=1),
                      item("desk.photo", 1, evidence="required", na=True)])],
    id="site-check", version="2026.1", subject="site", kind="safety",
)
STAFF_CL = checklist_dict([section("look", [item("look.badge", 1)])], id="staff-look", version="1",
                          subject="staff", kind="appearance")
HOSTILE = ('<img src=x onerror=alert(1)> <iframe srcdoc="<script>alert(2)</script>"></iframe> '
           '![x](http://evil.example/a.png) **bold** :red[x]')


def text_of(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True)


@pytest.fixture
def cl_dir(tmp_path, monkeypatch):
    return use_checklists(tmp_path, monkeypatch, SITE_CL, STAFF_CL)


@pytest.fixture
def world(db, cl_dir):
    w = build_world(db)
    with db.write() as s:
        auth.create_user(s, actor=SYSTEM, username="qa1", password=PASSWORD, role="qa", display_name="品质部小周")
    with db.write() as s:
        _, w.qa = auth.sign_in(s, username="qa1", password=PASSWORD)  # type: ignore[attr-defined]
    return w


def rows(db, model, *where):
    with db.read() as s:
        return list(s.scalars(sa.select(model).where(*where)))


def start(db, w, site=None, actor=None, checklist="site-check", new=False):
    with db.write() as s:
        return svc.start_inspection(session=s, actor=actor or w.supervisor, site_id=site or w.site_a,
                                    shift_date=w.day, shift_name="早班", subject_type="site", checklist_id=checklist,
                                    new=new)


def version_of(db, iid) -> ChecklistVersion:
    with db.read() as s:
        insp = s.get(Inspection, iid)
        return s.get(ChecklistVersion, insp.checklist_version_id)


def revised(text="前台台面整洁，物品摆放有序", points=2):
    doc = checklist_dict(
        [section("desk", [item("desk.clean", points, text=text), item("desk.log", 3, scoring="deduct", per=1),
                          item("desk.photo", 1, evidence="required", na=True)])],
        id="site-check", version="A/2", subject="site", kind="safety")
    return text_of(doc).encode()


# ----------------------------------------------------------------------------- shipped defaults
def test_first_read_publishes_the_shipped_files_once(db, world):
    with db.write() as s:
        entries = catalog.list_entries(s)  # the first read publishes
    assert [e.checklist.id for e in entries] == ["site-check", "staff-look"]
    with db.write() as s:
        assert catalog.ensure_shipped(s) == []  # the same text again: nothing new
    got = rows(db, ChecklistVersion)
    assert {(r.checklist_id, r.label, r.status, r.published_by, r.source_file, r.reason) for r in got} == {
        ("site-check", "2026.1", "in_force", None, "site-check.yaml", catalog.SHIPPED),
        ("staff-look", "1", "in_force", None, "staff-look.yaml", catalog.SHIPPED)}
    row = next(r for r in got if r.checklist_id == "site-check")
    assert row.content_hash == catalog.content_hash((Path(catalog.load_catalog().paths["site-check"])).read_text())
    assert row.yaml_text == text_of(SITE_CL) and row.published_at is not None
    pointers = {(p.checklist_id, p.site_kind): p.version_id for p in rows(db, ChecklistInForce)}
    assert pointers[("site-check", "residential")] == pointers[("site-check", "sales_office")] == row.id
    assert len(rows(db, AuditLog, AuditLog.action == "checklist.publish")) == 2


def test_a_changed_shipped_file_replaces_the_shipped_version_not_a_published_one(db, world, cl_dir):
    with db.write() as s:
        catalog.ensure_shipped(s)
        standards.publish_file(s, actor=world.qa, data=revised(), file_name="qa.yaml", label="A/2", reason="年度修订")
    doc = dict(STAFF_CL, version="2")
    (cl_dir / "staff-look.yaml").write_text(text_of(doc), encoding="utf-8")
    doc2 = dict(SITE_CL, version="2026.2", title="改过的预置标准")
    (cl_dir / "site-check.yaml").write_text(text_of(doc2), encoding="utf-8")
    with db.write() as s:
        assert sorted(catalog.ensure_shipped(s)) == ["site-check", "staff-look"]
        assert catalog.entry_for(s, "staff-look").label == "2"  # shipped over shipped
        assert catalog.entry_for(s, "site-check").label == "A/2"  # the QA department's version stays


def test_real_shipped_checklists_in_force_per_site_kind(db, monkeypatch):
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(ROOT / "checklists"))
    with db.write() as s:
        res = {e.checklist.id for e in catalog.list_entries(s, only_in_force=True, site_kind="residential")}
        sales = {e.checklist.id for e in catalog.list_entries(s, only_in_force=True, site_kind="sales_office")}
    assert "jindi-community-cs" in res and "jindi-community-cs" not in sales
    assert "jindi-salesoffice-cs" in sales and "jindi-salesoffice-cs" not in res
    assert {"appearance-etiquette", "office-safety", "training-records"} <= res & sales


# ----------------------------------------------------------------------------- publishing
def test_publish_a_new_version_same_hash_is_a_no_op_and_inspections_keep_theirs(db, world):
    w = world
    old_iid = start(db, w)
    old = version_of(db, old_iid)
    with db.write() as s:
        done = standards.publish_file(s, actor=w.qa, data=revised(), file_name="金地标准.yaml", label="A/2",
                                      reason="年度修订：台面要求细化")
    assert done.created and done.site_kinds == ("residential", "sales_office")
    new = rows(db, ChecklistVersion, ChecklistVersion.id == done.version_id)[0]
    assert (new.label, new.version, new.status, new.published_by, new.source_file, new.reason) == (
        "A/2", "A/2", "in_force", w.qa.id, "金地标准.yaml", "年度修订：台面要求细化")
    assert rows(db, ChecklistVersion, ChecklistVersion.id == old.id)[0].status == "published"
    audit = rows(db, AuditLog, AuditLog.action == "checklist.publish", AuditLog.actor_id == w.qa.id)
    assert len(audit) == 1 and audit[0].detail["label"] == "A/2" and audit[0].detail["reason"] == "年度修订：台面要求细化"
    # the same text again: nothing new
    n = len(rows(db, ChecklistVersion))
    with db.write() as s:
        again = standards.publish_file(s, actor=w.qa, data=revised(), file_name="again.yaml", label="A/2",
                                       reason="重复上传")
    assert not again.created and again.version_id == done.version_id and len(rows(db, ChecklistVersion)) == n
    # a label already used by another text is refused
    with db.write() as s, pytest.raises(Conflict):
        standards.publish_file(s, actor=w.qa, data=revised("又改了"), file_name="x.yaml", label="A/2", reason="r")
    # the started draft keeps its version; a new inspection starts on the new one
    assert version_of(db, old_iid).id == old.id
    new_iid = start(db, w, new=True)
    assert version_of(db, new_iid).id == done.version_id
    with db.read() as s:
        view = svc.load_inspection(s, actor=w.supervisor, inspection_id=old_iid)
        assert view.checklist.item("desk.clean").text == "text of desk.clean"
        assert svc.load_inspection(s, actor=w.supervisor, inspection_id=new_iid).checklist.item(
            "desk.clean").text == "前台台面整洁，物品摆放有序"


def test_in_force_per_site_kind(db, world):
    w = world
    with db.write() as s:
        done = standards.publish_file(s, actor=w.qa, data=revised(), file_name="sales.yaml", label="案场版",
                                      reason="仅案场", site_kinds=["sales_office"])
    assert done.site_kinds == ("sales_office",)
    a = version_of(db, start(db, w, site=w.site_a))
    b = version_of(db, start(db, w, site=w.site_b, actor=w.other_supervisor))
    assert a.label == "2026.1" and b.label == "案场版"
    with db.write() as s:
        catalog.set_in_force(s, actor=w.qa, checklist_id="site-check", in_force=False, site_kind="residential")
    with db.read() as s:
        assert "site-check" not in {e.checklist.id for e in svc.available_checklists(
            s, actor=w.supervisor, subject_type="site", site_kind="residential")}
        assert "site-check" in {e.checklist.id for e in svc.available_checklists(
            s, actor=w.supervisor, subject_type="site", site_kind="sales_office")}
    with pytest.raises(Invalid):
        start(db, w, new=True)
    # switched off stays off when the shipped file is read again
    with db.write() as s:
        catalog.ensure_shipped(s)
        assert not catalog.entry_for(s, "site-check", site_kind="residential").in_force


def test_retire_falls_back_to_the_previous_version_then_off(db, world):
    w = world
    with db.write() as s:
        catalog.ensure_shipped(s)
        done = standards.publish_file(s, actor=w.qa, data=revised(), file_name="a2.yaml", label="A/2", reason="r")
    with db.write() as s:
        moved = catalog.retire(s, actor=w.qa, checklist_id="site-check", version="A/2", reason="发布有误")
    assert moved == ("residential", "sales_office")
    row = rows(db, ChecklistVersion, ChecklistVersion.id == done.version_id)[0]
    assert row.status == "retired" and row.retired_by == w.qa.id and row.retired_at is not None
    assert version_of(db, start(db, w)).label == "2026.1"
    with db.write() as s, pytest.raises(Conflict):  # the retired text cannot come back unchanged
        standards.publish_file(s, actor=w.qa, data=revised(), file_name="a2.yaml", label="A/2", reason="r")
    with db.write() as s, pytest.raises(Conflict):
        catalog.retire(s, actor=w.qa, checklist_id="site-check", version="A/2")
    with db.write() as s:
        assert catalog.retire(s, actor=w.admin, checklist_id="site-check", version="2026.1") == ()
    with db.read() as s:
        statuses = {e.label: e.status for e in catalog.versions(s, "site-check")}
    assert statuses == {"A/2": "retired", "2026.1": "retired"}
    with pytest.raises(NotFound):  # no live version: nothing to start
        start(db, w, new=True)
    assert {a.action for a in rows(db, AuditLog, AuditLog.action == "checklist.retire")} == {"checklist.retire"}


def test_only_qa_and_admin_change_the_catalogue(db, world):
    w = world
    with db.write() as s:
        catalog.ensure_shipped(s)
    for who in (w.supervisor, w.staff, w.manager):
        with db.write() as s, pytest.raises(PermissionDenied):
            standards.publish_file(s, actor=who, data=revised(), file_name="x.yaml", label="X", reason="r")
        with db.write() as s, pytest.raises(PermissionDenied):
            catalog.retire(s, actor=who, checklist_id="site-check", version="2026.1")
        with db.write() as s, pytest.raises(PermissionDenied):
            catalog.set_in_force(s, actor=who, checklist_id="site-check", in_force=False)
        with pytest.raises(PermissionDenied):
            standards.read_upload(actor=who, data=revised(), file_name="x.yaml")
    assert len(rows(db, ChecklistVersion)) == 2
    for who, label in ((w.qa, "QA-1"), (w.admin, "ADM-1")):
        with db.write() as s:
            assert standards.publish_file(s, actor=who, data=revised(label), file_name="x.yaml", label=label,
                                          reason="r").created
    # a qa account sees no site and cannot inspect
    with db.write() as s, pytest.raises(PermissionDenied):
        svc.start_inspection(session=s, actor=w.qa, site_id=w.site_a, shift_date=w.day, shift_name="早班",
                             subject_type="site", checklist_id="site-check")


def _second_engine(db):
    url = db.engine.url.render_as_string(hide_password=False)
    if db.engine.dialect.name == "sqlite":
        return make_engine(url)
    with db.engine.connect() as conn:
        schema = conn.scalar(sa.text("SELECT current_schema()"))
    return make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


def test_a_second_server_sees_a_publish_at_once(db, world, tmp_path):
    w = world
    other = Database(_second_engine(db))
    empty = tmp_path / "no-files"
    empty.mkdir()
    try:
        with db.write() as s:
            catalog.ensure_shipped(s)
        with other.read() as s:  # the other server has no checklist files at all
            before = catalog.entry_for(s, "site-check", empty, site_kind="residential")
        assert before.label == "2026.1"
        with db.write() as s:
            done = standards.publish_file(s, actor=w.qa, data=revised(), file_name="a2.yaml", label="A/2",
                                          reason="r")
        with other.read() as s:
            after = catalog.entry_for(s, "site-check", empty, site_kind="residential")
        assert (after.label, after.version_id) == ("A/2", done.version_id)
        assert after.checklist.item("desk.clean").text == "前台台面整洁，物品摆放有序"
        with other.write() as s:
            iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=w.day,
                                       shift_name="早班", subject_type="site", checklist_id="site-check")
        assert version_of(db, iid).id == done.version_id
    finally:
        other.engine.dispose()


# ----------------------------------------------------------------------------- the workshop
def sheet_with_two_broken_cells(text_12: str = "前台台面整洁") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "考核标准"
    ws.append(["示范物业客户服务考核标准（小区）"])
    ws.append(["考核项目", "序号", "考核内容", "标准分", "扣分标准", "检查方法"])
    ws.append(["服务形象（3分）", "1.1", "员工按规定着装，佩戴工牌", 1, "每处扣0.5分", "现场查看"])
    ws.append([None, "1.2", text_12, "两分", "每处扣0.5分，扣完为止", "现场查看"])  # broken points
    ws.append([None, "1.3", "接待礼貌用语规范", 1, "看心情扣分", "暗访"])  # broken rule
    ws.merge_cells("A3:A5")
    ws.append(["客户服务（4分）", "2.1", "业户档案一户一档，资料齐全", 4, "抽查10户，按不符合比例扣分", "查阅记录"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_workshop_marks_problems_fix_in_grid_diff_publish(db, world):
    w = world
    ws = standards.read_upload(actor=w.qa, data=sheet_with_two_broken_cells(HOSTILE), file_name="示范标准.xlsx",
                               checklist_id="site-check")
    assert not ws.ok and ws.yaml_text is None
    assert {(p.row, p.column) for p in ws.problems} == {(1, "points"), (2, "rule")}
    assert [r["number"] for r in ws.rows] == ["1.1", "1.2", "1.3", "2.1"]
    assert ws.rows[1]["points"] == "两分" and ws.rows[1]["text"] == HOSTILE
    grid = [dict(r) for r in ws.rows]
    grid[1]["points"] = "1"
    grid[2]["rule"] = "每次扣0.5分"
    fixed = standards.apply_grid(ws, grid, actor=w.qa)
    assert fixed.ok, fixed.problems
    assert fixed.edited == {"1.2": "qa1", "1.3": "qa1"}
    c = fixed.checklist
    assert c is not None and c.title == "示范物业客户服务考核标准（小区）"
    assert c.item("1.1").source == "import: 示范标准.xlsx 考核标准!3"  # unchanged: provenance kept
    assert c.item("1.2").source == "import: 示范标准.xlsx 考核标准!4 · edited by qa1"
    assert c.item("1.2").text == HOSTILE and c.item("2.1").scoring == "sample" and c.item("2.1").min_sample == 10
    assert c.item("1.3").method == "mystery" and c.item("1.3").per is not None
    with db.write() as s:
        d = standards.diff(s, actor=w.qa, workshop=fixed)
    assert d.base_label == "2026.1" and d.total_before == 6 and d.total_after == 7
    assert {x.item_id for x in d.added} == {"1.1", "1.2", "1.3", "2.1"}
    assert {x.item_id for x in d.removed} == {"desk.clean", "desk.log", "desk.photo"}
    with db.write() as s:
        done = standards.publish(s, actor=w.qa, workshop=fixed, label="A/3", reason=HOSTILE + "\n第二行")
    row = rows(db, ChecklistVersion, ChecklistVersion.id == done.version_id)[0]
    assert row.reason == HOSTILE + "\n第二行" and row.label == "A/3" and row.source_file == "示范标准.xlsx"
    stored = catalog.stored_checklist(row)
    assert stored.version == "A/3" and stored.item("1.2").text == HOSTILE


def test_workshop_grid_edit_keeps_what_a_sheet_cannot_hold(db, world):
    w = world
    ws = standards.read_upload(actor=w.qa, data=text_of(SITE_CL).encode(), file_name="site-check.yaml")
    assert ws.ok and ws.checklist_id == "site-check"
    unchanged = standards.apply_grid(ws, [dict(r) for r in ws.rows], actor=w.qa)
    assert unchanged.yaml_text == ws.yaml_text == text_of(SITE_CL)  # untouched: the file as uploaded
    grid = [dict(r) for r in ws.rows]
    grid[0]["text"] = "台面整洁"
    grid[0]["points"] = "3"
    grid[0]["section"] = grid[1]["section"] = grid[2]["section"] = "section desk（7分）"
    edited = standards.apply_grid(ws, grid, actor=w.qa)
    assert edited.ok, edited.problems
    c = edited.checklist
    assert c is not None and c.sections[0].id == "desk" and c.kind == "safety"
    assert c.item("desk.photo").evidence == "required" and c.item("desk.photo").na
    assert c.item("desk.clean").source == "test · edited by qa1" and c.item("desk.log").source == "test"
    with db.write() as s:
        d = standards.diff(s, actor=w.qa, workshop=edited)
    assert [(x.item_id, x.before, x.after) for x in d.reworded] == [("desk.clean", "text of desk.clean", "台面整洁")]
    assert [(x.item_id, x.before, x.after) for x in d.repointed] == [("desk.clean", "2", "3")]
    assert not d.added and not d.removed and (d.total_before, d.total_after) == (6, 7)
    # the shipped text uploaded unchanged publishes nothing new
    with db.write() as s:
        catalog.ensure_shipped(s)
        assert not standards.publish(s, actor=w.qa, workshop=unchanged, label="2026.1", reason="同").created


@pytest.mark.parametrize("label", ["A\n3", "", "x" * 33, "A\u202e3"])
def test_hostile_or_bad_labels_are_refused(db, world, label):
    ws = standards.read_upload(actor=world.qa, data=revised(), file_name="x.yaml")
    with db.write() as s, pytest.raises(Invalid):
        standards.publish(s, actor=world.qa, workshop=ws, label=label, reason="r")
    with db.write() as s, pytest.raises(Invalid):
        standards.publish(s, actor=world.qa, workshop=ws, label="A/9", reason="   ")
    assert not rows(db, ChecklistVersion, ChecklistVersion.label == "A/9")


def test_hostile_label_shown_as_text_in_downloads(db, world):
    with db.write() as s:
        done = standards.publish_file(s, actor=world.qa, data=revised(), file_name="x.yaml",
                                      label="<img onerror=1>", reason=HOSTILE)
    with db.read() as s:
        name, data = standards.download(s, actor=world.qa, version_id=done.version_id, fmt="yaml")
        xname, xdata = standards.download(s, actor=world.qa, version_id=done.version_id, fmt="xlsx")
    assert name == "site-check-_img_onerror_1_.yaml" and xname.endswith(".xlsx") and xdata[:2] == b"PK"
    assert yaml.safe_load(data)["version"] == "<img onerror=1>"


def test_migration_keeps_a_switched_off_checklist_off(tmp_path, monkeypatch):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO checklist_settings (checklist_id, in_force, updated_at) "
                             "VALUES ('staff-look', false, '2026-11-01 00:00:00')"))
        conn.execute(sa.text(
            "INSERT INTO checklist_versions (checklist_id, version, content_hash, yaml_text, title, kind, subject, "
            "self_check, loaded_at) VALUES ('site-check', '2026.1', :h, :t, 'x', 'safety', 'site', false, "
            "'2026-11-01 00:00:00')"), {"h": catalog.content_hash(text_of(SITE_CL)), "t": text_of(SITE_CL)})
    upgrade(engine)
    db = Database(engine)
    try:
        with db.read() as s:
            assert s.scalar(sa.select(ChecklistVersion.status)) == "frozen"
            off = {(p.checklist_id, p.site_kind, p.version_id) for p in s.scalars(sa.select(ChecklistInForce))}
        assert off == {("staff-look", "residential", None), ("staff-look", "sales_office", None)}
        use_checklists(tmp_path, monkeypatch, SITE_CL, STAFF_CL)
        with db.write() as s:
            entries = {e.checklist.id: e for e in catalog.list_entries(s)}
        assert entries["site-check"].in_force and not entries["staff-look"].in_force
        with db.read() as s:  # the frozen row (used by old inspections) is the published one: no second row
            assert s.scalar(sa.select(sa.func.count()).select_from(ChecklistVersion)
                            .where(ChecklistVersion.checklist_id == "site-check")) == 1
    finally:
        engine.dispose()


def test_command_line_upgrade_publish_versions_retire(tmp_path):
    """``pinzhi db upgrade`` publishes the shipped files once; publish / versions / retire act on the catalogue."""
    import json
    import os
    import shutil as sh
    import subprocess
    import sys

    pinzhi = sh.which("pinzhi", path=str(Path(sys.executable).parent)) or "pinzhi"
    cl = tmp_path / "cl"
    cl.mkdir()
    (cl / "site-check.yaml").write_text(text_of(SITE_CL), encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "PINZHI_DATA_DIR": str(tmp_path / "data"),
           "PINZHI_CHECKLISTS": str(cl)}

    def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
        """``lang``: PINZHI_LANG ("" for the default, Chinese)."""
        return subprocess.run([pinzhi, *args], capture_output=True, text=True, env={**env, "PINZHI_LANG": lang},
                              timeout=120)

    first = run("db", "upgrade", lang="")
    assert first.returncode == 0 and first.stdout.splitlines()[0] == "已发布随附的检查表 site-check", first
    assert first.stdout.splitlines()[1].startswith("数据库结构已是最新：sqlite:///"), first
    again = run("db", "upgrade")
    assert again.returncode == 0 and "published" not in again.stdout and "database at head: " in again.stdout
    new = tmp_path / "a2.yaml"
    new.write_bytes(revised())
    bad = tmp_path / "bad.yaml"
    bad.write_text(text_of(dict(SITE_CL, sections=[])), encoding="utf-8")
    r = run("checklists", "publish", str(bad), "--label", "X", "--reason", "r")
    assert r.returncode == 1 and r.stderr.startswith("bad.yaml: ") and not r.stdout
    r = run("checklists", "publish", str(new), "--label", "A/2", "--reason", "年度修订", "--site-kind", "residential")
    assert r.returncode == 0 and "in force for residential" in r.stdout, r
    r = run("checklists", "publish", str(new), "--label", "A/2", "--reason", "again")
    assert r.returncode == 0 and "nothing new" in r.stdout
    r = run("checklists", "publish", str(new), "--label", "A/2", "--reason", "again", lang="")
    assert r.returncode == 0 and r.stdout.startswith("a2.yaml：相同的内容已经发布（版本行 "), r.stdout
    listed = json.loads(run("checklists", "versions", "--json").stdout)
    assert [(v["label"], v["status"], v["in_force_for"]) for v in listed] == [
        ("A/2", "in_force", ["residential"]), ("2026.1", "in_force", ["sales_office"])]
    r = run("checklists", "retire", "site-check", "A/2", "--reason", "撤回")
    assert r.returncode == 0 and "in force again for residential" in r.stdout, r
    listed = json.loads(run("checklists", "versions", "site-check", "--json").stdout)
    assert [(v["label"], v["status"]) for v in listed] == [("A/2", "retired"), ("2026.1", "in_force")]
    assert run("checklists", "retire", "site-check", "nope").returncode == 2
    # any published version exports from the database (here the retired A/2, which no file holds any more)
    from openpyxl import load_workbook

    r = run("checklists", "export", "site-check", "--version", "A/2", "--out", str(tmp_path / "a2.xlsx"))
    assert r.returncode == 0, r
    cells = [str(c) for row in load_workbook(tmp_path / "a2.xlsx").active.iter_rows(values_only=True)
             for c in row if c is not None]
    revised_texts = [it["text"] for sec in yaml.safe_load(revised())["sections"] for it in sec["items"]]
    assert all(any(text in c for c in cells) for text in revised_texts)
    assert run("checklists", "export", "site-check", "--version", "Z/9").returncode == 2


def test_workshop_refuses_bad_uploads_and_reports_yaml_problems():
    from app.services.actor import Actor

    qa = Actor(id=9, username="qa9", display_name="QA", role="qa")
    with pytest.raises(Invalid):
        standards.read_upload(actor=qa, data=b"x", file_name="standard.docx")
    with pytest.raises(Invalid):
        standards.read_upload(actor=qa, data=sheet_with_two_broken_cells(), file_name="a.xlsx", checklist_id="Bad Id")
    with pytest.raises(Invalid):
        standards.read_upload(actor=qa, data=b"0" * (standards.MAX_UPLOAD + 1), file_name="big.yaml")
    broken = dict(SITE_CL, sections=[section("desk", [item("desk.clean", 2), item("desk.log", 3, scoring="deduct")])])
    ws = standards.read_upload(actor=qa, data=text_of(broken).encode(), file_name="broken.yaml")
    assert not ws.ok and ws.yaml_text is None and ws.checklist_id == "site-check"
    assert [(p.render("zh"), p.render("en")) for p in ws.problems] == [
        ("检查项 desk.log：缺少 'per'", "item desk.log: 'per' is required")], ws.problems
    ws = standards.read_upload(actor=qa, data=b"id: [unclosed", file_name="garbage.yaml")
    assert not ws.ok and ws.problems and not ws.rows
    with pytest.raises(Invalid):  # too many rows are refused
        standards.apply_grid(ws, [{"text": "x"}] * (standards.MAX_ROWS + 1), actor=qa)


def test_first_start_of_a_server_process_publishes_the_shipped_files(tmp_path, monkeypatch):
    from app.db.engine import dispose_process_databases, process_database

    use_checklists(tmp_path, monkeypatch, SITE_CL, STAFF_CL)
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    dispose_process_databases()
    try:
        db = process_database(url)  # what the pages, /auth and the API open on a fresh machine
        with db.read() as s:
            got = {(r.checklist_id, r.status, r.reason) for r in s.scalars(sa.select(ChecklistVersion))}
        assert got == {("site-check", "in_force", catalog.SHIPPED), ("staff-look", "in_force", catalog.SHIPPED)}
    finally:
        dispose_process_databases()


def test_self_check_lists_what_is_in_force_for_the_staff_members_own_site_kind(db, world):
    """zhangli works at site A (residential): a self-check standard in force only for sales offices is not
    offered to her; once it is in force for residential sites too, it is."""
    w = world
    sc = checklist_dict([section("me", [item("me.badge", 1)])], id="sc-sales", version="1", subject="staff",
                        kind="appearance", self_check=True)
    with db.write() as s:
        standards.publish_file(s, actor=w.qa, data=text_of(sc).encode(), file_name="sc.yaml", label="S/1",
                               reason="案场自查", site_kinds=["sales_office"])
    with db.read() as s:
        offered = {e.checklist.id for e in svc.available_checklists(s, actor=w.staff, subject_type="staff",
                                                                   kind="self_check")}
    assert "sc-sales" not in offered
    with db.write() as s:
        standards.publish_file(s, actor=w.qa, data=text_of(dict(sc, version="2")).encode(), file_name="sc2.yaml",
                               label="S/2", reason="小区也用", site_kinds=["residential", "sales_office"])
    with db.read() as s:
        offered = {e.checklist.id for e in svc.available_checklists(s, actor=w.staff, subject_type="staff",
                                                                   kind="self_check")}
    assert "sc-sales" in offered


def test_workshop_problems_in_both_languages():
    """A broken sheet's problems, on their rows and columns, in Chinese and in English; publishing it is refused
    with every problem in the error's language."""
    from app.services.actor import Actor

    qa = Actor(id=9, username="qa9", display_name="QA", role="qa")
    ws = standards.read_upload(actor=qa, data=sheet_with_two_broken_cells(HOSTILE), file_name="示范标准.xlsx",
                               checklist_id="site-check")
    assert [str(p) for p in ws.problems] == ["第2行 分值：分值不是数字（两分）",
                                             "第3行 评分标准：无法识别的评分条款：“看心情扣分”"]
    assert [p.render("zh") for p in ws.problems] == [str(p) for p in ws.problems]
    assert [p.render("en") for p in ws.problems] == ["row 2 · Points: The points are not a number (两分)",
                                                     "row 3 · Scoring rule: Unrecognised scoring clause: “看心情扣分”"]
    assert [p.message.render("en") for p in ws.problems] == ["The points are not a number (两分)",
                                                             "Unrecognised scoring clause: “看心情扣分”"]
    with pytest.raises(Invalid) as info:
        standards.publish_file(None, actor=qa, data=sheet_with_two_broken_cells(), file_name="a.xlsx",
                               label="A/2", reason="r", checklist_id="site-check")
    assert info.value.message("zh") == "标准无效：\n第2行 分值：分值不是数字（两分）\n第3行 评分标准：无法识别的评分条款：“看心情扣分”"
    assert info.value.message("en") == ("The standard is not valid:\nrow 2 · Points: The points are not a number (两分)\n"
                                        "row 3 · Scoring rule: Unrecognised scoring clause: “看心情扣分”")
    # the grid read again: a hostile cell is quoted as written; a problem without a row or column is the message
    grid = [dict(r) for r in ws.rows]
    grid[1]["points"] = "<b>{n}{0}</b>"
    grid[2]["rule"] = "每次扣0.5分"
    again = standards.apply_grid(ws, grid, actor=qa)
    assert [p.render("en") for p in again.problems] == ["row 2 · Points: The points are not a number (<b>{n}{0}</b>)"]
    assert [str(p) for p in again.problems] == ["第2行 分值：分值不是数字（<b>{n}{0}</b>）"]
    general = standards.CellProblem(None, "points", again.problems[0].message)
    assert (general.render("zh"), general.render("en")) == ("分值：分值不是数字（<b>{n}{0}</b>）",
                                                             "Points: The points are not a number (<b>{n}{0}</b>)")
    assert standards.CellProblem(4, None, again.problems[0].message).render("en") == \
        "row 5 · The points are not a number (<b>{n}{0}</b>)"


def test_added_and_removed_items_are_shown_in_the_language():
    old = checklist_dict([section("desk", [item("desk.clean", 2, text="台面整洁")])], id="x", version="1")
    new = checklist_dict([section("desk", [item("desk.log", 3, text="交接记录")])], id="x", version="2")
    from scoring import parse_checklist

    d = standards.compare(parse_checklist(old, "old.yaml")[0], parse_checklist(new, "new.yaml")[0])
    assert [(str(c.after), c.after.render("en")) for c in d.added] == [("交接记录（3分）", "交接记录 (3 pts)")]
    assert [(str(c.before), c.before.render("en")) for c in d.removed] == [("台面整洁（2分）", "台面整洁 (2 pts)")]
