"""The pure core stays pure: scoring imports neither Streamlit nor SQLAlchemy nor app."""

import subprocess
import sys


def test_scoring_imports_no_framework():
    code = (
        "import sys, scoring, scoring.engine, scoring.loader, scoring.grades, scoring.model\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('scoring.monthly'): import scoring.monthly\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'sqlalchemy', 'app', 'PIL')]\n"
        "print(','.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, f"scoring pulled in: {out.stdout} {out.stderr}"


def test_pages_import_no_sqlalchemy_or_pillow():
    from pathlib import Path

    pages = Path(__file__).resolve().parents[1] / "app" / "pages"
    offenders = [
        p.name for p in pages.glob("*.py")
        if any(line.lstrip().startswith(("import sqlalchemy", "from sqlalchemy", "import PIL", "from PIL"))
               for line in p.read_text(encoding="utf-8").splitlines())
    ]
    assert offenders == []
