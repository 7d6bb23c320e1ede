"""Where things live: repository paths, data directory, database URL. No Streamlit here."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def checklists_dir() -> Path:
    return Path(os.environ.get("PINZHI_CHECKLISTS", REPO_ROOT / "checklists"))


def data_dir() -> Path:
    """The data directory, created owner-only (0700): it holds the database and the photos."""
    d = Path(os.environ.get("PINZHI_DATA_DIR", REPO_ROOT / "data"))
    if not d.exists():
        try:
            d.mkdir(parents=True, mode=0o700)
            d.chmod(0o700)  # mkdir's mode is filtered by the umask
        except FileExistsError:  # another process made it first
            pass
    return d


def _driver(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return _driver(url)
    return f"sqlite:///{data_dir() / 'pinzhi.db'}"


def owner_database_url() -> str | None:
    """PostgreSQL: the tables' owner, used by ``pinzhi db upgrade`` only (the app runs as DATABASE_URL)."""
    url = os.environ.get("PINZHI_DB_OWNER_URL")
    return _driver(url) if url else None


def photos_dir() -> Path:
    d = data_dir() / "photos"
    d.mkdir(parents=True, exist_ok=True)
    return d


def signatures_required() -> bool:
    """Whether a supervisor inspection needs its close-out signatures before submit (see
    :mod:`app.services.signatures`): ``PINZHI_SIGNATURES=required`` (the default) or ``optional``."""
    return os.environ.get("PINZHI_SIGNATURES", "required").strip().lower() != "optional"
