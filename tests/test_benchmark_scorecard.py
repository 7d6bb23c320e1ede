"""benchmarks/scorecard.py runs at a tiny size and its two methods (roll-up, raw answers) agree."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from conftest import PG_URL

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--inspections", "2000", "--sites", "3", "--staff", "60", "--patterns", "256", "--runs", "1"]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_scorecard", ROOT / "benchmarks" / "scorecard.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_scorecard_benchmark_sqlite(tmp_path, capsys):
    assert _bench().main([*TINY, "--db", "sqlite", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "results agree: " in out and "uses ix_monthly_rollup_month" in out
    assert "2,000 inspections" in out and "100,000 answer rows" in out
    assert not list(tmp_path.iterdir())  # removed without --keep


@pytest.mark.pg
def test_scorecard_benchmark_postgresql(capsys):
    if not PG_URL:
        pytest.skip("DATABASE_URL_PG not set")
    assert _bench().main([*TINY, "--db", "postgresql", "--pg-url", PG_URL]) == 0
    out = capsys.readouterr().out
    assert "results agree: " in out and "PostgreSQL" in out
