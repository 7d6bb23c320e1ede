"""A believable demo company for an empty database: sites, staff, accounts and months of inspections.

Everything goes through the services (auth, org, inspections), so the demo data is exactly what the
app itself would have stored. Scores come from a small latent-quality model: every staff member and
every site has a pass probability that drifts month to month; self-checks are rosier than what the
supervisor sees. The randomness is seeded (the same ``seed`` and ``today`` give the same company);
only the demo password is random (``secrets``), unless one is given.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from app.db.engine import Database
from app.db.models import Inspection, Site, Staff, User
from app.services import auth, catalog, inspections, org
from app.services.actor import Actor
from app.services.errors import Conflict
from scoring import Checklist, evaluate
from scoring.model import Item

TZ = ZoneInfo("Asia/Shanghai")

# ----------------------------------------------------------------------------- the company
SITES: tuple[tuple[str, str, str], ...] = (
    ("JD-GL", "金地格林小城管理处", "residential"),
    ("JD-XH", "金地香蜜湖管理处", "residential"),
    ("JD-MF", "金地名峰营销中心案场", "sales_office"),
)

# code, name, gender (F/M, for the gender-specific appearance items), post, site, responsible
STAFF: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("S001", "陈静", "F", "前台接待", "JD-GL", False),
    ("S002", "刘芳", "F", "前台接待", "JD-GL", False),
    ("S003", "张伟", "M", "管家", "JD-GL", False),
    ("S004", "王磊", "M", "管家", "JD-GL", False),
    ("S005", "李婷", "F", "客服助理", "JD-GL", False),
    ("S006", "赵敏", "F", "管家", "JD-GL", False),
    ("S007", "黄晓燕", "F", "客服助理", "JD-GL", False),
    ("S008", "周雪梅", "F", "客服主管", "JD-GL", True),
    ("S009", "吴佳怡", "F", "前台接待", "JD-XH", False),
    ("S010", "徐浩", "M", "管家", "JD-XH", False),
    ("S011", "孙丽娟", "F", "客服助理", "JD-XH", False),
    ("S012", "马俊杰", "M", "管家", "JD-XH", False),
    ("S013", "朱慧", "F", "前台接待", "JD-XH", False),
    ("S014", "胡海燕", "F", "管家", "JD-XH", False),
    ("S015", "郭志强", "M", "客服主管", "JD-XH", True),
    ("S016", "林晓彤", "F", "前台接待", "JD-MF", False),
    ("S017", "何雨欣", "F", "前台接待", "JD-MF", False),
    ("S018", "高梦琪", "F", "客服助理", "JD-MF", False),
    ("S019", "罗子涵", "F", "客服助理", "JD-MF", False),
    ("S020", "梁文静", "F", "客服主管", "JD-MF", True),
)

# username, role, display name, sites, staff code (the admin is created first, separately)
ACCOUNTS: tuple[tuple[str, str, str, tuple[str, ...], str | None], ...] = (
    ("manager", "manager", "邓建国（区域经理）", ("JD-GL", "JD-XH", "JD-MF"), None),
    ("sup1", "supervisor", "谢晓东（品质主管）", ("JD-GL", "JD-XH"), None),
    ("sup2", "supervisor", "蔡婉清（品质主管）", ("JD-MF", "JD-XH"), None),
    ("staff01", "staff", "陈静", (), "S001"),
    ("staff02", "staff", "吴佳怡", (), "S009"),
    ("staff03", "staff", "林晓彤", (), "S016"),
)

STAFF_CHECKLISTS = ("appearance-etiquette",)
SITE_CHECKLISTS = {
    "residential": ("jindi-community-cs", "frontdesk-workflow", "office-safety", "training-records"),
    "sales_office": ("jindi-salesoffice-cs", "office-safety", "training-records"),
}

# when in the shift the inspection was finished: (first minute, last minute) after midnight
SHIFT_WINDOWS = {"早班": (8 * 60 + 40, 11 * 60 + 50), "中班": (15 * 60, 20 * 60 + 30), "夜班": (22 * 60 + 10, 23 * 60 + 40)}

# short notes a supervisor writes on a failed item: by item id, then by the item's first id part
NOTES_BY_ITEM: dict[str, tuple[str, ...]] = {
    "grooming.hair": ("长发未盘起", "刘海过眉，已提醒修剪"),
    "grooming.face": ("精神状态欠佳", "未化淡妆"),
    "grooming.hands": ("佩戴手链", "指甲过长", "涂了指甲油"),
    "grooming.uniform": ("工牌未佩戴", "工装有褶皱，工牌佩戴不端正", "工作卡未佩戴在左胸上方"),
    "grooming.sleeves": ("衣袖卷起", "衬衣下摆未扎进裤内"),
    "grooming.shoes": ("皮鞋表面不洁", "鞋子破损未修补"),
    "grooming.heels": ("未穿黑色皮鞋",),
    "grooming.socks": ("袜子有破洞",),
    "deportment.standing": ("站姿不规范，倚靠前台", "双手插兜", "站立时双腿抖动"),
    "deportment.walking": ("走动时东张西望",),
    "deportment.sitting": ("坐姿不端正，跷二郎腿",),
    "conduct.on_duty": ("当班期间玩手机", "当班期间吃东西"),
    "conduct.gestures": ("在业主面前整理衣物",),
    "image.badge": ("工牌佩戴不端正", "未系丝巾"),
    "image.posture": ("站立时倚靠柜台",),
    "reception.record": ("来访登记表漏填事由", "来访记录未填写离开时间"),
    "complaints.register": ("投诉登记缺少联系电话",),
    "complaints.follow_up": ("投诉处理后未回访", "回访记录不完整"),
    "repairs.work_order": ("维修单未与业户核对签字",),
    "repairs.follow_up_24h": ("维修完成后超过24小时未回访",),
    "archives.contents": ("业户档案缺少二次装修资料",),
    "archives.stamp": ("存档资料未盖专用章",),
    "patrol.follow_up": ("巡查问题未跟进闭环",),
    "patrol.facilities": ("消防通道有杂物未及时上报",),
    "office.no_dead_corners": ("办公区角落有杂物", "前台抽屉凌乱"),
    "greeting.door_6m": ("客户到达未及时开门问好",),
    "greeting.farewell": ("客户离开时未送别",),
    "environment.hall": ("洽谈区水杯未及时收走", "接待台资料摆放凌乱"),
    "discipline.on_duty": ("当班期间玩手机",),
    "dress.ironed": ("工装未熨烫",),
    "dress.badge_left": ("工牌未佩戴在左胸",),
    "complaints.no_concealment": ("有一单投诉未登记、未上报，已要求补录",),
    "archives.confidential": ("业户资料放在前台桌面，未锁柜保管",),
    "archive.confidential": ("业户资料外借未登记审批",),
    "archive.locked": ("档案柜下班后未上锁",),
    "archive.cabinet": ("档案未按一户一档排列",),
    "grooming.shirt": ("衬衫领口有污渍",),
    "grooming.tie": ("领带歪斜松弛",),
    "deportment.arms": ("与业主交谈时双手抱胸",),
    "deportment.greeting": ("遇同事未点头问好",),
    "office.power_off": ("下班后空调、电脑未关闭",),
    "office.visitors": ("外来人员进入办公室未询问来意",),
    "fire.extinguisher": ("灭火器压力不足，已报工程部更换",),
    "fire.exits": ("疏散通道堆放纸箱",),
    "visitors.courtesy": ("客户到前台时未起身问好",),
    "training.attendance": ("培训签到表缺2人签到",),
    "training.records": ("培训教材未存档",),
    "admin.by_28th": ("培训资料未在28日前整理齐全",),
    "admin.sign_in": ("签到表缺签",),
    "care.survey": ("社区活动未做满意度调查",),
}
NOTES_BY_PREFIX: dict[str, tuple[str, ...]] = {
    "grooming": ("仪表不符合要求，已当面提醒",),
    "deportment": ("仪态不规范，已当面纠正",),
    "salesoffice": ("接待礼仪不到位，已当面提醒", "未使用标准服务用语"),
    "courtesy": ("未使用标准服务用语",),
    "image": ("形象不符合要求，已当面提醒",),
    "dress": ("着装不规范，已提醒",),
    "training": ("培训签到表缺签", "培训记录未归档"),
    "records": ("培训签到表缺签", "培训记录未归档"),
    "copier": ("复印机故障未及时报修",),
    "archive": ("档案柜未上锁",),
    "conduct": ("当班纪律松散，已提醒",),
    "discipline": ("当班纪律松散，已提醒",),
    "greeting": ("接待问候不到位，已当面提醒",),
    "notices": ("通知发放缺少签收记录",),
    "visitors": ("来访登记不完整",),
    "phone": ("电话留言记录不完整",),
    "complaints": ("投诉记录不完整，已要求补齐",),
    "repairs": ("报修记录不完整，已要求补齐",),
    "pickup": ("领取登记表未签字确认",),
    "assist": ("办理结果未及时回复",),
    "tasks": ("交办任务未按时回复",),
    "admin": ("培训资料整理不及时",),
    "office": ("办公室卫生安全有疏漏，已提醒",),
    "fire": ("消防器材检查记录未填写",),
    "services": ("手续记录表格填写不全",),
    "patrol": ("巡查记录不完整",),
    "care": ("社区活动记录不全",),
    "business": ("业务办理记录不完整",),
    "reception": ("来访记录不完整",),
    "archives": ("档案资料不齐全",),
    "environment": ("接待区物品摆放凌乱",),
}
GENERIC_NOTES = ("现场发现问题，已当面提醒", "已要求当班整改", "记录不完整，已要求补齐", "已提醒，下次复查")
SELF_NOTES = ("已自行整改", "已整理好", "下次注意")


@dataclass(frozen=True)
class DemoSummary:
    accounts: tuple[tuple[str, str], ...]  # (username, role)
    password: str
    sites: int
    staff: int
    users: int
    inspections: int
    supervisor_inspections: int
    self_checks: int
    answers: int
    critical_failures: int
    months: tuple[str, ...]
    checklists: tuple[str, ...] = field(default=())


def database_is_empty(session: Session) -> bool:
    """True when there is no user and no site (the demo goes only into such a database)."""
    return not session.scalar(select(exists().where(User.id.isnot(None)))) and not session.scalar(
        select(exists().where(Site.id.isnot(None)))
    )


def today_shanghai() -> date:
    return datetime.now(TZ).date()


# ----------------------------------------------------------------------------- the plan
@dataclass
class _Planned:
    when: datetime  # local (Asia/Shanghai) time the inspection was submitted
    shift_name: str
    inspector: str  # username
    kind: str  # supervisor | self_check
    checklist_id: str
    site_code: str
    staff_code: str | None
    quality: float  # pass probability of one item
    gender: str = "F"
    critical_fail: bool = False


def _month_starts(today: date, months: int) -> list[date]:
    out = []
    y, m = today.year, today.month
    for _ in range(months):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _month_end(start: date) -> date:
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _spread_days(rng: random.Random, first: date, last: date, n: int) -> list[date]:
    """``n`` days from ``first`` to ``last``, one in each of ``n`` equal parts of the range (repeats allowed)."""
    span = (last - first).days + 1
    days = []
    for i in range(n):
        lo = i * span // n
        hi = max(lo, (i + 1) * span // n - 1)
        days.append(first + timedelta(days=rng.randint(lo, hi)))
    return days


def _clip(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


class _Planner:
    def __init__(self, rng: random.Random, cutoff: datetime):
        self.rng = rng
        self.cutoff = cutoff  # nothing after this (local time)

    def when(self, day: date, shift_weights: tuple[float, float, float]) -> tuple[datetime, str]:
        rng = self.rng
        name = rng.choices(("早班", "中班", "夜班"), weights=shift_weights)[0]
        lo, hi = SHIFT_WINDOWS[name]
        at = datetime.combine(day, time(0), TZ) + timedelta(minutes=rng.randint(lo, hi))
        if at > self.cutoff:  # today's shift that has not happened yet: the morning one did
            name = "早班"
            lo, hi = SHIFT_WINDOWS[name]
            at = datetime.combine(day, time(0), TZ) + timedelta(minutes=rng.randint(lo, hi))
            if at > self.cutoff:
                at = max(datetime.combine(day, time(0), TZ), self.cutoff - timedelta(minutes=rng.randint(5, 40)))
        return at, name


def _drift(rng: random.Random, base: float, months: int, lo: float = 0.72, hi: float = 0.995) -> list[float]:
    """Monthly pass probability: a random walk around ``base`` with a slight trend."""
    trend = rng.choice((-0.012, 0.0, 0.0, 0.01, 0.02))
    out, q = [], base
    for _ in range(months):
        out.append(_clip(q, lo, hi))
        q = q + trend + rng.gauss(0, 0.018)
    return out


def _plan(rng: random.Random, planner: _Planner, month_starts: list[date], available: set[str],
          per_month: int | None = None) -> list[_Planned]:
    last_day = planner.cutoff.date()
    site_kind = {code: kind for code, _, kind in SITES}
    supervisors = {code: [u for u, role, _, sites, _ in ACCOUNTS if role == "supervisor" and code in sites]
                   for code, _, _ in SITES}
    strictness = {"sup1": -0.012, "sup2": 0.0}
    accounts_of = {staff: u for u, role, _, _, staff in ACCOUNTS if role == "staff" and staff}
    nmonths = len(month_starts)
    plan: list[_Planned] = []

    def how_many(lo: int, hi: int) -> int:
        return per_month if per_month is not None else rng.randint(lo, hi)

    def month_range(start: date) -> tuple[date, date] | None:
        end = min(_month_end(start), last_day)
        return (start, end) if end >= start else None

    # sites: one latent level per site, and per checklist a small offset
    for code, _, kind in SITES:
        level = _drift(rng, rng.uniform(0.84, 0.95), nmonths)
        for cid in SITE_CHECKLISTS[kind]:
            if cid not in available:
                continue
            offset = rng.uniform(-0.04, 0.03)
            for mi, start in enumerate(month_starts):
                rng_days = month_range(start)
                if rng_days is None:
                    continue
                for day in _spread_days(rng, *rng_days, how_many(2, 3)):
                    at, shift = planner.when(day, (0.7, 0.3, 0.0))
                    sup = rng.choice(supervisors[code])
                    q = _clip(level[mi] + offset + strictness.get(sup, 0) + rng.gauss(0, 0.02), 0.6, 0.995)
                    plan.append(_Planned(at, shift, sup, "supervisor", cid, code, None, q))
    # staff: appearance inspections by a supervisor, self-checks by the staff members with accounts
    for code, _, gender, post, site, _resp in STAFF:
        base = rng.uniform(0.78, 0.97) if post != "客服主管" else rng.uniform(0.90, 0.98)
        level = _drift(rng, base, nmonths)
        optimism = rng.uniform(0.06, 0.11)
        weights = (0.55, 0.35, 0.10) if site_kind[site] == "residential" else (0.6, 0.4, 0.0)
        for cid in STAFF_CHECKLISTS:
            if cid not in available:
                continue
            for mi, start in enumerate(month_starts):
                rng_days = month_range(start)
                if rng_days is None:
                    continue
                for day in _spread_days(rng, *rng_days, how_many(2, 4)):
                    at, shift = planner.when(day, weights)
                    sup = rng.choice(supervisors[site])
                    q = _clip(level[mi] + strictness.get(sup, 0) + rng.gauss(0, 0.025), 0.6, 0.995)
                    plan.append(_Planned(at, shift, sup, "supervisor", cid, site, code, q, gender))
                user = accounts_of.get(code)
                if user is None:
                    continue
                for day in _spread_days(rng, *rng_days, how_many(3, 5)):
                    at, shift = planner.when(day, weights)
                    at = at - timedelta(minutes=rng.randint(0, 30))  # start-of-shift self-check
                    q = _clip(level[mi] + optimism + rng.gauss(0, 0.015), 0.85, 0.998)
                    plan.append(_Planned(at, shift, user, "self_check", cid, site, code, q, gender))
    plan.sort(key=lambda p: (p.when, p.site_code, p.checklist_id, p.staff_code or ""))
    return plan


# ----------------------------------------------------------------------------- answers
def _num(x: Any) -> int | float:
    return int(x) if x == int(x) else float(x)


def _na_for_appearance(item: Item, p: _Planned, site_kind: str, customers_seen: bool, rng: random.Random) -> bool:
    iid = item.id
    male = p.gender == "M"
    if iid.startswith("salesoffice."):
        if site_kind != "sales_office":
            return True
        return not customers_seen and iid in ("salesoffice.door_6m", "salesoffice.farewell",
                                              "salesoffice.distance", "salesoffice.names")
    rules = {
        "grooming.belt": (not male and rng.random() < 0.85),
        "grooming.heels": male,
        "grooming.socks": male,
        "grooming.beard": not male,
        "grooming.makeup": male,
        "grooming.tie": not male,
        "deportment.sitting_side": rng.random() < 0.5,
        "deportment.handshake": rng.random() < 0.6,
        "deportment.handshake_order": rng.random() < 0.6,
        "deportment.interrupt": rng.random() < 0.7,
    }
    return rules.get(iid, rng.random() < 0.1)


def _answer(item: Item, q: float, rng: random.Random, *, fail: bool | None = None) -> dict[str, Any]:
    failed = (rng.random() > q) if fail is None else fail
    if item.scoring == "pass_fail":
        return {"result": "fail" if failed else "pass"}
    if item.scoring == "deduct" and item.rules:
        if not failed:
            return {"counts": {}}
        per = [r for r in item.rules if r.per is not None]
        rule = rng.choice(per) if per and rng.random() < 0.9 else rng.choice(item.rules)
        return {"counts": {rule.id: 1 if rule.per is None else rng.choices((1, 2), weights=(80, 20))[0]}}
    if item.scoring == "deduct":
        return {"count": rng.choices((1, 2, 3), weights=(70, 22, 8))[0] if failed else 0}
    if item.scoring == "sample":
        checked = max(item.min_sample, 10)
        return {"checked": checked, "failed": rng.choice((1, 1, 2)) if failed else 0}
    if item.scoring == "bonus":  # praise now and then, whatever the quality
        return {"count": 1 if rng.random() < 0.15 else 0}
    if item.scoring == "penalty":  # rarer than a failed item
        return {"count": 1 if (fail if fail is not None else rng.random() > (1 + q) / 2) else 0}
    points: Decimal = item.points
    if failed:
        points = max(points - item.step * rng.choices((1, 2), weights=(75, 25))[0], Decimal(0))
    return {"points": _num(points)}


def _note(item: Item, rng: random.Random, self_check: bool) -> str:
    if self_check:
        return rng.choice(SELF_NOTES)
    options = NOTES_BY_ITEM.get(item.id) or NOTES_BY_PREFIX.get(item.id.split(".")[0]) or GENERIC_NOTES
    return rng.choice(options)


def _answers_for(checklist: Checklist, p: _Planned, site_kind: str, na_rate: dict[tuple[str, str], float],
                 rng: random.Random) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    answers: dict[str, dict[str, Any]] = {}
    notes: dict[str, str] = {}
    customers_seen = rng.random() < 0.85
    critical_items = [i.id for i in checklist.items if i.critical == "checklist"]  # red lines
    forced = rng.choice(critical_items) if p.critical_fail and critical_items else None
    note_rate = 0.12 if p.kind == "self_check" else 0.4
    for item in checklist.items:
        if item.na and item.id != forced:  # a planned red-line failure is never N/A
            if p.staff_code is not None:
                na = _na_for_appearance(item, p, site_kind, customers_seen, rng)
            else:
                na = rng.random() < na_rate.setdefault((p.site_code, item.id), rng.choice((0.85, 0.1, 0.1, 0.05)))
            if na:
                answers[item.id] = {"result": "na"}
                continue
        if item.critical != "none":  # rare: only the planned critical failures
            value = _answer(item, 1.0, rng, fail=item.id == forced)
        else:
            value = _answer(item, p.quality, rng)
        answers[item.id] = value
        failed = evaluate(item, value).failed
        if failed and (item.id == forced or rng.random() < note_rate):
            notes[item.id] = _note(item, rng, p.kind == "self_check")
    return answers, notes


# ----------------------------------------------------------------------------- seeding
def seed_demo(db: Database, *, today: date | None = None, seed: int = 20261123, password: str | None = None,
              months: int = 3, per_month: int | None = None) -> DemoSummary:
    """Fill an EMPTY database with the demo company and ``months`` months of submitted inspections.

    Per month, each site gets 2–3 supervisor inspections of each of its checklists, each staff member
    2–4 appearance inspections and each staff member with an account 3–5 self-checks; ``per_month``
    replaces those ranges by one fixed number (small, fast demos for tests). The password is random
    (``secrets``) unless given; every demo account shares it. Raises :class:`Conflict` when the
    database already has a user or a site.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    if per_month is not None and per_month < 1:
        raise ValueError("per_month must be at least 1")
    rng = random.Random(seed)
    password = password if password is not None else "pz-" + secrets.token_urlsafe(6)
    now_local = datetime.now(TZ)
    today = today or now_local.date()
    cutoff = min(now_local, datetime.combine(today, time(23, 59), TZ))  # nothing in the future

    # --- organisation and accounts (one transaction)
    with db.write() as s:
        if not database_is_empty(s):
            raise Conflict("demo.not_empty")
        admin = auth.actor_for(s, auth.create_first_admin(s, username="admin", password=password,
                                                          display_name="系统管理员"))
        for code, name, kind in SITES:
            org.add_site(s, actor=admin, code=code, name=name, kind=kind)
        for code, name, _g, post, site, responsible in STAFF:
            org.add_staff(s, actor=admin, code=code, name=name, post=post, site_code=site, responsible=responsible)
        actors: dict[str, Actor] = {"admin": admin}
        for username, role, display, sites, staff_code in ACCOUNTS:
            user = auth.create_user(s, actor=admin, username=username, password=password, role=role,
                                    display_name=display, site_codes=list(sites), staff_code=staff_code)
            actors[username] = auth.actor_for(s, user)
        site_ids = {code: id_ for code, id_ in s.execute(select(Site.code, Site.id))}
        staff_ids = {code: id_ for code, id_ in s.execute(select(Staff.code, Staff.id))}
        entries = {e.checklist.id: e for e in catalog.list_entries(s, only_in_force=True)}

    # --- which checklists exist (a missing one is skipped)
    wanted = set(STAFF_CHECKLISTS) | {c for cids in SITE_CHECKLISTS.values() for c in cids}
    available = {cid for cid in wanted if cid in entries
                 and entries[cid].checklist.subject == ("staff" if cid in STAFF_CHECKLISTS else "site")}
    self_ok = {cid for cid in available if entries[cid].checklist.self_check}
    month_starts = _month_starts(today, months)
    plan = [p for p in _plan(rng, _Planner(rng, cutoff), month_starts, available, per_month)
            if p.kind == "supervisor" or p.checklist_id in self_ok]

    # a few (well under 2 %) critical failures, on supervisor site inspections whose checklist has critical items
    critical_ok = [p for p in plan if p.kind == "supervisor" and p.staff_code is None
                   and any(i.critical == "checklist" for i in entries[p.checklist_id].checklist.items)]
    n_critical = min(len(critical_ok), max(1, len(plan) // 150)) if len(plan) >= 50 else 0
    for p in rng.sample(critical_ok, n_critical):
        p.critical_fail = True

    # --- the inspections: one write transaction each
    site_kind = {code: kind for code, _, kind in SITES}
    na_rate: dict[tuple[str, str], float] = {}
    n_answers = n_super = n_self = n_crit = 0
    for p in plan:
        actor = actors[p.inspector]
        checklist = entries[p.checklist_id].checklist
        answers, notes = _answers_for(checklist, p, site_kind[p.site_code], na_rate, rng)
        submitted = p.when.astimezone(UTC)
        started = submitted - timedelta(minutes=rng.randint(6, 25) if p.kind == "self_check" else rng.randint(12, 45))
        with db.write() as s:
            iid = inspections.start_inspection(
                session=s, actor=actor, site_id=site_ids[p.site_code], shift_date=p.when.date(),
                shift_name=p.shift_name, subject_type="staff" if p.staff_code else "site",
                checklist_id=p.checklist_id, staff_id=staff_ids[p.staff_code] if p.staff_code else None,
                kind=p.kind,
            )
            # Each answer only touches the draft's updated_at: no need to flush that after every answer.
            with s.no_autoflush:
                for item_id, value in answers.items():
                    inspections.save_answer(session=s, actor=actor, inspection_id=iid, item_id=item_id,
                                            value=value)
                for item_id, note in notes.items():
                    inspections.save_note(session=s, actor=actor, inspection_id=iid, item_id=item_id, note=note)
            inspections.submit_inspection(session=s, actor=actor, inspection_id=iid,
                                          evidence_waiver="演示数据，无照片 / demo data, no photo",
                                          signature_waiver="演示数据，无签字 / demo data, no signatures")
            s.execute(update(Inspection).where(Inspection.id == iid)
                      .values(created_at=started, updated_at=submitted, submitted_at=submitted))
        n_answers += len(answers)
        n_crit += p.critical_fail
        if p.kind == "self_check":
            n_self += 1
        else:
            n_super += 1

    _close_old_actions(db, today=today, rng=rng, actors=actors)

    return DemoSummary(
        accounts=(("admin", "admin"),) + tuple((u, role) for u, role, *_ in ACCOUNTS),
        password=password, sites=len(SITES), staff=len(STAFF), users=1 + len(ACCOUNTS),
        inspections=len(plan), supervisor_inspections=n_super, self_checks=n_self, answers=n_answers,
        critical_failures=n_crit, months=tuple(d.strftime("%Y-%m") for d in month_starts),
        checklists=tuple(sorted(available)),
    )


def _close_old_actions(db: Database, *, today: date, rng: random.Random, actors: dict[str, Any]) -> None:
    """A believable follow-up history: actions dated at their inspection; most older ones fixed and verified.

    Fixes are recorded by the site's supervisor on the staff member's behalf and verified by the
    manager (never the same person), as the app requires.
    """
    from app.db.models import CorrectiveAction

    manager = actors["manager"]
    sups = [a for name, a in actors.items() if name.startswith("sup")]
    cutoff = datetime.combine(today, time(0), tzinfo=TZ).astimezone(UTC) - timedelta(days=3)
    with db.write() as s:
        rows = s.execute(select(CorrectiveAction, Inspection.submitted_at)
                         .join(Inspection, Inspection.id == CorrectiveAction.inspection_id)).all()
        for action, submitted_at in rows:
            assert submitted_at is not None  # only submitted inspections open actions
            submitted = submitted_at if submitted_at.tzinfo else submitted_at.replace(tzinfo=UTC)
            opened = action.opened_at if action.opened_at.tzinfo else action.opened_at.replace(tzinfo=UTC)
            due = action.due_at if action.due_at.tzinfo else action.due_at.replace(tzinfo=UTC)
            action.opened_at = submitted
            action.due_at = submitted + (due - opened)
            roll = rng.random()
            if action.due_at > cutoff or roll < 0.04:
                continue  # recent (or a few forgotten old ones): still open
            fixer = next((a for a in sups if action.site_id in a.site_ids), sups[0])
            fixed = action.opened_at + (action.due_at - action.opened_at) * rng.uniform(0.2, 1.3)
            action.status, action.fixed_at, action.fixed_by = "fixed", fixed, fixer.id
            action.fix_note = rng.choice(["已当面提醒并整改完毕", "已重新整理，现场复查合格", "已补齐登记记录",
                                          "已更换/修复，拍照存档"])
            if roll < 0.10:
                continue  # fixed, waiting for verification
            action.status, action.verified_by = "verified", manager.id
            action.verified_at = fixed + timedelta(hours=rng.uniform(2, 30))
            action.verify_note = "回访确认已整改"
