"""Maintain the message catalogue (app/locale/*/LC_MESSAGES/messages.po).

  .venv/bin/python scripts/i18n_po.py legacy        # move ZH/EN dict entries of app/ui/i18n.py into the PO files
  .venv/bin/python scripts/i18n_po.py add FILE.py   # FILE defines ENTRIES = {msgid: (zh, en), ...}
  .venv/bin/python scripts/i18n_po.py check         # list msgids without a translation in either language

``legacy`` and ``add`` refuse to change an existing msgid's text (``--replace`` allows it). After
``legacy``, delete the ``ZH.update``/``EN.update`` blocks from app/ui/i18n.py (the catalogue test fails
while they are not empty).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.messages import LANGS, po_path  # noqa: E402


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain="messages", project="Pinzhi", version="1",
                       copyright_holder="Pinzhi", charset="utf-8")
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain="messages")


def save(lang: str, cat: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, cat, width=0, omit_header=False, sort_output=False, ignore_obsolete=True)


def add(entries: dict[str, tuple[str, str]], *, replace: bool = False) -> int:
    cats = {lang: load(lang) for lang in LANGS}
    added = 0
    for key, texts in entries.items():
        for lang, value in zip(LANGS, texts, strict=True):
            cat = cats[lang]
            old = cat.get(key)
            if old is not None and old.string and old.string != value and not replace:
                raise SystemExit(f"{lang}: {key!r} already is {old.string!r}, not {value!r} (use --replace)")
            flags = ("python-brace-format",) if "{" in value else ()
            if old is None:
                cat.add(key, value, flags=flags)
                added += lang == LANGS[0]
            else:
                old.string = value
    for lang, cat in cats.items():
        save(lang, cat)
    return added


def legacy() -> dict[str, tuple[str, str]]:
    from app.ui import i18n

    zh, en = dict(i18n.ZH), dict(i18n.EN)
    missing = sorted(set(zh) ^ set(en))
    if missing:
        raise SystemExit(f"keys in only one language: {missing}")
    return {k: (zh[k], en[k]) for k in zh}


def main(argv: list[str]) -> int:
    replace = "--replace" in argv
    argv = [a for a in argv if a != "--replace"]
    if argv[:1] == ["legacy"]:
        print("added", add(legacy(), replace=replace))
    elif argv[:1] == ["add"] and len(argv) == 2:
        print("added", add(runpy.run_path(argv[1])["ENTRIES"], replace=replace))
    elif argv[:1] == ["check"]:
        cats = {lang: load(lang) for lang in LANGS}
        ids = {str(m.id) for c in cats.values() for m in c if m.id}
        bad = sorted(i for i in ids if any(not (c.get(i) and c.get(i).string) for c in cats.values()))
        print("\n".join(bad) or "complete")
        return 1 if bad else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
