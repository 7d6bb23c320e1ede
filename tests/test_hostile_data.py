"""Bad data is refused with a clear message and nothing is stored (SQLite and PostgreSQL).

Each test feeds one bypass the attack report found (NUL bytes, newlines and other control
characters in names, GBK / UTF-16 CSV files, deeply nested JSON lines, YAML alias bombs and
duplicate keys, hostile names in the PDF / Excel exports) and then checks the database.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from factories import checklist_dict, item, section, use_checklists
from world import build_world

from app.db.models import Answer, AuditLog, Inspection, InspectionPhoto, Site, Staff, User
from app.services import importing as imp
from app.services import inspections as insp_svc
from app.services import org
from app.services import photos as photo_svc
from app.services.actor import SYSTEM
from app.services.text import TextRefused, clean_name, clean_note
from scoring import loader, safe_yaml

SITE_CL = checklist_dict(
    [section("desk", [item("desk.clean", 2), item("desk.log", 3, scoring="deduct", per=1)])],
    id="site-check", version="2026.1", subject="site", kind="safety",
)
AT = "2026-11-20T09:30:00+08:00"
PINZHI = shutil.which("pinzhi", path=str(Path(sys.executable).parent)) or "pinzhi"


def jline(**over: object) -> str:
    doc = {"checklist": "site-check", "site": "A", "subject": {"site": "A"},
           "shift": {"date": "2026-11-20", "name": "早班"}, "inspector": "sup", "kind": "supervisor",
           "answers": {"desk.clean": {"result": "fail", "note": "台面有杂物"}, "desk.log": {"count": 1}},
           "submitted_at": AT}
    doc.update(over)
    return json.dumps(doc, ensure_ascii=False)


@pytest.fixture
def cl_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_checklists(tmp_path, monkeypatch, SITE_CL)


@pytest.fixture
def world(db, cl_dir):  # type: ignore[no-untyped-def]
    return build_world(db)


def counts(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return {m.__name__: s.scalar(sa.select(sa.func.count()).select_from(m)) for m in
                (Site, Staff, Inspection, Answer, InspectionPhoto, AuditLog)}


# ----------------------------------------------------------------------------- the validator
@pytest.mark.parametrize(("raw", "code"), [
    ("张\x00丽", "U+0000"), ("王\n强", "U+000A"), ("王\t强", "U+0009"), ("a\rb", "U+000D"), ("x\x1b[31m", "U+001B"),
    ("\x7f", "U+007F"), ("a\x85b", "U+0085"), ("行\u2028分隔", "U+2028"), ("\u202eevil", "U+202E"),
    ("lone\ud800", "U+D800"),
])
def test_clean_name_refuses_control_characters(raw: str, code: str) -> None:
    with pytest.raises(TextRefused) as info:
        clean_name(raw, field="员工姓名", max_len=80)
    exc = info.value
    assert exc.rule == "control_character" and exc.field == "员工姓名"
    assert str(exc).startswith("员工姓名含有不允许的控制字符") and code in str(exc)
    assert code in exc.message_en and "character" in exc.message_en


def test_clean_name_keeps_real_names_and_limits_length() -> None:
    for name in ("张丽", "阿卜杜·买买提", "O'Brien-Li", "😀 微笑", "𠀀𪚥", "　全角空格内　"):
        assert clean_name(name, field="姓名", max_len=80) == name.strip()
    with pytest.raises(TextRefused) as info:
        clean_name("长" * 81, field="name", max_len=80)
    assert info.value.rule == "too_long" and "81" in str(info.value) and "80" in str(info.value)
    with pytest.raises(TextRefused) as info:
        clean_name("  ", field="name", max_len=80)
    assert info.value.rule == "empty" and str(info.value) == "name 不能为空"
    assert clean_name("", field="x", max_len=5, required=False) == ""


def test_clean_note_keeps_tabs_and_newlines_only() -> None:
    assert clean_note(" 第一行\r\n第二行\t备注 ", field="备注", max_len=100) == "第一行\n第二行\t备注"
    assert clean_note("   ", field="备注", max_len=100) is None and clean_note(None, field="备注", max_len=9) is None
    for bad in ("a\x00b", "a\x0bb", "a\x0cb", "\u2029"):
        with pytest.raises(TextRefused) as info:
            clean_note(bad, field="备注", max_len=100)
        assert "只允许换行和制表符" in str(info.value)


# ----------------------------------------------------------------------------- services and imports
@pytest.mark.parametrize("bad", ["金地\x00格林", "金地\n格林", "\u202e格林"])
def test_site_and_staff_with_control_characters_not_stored(db, bad: str) -> None:  # type: ignore[no-untyped-def]
    before = counts(db)
    with pytest.raises(TextRefused), db.write() as s:
        org.add_site(s, actor=SYSTEM, code="A", name=bad)
    with db.write() as s:
        org.add_site(s, actor=SYSTEM, code="A", name="金地格林小区")
    for kw in ({"name": bad}, {"code": "S\x001"}, {"post": "管\x00家"}):
        args = {"code": "S001", "name": "张丽", "post": "管家", "site_code": "A", **kw}
        with pytest.raises(TextRefused), db.write() as s:
            org.add_staff(s, actor=SYSTEM, **args)
    after = counts(db)
    assert after["Staff"] == before["Staff"] and after["Site"] == before["Site"] + 1
    with db.read() as s:
        assert s.scalars(sa.select(Site.name)).all() == ["金地格林小区"]


def test_csv_nul_byte_refused_on_both_databases(db) -> None:  # type: ignore[no-untyped-def]
    text = "code,name,kind\nA,金地\x00格林,小区\nB,\"名峰\n案场\",案场\nC,正常,小区\n"
    with pytest.raises(imp.ImportRejected) as info, db.write() as s:
        imp.import_sites(s, actor=SYSTEM, text=text)
    problems = [(p.line, p.text()) for p in info.value.problems]
    assert [n for n, _ in problems] == [2, 3]
    assert "name 含有不允许的控制字符" in problems[0][1] and "U+0000" in problems[0][1]
    assert "U+000A" in problems[1][1]
    assert counts(db)["Site"] == 0  # the good line C is not kept either: all or nothing


GBK_LOOKALIKES = ["卢伟", "毛毛", "路遥", "鲁豫", "韦唯", "芦苇"]  # their GBK bytes are also valid UTF-8


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gbk-lookalikes", "gb18030", "utf-16",
                                      "utf-16-be-bom"])
def test_csv_encodings_detected(db, encoding: str) -> None:  # type: ignore[no-untyped-def]
    names = [*GBK_LOOKALIKES] + ([] if encoding == "gbk-lookalikes" else ["金地格林小区"])
    names += ["𠀀记"] if encoding == "gb18030" else []  # outside GBK: a four-byte GB18030 sequence
    text = "code,name,kind\r\n" + "".join(f"C{i},{n},residential\r\n" for i, n in enumerate(names))
    if encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    else:
        data = text.encode(encoding.removesuffix("-lookalikes"))
    if encoding == "gbk-lookalikes":
        assert data.decode("utf-8") != text  # valid UTF-8 too, but mojibake
    decoded = imp.decode_text(data, source=f"sites-{encoding}.csv")
    with db.write() as s:
        assert imp.import_sites(s, actor=SYSTEM, text=decoded).count == len(names)
    with db.read() as s:
        assert s.scalars(sa.select(Site.name).order_by(Site.id)).all() == names


def test_gbk_lookalike_file_alone_is_read_as_gbk() -> None:
    """A file made only of names whose GBK bytes are valid UTF-8 (UTF-8 would give ¬ΰ, ëë, ·ң)."""
    text = "code,name,kind\n" + "".join(f"C{i},{n},residential\n" for i, n in enumerate(GBK_LOOKALIKES))
    data = text.encode("gbk")
    wrong = data.decode("utf-8")  # strict UTF-8 accepts these bytes ...
    assert "¬ΰ" in wrong and "ëë" in wrong
    assert imp.decode_text(data) == text  # ... yet the file is read as GBK
    # and real UTF-8 with a middle dot and rare characters stays UTF-8
    utf8 = "code,name,kind\nA,阿卜杜·买买提,residential\nB,王喆,residential\n"
    assert imp.decode_text(utf8.encode("utf-8")) == utf8


def test_undecodable_file_named(tmp_path: Path, cl_dir: Path) -> None:
    bad = tmp_path / "员工名单.csv"
    bad.write_bytes(b"code,name,post,site\nS1,\xff\xfe\xfd,\xe9t\xe9,A\n")
    env = {**os.environ, "PINZHI_DATA_DIR": str(tmp_path / "data"), "PINZHI_CHECKLISTS": str(cl_dir)}
    env.pop("DATABASE_URL", None)
    r = subprocess.run([PINZHI, "staff", "import", str(bad)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1
    assert r.stderr.startswith(f"{bad}:2: 员工名单.csv：无法识别文件编码")
    assert "GBK" in r.stderr and "UTF-16" in r.stderr and "Traceback" not in r.stderr
    utf16_no_bom = "code,name\nA,张丽\n".encode("utf-16-le")
    with pytest.raises(imp.ImportRejected) as info:
        imp.decode_text(utf16_no_bom, source="x.csv")
    assert "NUL" in info.value.problems[0].text() and "x.csv" in info.value.problems[0].text()
    assert info.value.problems[0].text("en").startswith("x.csv: Cannot tell the file's encoding (it has many NUL")


def test_jsonl_deep_nesting_is_a_numbered_line_error(db, world) -> None:  # type: ignore[no-untyped-def]
    deep = '{"answers": ' + "[" * 100_000 + "]" * 100_000 + "}"
    text = "\n".join([jline(), deep, jline(submitted_at="2026-11-20T10:00:00+08:00")])
    with pytest.raises(imp.ImportRejected) as info, db.write() as s:
        imp.import_inspections(s, actor=SYSTEM, text=text)
    [problem] = info.value.problems
    assert problem.line == 2 and "嵌套过深" in problem.text() and "16" in problem.text()
    assert problem.text("en") == "JSON nested deeper than 16 levels"
    assert counts(db)["Inspection"] == 0
    # nesting inside strings does not count
    assert imp._json_depth('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == 1


def test_cli_deep_jsonl_no_traceback(tmp_path: Path, cl_dir: Path) -> None:
    jl = tmp_path / "deep.jsonl"
    jl.write_text(jline() + "\n" + "[" * 200_000 + "\n", encoding="utf-8")
    env = {**os.environ, "PINZHI_DATA_DIR": str(tmp_path / "data"), "PINZHI_CHECKLISTS": str(cl_dir)}
    env.pop("DATABASE_URL", None)
    r = subprocess.run([PINZHI, "inspections", "import", str(jl)], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 1
    assert "RecursionError" not in r.stderr and "Traceback" not in r.stderr
    assert f"{jl}:2: JSON 嵌套过深" in r.stderr


def test_jsonl_nul_in_note_and_code_never_reaches_the_database(db, world) -> None:  # type: ignore[no-untyped-def]
    answers = {"desk.clean": {"result": "fail", "note": "台面\x00有杂物"}, "desk.log": {"count": 1}}
    text = "\n".join([jline(answers=answers), jline(site="A\x00", subject={"site": "A\x00"}),
                      jline(inspector="s\u0000up", submitted_at="2026-11-20T10:00:00+08:00")])
    with pytest.raises(imp.ImportRejected) as info, db.write() as s:
        imp.import_inspections(s, actor=SYSTEM, text=text)
    lines = [(p.line, p.text()) for p in info.value.problems]
    assert [n for n, _ in lines] == [1, 2, 3]
    assert "检查项 desk.clean 的备注含有不允许的控制字符" in lines[0][1] and all("U+0000" in m for _, m in lines)
    assert info.value.problems[0].text("en").startswith("The note of item desk.clean contains a control character")
    c = counts(db)
    assert c["Inspection"] == 0 and c["Answer"] == 0


def test_notes_and_captions_refused_in_the_app(db, world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.write() as s:
        iid = insp_svc.start_inspection(session=s, actor=world.supervisor, site_id=world.site_a,
                                        shift_date=world.day, shift_name="早班", subject_type="site",
                                        checklist_id="site-check")
    with pytest.raises(TextRefused) as info, db.write() as s:
        insp_svc.save_note(session=s, actor=world.supervisor, inspection_id=iid, item_id="desk.clean", note="x\x00y")
    assert "检查项 desk.clean 的备注" in str(info.value)
    with pytest.raises(TextRefused), db.write() as s:
        insp_svc.save_note(session=s, actor=world.supervisor, inspection_id=iid, item_id="desk.clean",
                           note="长" * 2001)
    with db.write() as s:  # tabs and line breaks are fine in a note
        insp_svc.save_note(session=s, actor=world.supervisor, inspection_id=iid, item_id="desk.clean",
                           note="第一行\r\n第二行\t完")
    from test_photos_hostile import small_jpeg

    with pytest.raises(TextRefused) as info, db.write() as s:
        photo_svc.attach_photo(session=s, actor=world.supervisor, inspection_id=iid, item_id="desk.clean",
                               data=small_jpeg(), caption="灭火器\n过期", root=tmp_path / "photos")
    assert "照片说明" in str(info.value)
    with db.read() as s:
        assert s.scalars(sa.select(Answer.note)).all() == ["第一行\n第二行\t完"]
        assert s.scalar(sa.select(sa.func.count()).select_from(InspectionPhoto)) == 0


# ----------------------------------------------------------------------------- YAML
def _problems(text: str, name: str = "c.yaml") -> list[str]:
    checklist, problems = loader.parse_checklist_text(text, name)
    assert checklist is None
    return [str(p) for p in problems]


def test_yaml_duplicate_key_named_with_file_and_line() -> None:
    text = 'id: first\nversion: "1"\ntitle: t\nkind: safety\nsubject: site\nid: second\nsections: []\n'
    [msg] = _problems(text, "checklists/dup.yaml")
    assert msg.startswith("checklists/dup.yaml: line 6: ")
    assert "duplicate key 'id' (first at line 1)" in msg
    nested = 'id: a\nsections:\n  - id: s\n    title: x\n    title: y\n'
    [msg] = _problems(nested)
    assert "line 5" in msg and "duplicate key 'title' (first at line 4)" in msg


def test_yaml_alias_bomb_in_kind_refused_fast_and_small() -> None:
    lines = ['id: bomb', 'version: "1"', 'title: t', 'subject: site', 'x0: &a0 ["lol","lol","lol","lol","lol","lol"]']
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines.append("kind: *a9")  # 6 * 9**9 = 2.3 billion strings once expanded
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        msgs = _problems("\n".join(lines) + "\n", "bomb.yaml")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.monotonic() - t0 < 2
    assert peak < 20 * 1024 * 1024
    [msg] = msgs
    assert msg.startswith("bomb.yaml: line ") and "alias" in msg and len(msg) < 200


def test_yaml_limits_alias_count_recursion_size_and_depth() -> None:
    many = "a: &x 1\nb: [" + ", ".join(["*x"] * (safe_yaml.MAX_ALIASES + 1)) + "]\n"
    assert "more than 100 aliases" in _problems(many)[0]
    assert "recursive alias" in _problems("a: &x [1, *x]\n")[0]
    big = "id: a\n# " + "x" * (2 * 1024 * 1024) + "\n"
    [msg] = _problems(big, "big.yaml")
    assert msg == "big.yaml: checklist: invalid YAML: the file is 2.0 MB or more; the limit is 2 MB"
    flood = "a: [" + "0," * 200_000 + "0]\n"
    assert "more than 100,000 values" in _problems(flood)[0]
    assert "line 1" in _problems("a: " + "[" * 5000 + "]" * 5000 + "\n")[0]


def test_yaml_never_echoes_a_huge_value() -> None:
    text = 'id: a\nversion: "1"\ntitle: t\nsubject: site\nkind: "' + "炸" * 600_000 + '"\nsections: []\n'
    msgs = _problems(text)
    kind = [m for m in msgs if "'kind'" in m]
    assert kind and len(kind[0]) < 300 and "600,000 chars" in kind[0]
    listy = 'id: a\nversion: "1"\ntitle: t\nsubject: site\nkind: [' + ", ".join(["x"] * 50_000) + "]\nsections: []\n"
    kind = [m for m in _problems(listy) if "'kind'" in m]
    assert kind and len(kind[0]) < 300 and "50,000 items" in kind[0]


def test_cli_validate_alias_bomb_exits_cleanly_in_small_memory(tmp_path: Path) -> None:
    d = tmp_path / "cl"
    d.mkdir()
    lines = ['id: bomb', 'version: "1"', 'title: t', 'subject: site', 'x0: &a0 ["lol","lol","lol","lol","lol","lol"]']
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    (d / "bomb.yaml").write_text("\n".join([*lines, "kind: *a9"]) + "\n", encoding="utf-8")

    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    r = subprocess.run([PINZHI, "checklists", "validate", str(d)], capture_output=True, text=True,
                       timeout=60, preexec_fn=limit)
    assert r.returncode == 1, r.stderr
    assert "alias" in r.stdout and "Traceback" not in r.stderr and "MemoryError" not in r.stderr


# ----------------------------------------------------------------------------- exports
EVIL_STAFF = "王\n强\t😀𠀀" + "长" * 500
EVIL_SITE = "金地\r\n格林😀𠀀" + "名" * 500


def test_reports_survive_any_text(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Names stored before validation (or by another door): newline, 500 characters, emoji, CJK ext. B."""
    from test_reports import inspect

    from app.reports.csvout import scorecard_csv
    from app.reports.excel import scorecard_workbook
    from app.reports.pdf import site_month_pdf
    from app.services import scorecard

    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    w = build_world(db)
    inspect(db, w.supervisor, site_id=w.site_a, day=date(2026, 11, 5), shift="早班",
            checklist_id="appearance-etiquette", staff_id=w.staff_a1, fail=2)
    inspect(db, w.supervisor, site_id=w.site_a, day=date(2026, 11, 6), shift="早班", checklist_id="office-safety",
            fail=2)
    with db.write() as s:  # straight into the tables, as legacy data would be
        s.execute(sa.update(Staff).where(Staff.id == w.staff_a1).values(name=EVIL_STAFF[:80]))
        s.execute(sa.update(Site).where(Site.id == w.site_a).values(name=EVIL_SITE[:120]))
        s.execute(sa.update(User).where(User.username == "sup").values(display_name="督导\n😀𠀀"))
        s.execute(sa.update(Answer).where(Answer.note.is_not(None)).values(note="第一行\n第二行😀𠀀\x0b" + "注" * 600))
    with db.read() as s:
        pdf = site_month_pdf(s, actor=w.manager, site_id=w.site_a, month="2026-11")
        xlsx = scorecard_workbook(s, actor=w.manager, month="2026-11")
        lines = scorecard.scorecard(s, actor=w.manager, month="2026-11", subject_type="staff", site_id=w.site_a)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    book = openpyxl.load_workbook(__import__("io").BytesIO(xlsx))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any(EVIL_STAFF[:80] in c for c in cells)  # the workbook keeps the name as it is
    text = scorecard_csv(lines)
    assert EVIL_STAFF[:80] in text
    if shutil.which("pdftotext"):
        out = tmp_path / "r.pdf"
        out.write_bytes(pdf)
        flat = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert "王 强" in flat and "第二行" in flat
