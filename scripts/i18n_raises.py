"""Convert escape-hatch service errors into catalogue messages (a merge helper).

  .venv/bin/python scripts/i18n_raises.py FILE.py [FILE.py ...]

Every ``Invalid("中文 {x}", en="English {x}")`` (any service error class, f-strings allowed) becomes
``Invalid("<module>.<slug>", x=x)`` and its two texts are added to the PO files. A field's name is the name
or attribute it shows (``{item_id}``, ``{c.title}`` -> ``title``), else ``v1``, ``v2``…; format specs and
conversions stay in the template. Review the diff: the ids are made from the English text.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

ERRORS = {"ServiceError", "Invalid", "PermissionDenied", "NotFound", "Conflict", "Unavailable"}


def _template(node: ast.expr, names: dict[str, str], used: set[str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if not isinstance(node, ast.JoinedStr):
        return None
    out = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            out.append(str(part.value).replace("{", "{{").replace("}", "}}"))
            continue
        assert isinstance(part, ast.FormattedValue)
        src = ast.unparse(part.value)
        if src not in names:
            base = part.value.id if isinstance(part.value, ast.Name) else (
                part.value.attr if isinstance(part.value, ast.Attribute) else "v")
            name, n = base, 1
            while name in used or name in {"en", "key"}:
                n += 1
                name = f"{base}{n}"
            names[src] = name
            used.add(name)
        conv = {-1: "", 115: "!s", 114: "!r", 97: "!a"}[part.conversion]
        spec = ""
        if part.format_spec is not None:
            spec = ":" + "".join(str(v.value) for v in part.format_spec.values if isinstance(v, ast.Constant))
        out.append("{" + names[src] + conv + spec + "}")
    return "".join(out)


def _slug(module: str, en: str, taken: set[str]) -> str:
    words = re.findall(r"[a-z]+", re.sub(r"\{[^}]*\}", " ", en.lower()))
    stop = {"the", "a", "an", "of", "to", "is", "be", "must", "in", "for", "and", "or", "it", "its", "this"}
    slug = "_".join([w for w in words if w not in stop][:4]) or "error"
    key, n = f"{module}.{slug}", 1
    while key in taken:
        n += 1
        key = f"{module}.{slug}_{n}"
    taken.add(key)
    return key


def convert(path: Path, taken: set[str]) -> dict[str, tuple[str, str]]:
    src = path.read_text(encoding="utf-8")
    tree = ast.parse(src)
    module = path.stem
    lines = src.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    edits, entries = [], {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS
                and node.args):
            continue
        en_kw = next((k for k in node.keywords if k.arg == "en"), None)
        if en_kw is None:
            continue
        names: dict[str, str] = {}
        used: set[str] = set()
        zh = _template(node.args[0], names, used)
        en = _template(en_kw.value, names, used)
        if zh is None or en is None:
            print(f"{path}:{node.lineno}: not a literal, left alone")
            continue
        key = _slug(module, en, taken)
        entries[key] = (zh.replace("{{", "{").replace("}}", "}") if not names else zh,
                        en.replace("{{", "{").replace("}}", "}") if not names else en)
        others = [ast.unparse(k) if k.arg else "**" + ast.unparse(k.value) for k in node.keywords if k.arg != "en"]
        params = [f"{name}={expr}" for expr, name in names.items()]
        new = f'{node.func.id}({", ".join([repr(key).replace(chr(39), chr(34)), *params, *others])})'
        def char_offset(lineno: int, byte_col: int) -> int:  # ast columns count UTF-8 bytes
            return offsets[lineno - 1] + len(lines[lineno - 1].encode()[:byte_col].decode())

        start = char_offset(node.lineno, node.col_offset)
        end = char_offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        edits.append((start, end, new))
    for start, end, new in sorted(edits, reverse=True):
        src = src[:start] + new + src[end:]
    path.write_text(src, encoding="utf-8")
    return entries


def main(argv: list[str]) -> int:
    from i18n_po import add

    from app.messages import catalogue

    taken = set(catalogue("zh"))
    entries: dict[str, tuple[str, str]] = {}
    for f in argv:
        entries.update(convert(Path(f), taken))
    for k, (zh, en) in entries.items():
        print(f"{k}: {zh} | {en}")
    print("added", add(entries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
