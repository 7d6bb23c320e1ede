"""Where things live: repository paths, data directory, database URL. No Streamlit here."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def checklists_dir() -> Path:
    return Path(os.environ.get("PINZHI_CHECKLISTS", REPO_ROOT / "checklists"))


def data_dir() -> Path:
    d = Path(os.environ.get("PINZHI_DATA_DIR", REPO_ROOT / "data"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    return f"sqlite:///{data_dir() / 'pinzhi.db'}"


def photos_dir() -> Path:
    d = data_dir() / "photos"
    d.mkdir(parents=True, exist_ok=True)
    return d
