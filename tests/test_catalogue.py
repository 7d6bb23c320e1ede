"""The one message catalogue (app/locale/*/LC_MESSAGES/messages.po): complete in both languages, and every
message id the code uses is in it; no user-visible text is left outside it (the escape hatches are flagged).
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import messages
from app.messages import LANGS, po_path
from app.standards import rule_text, xlsx_export, xlsx_import

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60]")
ERRORS = {"ServiceError", "Invalid", "PermissionDenied", "NotFound", "Conflict", "Unavailable", "Throttled"}
# refusals of ``pinzhi db backup|restore|upgrade``, raised with a message id like the service errors
CLI_ERRORS = {"BackupError", "RoleError"}
CLI_ERROR_MODULES = ["app/db/backup.py", "app/db/roles.py"]
# the user-facing code: pages, UI, reports, services, the API, the sign-in page, photo refusals
USER_FACING = ["streamlit_app.py", "app/pages", "app/ui", "app/reports", "app/services", "app/api", "app/web",
               "app/photos", "app/standards"]
# files whose CJK literals are not UI text: demo data (names, notes, as a company would type them)
NOT_UI = {"app/services/demo.py"}


def sources() -> list[Path]:
    out: list[Path] = []
    for entry in USER_FACING:
        p = ROOT / entry
        out += [p] if p.is_file() else sorted(p.rglob("*.py"))
    return out


def rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Anything:
    def __format__(self, spec: str) -> str:  # any format spec ("%Y-%m-%d", "02d") is accepted
        return "x"


@pytest.fixture(scope="module")
def catalogues():
    out = {}
    for lang in LANGS:
        with po_path(lang).open("rb") as f:
            out[lang] = read_po(f, locale=lang)
    return out


def test_every_msgid_is_translated_in_both_languages_with_the_same_fields(catalogues):
    ids = {lang: {m.id for m in cat if m.id} for lang, cat in catalogues.items()}
    assert ids["zh"] == ids["en"], ids["zh"] ^ ids["en"]
    assert len(ids["zh"]) > 400
    for msgid in ids["zh"]:
        zh, en = catalogues["zh"][msgid].string, catalogues["en"][msgid].string
        assert zh and zh.strip() and en and en.strip(), msgid
        assert fields(zh) == fields(en), (msgid, zh, en)
        zh.format(**dict.fromkeys(fields(zh), _Anything()))  # a well-formed template
    # English is English: no Chinese in an English text, except where the language switch names Chinese
    names_chinese = {"lang", "lang.zh", "auth_page.other_lang",
                     "std_grid_help"}  # how a grid cell is written: "Title (N分)"
    chinese_in_en = sorted(m for m in ids["en"] if m not in names_chinese and CJK.search(catalogues["en"][m].string))
    assert not chinese_in_en, chinese_in_en


def test_value_labels_key_the_stored_chinese_value():
    """``shift.早班`` etc.: the msgid carries the stored value; its Chinese text is that value."""
    from app.db.models import POSTS, SHIFT_NAMES

    for kind, values in (("shift", SHIFT_NAMES), ("post", POSTS), ("grade", ("优秀", "良好", "合格", "不合格"))):
        for v in values:
            assert messages.text(f"{kind}.{v}", "zh") == v
            assert not CJK.search(messages.value(kind, v, "en")), (kind, v)
    assert messages.value("grade", "卓越", "en") == "卓越"  # a checklist's own grade stays as written


def test_legacy_dicts_are_empty():
    """Escape hatch for merges: ``ZH.update``/``EN.update`` blocks in app/ui/i18n.py work, but belong in the PO
    files (scripts/i18n_po.py legacy moves them)."""
    from app.ui import i18n

    assert i18n.ZH == {} and i18n.EN == {}


def _imports_text(tree: ast.AST) -> bool:
    """``from app.messages import text`` (then a bare ``text("key", ...)`` is the catalogue's)."""
    return any(isinstance(n, ast.ImportFrom) and n.module == "app.messages"
               and any(a.name == "text" and a.asname is None for a in n.names) for n in ast.walk(tree))


def _literal_keys(tree: ast.AST) -> list[tuple[str, int, str]]:
    """(kind, line, key) of every message id the code names literally."""
    found = []
    bare_text = _imports_text(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else None)
        if name in {"t", "msg", "text"} | ERRORS | CLI_ERRORS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if name == "text" and not (bare_text and isinstance(node.func, ast.Name)) \
                        and not (isinstance(node.func, ast.Attribute)
                                           and isinstance(node.func.value, ast.Name)
                                           and node.func.value.id == "messages"):
                    continue
                found.append((name, node.lineno, first.value))
            elif name in ERRORS | CLI_ERRORS and not isinstance(first, ast.Name | ast.Attribute):
                found.append((name, node.lineno, "<not a literal message id>"))
    return found


def test_every_message_id_in_the_code_is_in_the_catalogue():
    missing, checked = [], 0
    for path in sources() + sorted((ROOT / "app").glob("cli*.py")) + [ROOT / m for m in CLI_ERROR_MODULES]:
        for kind, line, key in _literal_keys(ast.parse(path.read_text(encoding="utf-8"))):
            checked += 1
            if not messages.has(key):
                missing.append(f"{rel(path)}:{line}: {kind}({key!r})")
    assert checked > 400
    assert not missing, "\n".join(missing)


def test_bare_text_calls_of_the_command_line_are_checked():
    """``from app.messages import text`` in app/cli*.py: ``text("cli.…")`` ids are checked like ``t(...)``."""
    tree = ast.parse((ROOT / "app" / "cli_ops.py").read_text(encoding="utf-8"))
    assert ("text", "cli.backup_written") in {(kind, key) for kind, _, key in _literal_keys(tree)}
    probe = ast.parse('from app.messages import text\nprint(text("cli.no_such_message"))\n')
    assert [key for _, _, key in _literal_keys(probe)] == ["cli.no_such_message"]
    assert not messages.has("cli.no_such_message")


def test_dynamic_message_ids_have_their_family_in_the_catalogue():
    """``t("role_" + r)``, ``t(f"col.{k}")``: the fixed part starts some message id."""
    ids = set(messages.catalogue("zh"))
    bad = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"t", "msg"} \
                    and node.args:
                first = node.args[0]
                prefix = None
                if isinstance(first, ast.BinOp) and isinstance(first.left, ast.Constant):
                    prefix = first.left.value
                elif isinstance(first, ast.JoinedStr) and first.values and isinstance(first.values[0], ast.Constant):
                    prefix = first.values[0].value
                if prefix is not None and not any(i.startswith(str(prefix)) for i in ids):
                    bad.append(f"{rel(path)}:{node.lineno}: {prefix!r}…")
    assert not bad, bad


def test_no_service_error_is_raised_with_its_own_text():
    """The escape hatch ``Invalid("中文", en=...)`` works but is flagged here: move the text into the catalogue."""
    flagged = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and any(k.arg == "en" for k in node.keywords):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in ERRORS:
                    flagged.append(f"{rel(path)}:{node.lineno}")
    assert not flagged, flagged


def _is_re_compile(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile" \
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"


def _cjk_literals(path: Path) -> list[tuple[int, str]]:
    """CJK string literals outside docstrings, comments and the patterns of ``re.compile(...)`` (a pattern is
    matched against what a user typed, never shown)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if _is_re_compile(node):
            assert isinstance(node, ast.Call)
            skipped.update(id(n) for arg in node.args for n in ast.walk(arg))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skipped
            and CJK.search(n.value)]


def _words(*groups: object) -> set[str]:
    """The CJK strings among module constants (tuples, dicts of tuples, pairs)."""
    out: set[str] = set()
    for g in groups:
        if isinstance(g, str):
            out.add(g)
        elif isinstance(g, dict):
            out |= _words(*g.values())
        elif isinstance(g, tuple | list):
            out |= _words(*g)
    return {w for w in out if CJK.search(w)}


# The Chinese sheet format of app/standards: the words the Excel reader recognises and the exporter writes
# (a standard is a Chinese document; these are never problem texts, which are catalogue messages ``xlsx.*``).
_IMPORT = "app/standards/xlsx_import.py"
_RULES = "app/standards/rule_text.py"
_EXPORT = "app/standards/xlsx_export.py"
STANDARD_SHEET_CJK = {
    **{(_IMPORT, w): "a header word the reader recognises (ROLES, ROLE_LABELS)"
       for w in _words(xlsx_import.ROLES, xlsx_import.ROLE_LABELS)},
    **{(_IMPORT, w): "a method, veto, total-row or empty-cell word the reader recognises"
       for w in _words(xlsx_import.METHOD_WORDS, xlsx_import.CRITICAL_SECTION_WORDS,
                       xlsx_import.CRITICAL_CHECKLIST_WORDS, xlsx_import.CRITICAL_NONE_WORDS,
                       xlsx_import.TOTAL_WORDS, xlsx_import.NO_POINTS, xlsx_import.NO_GROUP)},
    **{(_IMPORT, w): "sheet words a problem quotes as a parameter (what to write in the cell)"
       for w in (xlsx_import.CRITICAL_CHECKLIST_MARK, xlsx_import.CRITICAL_SECTION_MARK, xlsx_import.METHOD_HINT)},
    (_IMPORT, "分"): "the points unit typed after a number (1.5分)",
    (_IMPORT, "编号"): "the preferred number header (编号 over 序号)",
    (_IMPORT, "合计"): "a total row's first word",
    (_IMPORT, "总计"): "a total row's first word",
    (_IMPORT, ".、．"): "the punctuation after a typed number",
    **{(_RULES, w): "the punctuation a rule cell is split and trimmed at" for w in ("，,、：:", "，,:：", "，,", "，。")},
    **{(_RULES, w): "how a bonus or penalty is written, quoted by problems as a parameter"
       for w in (rule_text.BONUS_PHRASE, rule_text.PENALTY_PHRASE)},
    **{(_RULES, w): "rule_text() writes a 评分标准 cell in the grammar parse_rule_text() reads"
       for w in ("，", "不符合要求本项不得分", "分", "本项不得分", "每处扣", "扣完为止", "分，扣完为止", "份，", "抽查",
                 "按不符合比例扣分", "分为单位", "酌情扣分，以", "加", "另扣", "扣", "，最多", "每次", "无此项不考核")},
    **{(_EXPORT, w): "the printed standard's Chinese layout (header words, result columns, signature and site "
                     "lines, grade line, veto labels), read back by the importer"
       for w in (*_words(xlsx_export.CRITICAL_LABELS, xlsx_export.RESULT_COLUMNS), xlsx_export.SIGNATURES,
                 xlsx_export.SITE_LINE, "分）", "（", "分", "≥0分", "评定等级：", "；", "部分", "分项", "分值", "检查内容",
                 "编号", "评分标准", "检查方式", "否决", "检查表", "    满分：", "版本：", "合计")},
    (_EXPORT, xlsx_export.FONT): "the font's name in Excel",
    # (could be catalogue messages: list_sep, and an "or" separator)
}


# Chinese literals that are not UI text, each with why.
ALLOWED_CJK = {
    ("app/reports/charts.py", "中考核"): "glyph probe: a font must have these characters",
    **{("app/reports/__init__.py", c): "full-width formula starts neutralised in cells" for c in "＝＋－＠"},
    ("app/reports/__init__.py", " \u3000"): "blanks stripped before the formula check",
    **{("app/reports/charts.py", g): "stored grade -> its colour" for g in ("优秀", "良好", "合格", "不合格")},
    ("app/reports/excel.py", "宋体"): "the font's name in Excel",
    ("app/reports/excel.py", "不合格"): "the stored grade that gets a red cell",
    ("app/api/__init__.py", None): "the OpenAPI description (for developers, bilingual)",
    ("app/api/schemas.py", None): "the API's enums (stored shift names) and field descriptions (for developers)",
    **{("app/services/importing.py", w): "input vocabulary: the Chinese words the importer accepts for a site kind "
                                         "(住宅/小区, 案场/销售案场) and for yes/no (是/否)"
       for w in ("住宅", "小区", "案场", "销售案场", "是", "否")},
    **STANDARD_SHEET_CJK,
}


def test_no_chinese_literal_is_left_in_user_facing_code():
    left = []
    for path in sources():
        if rel(path) in NOT_UI:
            continue
        for line, value in _cjk_literals(path):
            if (rel(path), value) not in ALLOWED_CJK and (rel(path), None) not in ALLOWED_CJK:
                left.append(f"{rel(path)}:{line}: {value[:60]!r}")
    assert not left, "\n".join(left)


def test_rendering_with_parameters_and_nested_messages():
    from app.services.errors import Invalid, PermissionDenied
    from app.services.text import TextRefused, clean_name

    exc = Invalid("inspection.item_not_in_checklist", item_id="desk.clean")
    assert exc.key == "inspection.item_not_in_checklist" and exc.params == {"item_id": "desk.clean"}
    assert str(exc) == exc.message("zh") == "检查项 desk.clean 不在该检查表中"
    assert exc.message("en") == "Item desk.clean is not in this checklist"
    with pytest.raises(TextRefused) as info:
        clean_name("x" * 90, field=messages.msg("site_name"), max_len=80)
    assert info.value.message("zh") == "管理处名称过长：90 个字符，最多 80 个"
    assert info.value.message("en") == "Site name is too long: 90 characters, at most 80"
    with pytest.raises(TextRefused) as info:
        clean_name("a\nb", field="name", max_len=80)  # a column name: a space before the Chinese text
    assert info.value.message("zh").startswith("name 含有不允许的控制字符：第 2 个字符是 U+000A 换行符")
    assert "character 2 is U+000A line break" in info.value.message("en")
    legacy = PermissionDenied("旧的消息", en="old message")  # the escape hatch still shows something
    assert legacy.key is None and legacy.message("en") == "old message" and str(legacy) == "旧的消息"
    hostile = Invalid("inspection.checklist_not_in_force", title="<img src=x onerror=alert(1)>{n}{0}")
    assert hostile.message("en") == "Checklist <img src=x onerror=alert(1)>{n}{0} is not in force"


def test_accept_language():
    assert messages.accept_language(None) == "zh"
    assert messages.accept_language("en-US,en;q=0.9") == "en"
    assert messages.accept_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert messages.accept_language("fr, en;q=0.5, zh;q=0.4") == "en"
    assert messages.accept_language("de") == "zh"
    assert messages.accept_language("en;q=x") == "zh"


def test_the_command_line_speaks_chinese_unless_told(tmp_path):
    """A refused ``pinzhi user add`` (a too short password) prints the catalogue's message: Chinese by default,
    English with ``PINZHI_LANG=en``."""
    import os
    import shutil
    import subprocess
    import sys

    exe = shutil.which("pinzhi", path=str(Path(sys.executable).parent)) or "pinzhi"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PINZHI_DATA_DIR": str(tmp_path)}
    env.pop("PINZHI_LANG", None)
    assert subprocess.run([exe, "db", "upgrade"], env=env, capture_output=True, timeout=120).returncode == 0
    out = {}
    for lang in ("", "en"):
        r = subprocess.run([exe, "user", "add", "--role", "admin", "--password-stdin", "boss"], input="short\n",
                           env={**env, "PINZHI_LANG": lang}, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2, r.stdout + r.stderr
        out[lang] = r.stderr
    assert "密码至少 10 位" in out[""] and "The password needs at least 10 characters" in out["en"]


def test_chinese_problem_text_in_the_standards_reader_is_caught(tmp_path):
    """The check sees a Chinese problem text written into app/standards (not a pattern, not a sheet word); every
    sheet word allowed there is still in its file."""
    source = (ROOT / _IMPORT).read_text(encoding="utf-8")
    assert 'msg("xlsx.no_items")' in source
    probe = tmp_path / "xlsx_import.py"
    probe.write_text(source.replace('msg("xlsx.no_items")', '"表头下没有检查项"'), encoding="utf-8")
    assert [v for _, v in _cjk_literals(probe) if (_IMPORT, v) not in ALLOWED_CJK] == ["表头下没有检查项"]
    found = {(rel(f), v) for f in sorted((ROOT / "app" / "standards").glob("*.py")) for _, v in _cjk_literals(f)}
    assert set(STANDARD_SHEET_CJK) <= found, set(STANDARD_SHEET_CJK) - found


def test_message_ids_and_fields_say_what_they_are(catalogues):
    """No generic copies (``…_2``) and no generic fields (``{v}``, ``{v2}``): a translator reads the id and the
    field names to know what the text is about. (``loader.at.*`` name a place: ``{v}`` is its id or number.)"""
    generic_ids = sorted(m.id for m in catalogues["zh"] if m.id and re.search(r"_\d+$", m.id))
    assert not generic_ids, generic_ids
    generic_fields = sorted(m.id for m in catalogues["zh"] if m.id and not m.id.startswith("loader.at.")
                            and fields(m.string) & {"v", *(f"v{i}" for i in range(2, 10))})
    assert not generic_fields, generic_fields


# ----------------------------------------------------------------------------- the command line's own messages
# What ``pinzhi`` prints, fails with, raises as a CliError or prompts with is a catalogue message (rendered in
# PINZHI_LANG) or a value; a string literal with a letter in such a call is a message left outside the catalogue.
# The check sees the literal parts of the call's positional arguments (f-string text, ``+``, ``or``, ``x if c else
# y``), not a message built into a variable first and printed later. Allowed: the program name prefix
# ``pinzhi: `` and the machine-readable outputs below.
CLI_OUTPUT_CALLS = {"print", "_fail", "CliError", "getpass", "write"}
CLI_PREFIX = "pinzhi: "
CLI_MACHINE_OUTPUT = {
}


def _literal_parts(node: ast.AST) -> list[str]:
    """The string literals that become part of an argument's text (not those inside calls: message ids, joiners)."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.JoinedStr):
        return [p for v in node.values for p in _literal_parts(v.value if isinstance(v, ast.FormattedValue) else v)]
    if isinstance(node, ast.BinOp):
        return _literal_parts(node.left) + _literal_parts(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_parts(node.body) + _literal_parts(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [p for v in node.values for p in _literal_parts(v)]
    return []


def _cli_literal_messages(path: Path, name: str) -> list[tuple[int, str, str]]:
    """(line, enclosing function, literal) of every literal message in an output call of a cli module."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if callee not in CLI_OUTPUT_CALLS:
            continue
        where = next((f.name for f in functions if f.lineno <= node.lineno <= (f.end_lineno or 0)
                      and not any(g is not f and f.lineno < g.lineno <= node.lineno <= (g.end_lineno or 0)
                                  for g in functions)), "")
        if (name, where) in CLI_MACHINE_OUTPUT:
            continue
        for arg in node.args:
            for part in _literal_parts(arg):
                if re.search(r"[A-Za-z]", part.removeprefix(CLI_PREFIX)):
                    found.append((node.lineno, where, part))
    return found


def cli_sources() -> list[Path]:
    return sorted((ROOT / "app").glob("cli*.py"))


def test_the_command_line_prints_no_literal_message():
    assert len(cli_sources()) >= 7
    left = [f"{rel(p)}:{line} ({fn}): {part!r}" for p in cli_sources() for line, fn, part in
            _cli_literal_messages(p, rel(p))]
    assert not left, "\n".join(left)
    present = {(rel(p), f.name) for p in cli_sources() for f in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
               if isinstance(f, ast.FunctionDef)}
    assert set(CLI_MACHINE_OUTPUT) <= present  # no stale allow-list entry


@pytest.mark.parametrize(("catalogued", "literal", "part"), [
    ('print(text("cli.wrote", cli_lang(), path=out))', 'print(f"wrote {out}")', "wrote "),
    ('_fail(text("cli.xlsx_needs_out", cli_lang()))', '_fail("--format xlsx needs --out FILE.xlsx")',
     "--format xlsx needs --out FILE.xlsx"),
    ('_fail(text("cli.unknown_site", cli_lang(), code=repr(args.site)))',
     '_fail("pinzhi: " + (args.site or "no site"))', "no site"),
])
def test_a_literal_cli_message_is_caught(tmp_path, catalogued, literal, part):
    source = (ROOT / "app" / "cli_reports.py").read_text(encoding="utf-8")
    assert catalogued in source
    probe = tmp_path / "cli_reports.py"
    probe.write_text(source.replace(catalogued, literal, 1), encoding="utf-8")
    assert [p for _, _, p in _cli_literal_messages(probe, "app/cli_reports.py")] == [part]
