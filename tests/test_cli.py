"""The command line, through a real subprocess, as a user would run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from factories import checklist_dict, item, section

ROOT = Path(__file__).resolve().parents[1]
PINZHI = shutil.which("pinzhi", path=str(Path(sys.executable).parent)) or "pinzhi"


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT, lang: str = "en") -> subprocess.CompletedProcess[str]:
    """``lang``: PINZHI_LANG ("" for the default, Chinese)."""
    env = {**os.environ, "PINZHI_LANG": lang}
    env.pop("PINZHI_CHECKLISTS", None)
    return subprocess.run([PINZHI, *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=60)


@pytest.fixture
def cdir(tmp_path):
    d = tmp_path / "cl"
    d.mkdir()
    doc = checklist_dict(
        [section("a", [item("a.x", 2), item("a.y", 3, scoring="deduct", per=1, na=True)]),
         section("b", [item("b.z", 5, scoring="scale")])],
        id="demo", version="2026.1", total_points=10,
    )
    (d / "demo.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return d


def test_validate_repo_checklists_exit_0():
    r = run("checklists", "validate")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "checklists OK" in r.stdout
    n, _, directory = r.stdout.strip().partition(" checklists OK in ")
    assert int(n) > 1 and Path(directory).is_dir()
    zh = run("checklists", "validate", lang="")  # Chinese unless told
    assert (zh.returncode, zh.stdout.strip()) == (0, f"{directory} 中的 {n} 个检查表均无问题"), zh.stdout


def test_validate_broken_dir_exit_1_one_line_per_problem(cdir):
    (cdir / "bad.yaml").write_text(
        "id: bad\nversion: '1'\ntitle: t\nkind: safety\nsubject: site\nsections:\n"
        "  - {id: s, title: s, points: 2, items: [{id: s.a, text: t, points: 1, source: x}, "
        "{id: s.b, text: t, points: 0.35}]}\n",
        encoding="utf-8",
    )
    r = run("checklists", "validate", str(cdir))
    assert r.returncode == 1
    lines = r.stdout.strip().splitlines()
    assert any("bad.yaml: item s.b: 'points' must be > 0 and a multiple of 0.1" in x for x in lines)
    assert any("bad.yaml: item s.b: 'source' is required" in x for x in lines)
    assert all("bad.yaml" in x for x in lines)
    # the default language of the command line is Chinese: the same problems from the message catalogue
    zh = run("checklists", "validate", str(cdir), lang="").stdout.strip().splitlines()
    assert len(zh) == len(lines)
    assert any(x.endswith("bad.yaml：检查项 s.b：'points' 必须大于 0 且为 0.1 的倍数（实际为 0.35）") for x in zh), zh
    assert any(x.endswith("bad.yaml：检查项 s.b：缺少 'source'") for x in zh), zh


def test_list_json(cdir):
    r = run("checklists", "list", "--json", "--dir", str(cdir))
    assert r.returncode == 0
    rows = json.loads(r.stdout)
    assert rows == [{"id": "demo", "version": "2026.1", "title": "test checklist", "kind": "standard",
                     "subject": "site", "self_check": False, "possible": 10, "sections": 2, "items": 3}]


def test_list_table_in_both_languages(cdir):
    r = run("checklists", "list", "--dir", str(cdir))
    assert r.returncode == 0 and r.stdout.split() == ["demo", "2026.1", "standard", "site", "10", "pts", "3", "items",
                                                     "test", "checklist"], r.stdout
    zh = run("checklists", "list", "--dir", str(cdir), lang="")
    assert zh.returncode == 0 and zh.stdout.split()[4:8] == ["10", "分", "3", "项"], zh.stdout


def test_list_repo_checklists_json_has_jindi():
    rows = json.loads(run("checklists", "list", "--json").stdout)
    jindi = next(r for r in rows if r["id"] == "jindi-community-cs")
    assert jindi["possible"] == 100


def test_score_by_id_from_stdin(cdir):
    resp = {"checklist": "demo", "answers": {"a.x": {"result": "pass"}, "a.y": {"count": 1}, "b.z": {"points": 2.5}}}
    r = run("score", "--checklist", "demo", "--responses", "-", "--checklists-dir", str(cdir), stdin=json.dumps(resp))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "checklist": "demo", "version": "2026.1", "awarded": 6.5, "applicable": 10, "possible": 10,
        "percent": 65.0, "grade": "合格", "critical_failed": False,
        "sections": [{"id": "a", "awarded": 4, "applicable": 5, "percent": 80.0, "groups": []},
                     {"id": "b", "awarded": 2.5, "applicable": 5, "percent": 50.0, "groups": []}],
        "bonus": 0, "penalty": 0,
        "failed_items": ["a.y", "b.z"],
    }


def test_score_by_path_and_file(cdir, tmp_path):
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"answers": {"a.x": {"result": "pass"}, "a.y": {"result": "na"}, "b.z": {"points": 5}}}))
    r = run("score", "--checklist", str(cdir / "demo.yaml"), "--responses", str(f))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["awarded"], out["applicable"], out["percent"], out["grade"]) == (7, 7, 100.0, "优秀")


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ('{"answers": {"a.x": {"result": "pass"}, "b.z": {"points": 5}}}', "item a.y: no answer"),
        ('{"answers": {"a.x": {"result": "pass"}, "a.y": {"count": 0}, "b.z": {"points": 9}}}', "item b.z: points must be from 0 to 5"),
        ('{"answers": {"a.x": {"result": "pass"}, "a.y": {"count": 0}, "b.z": {"points": 5}, "q": {}}}', "item q: unknown item id"),
        ('{"checklist": "other", "answers": {}}', "responses are for checklist 'other'"),
        ("{not json", "invalid JSON at line 1"),
        ("[]", 'expected {"checklist"'),
    ],
)
def test_score_bad_input_exit_2_one_line(cdir, responses, message):
    r = run("score", "--checklist", "demo", "--responses", "-", "--checklists-dir", str(cdir), stdin=responses)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr


def test_score_refusals_speak_chinese_by_default(cdir):
    r = run("score", "--checklist", "demo", "--responses", "-", "--checklists-dir", str(cdir), lang="",
            stdin='{"answers": {"a.x": {"result": "pass"}, "a.y": {"count": 0}, "b.z": {"points": 9}}}')
    assert r.returncode == 2 and r.stderr.strip() == "pinzhi: 检查项 b.z：得分必须在 0 到 5 之间（实际为 9）"
    # the command line's own refusals too
    r = run("score", "--checklist", "demo", "--responses", "-", "--checklists-dir", str(cdir), lang="",
            stdin="{not json")
    assert r.returncode == 2 and r.stderr.startswith("pinzhi: <stdin>：JSON 格式错误，第 1 行第 2 列："), r.stderr
    r = run("score", "--checklist", "nope", "--responses", "-", "--checklists-dir", str(cdir), lang="", stdin="{}")
    assert r.returncode == 2 and r.stderr.strip() == f"pinzhi: {cdir} 中没有检查表 'nope'", r.stderr


def test_score_unknown_checklist_exit_2(cdir):
    r = run("score", "--checklist", "nope", "--responses", "-", "--checklists-dir", str(cdir), stdin="{}")
    assert r.returncode == 2 and "unknown checklist 'nope'" in r.stderr


def test_score_missing_file_exit_2(cdir):
    r = run("score", "--checklist", "demo", "--responses", "/nonexistent.json", "--checklists-dir", str(cdir))
    assert r.returncode == 2 and "cannot read responses file" in r.stderr
