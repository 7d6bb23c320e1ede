"""Month's staff scorecard: from the monthly roll-up versus re-aggregating every raw answer.

Builds a database with the real migrations (a fresh SQLite file; a fresh PostgreSQL schema) and
fills it through the real tables with N submitted inspections of a generated 50-item staff
appearance checklist (5 sections x 10 items, pass/fail and deduct items, some N/A-able), frozen as
a ``checklist_versions`` row: a company of 40 sites and 2 000 staff, N spread over 12 months
(about N/12 in the measured month), ~5 % self-checks. Each inspection gets what the submit
transaction writes: its score snapshot (percent exact to 6 places), its 50 answers, its
``inspection_sections`` rows and its share of ``monthly_rollup`` (count and sum of the stored
percents per subject, month, checklist and inspection kind).

Answer sets are drawn from a pool of distinct random answer sets (``--patterns``), each scored by
``scoring.score`` itself, so every stored percent, section total and snapshot is the engine's own;
a sample of inspections is re-read through the ORM and re-scored from its stored answers after
the load, and a sample of roll-up rows is checked against the inspections it sums.

Then times, interleaved, median of ``--runs`` each (after one warm-up of each):

  (a) roll-up: ``app.services.scorecard.scorecard(session, actor=SYSTEM, month=M, subject_type="staff")``
      -- the app path: roll-up rows of M and M-1, ``monthly_scorecard_from_aggregates`` with the rules
      of checklists/scorecard.yaml, names and open corrective actions;
  (b) baseline, raw answers: one SQL statement joins answers to the inspections of M and M-1,
      derives each item's awarded points from the answer JSON and the item's points (a VALUES
      table built from the stored checklist version), sums per inspection to a percent (exact to
      6 places, as stored), per subject and kind to count/sum, and the same
      ``monthly_scorecard_from_aggregates`` ranks them.

Checks that (a) and (b) give the same ranked rows and prints p50/p90 of both, the ratio, the
query plan of the roll-up read, a breakdown of where (a)'s time goes, load time and disk used.
Targets (issue "Monthly scorecard review"): at 1 000 000 inspections the SQLite p50 of (a) is
<= 150 ms and (b)/(a) >= 15x; PostgreSQL figures are reported too.

    .venv/bin/python benchmarks/scorecard.py [--inspections 200000] [--db sqlite|postgresql|both]
        [--runs 7] [--dir D] [--keep] [--reuse] [--check]

``--keep`` keeps the SQLite file (in ``--dir``) and the PostgreSQL schema; with ``--reuse`` a later run
with the same generation options measures the kept databases again without re-loading them.
"""

from __future__ import annotations

import argparse
import calendar
import gc
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, insert, select, text  # noqa: E402

from app.db.engine import Database, make_engine  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.db.models import (  # noqa: E402
    POSTS,
    SHIFT_NAMES,
    Answer,
    ChecklistVersion,
    Inspection,
    InspectionSection,
    MonthlyRollup,
    Shift,
    Site,
    Staff,
    User,
    UserSite,
)
from app.services import catalog  # noqa: E402
from app.services import scorecard as scorecard_svc  # noqa: E402
from app.services.actor import SYSTEM  # noqa: E402
from scoring import Checklist, content_hash, parse_checklist_text, score  # noqa: E402
from scoring.monthly import KindAggregate, ScorecardRow, monthly_scorecard_from_aggregates, previous_month  # noqa: E402

CHECKLIST_ID = "bench-appearance-50"
SECTIONS, ITEMS_PER_SECTION = 5, 10
SIX = Decimal("0.000001")
TARGET_P50_MS = 150.0
TARGET_RATIO = 15.0
DEFAULT_PG = os.environ.get("DATABASE_URL_PG", "postgresql://postgres@127.0.0.1:5432/test")
INSPECTION_COLS = ("id", "checklist_version_id", "site_id", "subject_type", "staff_id", "shift_id", "month",
                   "inspector_id", "kind", "status", "created_at", "updated_at", "submitted_at", "awarded",
                   "applicable", "possible", "percent", "grade", "critical_failed", "snapshot", "amended")
CHUNK = 50_000  # inspections per load transaction



# One chunk's answers and section rows, copied from the generated answer patterns (same SQL on both
# databases; {ph} is the driver's placeholder: "?" for sqlite3, "%s" for psycopg).
FILL_ANSWERS_SQL = (
    "INSERT INTO answers (inspection_id, item_id, value, note, answered_by, answered_at) "
    "SELECT m.inspection_id, p.item_id, p.value, NULL, m.answered_by, m.answered_at "
    "FROM bench_map m JOIN bench_pattern_answers p ON p.pattern = m.pattern "
    "WHERE m.inspection_id > {ph} AND m.inspection_id <= {ph} ORDER BY m.inspection_id, p.ord"
)
FILL_SECTIONS_SQL = (
    "INSERT INTO inspection_sections (inspection_id, section_id, awarded, applicable, possible) "
    "SELECT m.inspection_id, p.section_id, p.awarded, p.applicable, p.possible "
    "FROM bench_map m JOIN bench_pattern_sections p ON p.pattern = m.pattern "
    "WHERE m.inspection_id > {ph} AND m.inspection_id <= {ph} ORDER BY m.inspection_id, p.ord"
)

def log(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ generation


def checklist_doc() -> dict[str, Any]:
    """5 sections x 10 items of 2 points: items 1-6 pass/fail, 7-10 deduct 1 per fault; 3 and 9 may be N/A."""
    sections = []
    for s in range(1, SECTIONS + 1):
        items = []
        for n in range(1, ITEMS_PER_SECTION + 1):
            item: dict[str, Any] = {"id": f"s{s}.i{n:02d}", "text": f"第 {s} 部分第 {n} 项：仪容仪表检查（基准测试项）",
                                    "points": 2, "source": "benchmark"}
            if n > 6:
                item.update(scoring="deduct", per=1)
            if n in (3, 9):
                item["na"] = True
            items.append(item)
        sections.append({"id": f"s{s}", "title": f"第 {s} 部分", "points": 2 * ITEMS_PER_SECTION, "items": items})
    return {"id": CHECKLIST_ID, "version": "1", "title": "基准测试 仪容仪表 50 项", "kind": "appearance",
            "subject": "staff", "self_check": True, "total_points": 2 * SECTIONS * ITEMS_PER_SECTION,
            "sections": sections}


@dataclass
class Pattern:
    """One distinct answer set, scored by scoring.score exactly as submit_inspection stores it."""

    answers: list[tuple[str, str]]  # (item_id, JSON text) in checklist order
    sections: list[tuple[str, Decimal, Decimal, Decimal]]  # (section_id, awarded, applicable, possible)
    awarded: Decimal
    applicable: Decimal
    possible: Decimal
    percent: Decimal | None  # stored percent: exact percent quantized to 6 places
    grade: str | None
    snapshot: str  # JSON text of Inspection.snapshot


def make_pattern(checklist: Checklist, rnd: random.Random) -> Pattern:
    quality = rnd.uniform(0.70, 0.99)
    answers: dict[str, dict[str, Any]] = {}
    for item in checklist.items:
        if item.na and rnd.random() < 0.05:
            answers[item.id] = {"result": "na"}
        elif item.scoring == "pass_fail":
            answers[item.id] = {"result": "pass" if rnd.random() < quality else "fail"}
        else:
            answers[item.id] = {"count": 0 if rnd.random() < quality else rnd.choice([1, 1, 2])}
    result = score(checklist, answers)
    # exactly app.services.inspections._store_score
    percent = None if result.percent_exact is None else result.percent_exact.quantize(SIX)
    snap = result.to_dict()
    snap["percent_exact"] = None if result.percent_exact is None else str(result.percent_exact)
    snap["items"] = {i.id: {"awarded": str(i.awarded), "applicable": str(i.applicable), "na": i.na}
                     for i in result.items}
    return Pattern(answers=[(i.id, json.dumps(answers[i.id])) for i in checklist.items],
                   sections=[(s.id, s.awarded, s.applicable, s.possible) for s in result.sections],
                   awarded=result.awarded, applicable=result.applicable, possible=result.possible,
                   percent=percent, grade=result.grade, snapshot=json.dumps(snap))


@dataclass
class World:
    """The generated company and its inspections (independent of the database)."""

    params: dict[str, Any]
    yaml_text: str
    checklist: Checklist
    months: list[str]
    sites: list[dict[str, Any]]
    staff: list[dict[str, Any]]
    users: list[dict[str, Any]]
    user_sites: list[dict[str, Any]]
    shifts: list[dict[str, Any]]
    patterns: list[Pattern]
    # (id, site_id, staff_id, shift_id, month, inspector_id, kind, created_at, pattern)
    inspections: list[tuple[int, int, int, int, str, int, str, datetime, int]]
    rollup: dict[tuple[int, str, str], list[Any]] = field(default_factory=dict)  # (staff, month, kind) -> [n, sum, n%]

    def month_count(self, month: str) -> tuple[int, int]:
        sup = sum(1 for r in self.inspections if r[4] == month and r[6] == "supervisor")
        own = sum(1 for r in self.inspections if r[4] == month and r[6] == "self_check")
        return sup, own


def generate(args: argparse.Namespace) -> World:
    t0 = time.perf_counter()
    rnd = random.Random(args.seed)
    yaml_text = yaml.safe_dump(checklist_doc(), allow_unicode=True, sort_keys=False)
    checklist, problems = parse_checklist_text(yaml_text, "benchmark checklist")
    if checklist is None:
        raise SystemExit("; ".join(map(str, problems)))
    months = [args.month]
    while len(months) < args.months:
        months.append(previous_month(months[-1]))
    months.reverse()
    first = date(int(months[0][:4]), int(months[0][5:]), 1)
    last_y, last_m = int(months[-1][:4]), int(months[-1][5:])
    ndays = (date(last_y, last_m, calendar.monthrange(last_y, last_m)[1]) - first).days + 1

    sites = [{"id": s, "code": f"S{s:03d}", "name": f"基准管理处 {s:03d}",
              "kind": "sales_office" if s % 8 == 0 else "residential", "active": True}
             for s in range(1, args.sites + 1)]
    staff = [{"id": p, "code": f"E{p:05d}", "name": f"员工{p:05d}", "post": POSTS[p % 3],
              "site_id": 1 + (p - 1) % args.sites, "responsible": p <= args.sites, "active": True}
             for p in range(1, args.staff + 1)]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    users = [{"id": 1, "username": "admin", "display_name": "管理员", "role": "admin", "password_hash": "!",
              "staff_id": None, "active": True, "created_at": now}]
    supervisors: dict[int, list[int]] = {}
    user_sites = []
    for s in sites:
        for k in range(2):
            uid = len(users) + 1
            users.append({"id": uid, "username": f"sup{s['id']:03d}{k}", "display_name": f"主管{s['id']:03d}{k}",
                          "role": "supervisor", "password_hash": "!", "staff_id": None, "active": True,
                          "created_at": now})
            supervisors.setdefault(s["id"], []).append(uid)
            user_sites.append({"user_id": uid, "site_id": s["id"]})
    staff_user: dict[int, int] = {}
    for p in staff:
        uid = len(users) + 1
        users.append({"id": uid, "username": f"e{p['id']:05d}", "display_name": p["name"], "role": "staff",
                      "password_hash": "!", "staff_id": p["id"], "active": True, "created_at": now})
        staff_user[p["id"]] = uid
    shifts = [{"id": 1 + ((s - 1) * ndays + d) * 3 + k, "site_id": s, "date": first + timedelta(days=d),
               "name": SHIFT_NAMES[k]}
              for s in range(1, args.sites + 1) for d in range(ndays) for k in range(3)]

    patterns = sorted((make_pattern(checklist, rnd) for _ in range(args.patterns)),
                      key=lambda p: (p.percent is None, p.percent or 0))
    npat = len(patterns)
    skill = {p["id"]: 2.718281828 ** rnd.uniform(-0.8, 0.8) for p in staff}  # exponent: < 1 better

    draws = []
    month_firsts = [(date(int(m[:4]), int(m[5:]), 1), calendar.monthrange(int(m[:4]), int(m[5:]))[1])
                    for m in months]
    for _ in range(args.inspections):
        mfirst, mdays = month_firsts[rnd.randrange(len(months))]
        day = mfirst + timedelta(days=rnd.randrange(mdays))
        p = staff[rnd.randrange(len(staff))]
        own = rnd.random() < args.self_share
        e = skill[p["id"]] * (0.6 if own else 1.0)  # people rate themselves a little better
        pat = min(npat - 1, int(npat * rnd.random() ** e))
        draws.append((day, rnd.randrange(86400 // 2), p["id"], p["site_id"], own, rnd.randrange(3), pat))
    draws.sort()
    inspections = []
    rollup: dict[tuple[int, str, str], list[Any]] = {}
    for iid, (day, secs, staff_id, site_id, own, k, pat) in enumerate(draws, start=1):
        month = f"{day.year:04d}-{day.month:02d}"
        shift_id = 1 + ((site_id - 1) * ndays + (day - first).days) * 3 + k
        kind = "self_check" if own else "supervisor"
        inspector = staff_user[staff_id] if own else supervisors[site_id][secs % 2]
        # Asia/Shanghai 08:00-20:00 of the shift date, stored in UTC
        created = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=secs)
        inspections.append((iid, site_id, staff_id, shift_id, month, inspector, kind, created, pat))
        # exactly app.services.rollup.on_submit: count, sum of the stored percents, count of non-null
        acc = rollup.setdefault((staff_id, month, kind), [0, Decimal(0), 0])
        percent = patterns[pat].percent
        acc[0] += 1
        if percent is not None:
            acc[1] += percent
            acc[2] += 1
    params = {k: getattr(args, k) for k in ("inspections", "sites", "staff", "months", "month", "patterns",
                                             "self_share", "seed")}
    world = World(params, yaml_text, checklist, months, sites, staff, users, user_sites, shifts, patterns,
                  inspections, rollup)
    log(f"generated {len(inspections):,} inspections from {npat:,} scored answer sets in "
        f"{time.perf_counter() - t0:.1f} s")
    return world


# ------------------------------------------------------------------------------------ loading


CV_ID = 1


def _small_tables(engine: Engine, world: World) -> None:
    """Sites, staff, users, shifts, the frozen checklist version: Core executemany through the models."""
    cv = {"id": CV_ID, "checklist_id": CHECKLIST_ID, "version": world.checklist.version,
          "content_hash": content_hash(world.yaml_text), "yaml_text": world.yaml_text,
          "title": world.checklist.title, "kind": world.checklist.kind, "subject": world.checklist.subject,
          "self_check": world.checklist.self_check, "loaded_at": datetime(2025, 1, 1, tzinfo=UTC)}
    with engine.begin() as conn:
        conn.execute(insert(Site.__table__), world.sites)
        conn.execute(insert(Staff.__table__), world.staff)
        conn.execute(insert(User.__table__), world.users)
        conn.execute(insert(UserSite.__table__), world.user_sites)
        conn.execute(insert(Shift.__table__), world.shifts)
        conn.execute(insert(ChecklistVersion.__table__), [cv])


def _rollup_rows(world: World) -> list[dict[str, Any]]:
    site_of = {p["id"]: p["site_id"] for p in world.staff}
    return [{"subject_type": "staff", "subject_id": staff_id, "month": month, "checklist_id": CHECKLIST_ID,
             "inspection_kind": kind, "kind": world.checklist.kind, "site_id": site_of[staff_id], "count": n,
             "percent_sum": total, "percent_count": k}
            for (staff_id, month, kind), (n, total, k) in sorted(world.rollup.items())]


def _fill_chunk(execute: Callable[..., Any], commit: Callable[[], Any], ph: str, chunk: list[Any]) -> tuple[float, float]:
    """Copy the chunk's answers and section totals from its patterns and commit; returns both timings."""
    bounds = (chunk[0][0] - 1, chunk[-1][0])
    t = time.perf_counter()
    execute(FILL_ANSWERS_SQL.format(ph=ph), bounds)
    t_ans = time.perf_counter() - t
    t = time.perf_counter()
    execute(FILL_SECTIONS_SQL.format(ph=ph), bounds)
    commit()
    return t_ans, time.perf_counter() - t


def _sqlite_ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")  # what SQLAlchemy's SQLite DateTime stores


def load_sqlite(world: World, path: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    t = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    _small_tables(engine, world)
    times["schema + company"] = time.perf_counter() - t
    raw = engine.raw_connection()
    con = raw.driver_connection  # sqlite3 connection, autocommit (we BEGIN/COMMIT ourselves)
    # load phase only: no fsync, no per-row foreign-key lookups (the data is consistent by construction)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("PRAGMA cache_size=-524288")
    con.execute("PRAGMA temp_store=MEMORY")
    con.execute("CREATE TEMP TABLE bench_map (inspection_id INTEGER PRIMARY KEY, pattern INTEGER NOT NULL, "
                "answered_by INTEGER NOT NULL, answered_at TEXT NOT NULL)")
    con.execute("CREATE TEMP TABLE bench_pattern_answers (pattern INTEGER, ord INTEGER, item_id TEXT, value TEXT, "
                "PRIMARY KEY (pattern, ord)) WITHOUT ROWID")
    con.execute("CREATE TEMP TABLE bench_pattern_sections (pattern INTEGER, ord INTEGER, section_id TEXT, "
                "awarded REAL, applicable REAL, possible REAL, PRIMARY KEY (pattern, ord)) WITHOUT ROWID")
    con.execute("BEGIN")
    con.executemany("INSERT INTO bench_pattern_answers VALUES (?, ?, ?, ?)",
                    [(k, o, item_id, value) for k, p in enumerate(world.patterns)
                     for o, (item_id, value) in enumerate(p.answers)])
    con.executemany("INSERT INTO bench_pattern_sections VALUES (?, ?, ?, ?, ?, ?)",
                    [(k, o, sid, float(a), float(ap), float(po)) for k, p in enumerate(world.patterns)
                     for o, (sid, a, ap, po) in enumerate(p.sections)])
    con.execute("COMMIT")
    sql_insp = f"INSERT INTO inspections ({', '.join(INSPECTION_COLS)}) VALUES ({', '.join('?' * len(INSPECTION_COLS))})"
    t_insp = t_ans = t_sec = 0.0
    total = len(world.inspections)
    for lo in range(0, total, CHUNK):
        chunk = world.inspections[lo:lo + CHUNK]
        t = time.perf_counter()
        con.execute("BEGIN")
        rows = []
        mapping = []
        for iid, site_id, staff_id, shift_id, month, inspector, kind, created, pat in chunk:
            p = world.patterns[pat]
            c, s = _sqlite_ts(created), _sqlite_ts(created + timedelta(minutes=12))
            rows.append((iid, CV_ID, site_id, "staff", staff_id, shift_id, month, inspector, kind, "submitted", c, s, s,
                         float(p.awarded), float(p.applicable), float(p.possible),
                         None if p.percent is None else float(p.percent), p.grade, 0, p.snapshot, 0))
            mapping.append((iid, pat, inspector, c))
        con.executemany(sql_insp, rows)
        con.executemany("INSERT INTO bench_map VALUES (?, ?, ?, ?)", mapping)
        t_insp += time.perf_counter() - t
        d_ans, d_sec = _fill_chunk(con.execute, lambda: con.execute("COMMIT"), "?", chunk)
        t_ans, t_sec = t_ans + d_ans, t_sec + d_sec
        done = lo + len(chunk)
        log(f"sqlite: {done:,}/{total:,} inspections ({done * 50:,} answers), "
            f"{t_insp + t_ans + t_sec:.0f} s")
    con.execute("DROP TABLE bench_map")
    con.execute("DROP TABLE bench_pattern_answers")
    con.execute("DROP TABLE bench_pattern_sections")
    raw.close()
    times["inspections"], times["answers"], times["sections"] = t_insp, t_ans, t_sec
    t = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(MonthlyRollup.__table__), _rollup_rows(world))
    times["roll-up"] = time.perf_counter() - t
    t = time.perf_counter()
    raw = engine.raw_connection()
    raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    engine.dispose()
    times["checkpoint"] = time.perf_counter() - t
    return times


def pg_engine(url: str, schema: str, **kw: Any) -> Engine:
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"}, **kw)


def load_postgresql(world: World, url: str, schema: str) -> dict[str, float]:
    times: dict[str, float] = {}
    t = time.perf_counter()
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = pg_engine(url, schema)
    upgrade(engine)
    _small_tables(engine, world)
    times["schema + company"] = time.perf_counter() - t
    raw = engine.raw_connection()
    con = raw.driver_connection  # psycopg connection
    cur = con.cursor()
    # load phase only: no commit flush wait, no per-row foreign-key triggers (consistent by construction)
    cur.execute("SET synchronous_commit = off")
    cur.execute("SET session_replication_role = replica")
    cur.execute("SET maintenance_work_mem = '512MB'")
    cur.execute("CREATE TEMP TABLE bench_map (inspection_id integer PRIMARY KEY, pattern integer NOT NULL, "
                "answered_by integer NOT NULL, answered_at timestamptz NOT NULL)")
    cur.execute("CREATE TEMP TABLE bench_pattern_answers (pattern integer, ord integer, item_id varchar(96), "
                "value json, PRIMARY KEY (pattern, ord))")
    cur.execute("CREATE TEMP TABLE bench_pattern_sections (pattern integer, ord integer, section_id varchar(64), "
                "awarded numeric(9,2), applicable numeric(9,2), possible numeric(9,2), PRIMARY KEY (pattern, ord))")
    with cur.copy("COPY bench_pattern_answers FROM STDIN") as cp:
        for k, p in enumerate(world.patterns):
            for o, (item_id, value) in enumerate(p.answers):
                cp.write_row((k, o, item_id, value))
    with cur.copy("COPY bench_pattern_sections FROM STDIN") as cp:
        for k, p in enumerate(world.patterns):
            for o, (sid, a, ap, po) in enumerate(p.sections):
                cp.write_row((k, o, sid, a, ap, po))
    cur.execute("ANALYZE bench_pattern_answers")
    cur.execute("ANALYZE bench_pattern_sections")
    con.commit()
    t_insp = t_ans = t_sec = 0.0
    total = len(world.inspections)
    for lo in range(0, total, CHUNK):
        chunk = world.inspections[lo:lo + CHUNK]
        t = time.perf_counter()
        with cur.copy(f"COPY inspections ({', '.join(INSPECTION_COLS)}) FROM STDIN") as cp:
            for iid, site_id, staff_id, shift_id, month, inspector, kind, created, pat in chunk:
                p = world.patterns[pat]
                s = created + timedelta(minutes=12)
                cp.write_row((iid, CV_ID, site_id, "staff", staff_id, shift_id, month, inspector, kind, "submitted",
                              created, s, s, p.awarded, p.applicable, p.possible, p.percent, p.grade, False,
                              p.snapshot, False))
        with cur.copy("COPY bench_map FROM STDIN") as cp:
            for iid, _site, _staff, _shift, _month, inspector, _kind, created, pat in chunk:
                cp.write_row((iid, pat, inspector, created))
        t_insp += time.perf_counter() - t
        d_ans, d_sec = _fill_chunk(cur.execute, con.commit, "%s", chunk)
        t_ans, t_sec = t_ans + d_ans, t_sec + d_sec
        done = lo + len(chunk)
        log(f"postgresql: {done:,}/{total:,} inspections ({done * 50:,} answers), {t_insp + t_ans + t_sec:.0f} s")
    cur.execute("DROP TABLE bench_map, bench_pattern_answers, bench_pattern_sections")
    # explicit ids were given: move the sequences past them, as if the rows had been inserted one by one
    for table in ("sites", "staff", "users", "shifts", "checklist_versions", "inspections"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    con.commit()
    raw.close()
    times["inspections"], times["answers"], times["sections"] = t_insp, t_ans, t_sec
    t = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(MonthlyRollup.__table__), _rollup_rows(world))
    times["roll-up"] = time.perf_counter() - t
    t = time.perf_counter()
    # what autovacuum would have done by the end of a year of use
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("inspections", "answers", "inspection_sections", "monthly_rollup", "shifts", "staff", "users"):
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    times["vacuum analyze"] = time.perf_counter() - t
    engine.dispose()
    return times


# ------------------------------------------------------------------------------------ validation


def validate(db: Database, world: World, rnd: random.Random, n: int = 25) -> None:
    """Re-read a sample through the ORM: percents re-scored from the stored answers, roll-up sums re-added."""
    with db.read() as s:
        for iid in rnd.sample(range(1, len(world.inspections) + 1), min(n, len(world.inspections))):
            insp = s.get(Inspection, iid)
            assert insp is not None and insp.status == "submitted", iid
            answers = {item_id: value for item_id, value in
                       s.execute(select(Answer.item_id, Answer.value).where(Answer.inspection_id == iid))}
            result = score(catalog.stored_checklist(insp.checklist_version), answers)
            expect = None if result.percent_exact is None else result.percent_exact.quantize(SIX)
            assert insp.percent == expect, (iid, insp.percent, expect)
            assert insp.grade == result.grade and insp.snapshot is not None
            assert insp.snapshot["percent_exact"] == str(result.percent_exact), iid
            sections = {r.section_id: (r.awarded, r.applicable, r.possible) for r in
                        s.scalars(select(InspectionSection).where(InspectionSection.inspection_id == iid))}
            assert sections == {x.id: (x.awarded, x.applicable, x.possible) for x in result.sections}, iid
            row = s.get(MonthlyRollup, ("staff", insp.staff_id, insp.month, CHECKLIST_ID, insp.kind))
            assert row is not None
            percents = list(s.scalars(select(Inspection.percent).where(
                Inspection.staff_id == insp.staff_id, Inspection.month == insp.month, Inspection.kind == insp.kind,
                Inspection.status == "submitted")))
            assert row.count == len(percents), (row.count, len(percents))
            got = [p for p in percents if p is not None]
            assert row.percent_count == len(got) and Decimal(row.percent_sum) == sum(got, Decimal(0)), iid


# ------------------------------------------------------------------------------------ measuring


SCORING_CODE = {"pass_fail": 0, "deduct": 1, "scale": 2}


def raw_answers_sql(session: Any, dialect: str) -> str:
    """The baseline: the month's per-subject/kind count and sum of percents straight from the answers."""
    rows = []
    for cv in session.scalars(select(ChecklistVersion).where(ChecklistVersion.subject == "staff")):
        for item in catalog.stored_checklist(cv).items:
            if item.critical != "none":
                raise SystemExit("the raw-answer baseline does not model critical items")
            rows.append((cv.id, item.id, item.points, SCORING_CODE[item.scoring], item.per or Decimal(0)))
    pg = dialect == "postgresql"

    def num(d: Decimal) -> str:
        return f"CAST({d} AS NUMERIC)" if pg else str(d)

    values = ", ".join(f"({cv}, '{iid}', {num(pts)}, {code}, {num(per)})" for cv, iid, pts, code, per in rows)
    if pg:
        res, cnt, pts = "(a.value ->> 'result')", "CAST(a.value ->> 'count' AS NUMERIC)", \
            "CAST(a.value ->> 'points' AS NUMERIC)"
        greatest, micro = "GREATEST", "CAST(round(100000000 * p.awarded / p.applicable) AS BIGINT)"
    else:
        res, cnt, pts = "json_extract(a.value, '$.result')", "json_extract(a.value, '$.count')", \
            "json_extract(a.value, '$.points')"
        greatest, micro = "MAX", "CAST(round(100000000.0 * p.awarded / p.applicable) AS INTEGER)"
    return f"""
WITH items (cv, item_id, points, scoring, per) AS (VALUES {values}),
per_inspection AS (
  SELECT i.id, i.staff_id, i.month, i.kind AS inspection_kind, i.checklist_version_id AS cv,
         SUM(CASE WHEN {res} = 'na' THEN 0
                  WHEN t.scoring = 0 THEN CASE WHEN {res} = 'pass' THEN t.points ELSE 0 END
                  WHEN t.scoring = 1 THEN {greatest}(0, t.points - {cnt} * t.per)
                  ELSE {pts} END) AS awarded,
         SUM(CASE WHEN {res} = 'na' THEN 0 ELSE t.points END) AS applicable
  FROM inspections i
  JOIN answers a ON a.inspection_id = i.id
  JOIN items t ON t.cv = i.checklist_version_id AND t.item_id = a.item_id
  WHERE i.month IN (:month, :prev) AND i.subject_type = 'staff' AND i.status = 'submitted'
  GROUP BY i.id, i.staff_id, i.month, i.kind, i.checklist_version_id
)
SELECT p.staff_id, p.month, p.inspection_kind, v.checklist_id, v.kind, COUNT(*) AS n,
       SUM(CASE WHEN p.applicable > 0 THEN {micro} END) AS micro_sum,
       COUNT(CASE WHEN p.applicable > 0 THEN 1 END) AS n_percent
FROM per_inspection p JOIN checklist_versions v ON v.id = p.cv
GROUP BY p.staff_id, p.month, p.inspection_kind, v.checklist_id, v.kind
"""


def p90(xs: list[float]) -> float:
    return sorted(xs)[int(0.9 * (len(xs) - 1))]


def compare(a: list[ScorecardRow], b: list[ScorecardRow]) -> tuple[bool, str]:
    if [r.subject_id for r in a] != [r.subject_id for r in b]:
        return False, f"different subjects or order ({len(a)} vs {len(b)} rows)"
    worst = Decimal(0)
    tol = Decimal("1e-6")
    for x, y in zip(a, b, strict=True):
        for name in ("rank", "grade", "inspections", "self_checks"):
            if getattr(x, name) != getattr(y, name):
                return False, f"subject {x.subject_id}: {name} {getattr(x, name)!r} != {getattr(y, name)!r}"
        for name in ("score", "delta", "self_mean", "self_gap"):
            u, v = getattr(x, name), getattr(y, name)
            if (u is None) != (v is None):
                return False, f"subject {x.subject_id}: {name} {u!r} vs {v!r}"
            if u is not None:
                diff = abs(u - v)
                worst = max(worst, diff)
                if diff > tol:
                    return False, f"subject {x.subject_id}: {name} {u} vs {v}"
    return True, f"{len(a):,} rows: same subjects, ranks, grades and counts; max |score difference| {float(worst):.1e}"


def measure(db: Database, world: World, label: str, runs: int) -> dict[str, Any]:
    # The generated world (millions of objects) is this benchmark's, not the app's: keep it out of the
    # cyclic GC so that collections triggered during the timed calls cost what they would in the app.
    gc.collect()
    gc.freeze()
    try:
        return _measure(db, world, label, runs)
    finally:
        gc.unfreeze()


def _measure(db: Database, world: World, label: str, runs: int) -> dict[str, Any]:
    month = world.params["month"]
    prev = previous_month(month)
    rules = scorecard_svc.rules()
    dialect = db.engine.dialect.name
    with db.read() as s:
        sql = text(raw_answers_sql(s, dialect))

    def roll_up() -> list[ScorecardRow]:
        with db.read() as s:
            return [line.row for line in scorecard_svc.scorecard(s, actor=SYSTEM, month=month, subject_type="staff")]

    split: dict[str, float] = {}

    def raw_answers() -> list[ScorecardRow]:
        t = time.perf_counter()
        with db.read() as s:
            result = s.execute(sql, {"month": month, "prev": prev}).all()
        split["sql"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        aggs = [KindAggregate(subject_type="staff", subject_id=str(staff_id), month=m, kind=kind,
                              inspection_kind=ikind, checklist_id=checklist_id, count=int(n),
                              percent_sum=Decimal(int(micro or 0)).scaleb(-6), percent_count=int(k))
                for staff_id, m, ikind, checklist_id, kind, n, micro, k in result]
        rows = monthly_scorecard_from_aggregates(aggs, rules=rules, month=month, subject_type="staff")
        split["python"] = (time.perf_counter() - t) * 1000
        return rows

    # the exact statement aggregates() sends, and its plan
    captured: list[tuple[str, Any]] = []

    def spy(_conn: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if "FROM monthly_rollup" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        rows_a = roll_up()
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    statement, parameters = captured[0]
    with db.engine.connect() as conn:
        if dialect == "sqlite":
            plan_rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plan = "; ".join(r[-1] for r in plan_rows)
        else:
            plan = "; ".join(r[0].strip() for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    rows_b = raw_answers()  # warm-up of both done
    agree, detail = compare(rows_a, rows_b)

    wall: dict[str, list[float]] = {"a": [], "b": [], "b_sql": [], "b_py": []}
    cpu: dict[str, list[float]] = {"a": [], "b": []}  # this process's CPU (SQLite runs in-process)
    for r in range(runs):
        order: list[tuple[str, Callable[[], list[ScorecardRow]]]] = [("a", roll_up), ("b", raw_answers)]
        for name, fn in order if r % 2 == 0 else reversed(order):
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append((time.perf_counter() - t) * 1000)
            cpu[name].append((time.process_time() - c) * 1000)
            if name == "b":
                wall["b_sql"].append(split["sql"])
                wall["b_py"].append(split["python"])
        log(f"{label}: run {r + 1}/{runs}: roll-up {wall['a'][-1]:.1f} ms, raw answers {wall['b'][-1]:.1f} ms")
    return {"wall": wall, "cpu": cpu, "parts": breakdown(roll_up), "plan": plan, "agree": agree, "detail": detail,
            "rows": len(rows_a), "ranked": sum(1 for r in rows_a if r.rank), "aggs": aggregate_rows(db, month, prev)}


def aggregate_rows(db: Database, month: str, prev: str) -> int:
    with db.read() as s:
        return len(scorecard_svc.aggregates(s, months=[month, prev], subject_type="staff",
                                            site_ids=list(s.scalars(select(Site.id)))))


def breakdown(roll_up: Callable[[], list[ScorecardRow]], runs: int = 3) -> dict[str, tuple[float, float]]:
    """Where scorecard()'s time goes: its two callees timed in place, the rest by difference (p50 wall, cpu)."""
    spent: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[name][0] += (time.perf_counter() - t) * 1000
                spent[name][1] += (time.process_time() - c) * 1000
        return wrapper

    names = ("aggregates", "monthly_scorecard_from_aggregates")
    originals = {n: getattr(scorecard_svc, n) for n in names}
    out: dict[str, list[tuple[float, float]]] = {n: [] for n in (*names, "rest", "total")}
    try:
        for n in names:
            setattr(scorecard_svc, n, timed(n, originals[n]))
        for _ in range(runs):
            spent.update({n: [0.0, 0.0] for n in names})
            t, c = time.perf_counter(), time.process_time()
            roll_up()
            total = ((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)
            out["total"].append(total)
            for n in names:
                out[n].append((spent[n][0], spent[n][1]))
            out["rest"].append((total[0] - sum(spent[n][0] for n in names), total[1] - sum(spent[n][1] for n in names)))
    finally:
        for n in names:
            setattr(scorecard_svc, n, originals[n])
    return {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in out.items()}


# ------------------------------------------------------------------------------------ reporting


def gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


def report(label: str, world: World, where: str, load: dict[str, float] | str, disk: str,
           m: dict[str, Any], target: bool) -> tuple[bool, bool]:
    """Print one database's figures; returns (results agree, targets met)."""
    month = world.params["month"]
    prev = previous_month(month)
    n = len(world.inspections)
    own = sum(1 for r in world.inspections if r[6] == "self_check")
    sup_m, own_m = world.month_count(month)
    sup_p, own_p = world.month_count(prev)
    wall, cpu, parts = m["wall"], m["cpu"], m["parts"]
    a50, b50 = statistics.median(wall["a"]), statistics.median(wall["b"])
    ratio = b50 / a50
    print(f"== {label}: {where}")
    print(f"data: {n:,} inspections ({n - own:,} supervisor + {own:,} self-checks) of a {world.checklist.possible}-point "
          f"{len(world.checklist.items)}-item checklist; {50 * n:,} answer rows; {5 * n:,} section rows; "
          f"{len(world.rollup):,} roll-up rows; {len(world.sites)} sites, {len(world.staff):,} staff, "
          f"{len(world.months)} months")
    if isinstance(load, str):
        print(f"load: {load}; disk {disk}")
    else:
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in load.items())
        print(f"load: {sum(load.values()):.1f} s ({steps}); disk {disk}")
    print(f"month {month}: {sup_m + own_m:,} inspections ({own_m:,} self-checks); with {prev} for the delta "
          f"{sup_m + own_m + sup_p + own_p:,} inspections, {50 * (sup_m + own_m + sup_p + own_p):,} answers; "
          f"scorecard {m['rows']:,} staff rows ({m['ranked']:,} ranked)")
    uses = "ix_monthly_rollup_month" in m["plan"]
    print(f"roll-up read plan ({'uses' if uses else 'does NOT use'} ix_monthly_rollup_month): {m['plan']}")
    cpu_note = "process CPU" if label.startswith("SQLite") else "client CPU"
    print(f"(a) roll-up: scorecard(month, staff)   : p50 {a50:9.1f} ms   p90 {p90(wall['a']):9.1f} ms   "
          f"({cpu_note} p50 {statistics.median(cpu['a']):.1f} ms)"
          + (f"   target p50 <= {TARGET_P50_MS:.0f} ms: {'PASS' if a50 <= TARGET_P50_MS else 'FAIL'}" if target else ""))
    print("    inside scorecard() (p50 of 3 instrumented runs, wall / CPU ms): "
          + "; ".join(f"{name} {parts[key][0]:.1f} / {parts[key][1]:.1f}" for name, key in (
              (f"aggregates() [{m['aggs']:,} roll-up rows]", "aggregates"),
              ("monthly_scorecard_from_aggregates", "monthly_scorecard_from_aggregates"),
              ("rest (sites, open actions, staff names)", "rest"))))
    print(f"(b) baseline: aggregate the raw answers: p50 {b50:9.1f} ms   p90 {p90(wall['b']):9.1f} ms   "
          f"({cpu_note} p50 {statistics.median(cpu['b']):.1f} ms; SQL {statistics.median(wall['b_sql']):.1f} ms + "
          f"monthly_scorecard_from_aggregates {statistics.median(wall['b_py']):.1f} ms)")
    ok_ratio = ratio >= TARGET_RATIO
    print(f"ratio (b)/(a) p50: {ratio:.1f}x faster" + (f"   (target >= {TARGET_RATIO:.0f}x: "
                                                      f"{'PASS' if ok_ratio else 'FAIL'})" if target else ""))
    print(("results agree: " if m["agree"] else "RESULTS DIFFER: ") + m["detail"])
    print(flush=True)
    return m["agree"], a50 <= TARGET_P50_MS and ok_ratio


def sqlite_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def run_sqlite(args: argparse.Namespace, world: World | None, base: Path) -> tuple[World, tuple[bool, bool]]:
    path = base / f"scorecard-{args.inspections}.db"
    meta = base / f"scorecard-{args.inspections}.json"
    params = params_of(args)
    load: dict[str, float] | str
    if args.reuse and path.exists() and meta.exists() and json.loads(meta.read_text())["params"] == params:
        info = json.loads(meta.read_text())
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in info.get("load", {}).items())
        load = f"reused {path} (built earlier in {info['load_s']:.1f} s{': ' + steps if steps else ''})"
        world = world or generate(args)
    else:
        world = world or generate(args)
        for p in base.glob(path.name + "*"):
            p.unlink()
        meta.unlink(missing_ok=True)
        load = load_sqlite(world, path)
        meta.write_text(json.dumps({"params": params, "load_s": sum(load.values()), "load": load}))
    db = Database(make_engine(f"sqlite:///{path}"))
    validate(db, world, random.Random(args.seed + 1))
    m = measure(db, world, "sqlite", args.runs)
    db.engine.dispose()
    ok = report(f"SQLite {sqlite3.sqlite_version}", world, str(path), load, gb(sqlite_size(path)), m,
                target=True)
    if not args.keep:
        for p in base.glob(path.name + "*"):
            p.unlink()
        meta.unlink(missing_ok=True)
    return world, ok


def params_of(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in ("inspections", "sites", "staff", "months", "month", "patterns",
                                          "self_share", "seed")}


def run_postgresql(args: argparse.Namespace, world: World | None) -> tuple[World, tuple[bool, bool]]:
    schema = args.pg_schema or f"bench_scorecard_{os.getpid()}"
    params = json.dumps({"params": params_of(args)}, sort_keys=True)
    admin = make_engine(args.pg_url)
    with admin.connect() as conn:
        row = conn.execute(text("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = :s"),
                           {"s": schema}).first()
    load: dict[str, float] | str
    if row is not None and args.reuse and row[0] and json.loads(row[0]).get("params") == params_of(args):
        info = json.loads(row[0])
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in info.get("load", {}).items())
        load = f"reused schema {schema} (built earlier in {info['load_s']:.1f} s{': ' + steps if steps else ''})"
        world = world or generate(args)
    else:
        if row is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        world = world or generate(args)
        load = load_postgresql(world, args.pg_url, schema)
        comment = json.dumps({**json.loads(params), "load_s": sum(load.values()), "load": load}).replace("'", "''")
        with admin.begin() as conn:
            conn.execute(text(f"COMMENT ON SCHEMA \"{schema}\" IS '{comment}'"))
    try:
        db = Database(pg_engine(args.pg_url, schema))
        with db.engine.connect() as conn:
            total = conn.execute(text(
                "SELECT sum(pg_total_relation_size(c.oid)), "
                "sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = 'answers') "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": schema}).one()
            version = conn.exec_driver_sql("SHOW server_version").scalar()
        validate(db, world, random.Random(args.seed + 1))
        m = measure(db, world, "postgresql", args.runs)
        db.engine.dispose()
        ok = report(f"PostgreSQL {version}", world, f"schema {schema}", load,
                    f"{gb(int(total[0]))} (answers {gb(int(total[1]))})", m, target=False)
    finally:
        if not args.keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    return world, ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inspections", type=int, default=200_000, help="submitted inspections (headline: 1000000)")
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--runs", type=int, default=7, help="timed runs of each method (after one warm-up)")
    ap.add_argument("--dir", type=Path, help="directory of the SQLite file (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the SQLite file and the PostgreSQL schema")
    ap.add_argument("--reuse", action="store_true", help="measure kept databases built with the same options")
    ap.add_argument("--pg-url", default=DEFAULT_PG)
    ap.add_argument("--pg-schema", help="schema name (default bench_scorecard_<pid>)")
    ap.add_argument("--sites", type=int, default=40)
    ap.add_argument("--staff", type=int, default=2000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--month", default="2026-06", help="the measured month (the last generated month)")
    ap.add_argument("--patterns", type=int, default=4096, help="distinct scored answer sets to draw from")
    ap.add_argument("--self-share", type=float, default=0.05, help="share of self-checks")
    ap.add_argument("--seed", type=int, default=20260601)
    ap.add_argument("--check", action="store_true", help="exit 1 unless the SQLite targets are met")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    world: World | None = None
    agree, met = True, True
    tmp: str | None = None
    if args.dir:
        base = args.dir
        base.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="pinzhi-scorecard-")
        base = Path(tmp)
    try:
        if args.db in ("sqlite", "both"):
            world, (agree_s, met) = run_sqlite(args, world, base)  # the targets are SQLite's
            agree = agree and agree_s
        if args.db in ("postgresql", "both"):
            world, (agree_p, _) = run_postgresql(args, world)
            agree = agree and agree_p
    finally:
        if tmp and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if not agree:
        return 2
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
