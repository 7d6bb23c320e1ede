"""English is English: every page, as every role, in English mode shows no Chinese outside user data and
checklist texts; service errors read in English; the Chinese UI replaces Streamlit's English widget texts
where Streamlit lets it.

The data are the demo company (app/services/demo.py, two months, one inspection per kind and month), plus a
draft, a fixed corrective action with its photo, a training session and a signed-off month, built once per
session through the services. Everything the AppTest element tree holds is read: every string of every
element's protobuf (labels, options, placeholders, help, tab and expander labels, metrics, chart specs, the
inspection screen's data) and every cell and column name of the tables.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from app import messages
from app.db.engine import Database, dispose_process_databases, make_engine
from app.db.models import (
    Answer,
    ChecklistVersion,
    CorrectiveAction,
    Inspection,
    InspectionPhoto,
    MonthSignoff,
    Site,
    Staff,
    TrainingSession,
    User,
)
from app.services import actions, auth, catalog, demo, org, signoff, training
from app.services import inspections as svc
from app.services.actor import SYSTEM
from app.services.errors import ServiceError
from app.ui.state import APPTEST_TOKEN_KEY

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streamlit_app.py"
PASSWORD = "demo-pass-123"
HOSTILE = "<img src=x onerror=alert(1)> 草稿备注 ![x](http://e.x/a.png)"
# CJK ideographs, CJK punctuation and full-width forms
CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff60]+")
IDEOGRAPH = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# the language switch names Chinese in Chinese ("中文"; "Language / 语言")
LANGUAGE_NAMES = ("中文", "语言")


@dataclass
class Demo:
    db_path: Path
    data: Path
    tokens: dict[str, str]
    draft_id: int
    submitted_id: int
    site_id: int
    signed_site_id: int
    month: str
    allowed: str  # user data and checklist texts, joined by NUL


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(buf, "JPEG")
    return buf.getvalue()


def _checklist_texts(obj: Any, out: list[str]) -> None:
    """Every text of a checklist (titles, item texts, sources, rules) except its grade names."""
    if isinstance(obj, str):
        out.append(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name != "grades":
                _checklist_texts(getattr(obj, f.name), out)
    elif isinstance(obj, list | tuple | set | frozenset):
        for x in obj:
            _checklist_texts(x, out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _checklist_texts(k, out)
            _checklist_texts(v, out)


def user_data(db: Database) -> str:
    """Everything people typed or imported, and the checklists' own texts."""
    out: list[str] = list(LANGUAGE_NAMES)
    cols = (Site.name, Staff.name, User.display_name, Answer.note, Answer.no_photo_reason,
            CorrectiveAction.item_text, CorrectiveAction.fix_note, CorrectiveAction.verify_note,
            TrainingSession.topic, TrainingSession.trainer, TrainingSession.material,
            TrainingSession.material_section, InspectionPhoto.caption, MonthSignoff.reopen_reason)
    with db.read() as s:
        for col in cols:
            out += [v for v in s.scalars(select(col)) if v]
        for entry in catalog.list_entries(s):
            _checklist_texts(entry.checklist, out)
        for version in s.scalars(select(ChecklistVersion)):  # every version ever published or frozen
            _checklist_texts(catalog.stored_checklist(version), out)
    return "\x00".join(out)


@pytest.fixture(scope="session")
def demo_template(sqlite_template, tmp_path_factory) -> Demo:
    root = tmp_path_factory.mktemp("english")
    path, data = root / "demo.db", root / "data"
    shutil.copy(sqlite_template, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PINZHI_DATA_DIR", str(data))
        db = Database(make_engine(f"sqlite:///{path}"))
        today = demo.today_shanghai()
        demo.seed_demo(db, today=today, months=2, per_month=1, password=PASSWORD)
        month = today.strftime("%Y-%m")
        with db.write() as s:
            _, sup = auth.sign_in(s, username="sup1", password=PASSWORD)
            _, manager = auth.sign_in(s, username="manager", password=PASSWORD)
            _, staff = auth.sign_in(s, username="staff01", password=PASSWORD)
            site_id = sorted(sup.site_ids)[0]
            signed_site = next(i for i in sorted(manager.site_ids) if i != site_id)
            person = org.site_staff(s, actor=sup, site_id=site_id)[0]
            entries = svc.available_checklists(s, actor=sup, subject_type="staff")
            draft = svc.start_inspection(session=s, actor=sup, site_id=site_id, shift_date=today,
                                         shift_name="中班", subject_type="staff", staff_id=person.id,
                                         checklist_id=entries[0].checklist.id, new=True)
            first = entries[0].checklist.items[0]
            svc.save_note(session=s, actor=sup, inspection_id=draft, item_id=first.id, note=HOSTILE)
            ts = training.add_session(session=s, actor=manager, site_id=site_id, planned_month=month,
                                      topic="消防安全培训", trainer="周老师", held_on=today, material="消防手册",
                                      staff_ids=[person.id])
            training.record_attendance(session=s, actor=manager, session_id=ts, staff_id=person.id, signed_in=True)
        with db.write() as s:  # the staff member fixes one of their open actions, with a photo
            mine = actions.list_actions(s, actor=staff, status="open")
            if mine:
                actions.mark_fixed(session=s, actor=staff, action_id=mine[0].id, note="已重新整理 " + HOSTILE,
                                   photo_data=jpeg(), filename="fix.jpg")
        with db.write() as s:
            signoff.sign_off(session=s, actor=manager, site_id=signed_site, month=month)
        with db.read() as s:
            submitted = s.scalar(select(Inspection.id).where(Inspection.status == "submitted",
                                                             Inspection.site_id == site_id)
                                 .order_by(Inspection.id.desc()))
        with db.write() as s:  # the QA department's account (the standards workshop)
            auth.create_user(s, actor=SYSTEM, username="qa1", password=PASSWORD, role="qa", display_name="品质部")
        tokens = {}
        with db.write() as s:
            for username in ("admin", "manager", "sup1", "staff01", "qa1"):
                tokens[username], _ = auth.sign_in(s, username=username, password=PASSWORD)
        allowed = user_data(db)
        db.engine.dispose()
    assert submitted is not None
    return Demo(path, data, tokens, draft, submitted, site_id, signed_site, month, allowed)


@pytest.fixture
def dm(demo_template: Demo, tmp_path, monkeypatch) -> Iterator[Demo]:
    path = tmp_path / "pinzhi.db"
    shutil.copy(demo_template.db_path, path)
    if demo_template.data.exists():
        shutil.copytree(demo_template.data, tmp_path / "data")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    dispose_process_databases()
    yield demo_template
    dispose_process_databases()


# ----------------------------------------------------------------------------- reading what is shown
def _proto_strings(msg: Any, out: list[str]) -> None:
    for field, value in msg.ListFields():
        repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED
        if field.type == field.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                value = [v for v in value.values()] if hasattr(value, "values") else value
            for v in (value if repeated else [value]):
                if hasattr(v, "ListFields"):
                    _proto_strings(v, out)
                elif isinstance(v, str):
                    out.append(v)
        elif field.type == field.TYPE_STRING:
            out.extend(value if repeated else [value])
        elif field.type == field.TYPE_BYTES and value:
            out.extend(_arrow_strings(value))


def _arrow_strings(data: bytes) -> list[str]:
    """Column names and text cells of an Arrow IPC table (dataframes, data editors)."""
    try:
        import pyarrow as pa

        table = pa.ipc.open_stream(data).read_all()
    except Exception:
        return []
    out = [str(n) for n in table.column_names]
    for col in table.columns:
        out += [str(v) for v in col.to_pylist() if isinstance(v, str)]
    return out


def shown(at: AppTest) -> list[str]:
    """Every string the element tree holds."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            _proto_strings(proto, out)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def zh_labels() -> set[str]:
    """The Chinese catalogue's short labels (a run equal to one is UI text even if a checklist contains it)."""
    return {v for v in messages.catalogue("zh").values() if CJK_RUN.fullmatch(v)}


def chinese_outside_data(strings: list[str], allowed: str) -> list[tuple[str, str]]:
    labels, data_values = zh_labels(), set(allowed.split("\x00"))
    bad = []
    for s in strings:
        for run in CJK_RUN.findall(s):
            label = run in labels and run not in data_values and IDEOGRAPH.search(run)  # not a lone "、"
            if run not in allowed or label:
                bad.append((run, s[:120]))
    return bad


def english_app(token: str | None, page: str | None = None, **params: str) -> AppTest:
    """The app in English, signed in with ``token``, run once directly on ``page`` with ``params`` (a first
    run on the home page would leave widgets whose labels AppTest re-formats outside the script's session,
    where the language is the default)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if token is not None:
        at.session_state[APPTEST_TOKEN_KEY] = token
    at.session_state["lang"] = "en"
    at.query_params.update(params)
    if page is not None:
        at.switch_page(f"app/pages/{page}")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def assert_english(at: AppTest, dm: Demo, where: str) -> None:
    strings = shown(at)
    assert len(strings) > 5, where
    bad = chinese_outside_data(strings, dm.allowed)
    assert not bad, f"{where}: " + "\n".join(f"{run!r} in {s!r}" for run, s in bad[:30])


ROLE_PAGES = {
    "admin": ["inspect.py", "review.py", "actions.py", "training.py", "history.py", "standards.py", "checklists.py",
              "admin.py"],
    "manager": ["inspect.py", "review.py", "actions.py", "training.py", "history.py", "checklists.py"],
    "sup1": ["inspect.py", "actions.py", "training.py", "history.py", "checklists.py"],
    "staff01": ["self_check.py", "actions.py", "training.py", "history.py", "checklists.py"],
    "qa1": ["standards.py", "checklists.py"],
}


@pytest.mark.parametrize("user", list(ROLE_PAGES))
def test_every_page_as_every_role_is_english(dm, user):
    at = english_app(dm.tokens[user])
    assert_english(at, dm, f"{user} home")
    for page in ROLE_PAGES[user]:
        at = english_app(dm.tokens[user], page)
        assert_english(at, dm, f"{user} {page}")


def test_the_session_ended_page_is_english(dm):
    at = english_app(None)
    assert_english(at, dm, "sign-in")
    assert any("Sign in" in s for s in shown(at))


@pytest.mark.parametrize("params", [
    {"site": "SITE"}, {"site": "SIGNED"}, {"subj": "site"}, {"view": "SUBMITTED"}, {"who": "FIRST"},
])
def test_review_states_are_english(dm, params):
    values = {"SITE": str(dm.site_id), "SIGNED": str(dm.signed_site_id), "SUBMITTED": str(dm.submitted_id)}
    if params.get("who") == "FIRST":
        with Database(make_engine(f"sqlite:///{dm.db_path}")).read() as s:
            params = {"who": str(s.scalar(select(Staff.id).where(Staff.site_id == dm.site_id)))}
    at = english_app(dm.tokens["manager"], "review.py", **{k: values.get(v, v) for k, v in params.items()})
    assert_english(at, dm, f"review {params}")


def test_review_sign_off_confirmation_is_english(dm):
    at = english_app(dm.tokens["manager"], "review.py", site=str(dm.site_id))
    at.button(key="rv_sign").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert_english(at, dm, "sign-off confirmation")
    assert any("Sign off" in s for s in shown(at))


@pytest.mark.parametrize("step", ["items", "review"])
def test_the_inspection_screen_is_english(dm, step):
    at = english_app(dm.tokens["sup1"], "inspect.py", insp=str(dm.draft_id), step=step, sec="0")
    assert_english(at, dm, f"inspection {step}")


def test_a_submitted_inspection_is_english(dm):
    at = english_app(dm.tokens["manager"], "history.py", view=str(dm.submitted_id))
    assert_english(at, dm, "detail")
    at = english_app(dm.tokens["sup1"], "inspect.py", insp=str(dm.submitted_id))
    assert_english(at, dm, "result")


def test_service_errors_on_pages_are_english(dm):
    """An admin adds a site with a blank name: the refusal names the field (itself a message) in English."""
    at = english_app(dm.tokens["admin"], "admin.py")
    at.text_input(key="as_code").input("X1")
    at.text_input(key="as_name").input("   ")
    next(b for b in at.button if b.label == "Add" and "add_site" in str(b.form_id)).click().run()
    errors = [e.value for e in at.error]
    assert errors == ["Site name must not be empty"], errors
    assert_english(at, dm, "admin error")


def test_service_errors_render_in_english(dm):
    db = Database(make_engine(f"sqlite:///{dm.db_path}"))
    raised: list[ServiceError] = []

    def attempt(fn: Any) -> None:
        with pytest.raises(ServiceError) as info, db.write() as s:
            fn(s)
        raised.append(info.value)

    with db.write() as s:
        _, sup = auth.sign_in(s, username="sup1", password=PASSWORD)
        _, staff = auth.sign_in(s, username="staff01", password=PASSWORD)
    attempt(lambda s: org.add_site(s, actor=sup, code="Z", name="Z", kind="residential"))
    attempt(lambda s: org.add_site(s, actor=SYSTEM, code="\x00", name="Z", kind="residential"))
    attempt(lambda s: org.add_staff(s, actor=SYSTEM, code="Q1", name="名" * 300, post="管家", site_code="JD-GL"))
    attempt(lambda s: org.get_or_create_shift(s, site_id=dm.site_id, day=demo.today_shanghai(), name="凌晨班"))
    attempt(lambda s: svc.submit_inspection(session=s, actor=sup, inspection_id=dm.draft_id))
    attempt(lambda s: svc.save_note(session=s, actor=staff, inspection_id=dm.draft_id, item_id="x", note="n"))
    attempt(lambda s: svc.save_answer(session=s, actor=sup, inspection_id=dm.draft_id, item_id="nope",
                                      value={"result": "pass"}))
    attempt(lambda s: signoff.sign_off(session=s, actor=SYSTEM, site_id=dm.signed_site_id, month=dm.month))
    attempt(lambda s: actions.reopen(session=s, actor=sup, action_id=10**6, note=""))
    attempt(lambda s: training.add_session(session=s, actor=sup, site_id=dm.site_id, planned_month=dm.month,
                                           topic="t", trainer="x", pass_mark=training.Decimal(150)))
    db.engine.dispose()
    allowed = dm.allowed + "\x00凌晨班"  # what was typed comes back as typed
    for exc in raised:
        assert exc.key is not None, exc  # from the catalogue, not an escape hatch
        en, zh = exc.message("en"), exc.message("zh")
        assert en != zh and not chinese_outside_data([en], allowed), (exc.key, en)
    submit = next(e for e in raised if e.key == "inspection.submit_blocked")
    assert submit.message("en").startswith("Cannot submit. ") and "items are unanswered: item 1 " in submit.message("en")
    assert submit.message("zh").startswith("不能提交。还有 ")


def test_shifts_change_with_the_language(dm):
    strings = shown(english_app(dm.tokens["sup1"], "inspect.py"))
    assert "Morning" in strings and "早班" not in " ".join(strings)


# ----------------------------------------------------------------------------- the Chinese UI
def test_chinese_ui_replaces_streamlits_select_placeholders(dm):
    """Every selectbox and multiselect has our own placeholder: without one (an empty ``placeholder`` in the
    protobuf) Streamlit's frontend shows "Choose an option" / "Choose options" in the Chinese UI."""
    seen = 0
    for user, pages in ROLE_PAGES.items():
        for page in pages:
            at = AppTest.from_file(str(APP), default_timeout=60)
            at.session_state[APPTEST_TOKEN_KEY] = dm.tokens[user]
            at.switch_page(f"app/pages/{page}")
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            for w in [*at.selectbox, *at.multiselect]:
                seen += 1
                ph = w.proto.placeholder
                assert ph.strip() and not re.search("[A-Za-z]", ph), (user, page, w.label, ph)
    assert seen > 20


def test_the_check_finds_chinese_ui_text(dm):
    """The same pages in Chinese fail the check (so a passing English run means something), and the pages
    really are the ones asked for."""
    for user, page, title in (("manager", "review.py", "月度考核"), ("admin", "admin.py", "系统管理")):
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state[APPTEST_TOKEN_KEY] = dm.tokens[user]
        at.switch_page(f"app/pages/{page}")
        at.run()
        strings = shown(at)
        assert title in strings
        assert len(chinese_outside_data(strings, dm.allowed)) > 10
        english = shown(english_app(dm.tokens[user], page))
        assert messages.text({"review.py": "review", "admin.py": "admin"}[page], "en") in english


def test_a_broken_checklist_file_is_reported_in_the_users_language(dm, tmp_path, monkeypatch):
    """A broken file beside the shipped ones: the standards page lists its problems (from the pure loader,
    rendered from the catalogue) in English in English mode and in Chinese otherwise."""
    d = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", d)
    (d / "broken.yaml").write_text(
        "id: broken\nversion: '1'\ntitle: t\nkind: safety\nsubject: site\nsections:\n"
        "  - {id: s, title: s, points: 2, items: [{id: s.a, text: t, points: 1, source: x}, "
        "{id: s.b, text: t, points: 0.35, evidence: photo}]}\n", encoding="utf-8")
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(d))
    at = english_app(dm.tokens["admin"], "checklists.py")
    assert_english(at, dm, "checklists page with a broken file")
    texts = [c.value for c in at.code]
    assert any("broken.yaml: item s.b: 'source' is required" in x for x in texts), texts
    assert any("item s.b: 'evidence' must be one of none, optional, on_fail, required (got 'photo')" in x
               for x in texts), texts
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[APPTEST_TOKEN_KEY] = dm.tokens["admin"]
    at.switch_page("app/pages/checklists.py")
    at.run()
    texts = [c.value for c in at.code]
    assert any("broken.yaml：检查项 s.b：缺少 'source'" in x for x in texts), texts
    assert any("检查项 s.b：'points' 必须大于 0 且为 0.1 的倍数（实际为 0.35）" in x for x in texts), texts


def test_a_broken_scorecard_rules_file_is_said_on_the_review_page_in_the_users_language(dm, tmp_path, monkeypatch):
    """checklists/scorecard.yaml broken by the deployment: the review page says which file, key and rule, in
    English in English mode and in Chinese otherwise (no traceback)."""
    import yaml

    d = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", d)
    rules = yaml.safe_load((d / "scorecard.yaml").read_text(encoding="utf-8"))
    rules["staff"]["min_inspections"] = -1
    (d / "scorecard.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(d))
    at = english_app(dm.tokens["manager"], "review.py")
    errors = [e.value.replace("\\", "").replace("\u2060", "") for e in at.error]  # as shown (md escapes)
    assert any("The scorecard rules file is broken" in e and "staff.min_inspections: must be an integer >= 0 (got -1)"
               in e for e in errors), errors
    assert_english(at, dm, "review with a broken scorecard rules file")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[APPTEST_TOKEN_KEY] = dm.tokens["manager"]
    at.switch_page("app/pages/review.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value.replace("\\", "").replace("\u2060", "") for e in at.error]  # as shown (md escapes)
    assert any("月度考核规则文件有误" in e and "staff.min_inspections：必须是不小于 0 的整数（实际为 -1）" in e
               for e in errors), errors
