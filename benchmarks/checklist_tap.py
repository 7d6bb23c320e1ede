"""Tap → "saved" on a 100-item checklist: the app's inspection page versus a plain one-script page.

The checklist has 10 sections of 10 items (the Jindi standard has 10 sections, 74 items). The app
shows one section at a time with a fragment per item; the baseline draws all 100 items in one plain
script that reruns whole on every tap.

Starts two real Streamlit servers on loopback (the app, and benchmarks/plain_checklist.py as the
baseline) on one fresh SQLite database, opens both in headless Debian Chromium at tablet size and
times, inside the page, a tap on an item until that item shows its new "saved" marker. Both pages
save through the same service call. Prints both medians, p90s and the ratio app/baseline.

    .venv/bin/python benchmarks/checklist_tap.py [--taps 96] [--rounds 8] [--check]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
N_ITEMS = 100

# An item's box: the baseline keys a bordered container per item (st-key-item_...); the app's card is
# the block of the item's fragment, found from the id on the item's text (app.ui.inspection_form).
BOX_JS = """(key) => document.querySelector('.st-key-' + key)
  || (document.getElementById(key) && document.getElementById(key).closest('[data-testid=stVerticalBlock]'))"""

LABELS_JS = """(key) => { const box = (""" + BOX_JS + """)(key);
  return box ? [...box.querySelectorAll('button[role=radio]')].map(b => b.innerText.trim()) : []; }"""

MEASURE_JS = """
async ([key, label]) => {
  const box = (""" + BOX_JS + """)(key);
  const marker = () => box.querySelector('.pz-saved');
  const before = marker() ? marker().dataset.seq : null;
  const btn = [...box.querySelectorAll('button[role=radio]')].find(b => b.innerText.trim() === label);
  const t0 = performance.now();
  btn.click();
  return await new Promise((resolve, reject) => {
    const done = () => { const m = marker(); return m && m.dataset.seq !== before; };
    const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(performance.now() - t0); } });
    obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    setTimeout(() => { obs.disconnect(); reject(new Error('no saved marker for ' + key)); }, 15000);
  });
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SECTIONS = 10  # like the Jindi standard (10 sections, 74 items); the app shows one section at a time


def checklist_doc() -> dict:
    per = N_ITEMS // SECTIONS
    sections = []
    for s in range(SECTIONS):
        items = [{"id": f"b.i{n:03d}", "text": f"第 {n} 项：前台台面整洁，物品摆放整齐，无杂物（基准测试项）",
                  "points": 1, "source": "benchmark"} for n in range(s * per + 1, (s + 1) * per + 1)]
        sections.append({"id": f"s{s}", "title": f"第 {s + 1} 部分", "points": per, "items": items})
    return {"id": "bench-100", "version": "1", "title": "基准测试 100 项", "kind": "workflow", "subject": "site",
            "sections": sections}


def setup(tmp: Path) -> tuple[dict[str, str], str, int, int]:
    cl = tmp / "checklists"
    cl.mkdir()
    (cl / "bench.yaml").write_text(yaml.safe_dump(checklist_doc(), allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PINZHI_DATA_DIR": str(tmp / "data"), "PINZHI_CHECKLISTS": str(cl)}
    os.environ.update({k: env[k] for k in ("PINZHI_DATA_DIR", "PINZHI_CHECKLISTS")})
    from app.config import database_url
    from app.db.engine import Database, make_engine
    from app.db.migrate import upgrade
    from app.services import auth, org
    from app.services import inspections as svc
    from app.services.actor import SYSTEM

    engine = make_engine(database_url())
    upgrade(engine)
    db = Database(engine)
    with db.write() as s:
        auth.create_first_admin(s, username="admin", password="bench-admin-1")
        site = org.add_site(s, actor=SYSTEM, code="B", name="基准管理处")
        auth.create_user(s, actor=SYSTEM, username="sup", password="bench-sup-1", role="supervisor", site_codes=["B"])
    with db.write() as s:
        token, actor = auth.sign_in(s, username="sup", password="bench-sup-1")
        ids = [svc.start_inspection(session=s, actor=actor, site_id=site.id, shift_date=date(2026, 11, d),
                                    shift_name="早班", subject_type="site", checklist_id="bench-100") for d in (1, 2)]
    engine.dispose()
    return env, token, ids[0], ids[1]


def start_server(script: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.headless", "true",
           "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    import urllib.request

    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return proc
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError(f"server {script} did not start; see {log}")


def measure(page, url: str, taps: int, item_numbers: list[int]) -> list[float]:
    page.goto(url)
    page.wait_for_function(BOX_JS, arg=f"item_b__i{item_numbers[-1]:03d}", timeout=60000)
    time.sleep(1.0)
    out = []
    for n in range(taps + 3):
        key = f"item_b__i{item_numbers[(n * 7) % len(item_numbers)]:03d}"
        label = ["合格", "pass"] if n % 2 == 0 else ["不合格", "fail"]
        texts = page.evaluate(LABELS_JS, key)
        if not texts:
            raise RuntimeError(f"{key} not on the page")
        lab = label[0] if label[0] in texts else label[1]
        ms = page.evaluate(MEASURE_JS, [key, lab])
        if n >= 3:  # warm-up taps
            out.append(ms)
        time.sleep(0.15)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--taps", type=int, default=96, help="taps per page in all")
    ap.add_argument("--rounds", type=int, default=8, help="alternating app/baseline rounds (damps machine noise)")
    ap.add_argument("--check", action="store_true", help="exit 1 if ratio > 0.35 or app p50 > 150 ms")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        env, token, app_iid, base_iid = setup(tmp)
        p_app, p_base = free_port(), free_port()
        servers = [start_server("app/server.py", p_app, env, tmp / "app.log"),
                   start_server("benchmarks/plain_checklist.py", p_base, env, tmp / "base.log")]
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                ctx = browser.new_context(viewport={"width": 820, "height": 1180})
                # the session cookie, as POST /auth/login sets it (cookies ignore ports: both servers see it)
                ctx.add_cookies([{"name": "pinzhi_session", "value": token, "domain": "127.0.0.1", "path": "/",
                                  "httpOnly": True, "sameSite": "Lax"}])
                page = ctx.new_page()
                app_ms: list[float] = []
                base_ms: list[float] = []
                # interleave rounds so machine noise hits both alike; the app is tapped on two of its
                # sections (it shows one section of 10 at a time), the baseline anywhere in its 100
                per = N_ITEMS // SECTIONS
                rounds = args.rounds
                for r in range(rounds):
                    sec = (r * 3) % SECTIONS
                    app_ms += measure(page, f"http://127.0.0.1:{p_app}/?insp={app_iid}&step=items"
                                      f"&sec={sec}", args.taps // rounds, list(range(sec * per + 1, (sec + 1) * per + 1)))
                    base_ms += measure(page, f"http://127.0.0.1:{p_base}/?insp={base_iid}",
                                       args.taps // rounds, list(range(1, N_ITEMS + 1)))
                browser.close()
        finally:
            for s in servers:
                s.terminate()
                s.wait(10)

    def p90(xs: list[float]) -> float:
        return sorted(xs)[int(0.9 * (len(xs) - 1))]

    a, b = statistics.median(app_ms), statistics.median(base_ms)
    ratio = a / b
    print(f"checklist: {N_ITEMS} items in {SECTIONS} sections; app shows one section, baseline all; taps measured: app {len(app_ms)}, baseline {len(base_ms)}")
    print(f"app page (fragment per item)        : p50 {a:7.1f} ms   p90 {p90(app_ms):7.1f} ms")
    print(f"baseline (plain script, full rerun) : p50 {b:7.1f} ms   p90 {p90(base_ms):7.1f} ms")
    print(f"ratio app/baseline (p50)            : {ratio:.3f}   (target <= 0.35; app p50 target <= 150 ms)")
    if args.check and (ratio > 0.35 or a > 150):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
