"""``pinzhi db backup`` / ``pinzhi db restore`` (issue 10, point 7), through the CLI.

SQLite: a backup taken while writer threads answer drafts restores to the identical scorecard, photos and
audit chain; a damaged backup is refused naming the bad file and changes nothing; the data directory and
database file are owner-only. PostgreSQL: the same round trip through pg_dump / pg_restore.
"""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import threading
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import PG_URL
from factories import checklist_dict, item, section, use_checklists
from PIL import Image
from world import build_world

from app.cli import main
from app.db.engine import Database, make_engine
from app.db.models import Answer, Photo
from app.services import audit, photos, scorecard
from app.services import inspections as svc
from app.services.actor import SYSTEM

MONTH = "2026-11"
CL = checklist_dict([section("d", [item("d.a", 3), item("d.b", 2), item("d.c", 1)])],
                    id="desk", version="1", title="前台流程检查", subject="site", kind="workflow")
GRADES = [{"grade": "优秀", "min": 90}, {"grade": "合格", "min": 60}, {"grade": "不合格", "min": 0}]
RULES = {"version": "t", "staff": {"weights": {"appearance": 1}, "min_inspections": 1, "grades": GRADES},
         "site": {"weights": {"workflow": 1}, "min_inspections": 1, "grades": GRADES}}
P, F = {"result": "pass"}, {"result": "fail"}


def jpeg(color) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def inspect(db, actor, site_id, day, answers, photo=None) -> int:
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=actor, site_id=site_id, shift_date=day, shift_name="早班",
                                   subject_type="site", checklist_id="desk")
        for k, v in answers.items():
            svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=k, value=v)
    if photo is not None:
        with db.write() as s:
            photos.attach_photo(session=s, actor=actor, inspection_id=iid, item_id="d.a", data=photo)
    if len(answers) == 3:
        with db.write() as s:
            svc.submit_inspection(session=s, actor=actor, inspection_id=iid)
    return iid


def card(db) -> list:
    with db.read() as s:
        return scorecard.scorecard(s, actor=SYSTEM, month=MONTH, subject_type="site")


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def live(tmp_path, monkeypatch, sqlite_template):
    """An app data directory made by ``pinzhi db upgrade``, with inspections, photos and drafts."""
    data = tmp_path / "data"
    monkeypatch.setenv("PINZHI_DATA_DIR", str(data))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{data / 'pinzhi.db'}")
    monkeypatch.setenv("PINZHI_LANG", "en")  # the CLI's messages in English (Chinese: unset it)
    use_checklists(tmp_path, monkeypatch, CL, scorecard=RULES)
    assert main(["db", "upgrade"]) == 0
    db = Database(make_engine(f"sqlite:///{data / 'pinzhi.db'}"))
    w = build_world(db)
    inspect(db, w.supervisor, w.site_a, date(2026, 11, 2), {"d.a": P, "d.b": P, "d.c": F}, photo=jpeg((200, 0, 0)))
    inspect(db, w.other_supervisor, w.site_b, date(2026, 11, 2), {"d.a": F, "d.b": P, "d.c": P},
            photo=jpeg((0, 0, 200)))
    drafts = [inspect(db, w.supervisor, w.site_a, date(2026, 11, 3 + k), {"d.a": P}) for k in range(4)]
    yield db, w, data, drafts
    db.engine.dispose()


def test_data_directory_and_database_are_owner_only(live):
    _, _, data, _ = live
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "pinzhi.db").stat().st_mode) == 0o600
    wal = data / "pinzhi.db-wal"
    if wal.exists():
        assert stat.S_IMODE(wal.stat().st_mode) & 0o077 == 0


def test_backup_while_writing_restores_to_identical_scorecard(live, tmp_path, capsys):
    db, w, data, drafts = live
    stop = threading.Event()
    writes = [0]
    errors: list[BaseException] = []

    def writer(iid: int):
        k = 0
        try:
            while not stop.is_set():
                with db.write() as s:
                    svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id="d.b",
                                    value=P if k % 2 else F)
                writes[0] += 1
                k += 1
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(iid,)) for iid in drafts]
    for t in threads:
        t.start()
    while writes[0] < 20:
        stop.wait(0.01)
    before = writes[0]
    with db.read() as s:
        answers_at_start = s.scalar(sa.select(sa.func.count()).select_from(Answer))
    backup_dir = tmp_path / "backup-1"
    assert main(["db", "backup", str(backup_dir)]) == 0
    during = writes[0] - before
    stop.set()
    for t in threads:
        t.join(60)
    assert errors == [] and during > 0, (errors, during)  # the writers really ran during the backup
    out = capsys.readouterr().out
    assert "backup written" in out
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert set(manifest["files"]) == {"pinzhi.db"} | {f"photos/{k}" for k in files_of(data / "photos")}

    expected = card(db)
    assert len(expected) == 2 and all(line.row.score is not None for line in expected)
    photos_before = files_of(data / "photos")
    with db.read() as s:
        answers_before = s.scalar(sa.select(sa.func.count()).select_from(Answer))
    # life goes on after the backup: one more submission changes the scorecard, a photo is added
    inspect(db, w.supervisor, w.site_a, date(2026, 11, 20), {"d.a": F, "d.b": F, "d.c": F}, photo=jpeg((0, 200, 0)))
    assert card(db) != expected

    assert main(["db", "restore", str(backup_dir)]) == 0  # in place, as after a disk failure
    assert card(db) == expected
    with db.read() as s:
        assert audit.verify(s).ok
        assert answers_at_start <= s.scalar(sa.select(sa.func.count()).select_from(Answer)) <= answers_before
        stored = s.scalars(sa.select(Photo)).all()
    assert len(stored) == 2  # the photo added after the backup is gone from the database
    for p in stored:  # every photo the restored database refers to is in the store
        assert (data / "photos" / p.display_path).is_file() and (data / "photos" / p.thumb_path).is_file()
    for name, content in photos_before.items():
        assert (data / "photos" / name).read_bytes() == content
    assert sqlite3.connect(data / "pinzhi.db").execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_restore_into_a_new_machine(live, tmp_path, monkeypatch):
    db, _, data, _ = live
    backup_dir = tmp_path / "b"
    assert main(["db", "backup", str(backup_dir)]) == 0
    expected, photos_before = card(db), files_of(data / "photos")
    fresh = tmp_path / "new-machine"
    monkeypatch.setenv("PINZHI_DATA_DIR", str(fresh))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{fresh / 'pinzhi.db'}")
    assert main(["db", "restore", str(backup_dir)]) == 0
    restored = Database(make_engine(f"sqlite:///{fresh / 'pinzhi.db'}"))
    try:
        assert card(restored) == expected
        assert files_of(fresh / "photos") == photos_before
        assert stat.S_IMODE((fresh / "pinzhi.db").stat().st_mode) == 0o600
    finally:
        restored.engine.dispose()


@pytest.mark.parametrize("damage", ["photo", "database", "manifest", "missing"])
def test_damaged_backup_is_refused_naming_the_file(live, tmp_path, capsys, damage):
    db, w, data, _ = live
    backup_dir = tmp_path / "b"
    assert main(["db", "backup", str(backup_dir)]) == 0
    photo = next(p for p in sorted((backup_dir / "photos").rglob("*")) if p.is_file())
    if damage == "photo":
        bad = photo
        raw = bytearray(bad.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        bad.write_bytes(bytes(raw))
    elif damage == "database":
        bad = backup_dir / "pinzhi.db"
        with bad.open("r+b") as f:
            f.seek(4096 + 100)
            f.write(b"\x00garbage\x00")
    elif damage == "manifest":
        bad = backup_dir / "manifest.json"
        bad.write_text(bad.read_text()[:-20])
    else:
        bad = photo
        bad.unlink()
    inspect(db, w.supervisor, w.site_a, date(2026, 11, 21), {"d.a": F, "d.b": F, "d.c": F})
    current = card(db)
    capsys.readouterr()
    assert main(["db", "restore", str(backup_dir)]) == 2
    err = capsys.readouterr().err
    assert "restore refused" in err and str(bad) in err, err
    assert card(db) == current  # nothing changed


def test_backup_refuses_a_non_empty_directory(live, tmp_path, capsys, monkeypatch):
    target = tmp_path / "full"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    assert main(["db", "backup", str(target)]) == 2
    assert capsys.readouterr().err.strip() == f"pinzhi: backup refused: {target} is not empty: back up into a new directory"
    monkeypatch.delenv("PINZHI_LANG")  # the default language of the command line: Chinese
    assert main(["db", "backup", str(target)]) == 2
    assert capsys.readouterr().err.strip() == f"pinzhi: 拒绝备份：{target} 不是空目录：请备份到一个新目录"
    assert main(["db", "backup", str(tmp_path / "new")]) == 0
    assert capsys.readouterr().out.startswith(f"备份已写入 {tmp_path / 'new'}：sqlite 数据库和 ")
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


@pytest.mark.pg
def test_postgresql_backup_and_restore_with_pg_dump(tmp_path, monkeypatch):
    if not PG_URL:
        pytest.skip("DATABASE_URL_PG not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    use_checklists(tmp_path, monkeypatch, CL, scorecard=RULES)
    db = None
    try:
        assert main(["db", "upgrade"]) == 0
        db = Database(make_engine(url))
        w = build_world(db)
        inspect(db, w.supervisor, w.site_a, date(2026, 11, 2), {"d.a": P, "d.b": P, "d.c": F},
                photo=jpeg((9, 9, 9)))
        expected = card(db)
        assert main(["db", "backup", str(tmp_path / "pgb")]) == 0
        assert (tmp_path / "pgb" / "pinzhi.pgdump").stat().st_size > 0
        inspect(db, w.supervisor, w.site_a, date(2026, 11, 9), {"d.a": F, "d.b": F, "d.c": F})
        assert card(db) != expected
        db.engine.dispose()
        assert main(["db", "restore", str(tmp_path / "pgb")]) == 0
        assert card(db) == expected
        with db.read() as s:
            assert audit.verify(s).ok
    finally:
        if db is not None:
            db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
