"""Submit transaction on SQLite: answers read, scored, snapshot + section totals + audit row written.

Times ``submit_inspection`` in its own write transaction (BEGIN IMMEDIATE ... COMMIT with
synchronous=FULL) for drafts of the 74-item Jindi standard, and, as the named baseline in the same
run, the same submit with the checklist re-parsed from its stored YAML each time (what the code
would cost without the content-hash cache). Prints p50/p90 of both and the ratio.

    .venv/bin/python benchmarks/submit.py [--n 60] [--check]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PINZHI_SIGNATURES", "optional")  # the submit transaction itself, not the close-out

from app.db.engine import Database, make_engine  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.services import auth, catalog, org  # noqa: E402
from app.services import inspections as svc  # noqa: E402
from app.services.actor import SYSTEM  # noqa: E402

CHECKLIST = "jindi-community-cs"


def answer_for(item, rnd: random.Random) -> dict:
    if item.na and rnd.random() < 0.05:
        return {"result": "na"}
    if item.scoring == "pass_fail":
        return {"result": "pass" if rnd.random() < 0.9 else "fail"}
    if item.scoring == "deduct":
        return {"count": rnd.choice([0, 0, 0, 1, 2])}
    return {"points": str(item.points)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60, help="submits per variant")
    ap.add_argument("--check", action="store_true", help="exit 1 if the p50 is over 20 ms")
    args = ap.parse_args()
    rnd = random.Random(7)
    with tempfile.TemporaryDirectory() as d:
        db = Database(make_engine(f"sqlite:///{Path(d) / 'bench.db'}"))
        upgrade(db.engine)
        with db.write() as s:
            auth.create_first_admin(s, username="admin", password="bench-admin-1")
            site = org.add_site(s, actor=SYSTEM, code="B", name="基准管理处")
            auth.create_user(s, actor=SYSTEM, username="sup", password="bench-sup-1", role="supervisor",
                             site_codes=["B"])
        with db.write() as s:
            _, actor = auth.sign_in(s, username="sup", password="bench-sup-1")
        checklist = catalog.load_catalog().checklists[CHECKLIST]
        drafts = []
        for n in range(2 * args.n):
            with db.write() as s:
                iid = svc.start_inspection(session=s, actor=actor, site_id=site.id,
                                           shift_date=date(2026, 1, 1) + timedelta(days=n), shift_name="早班",
                                           subject_type="site", checklist_id=CHECKLIST)
                for item in checklist.items:
                    value = answer_for(item, rnd)
                    if item.evidence == "required" and value.get("result") != "na":
                        value = {"result": "na"} if item.na else value
                    svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=item.id, value=value)
            drafts.append(iid)
        fast: list[float] = []
        base: list[float] = []
        skipped = 0
        for k, iid in enumerate(drafts):
            if k % 2 == 1:
                catalog._by_hash.clear()  # baseline: parse the stored YAML again
            t0 = time.perf_counter()
            try:
                with db.write() as s:
                    svc.submit_inspection(session=s, actor=actor, inspection_id=iid)
            except Exception as exc:  # e.g. an item whose evidence is required
                skipped += 1
                print("skipped:", exc)
                continue
            (base if k % 2 == 1 else fast).append((time.perf_counter() - t0) * 1000)
        db.engine.dispose()

    def p90(xs: list[float]) -> float:
        return sorted(xs)[int(0.9 * (len(xs) - 1))]

    a, b = statistics.median(fast), statistics.median(base)
    print(f"checklist {CHECKLIST}: {len(checklist.items)} items; submits: {len(fast)} + {len(base)} (skipped {skipped})")
    print(f"submit transaction (SQLite, synchronous=FULL)  : p50 {a:6.2f} ms  p90 {p90(fast):6.2f} ms  (target <= 20 ms)")
    print(f"baseline: same, YAML re-parsed on every submit  : p50 {b:6.2f} ms  p90 {p90(base):6.2f} ms")
    print(f"ratio submit/baseline (p50): {a / b:.3f}")
    return 1 if args.check and a > 20 else 0


if __name__ == "__main__":
    raise SystemExit(main())
