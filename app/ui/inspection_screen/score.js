// Running score of a draft, the same rules as scoring.partial_score (exact: scaled BigInt arithmetic).
// Unanswered or invalid answers count as N/A; a failed critical item zeroes its section ("section") or the
// whole checklist ("checklist"). Returns {percent: "85.71" | null, awarded, applicable} (percent half-up, 2 places).
const SCALE = 1000000n;
const KEYS = new Set(["result", "count", "points", "note"]);

function fixed(x) {
  // a decimal number (number or string) -> BigInt in millionths (exact for up to 6 decimals)
  const s = String(x);
  const neg = s.startsWith("-");
  const [ip, fp = ""] = (neg ? s.slice(1) : s).split(".");
  const v = BigInt(ip || "0") * SCALE + BigInt((fp + "000000").slice(0, 6));
  return neg ? -v : v;
}

function itemScore(item, a) {
  // [awarded, na] in millionths, or null when the answer is invalid (then it counts as N/A)
  if (!a || typeof a !== "object" || Array.isArray(a)) return null;
  if (Object.keys(a).some((k) => !KEYS.has(k))) return null; // unknown fields: invalid
  if (a.result === "na") return Object.keys(a).some((k) => k !== "result" && k !== "note") ? null : [0n, true];
  const pts = fixed(item.points);
  if (item.scoring === "pass_fail") {
    if (a.result === "pass") return [pts, false];
    if (a.result === "fail") return [0n, false];
    return null;
  }
  if (item.scoring === "deduct") {
    if ("result" in a || !("count" in a) || !Number.isInteger(Number(a.count)) || Number(a.count) < 0) return null;
    const left = pts - BigInt(Number(a.count)) * fixed(item.per);
    return [left > 0n ? left : 0n, false];
  }
  if ("result" in a || !("points" in a)) return null;
  const x = fixed(a.points);
  const step = fixed(item.step);
  if (x < 0n || x > pts || step <= 0n || x % step !== 0n) return null;
  return [x, false];
}

export function partialScore(sections, answers) {
  let awarded = 0n;
  let applicable = 0n;
  let checklistCritical = false;
  for (const section of sections) {
    let sAwarded = 0n;
    let sCritical = false;
    for (const item of section.items) {
      const got = itemScore(item, answers[item.id]) || [0n, true];
      const [aw, na] = got;
      const app = na ? 0n : fixed(item.points);
      sAwarded += aw;
      applicable += app;
      if (!na && aw < app) {
        if (item.critical === "section") sCritical = true;
        if (item.critical === "checklist") checklistCritical = true;
      }
    }
    awarded += sCritical ? 0n : sAwarded;
  }
  if (checklistCritical) awarded = 0n;
  if (applicable === 0n) return { percent: null, awarded, applicable };
  // hundredths of a percent, half up: floor((awarded * 10000 * 2 + applicable) / (2 * applicable))
  const q = (awarded * 10000n * 2n + applicable) / (2n * applicable);
  const percent = `${q / 100n}.${String(q % 100n).padStart(2, "0")}`;
  return { percent, awarded, applicable };
}
