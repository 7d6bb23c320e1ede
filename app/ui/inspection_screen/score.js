// Running score of a draft, the same rules as scoring.partial_score (exact: scaled BigInt arithmetic).
// Unanswered or invalid answers count as N/A; a failed critical item zeroes its section ("section") or the
// whole checklist ("checklist"). Standards language version 2: multi-clause deduct items ({counts}), sample
// items ({checked, failed}: points x (n - k) / n, half-up to 2 places), bonus and penalty items ({count}: per
// each, at most max; they count in no points figure; total = sections + bonus - penalty, clamped to
// [0, applicable]). Returns {percent: "85.71" | null, awarded, applicable, bonus, penalty} (BigInt millionths
// except percent, which is half-up to 2 places).
const SCALE = 1000000n;
const KEYS = new Set(["result", "count", "counts", "points", "checked", "failed", "note"]);
const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function fixed(x) {
  // a decimal number (number or string) -> BigInt in millionths (exact for up to 6 decimals)
  const s = String(x);
  const neg = s.startsWith("-");
  const [ip, fp = ""] = (neg ? s.slice(1) : s).split(".");
  const v = BigInt(ip || "0") * SCALE + BigInt((fp + "000000").slice(0, 6));
  return neg ? -v : v;
}

// a whole number >= 0 as scoring accepts it (a JSON number or a numeric string, never a bool), else null
function whole(x) {
  if (typeof x === "number") return Number.isFinite(x) && Number.isInteger(x) && x >= 0 ? BigInt(x) : null;
  if (typeof x === "string" && NUMERIC.test(x)) {
    const n = Number(x);
    return Number.isFinite(n) && Number.isInteger(n) && n >= 0 ? BigInt(n) : null;
  }
  return null;
}

// {aw, na, failed, bonus, penalty} for a valid version-2 answer, null when invalid, undefined for a v1 kind
function itemScoreV2(item, a, pts) {
  if (item.scoring === "deduct" && item.rules && item.rules.length) {
    if ("result" in a || !("counts" in a)) return null;
    const counts = a.counts;
    if (!counts || typeof counts !== "object" || Array.isArray(counts)) return null;
    let lost = 0n;
    let all = false;
    for (const [rid, value] of Object.entries(counts)) {
      const rule = item.rules.find((r) => r.id === rid);
      const n = whole(value);
      if (!rule || n === null) return null;
      if (rule.per === null || rule.per === undefined) all = all || n >= 1n;
      else lost += n * fixed(rule.per);
    }
    const aw = all ? 0n : (pts - lost > 0n ? pts - lost : 0n);
    return { aw, na: false, failed: aw < pts, bonus: 0n, penalty: 0n };
  }
  if (item.scoring === "sample") {
    if ("result" in a || !("checked" in a) || !("failed" in a)) return null;
    const n = whole(a.checked);
    const k = whole(a.failed);
    if (n === null || k === null || n < BigInt(item.min_sample || 1) || k > n || n === 0n) return null;
    // points x (n - k) / n, half up to hundredths (10000 millionths)
    const h = (2n * pts * (n - k) + n * 10000n) / (2n * n * 10000n);
    return { aw: h * 10000n, na: false, failed: k > 0n, bonus: 0n, penalty: 0n };
  }
  if (item.scoring === "bonus" || item.scoring === "penalty") {
    if ("result" in a || !("count" in a)) return null;
    const n = whole(a.count);
    if (n === null) return null;
    let amount = n * fixed(item.per);
    if (item.max !== null && item.max !== undefined && amount > fixed(item.max)) amount = fixed(item.max);
    if (item.scoring === "bonus") return { aw: 0n, na: false, failed: false, bonus: amount, penalty: 0n };
    return { aw: 0n, na: false, failed: n > 0n, bonus: 0n, penalty: amount };
  }
  return undefined;
}

function itemScore(item, a) {
  // {aw, na, failed, bonus, penalty} in millionths, or null when the answer is invalid (then it counts as N/A)
  if (!a || typeof a !== "object" || Array.isArray(a)) return null;
  if (Object.keys(a).some((k) => !KEYS.has(k))) return null; // unknown fields: invalid
  if (a.result === "na") {
    return Object.keys(a).some((k) => k !== "result" && k !== "note") ? null
      : { aw: 0n, na: true, failed: false, bonus: 0n, penalty: 0n };
  }
  const pts = fixed(item.points || 0);
  const v2 = itemScoreV2(item, a, pts);
  if (v2 !== undefined) return v2;
  const plain = (aw) => ({ aw, na: false, failed: aw < pts, bonus: 0n, penalty: 0n });
  if (item.scoring === "pass_fail") {
    if (a.result === "pass") return plain(pts);
    if (a.result === "fail") return { ...plain(0n), failed: true };
    return null;
  }
  if (item.scoring === "deduct") {
    if ("result" in a || !("count" in a) || !Number.isInteger(Number(a.count)) || Number(a.count) < 0) return null;
    const left = pts - BigInt(Number(a.count)) * fixed(item.per);
    return plain(left > 0n ? left : 0n);
  }
  if ("result" in a || !("points" in a)) return null;
  const x = fixed(a.points);
  const step = fixed(item.step);
  if (x < 0n || x > pts || step <= 0n || x % step !== 0n) return null;
  return plain(x);
}

export function partialScore(sections, answers) {
  let awarded = 0n;
  let applicable = 0n;
  let bonus = 0n;
  let penalty = 0n;
  let checklistCritical = false;
  for (const section of sections) {
    let sAwarded = 0n;
    let sCritical = false;
    for (const item of section.items) {
      const got = itemScore(item, answers[item.id]) || { aw: 0n, na: true, failed: false, bonus: 0n, penalty: 0n };
      const app = got.na ? 0n : fixed(item.points || 0);
      sAwarded += got.aw;
      applicable += app;
      bonus += got.bonus;
      penalty += got.penalty;
      if (got.failed) {
        if (item.critical === "section") sCritical = true;
        if (item.critical === "checklist") checklistCritical = true;
      }
    }
    awarded += sCritical ? 0n : sAwarded;
  }
  awarded += bonus - penalty;
  if (awarded < 0n) awarded = 0n;
  if (awarded > applicable) awarded = applicable;
  if (checklistCritical) awarded = 0n;
  if (applicable === 0n) return { percent: null, awarded, applicable, bonus, penalty };
  // hundredths of a percent, half up: floor((awarded * 10000 * 2 + applicable) / (2 * applicable))
  const q = (awarded * 10000n * 2n + applicable) / (2n * applicable);
  const percent = `${q / 100n}.${String(q % 100n).padStart(2, "0")}`;
  return { percent, awarded, applicable, bonus, penalty };
}
