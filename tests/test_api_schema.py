"""Schemathesis against the API's own OpenAPI document, on SQLite and PostgreSQL.

Generated requests (valid and invalid) for every operation, sent as a signed-in supervisor with a bearer
token to the API mounted under /api/v1: no 500s, every status code documented, every response matching its
schema and content type. The number of examples is bounded so the test stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from api_support import STAFF_ALL, Api, api_for, jpeg, mounted
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.services import inspections as svc
from app.services import photos

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12  # per operation and generation mode


@pytest.fixture
def api(db, tmp_path, monkeypatch):
    yield from api_for(db, tmp_path, monkeypatch)


def seed(api: Api) -> None:
    """A few inspections with small ids (the ones generated ids hit): a draft and a submitted one of 'sup'."""
    w = api.w
    with api.db.write() as s:
        for day, staff in ((w.day, w.staff_a1), (w.day.replace(day=21), w.staff_a2)):
            iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=day,
                                       shift_name="早班", subject_type="staff", staff_id=staff,
                                       checklist_id="staff-look")
            for k, v in STAFF_ALL.items():
                svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=k, value=v)
            photos.attach_photo(session=s, actor=w.supervisor, inspection_id=iid, item_id="look.badge",
                                data=jpeg((day.day, 90, 90)))
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)


def fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_api_conforms_to_its_openapi_document(api: Api):
    seed(api)
    app = mounted(lambda: api.db)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api.token_of('sup')}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, headers)
            except Unsatisfiable:  # nothing invalid to send (e.g. no parameters at all)
                assert mode == GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, then fail once
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
