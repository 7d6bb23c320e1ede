"""The JSON API v1 with a version-2 standard (what the tablet screen sends): the checklist it describes
(clauses, groups, methods, samples, bonus/penalty limits) and the answer shapes it takes and refuses, read back
from the database."""

from __future__ import annotations

import uuid

import pytest
from api_support import SCORECARD, Api, mounted
from factories import use_checklists
from sqlalchemy import select
from starlette.testclient import TestClient
from v2_standard import v2_standard_doc
from world import build_world

from app.db.models import Answer


@pytest.fixture
def api(db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, v2_standard_doc(), scorecard=SCORECARD)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    w = build_world(db)
    with TestClient(mounted(lambda: db), raise_server_exceptions=False) as http:
        yield Api(db, w, http)


def put(api: Api, iid: int, item: str, value, at: int = 1_000, lang: str = "zh"):
    return api.call("sup", "PUT", f"/inspections/{iid}/answers/{item}", headers={"Accept-Language": lang},
                    json={"value": value, "op_id": str(uuid.uuid4()), "answered_at": at})


def stored(api: Api, iid: int) -> dict[str, dict]:
    with api.db.read() as s:
        return {r.item_id: dict(r.value) for r in s.execute(
            select(Answer.item_id, Answer.value).where(Answer.inspection_id == iid)) if r.value}


def test_v2_answers_through_the_api(api: Api) -> None:
    r = api.call("sup", "POST", "/inspections", json={"site": "A", "shift_date": "2026-11-20", "shift": "早班",
                                                      "subject": "site", "checklist": "v2-standard"})
    assert r.status_code == 201, r.text
    iid = int(r.json()["id"])
    detail = api.call("sup", "GET", f"/inspections/{iid}").json()
    internal = detail["checklist"]["sections"][0]
    assert internal["groups"] == [{"id": "1.2", "title": "BI规范", "title_en": None, "points": 2.0}]
    one = internal["items"][0]
    assert (one["scoring"], one["method"], one["group"]) == ("deduct", "records", None)
    assert one["rules"] == [{"id": "a", "text": "缺失关键规程、重要节点", "per": 0.5},
                            {"id": "b", "text": "现场使用失效版本文件", "per": 0.5},
                            {"id": "c", "text": "不适用且无上报修正记录", "per": None}]
    assert internal["items"][1]["group"] == "1.2"
    sample = detail["checklist"]["sections"][1]["items"][0]
    assert (sample["scoring"], sample["min_sample"]) == ("sample", 10)
    bonus, penalty = detail["checklist"]["sections"][2]["items"]
    assert (bonus["scoring"], bonus["per"], bonus["max"]) == ("bonus", 0.5, 1.0)
    assert (penalty["scoring"], penalty["max"]) == ("penalty", None)

    # accepted: exactly the shapes scoring takes
    r = put(api, iid, "1.1", {"counts": {"a": 2, "c": 0}})
    assert r.status_code == 200, r.text
    assert r.json()["value"]["counts"] == {"a": 2, "c": 0}
    assert put(api, iid, "1.3", {"counts": {}}).status_code == 200
    assert put(api, iid, "2.1", {"checked": 10, "failed": 3}).status_code == 200
    assert put(api, iid, "3.1", {"count": 5}).status_code == 200
    assert put(api, iid, "3.2", {"count": 1}).status_code == 200
    before = stored(api, iid)
    assert before == {"1.1": {"counts": {"a": 2, "c": 0}}, "1.3": {"counts": {}},
                      "2.1": {"checked": 10, "failed": 3}, "3.1": {"count": 5}, "3.2": {"count": 1}}

    # refused, naming the item; nothing stored changes
    for item, value, words in [
        ("1.1", {"counts": {"zz": 1}}, "unknown clause"),
        ("1.1", {"counts": {"<img src=x onerror=alert(1)>": 1}}, "unknown clause"),
        ("1.1", {"count": 1}, "counts"),
        ("2.1", {"checked": 9, "failed": 0}, "at least 10"),
        ("2.1", {"checked": 10, "failed": 11}, "must not exceed"),
        ("2.1", {"checked": 10}, "checked"),
        ("3.1", {"counts": {"a": 1}}, "count"),
    ]:
        r = put(api, iid, item, value, at=2_000, lang="en")
        assert r.status_code == 422 and item in r.json()["message"] and words in r.json()["message"], (value, r.text)
    r = put(api, iid, "2.1", {"checked": 9, "failed": 0}, at=2_000)  # the default language: Chinese
    assert r.json()["message"] == "答案无效：检查项 2.1：至少要抽查 10 份（实际为 9）", r.text
    for value in ({"counts": {"a": -1}}, {"counts": {"a": 1.5}}, {"checked": -1, "failed": 0}, {"counts": [1]}):
        r = put(api, iid, "1.1", value, at=2_000)
        assert r.status_code == 422, (value, r.text)
    assert stored(api, iid) == before
