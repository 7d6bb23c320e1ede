// The tablet inspection screen: one client-side component (Streamlit custom components v2, no iframe).
// Data contract: see app/ui/inspection_screen/__init__.py. Every tap goes to a local outbox (localStorage,
// per user and inspection) with its op_id and tap time, shows at once, and is sent to the JSON API v1.
import { partialScore } from "./score.js";

const controllers = new WeakMap();
let seqCounter = 0;

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  if (data.mode === "nav") {
    renderNav(parentElement, data, setTriggerValue);
    return;
  }
  let ctl = controllers.get(parentElement);
  if (!ctl || ctl.iid !== data.inspection_id) {
    if (ctl) ctl.destroy();
    ctl = new Screen(parentElement, data, setTriggerValue);
    controllers.set(parentElement, ctl);
  } else {
    ctl.setTrigger = setTriggerValue; // later runs: the screen keeps its own state (it is the truth until sent)
  }
}

// ----------------------------------------------------------------------------- helpers
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function dataUrlBlob(url) {
  const [head, b64] = url.split(",", 2);
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: head.slice(5).split(";")[0] || "image/jpeg" });
}

function fmtNum(x) {
  const n = Number(x);
  return Number.isInteger(n) ? String(n) : String(+n.toFixed(6));
}

function hhmmss(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

// an answer without its null fields (the API sends {"result": "pass", "count": null, "points": null})
function clean(v) {
  if (!v || typeof v !== "object") return null;
  const out = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = x;
  return Object.keys(out).length ? out : null;
}

function sameValue(a, b) {
  // deep (a multi-clause answer holds an object); numbers compare by their text ("0.5" == 0.5)
  const isObj = (x) => x !== null && typeof x === "object";
  if (!isObj(a) || !isObj(b)) {
    if (isObj(a) || isObj(b)) return false;
    if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
    return String(a) === String(b);
  }
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue(a[k], b[k]));
}

function scroller(node) {
  for (let p = node.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (/(auto|scroll)/.test(s.overflowY) && p.scrollHeight > p.clientHeight) return p;
  }
  return document.scrollingElement || document.documentElement;
}

// choices of an item: [{value, label, kind}] ; kind colours the selected state
function choices(item, L) {
  const out = [];
  if (item.scoring === "pass_fail") {
    out.push({ value: { result: "pass" }, label: L.pass, kind: "pass" });
    out.push({ value: { result: "fail" }, label: L.fail, kind: "fail" });
  } else if (item.scoring === "deduct") {
    const top = Math.ceil(Number(item.points) / Number(item.per) - 1e-9);
    for (let n = 0; n <= top; n++) {
      const minus = Math.min(Number(item.points), n * Number(item.per));
      out.push({ value: { count: n }, label: n === 0 ? L.count.replace("{n}", n) : `${L.count.replace("{n}", n)} −${fmtNum(minus)}`,
                 kind: n === 0 ? "pass" : "fail" });
    }
  } else if (item.scoring === "bonus" || item.scoring === "penalty") {
    out.push(...adjustmentChoices(item, L));
  } else {
    const steps = Math.round(Number(item.points) / Number(item.step));
    for (let k = 0; k <= steps; k++) {
      const p = fmtNum(k * Number(item.step));
      out.push({ value: { points: Number(p) }, label: `${p}${L.pts}`, kind: k === steps ? "pass" : "fail" });
    }
  }
  if (item.na) out.push({ value: { result: "na" }, label: L.na, kind: "na" });
  return out;
}

// a failed answer (the evidence rule "on_fail" asks for a photo, or a reason for none)
function failed(item, v) {
  if (!v || v.result === "na") return false;
  if (item.scoring === "pass_fail") return v.result === "fail";
  if (item.scoring === "deduct") return Number(v.count) > 0;
  return Number(v.points) < Number(item.points);
}

const MAX_BUTTONS = 9;

// our own container inside the component's host (the host also holds Streamlit's <link> to inspection.css)
function ownRoot(parent) {
  let root = parent.querySelector(":scope > .pzi-host");
  if (!root) {
    root = el("div", { class: "pzi-host" });
    parent.append(root);
  }
  root.replaceChildren();
  return root;
} // beyond this many choices a stepper

// ----------------------------------------------------------------------------- the review-step navigation
function renderNav(parent, data, setTriggerValue) {
  const root = ownRoot(parent);
  const bar = el("div", { class: "pzi-navbar" });
  for (const b of data.buttons || []) {
    const btn = el("button", { type: "button", class: `pzi-btn ${b.primary ? "pzi-primary" : ""}`, "data-action": b.action,
                               "data-target": b.item || null, text: b.label });
    btn.addEventListener("click", () => setTriggerValue("nav", { action: b.action, item: b.item || null, at: Date.now() }));
    bar.append(btn);
  }
  root.append(bar);
}

// ----------------------------------------------------------------------------- the screen
class Screen {
  constructor(root, data, setTriggerValue) {
    this.root = ownRoot(root);
    this.data = data;
    this.L = data.labels;
    this.iid = data.inspection_id;
    this.setTrigger = setTriggerValue;
    this.api = data.api || "/api/v1";
    this.key = `pinzhi.outbox.u${data.user_id}.i${data.inspection_id}`;
    this.sections = data.checklist.sections;
    this.items = {};
    this.sectionOf = {};
    this.sections.forEach((s, i) => s.items.forEach((it) => { this.items[it.id] = it; this.sectionOf[it.id] = i; }));
    this.stored = {};
    for (const [k, v] of Object.entries(data.answers || {})) this.stored[k] = clean(v); // what the server holds (as far as we know)
    this.storedAt = { ...(data.tapped || {}) };
    this.notes = { ...(data.notes || {}) };
    this.reasons = { ...(data.no_photo_reasons || {}) };
    this.photos = {};
    for (const [k, v] of Object.entries(data.photos || {})) this.photos[k] = [...v];
    this.errors = {}; // item id -> server's reason
    this.savedTime = {};
    this.outbox = this.loadOutbox();
    this.online = true;
    this.csrf = null;
    this.sending = false;
    this.retry = 0;
    this.timer = null;
    this.build();
    const focus = data.focus_item && this.items[data.focus_item] ? data.focus_item : null;
    const remembered = Number(sessionStorage.getItem(`pinzhi.sec.${this.iid}`));
    const start = focus ? this.sectionOf[focus]
      : (Number.isInteger(data.section) && data.section >= 0 ? data.section
        : (Number.isInteger(remembered) ? remembered : 0));
    this.show(Math.min(Math.max(start, 0), this.sections.length - 1), false);
    this.refreshAll();
    if (focus) requestAnimationFrame(() => this.focusItem(focus));
    this.onOnline = () => { this.retry = 0; this.flush(); };
    this.onOffline = () => { this.online = false; this.refreshBanner(); };
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.flush();
  }

  destroy() {
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    clearTimeout(this.timer);
  }

  // -- outbox (localStorage: survives reloads, tab crashes and server restarts)
  loadOutbox() {
    // one localStorage entry per op (no read-modify-write: two tabs never overwrite each other's queue)
    const ops = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (!k || !k.startsWith(this.key + ".")) continue;
      try {
        ops.push(JSON.parse(localStorage.getItem(k)));
      } catch (e) {
        localStorage.removeItem(k);
      }
    }
    return ops.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  opKey(op) {
    return `${this.key}.${op.op_id}`;
  }

  store(op) {
    try {
      localStorage.setItem(this.opKey(op), JSON.stringify(op));
    } catch (e) {
      // quota (a large photo): the op stays in memory and is still sent while the page is open
      this.root.querySelector("[data-role=storage-warning]").hidden = false;
    }
  }

  unstore(op) {
    localStorage.removeItem(this.opKey(op));
  }

  enqueue(op) {
    op.seq = ++seqCounter;
    this.outbox.push(op);
    this.store(op);
    this.refreshBanner();
    this.flush();
  }

  pendingFor(itemId, kind = "answer") {
    let last = null;
    for (const op of this.outbox) if (op.item_id === itemId && op.kind === kind) last = op;
    return last;
  }

  // -- what a card shows: the last queued answer, else what the server holds
  shown(itemId) {
    const op = this.pendingFor(itemId);
    return op ? op.value : this.stored[itemId] || null;
  }

  // -- sending
  async csrfToken(force = false) {
    if (this.csrf && !force) return this.csrf;
    const r = await fetch(`${this.api}/me`, { credentials: "same-origin", cache: "no-store" });
    if (!r.ok) throw Object.assign(new Error(`me ${r.status}`), { status: r.status });
    this.csrf = (await r.json()).csrf;
    return this.csrf;
  }

  async request(op, retried = false) {
    const csrf = await this.csrfToken();
    const headers = { "X-CSRF-Token": csrf, "Accept-Language": this.data.lang === "en" ? "en" : "zh" };
    let url;
    let init;
    if (op.kind === "answer") {
      url = `${this.api}/inspections/${this.iid}/answers/${encodeURIComponent(op.item_id)}`;
      headers["Content-Type"] = "application/json";
      init = { method: "PUT", body: JSON.stringify({ value: op.value, op_id: op.op_id, answered_at: op.at }) };
    } else if (op.kind === "note") {
      url = `${this.api}/inspections/${this.iid}/notes/${encodeURIComponent(op.item_id)}`;
      headers["Content-Type"] = "application/json";
      init = { method: "PUT", body: JSON.stringify({ note: op.note }) };
    } else if (op.kind === "reason") {
      url = `${this.api}/inspections/${this.iid}/no-photo-reason/${encodeURIComponent(op.item_id)}`;
      headers["Content-Type"] = "application/json";
      init = { method: "PUT", body: JSON.stringify({ reason: op.reason }) };
    } else if (op.kind === "remove_photo") {
      url = `${this.api}/inspections/${this.iid}/photos/${encodeURIComponent(op.link_id)}`;
      init = { method: "DELETE" };
    } else {
      url = `${this.api}/inspections/${this.iid}/photos`;
      const form = new FormData();
      form.append("item_id", op.item_id);
      const blob = dataUrlBlob(op.photo); // not fetch(data:): the CSP's connect-src is 'self' only
      form.append("file", blob, `photo-${op.at}.jpg`);
      form.append("captured_at", new Date(op.captured || op.at).toISOString()); // UTC, with its "Z"
      init = { method: "POST", body: form };
    }
    const r = await fetch(url, { ...init, headers, credentials: "same-origin", cache: "no-store" });
    if (r.status === 403 && !retried) {
      const body = await r.clone().json().catch(() => ({}));
      if (body.error === "csrf") {
        await this.csrfToken(true);
        return this.request(op, true);
      }
    }
    return r;
  }

  async flush() {
    if (this.sending) return;
    this.sending = true;
    clearTimeout(this.timer);
    try {
      while (this.outbox.length) {
        if (navigator.onLine === false) {
          // the browser knows it is offline: try nothing until its "online" event (no request can slip
          // out while the switch to offline is still under way)
          this.online = false;
          return;
        }
        const op = this.outbox[0];
        if (op.kind === "photo" && op.cancelled) { // removed before it was sent
          this.outbox.shift();
          this.unstore(op);
          this.refreshCard(op.item_id);
          continue;
        }
        op.inflight = true;
        let r;
        try {
          r = await this.request(op);
        } catch (e) {
          // network down (or the server is restarting); GET /me refused: signed out
          r = e && e.status === 401 ? { status: 401 } : null;
        } finally {
          op.inflight = false;
        }
        if (r === null || r.status >= 500 || r.status === 401 || r.status === 429) {
          this.online = false;
          this.signedOut = !!r && r.status === 401; // kept until a request goes through
          this.refreshBanner();
          const wait = Math.min(1000 * 2 ** this.retry, 5000);
          this.retry += 1;
          this.timer = setTimeout(() => this.flush(), wait);
          return;
        }
        this.online = true;
        this.signedOut = false;
        this.retry = 0;
        const body = await r.json().catch(() => ({}));
        this.outbox.shift();
        this.unstore(op);
        // removing a photo that is already gone (a replay after a lost response) is done, not refused
        this.applied(op, r.ok || (op.kind === "remove_photo" && r.status === 404), body);
      }
    } finally {
      this.sending = false;
      this.refreshBanner();
    }
  }

  applied(op, ok, body) {
    const id = op.item_id;
    if (op.kind === "answer") {
      if (ok) {
        this.stored[id] = clean(body.value);
        this.storedAt[id] = body.answered_at;
        delete this.errors[id];
        this.savedTime[id] = Date.now();
      } else {
        this.errors[id] = body.message || `HTTP error`;
      }
    } else if (op.kind === "note") {
      if (ok) {
        this.notes[id] = body.note || "";
        delete this.errors[id];
        this.savedTime[id] = Date.now();
      } else {
        this.errors[id] = body.message || `HTTP error`;
        const input = this.cards[id].querySelector("textarea");
        if (!this.pendingFor(id, "note")) input.value = this.notes[id] || "";
      }
    } else if (op.kind === "reason") {
      if (ok) {
        this.reasons[id] = body.reason || "";
        delete this.errors[id];
        this.savedTime[id] = Date.now();
      } else {
        this.errors[id] = body.message || `HTTP error`;
        const input = this.cards[id].querySelector("[data-role=no-photo-reason]");
        if (input && !this.pendingFor(id, "reason")) input.value = this.reasons[id] || "";
      }
    } else if (op.kind === "remove_photo") {
      if (ok) {
        this.photos[id] = (this.photos[id] || []).filter((p) => p.link_id !== op.link_id);
        delete this.errors[id];
        this.savedTime[id] = Date.now();
      } else {
        this.errors[id] = body.message || `HTTP error`; // the thumbnail shows again
      }
    } else if (ok && op.cancelled) {
      // removed while it was being uploaded: take it off again
      this.enqueue({ kind: "remove_photo", item_id: id, link_id: body.link_id, photo_id: body.photo_id, op_id: uuid(),
                     at: Date.now() });
    } else if (ok) {
      (this.photos[id] = this.photos[id] || []).push({ link_id: body.link_id, photo_id: body.photo_id,
                                                       captured_at: body.captured_at || null });
      delete this.errors[id];
      this.savedTime[id] = Date.now();
    } else {
      this.errors[id] = body.message || `HTTP error`;
    }
    this.refreshCard(id);
    this.refreshHeader();
  }

  // -- building the DOM (once)
  build() {
    const L = this.L;
    const wrap = el("div", { class: "pzi", "data-inspection-id": this.iid });
    const head = el("div", { class: "pzi-head", "data-role": "header" });
    const top = el("div", { class: "pzi-row" },
      el("div", { class: "pzi-progress" },
        el("div", { class: "pzi-progress-text", "data-role": "progress" }),
        el("div", { class: "pzi-bar" }, el("div", { class: "pzi-bar-fill", "data-role": "progress-bar" }))),
      el("div", { class: "pzi-score-box" }, el("div", { class: "pzi-score-label", text: L.score_so_far }),
        el("div", { class: "pzi-score", "data-role": "score" }),
        el("div", { class: "pzi-adjust", "data-role": "adjust", hidden: true })));
    this.picker = el("select", { class: "pzi-picker", "data-role": "section-picker", "aria-label": L.section });
    this.sections.forEach((s, i) => this.picker.append(el("option", { value: i })));
    this.picker.addEventListener("change", () => this.show(Number(this.picker.value), true));
    const nav = el("div", { class: "pzi-row pzi-nav" },
      this.navButton("prev-section", `◀ ${L.prev}`),
      this.navButton("next-unanswered", `${L.next_unanswered} ⤓`),
      this.navButton("review", `☰ ${L.to_review}`),
      this.navButton("next-section", `${L.next} ▶`, true));
    const banner = el("div", { class: "pzi-banner", "data-role": "offline-banner", role: "status", hidden: true });
    const warn = el("div", { class: "pzi-banner", "data-role": "storage-warning", hidden: true, text: L.storage_full });
    head.append(top, this.picker, nav, banner, warn);
    wrap.append(head);
    this.cards = {};
    this.secEls = this.sections.map((s, si) => {
      const sec = el("div", { class: "pzi-section", "data-section-index": si, "data-section-id": s.id, hidden: true });
      sec.append(el("h3", { class: "pzi-section-title", text: `${si + 1}. ${this.title(s)} · ${fmtNum(s.points)}${L.pts}` }));
      this.appendItems(sec, s);
      wrap.append(sec);
      return sec;
    });
    const bottom = el("div", { class: "pzi-row pzi-nav pzi-bottom" },
      this.navButton("prev-section", `◀ ${L.prev}`),
      this.navButton("review", `☰ ${L.to_review}`),
      this.navButton("next-section", `${L.next} ▶`, true));
    wrap.append(bottom);
    this.root.append(wrap);
    this.wrap = wrap;
    this.numbers = {};
    let n = 0;
    for (const s of this.sections) for (const it of s.items) this.numbers[it.id] = ++n;
  }

  title(obj) {
    return (this.data.lang === "en" && obj.title_en) ? obj.title_en : obj.title;
  }

  navButton(action, label, primary = false) {
    const b = el("button", { type: "button", class: `pzi-btn${primary ? " pzi-primary" : ""}`, "data-action": action, text: label });
    b.addEventListener("click", () => this.act(action));
    return b;
  }

  buildCard(item) {
    const L = this.L;
    const number = Object.keys(this.items).indexOf(item.id) + 1;
    const text = (this.data.lang === "en" && item.text_en) ? item.text_en : item.text;
    const card = el("div", { class: "pzi-card", "data-item-id": item.id, "data-state": "unanswered" });
    const badges = el("div", { class: "pzi-badges" }, el("span", { class: "pzi-badge", text: `${fmtNum(item.points)}${L.pts}` }));
    if (item.scoring === "deduct") badges.append(el("span", { class: "pzi-badge", text: `−${fmtNum(item.per)}/${L.count.replace("{n}", 1)}` }));
    if (item.critical === "checklist") badges.append(el("span", { class: "pzi-badge pzi-red", text: L.critical_checklist }));
    if (item.critical === "section") badges.append(el("span", { class: "pzi-badge pzi-red", text: L.critical_section }));
    if (item.evidence === "required") badges.append(el("span", { class: "pzi-badge pzi-amber", text: L.evidence_required }));
    if (item.evidence === "on_fail") badges.append(el("span", { class: "pzi-badge pzi-amber", text: L.evidence_on_fail }));
    this.v2Badges(item, badges);
    card.append(el("div", { class: "pzi-text" }, el("b", { text: `${number}. ` }), document.createTextNode(text)), badges);
    const hint = (this.data.hints || {})[item.id];
    if (hint) card.append(el("div", { class: "pzi-hint", "data-role": "hint", text: hint }));
    const v2 = this.v2Controls(item);
    const opts = v2 ? [] : choices(item, L);
    const group = v2 || el("div", { class: "pzi-choices", role: "radiogroup", "aria-label": L.result });
    if (v2) {
      // version-2 controls (clause counters, sample counts): built by v2Controls
    } else if (opts.length <= MAX_BUTTONS) {
      for (const o of opts) {
        const b = el("button", { type: "button", role: "radio", "aria-checked": "false", class: `pzi-choice pzi-${o.kind}`,
                                 "data-value": JSON.stringify(o.value), text: o.label });
        b.addEventListener("pointerdown", () => { this.lastDown = performance.now(); });
        b.addEventListener("click", () => this.tap(item.id, o.value));
        group.append(b);
      }
    } else {
      // a stepper: − value + (and N/A) ; each press is an answer like a tap
      const numeric = opts.filter((o) => o.kind !== "na");
      const minus = el("button", { type: "button", class: "pzi-choice pzi-step", "data-step": "-1", "aria-label": "−", text: "−" });
      const shown = el("span", { class: "pzi-step-value", "data-role": "step-value", "aria-live": "polite" });
      const plus = el("button", { type: "button", class: "pzi-choice pzi-step", "data-step": "1", "aria-label": "+", text: "+" });
      const move = (d) => {
        const cur = this.shown(item.id);
        let idx = numeric.findIndex((o) => sameValue(o.value, cur));
        idx = idx < 0 ? (d > 0 ? 0 : numeric.length - 1) : Math.min(Math.max(idx + d, 0), numeric.length - 1);
        this.tap(item.id, numeric[idx].value);
      };
      minus.addEventListener("click", () => move(-1));
      plus.addEventListener("click", () => move(1));
      group.append(minus, shown, plus);
      for (const o of opts.filter((x) => x.kind === "na")) {
        const b = el("button", { type: "button", role: "radio", "aria-checked": "false", class: "pzi-choice pzi-na",
                                 "data-value": JSON.stringify(o.value), text: o.label });
        b.addEventListener("click", () => this.tap(item.id, o.value));
        group.append(b);
      }
      card._numeric = numeric;
    }
    const clear = el("button", { type: "button", class: "pzi-clear", "data-action": "clear", text: L.clear });
    clear.addEventListener("click", () => this.tap(item.id, null));
    const status = el("div", { class: "pzi-status", "data-role": "status", "aria-live": "polite" });
    card.append(el("div", { class: "pzi-answer-row" }, group, clear), status);
    // note and photos
    const note = el("textarea", { class: "pzi-note", rows: 1, placeholder: L.note, "aria-label": L.note, maxlength: 2000 });
    note.value = this.notes[item.id] || "";
    const pendingNote = this.pendingFor(item.id, "note");
    if (pendingNote) note.value = pendingNote.note;
    note.addEventListener("change", () => this.enqueue({ kind: "note", item_id: item.id, note: note.value, op_id: uuid(), at: Date.now() }) || this.refreshCard(item.id));
    const tools = el("div", { class: "pzi-tools" }, note);
    if (item.evidence === "on_fail") {
      // a failed item with no photo: why none could be taken (excuses the photo at submit)
      const reason = el("input", { type: "text", class: "pzi-note pzi-reason", "data-role": "no-photo-reason",
                                   "aria-label": L.no_photo_reason, placeholder: L.no_photo_reason_placeholder,
                                   maxlength: 500 });
      reason.value = this.reasons[item.id] || "";
      const pendingReason = this.pendingFor(item.id, "reason");
      if (pendingReason) reason.value = pendingReason.reason;
      reason.addEventListener("change", () => {
        this.enqueue({ kind: "reason", item_id: item.id, reason: reason.value, op_id: uuid(), at: Date.now() });
        this.refreshCard(item.id);
      });
      tools.append(el("label", { class: "pzi-reason-row", "data-role": "no-photo-reason-row", hidden: true },
        el("span", { class: "pzi-reason-label", text: L.no_photo_reason }), reason));
    }
    if (item.evidence !== "none") {
      const thumbs = el("div", { class: "pzi-thumbs", "data-role": "thumbs" });
      const camera = el("input", { type: "file", accept: "image/*", capture: "environment", class: "pzi-file", "data-role": "camera" });
      const gallery = el("input", { type: "file", accept: "image/*", class: "pzi-file", "data-role": "gallery", multiple: true });
      const camLabel = el("label", { class: "pzi-btn pzi-photo-btn" }, document.createTextNode(L.take_photo), camera);
      const galLabel = el("label", { class: "pzi-btn pzi-photo-btn" }, document.createTextNode(L.upload_photo), gallery);
      for (const input of [camera, gallery]) {
        input.addEventListener("change", async () => {
          for (const f of input.files) await this.addPhoto(item.id, f);
          input.value = "";
        });
      }
      tools.append(el("div", { class: "pzi-photo-row" }, camLabel, galLabel), thumbs);
    }
    card.append(tools);
    this.cards[item.id] = card;
    return card;
  }

  async addPhoto(itemId, file) {
    // downscale in the browser to at most 2048 px on the long side, JPEG
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (e) {
      this.errors[itemId] = this.L.photo_unreadable;
      this.refreshCard(itemId);
      return;
    }
    const k = Math.min(1, 2048 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * k));
    canvas.height = Math.max(1, Math.round(bitmap.height * k));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const dataUrl = canvas.toDataURL("image/jpeg", 0.85);
    const at = Date.now();
    this.enqueue({ kind: "photo", item_id: itemId, photo: dataUrl, op_id: uuid(), at, captured: file.lastModified || at,
                   w: canvas.width, h: canvas.height });
    this.refreshCard(itemId);
  }

  // the photos a card shows: stored ones not being removed
  visiblePhotos(itemId) {
    const going = new Set(this.outbox.filter((op) => op.kind === "remove_photo" && op.item_id === itemId).map((op) => op.link_id));
    return (this.photos[itemId] || []).filter((p) => !going.has(p.link_id));
  }

  removePhoto(itemId, target) {
    if (target.op) { // a photo still in the outbox
      const op = target.op;
      if (op.inflight) {
        op.cancelled = true; // being uploaded: removed again once the server has it
        this.store(op);
      } else {
        this.outbox = this.outbox.filter((o) => o !== op);
        this.unstore(op);
      }
      this.refreshBanner();
    } else {
      this.enqueue({ kind: "remove_photo", item_id: itemId, link_id: target.link_id, photo_id: target.photo_id,
                     op_id: uuid(), at: Date.now() });
    }
    this.refreshCard(itemId);
  }

  thumbBox(itemId, src, target, queued) {
    const L = this.L;
    const img = el("img", { class: `pzi-thumb${queued ? " pzi-queued" : ""}`, src, alt: queued ? L.pending : L.photo,
                            "data-photo-id": queued ? null : target.photo_id,
                            title: target.captured_at ? `${L.taken} ${new Date(target.captured_at).toLocaleString()}` : null });
    const remove = el("button", { type: "button", class: "pzi-thumb-remove", "data-action": "remove-photo",
                                  "aria-label": L.remove_photo, title: L.remove_photo, text: "✕" });
    let undo = null;
    remove.addEventListener("click", () => {
      if (remove.dataset.confirm !== "true") { // first tap arms it; a second tap within 4 s removes
        remove.dataset.confirm = "true";
        remove.textContent = L.remove_photo_confirm;
        undo = setTimeout(() => { remove.dataset.confirm = "false"; remove.textContent = "✕"; }, 4000);
        return;
      }
      clearTimeout(undo);
      this.removePhoto(itemId, target);
    });
    return el("div", { class: "pzi-thumb-box", "data-link-id": queued ? null : target.link_id,
                       "data-queued": queued ? "true" : null }, img, remove);
  }

  // -- answering
  tap(itemId, value) {
    const cur = this.shown(itemId);
    if (value !== null && sameValue(cur, value)) return; // re-tap of the chosen answer: nothing (清除 clears)
    if (value === null && !cur) return;
    delete this.errors[itemId];
    const op = { kind: "answer", item_id: itemId, value, op_id: uuid(), at: Date.now(), seq: ++seqCounter };
    this.outbox.push(op);
    this.refreshCard(itemId); // the new state first, then storage and the network
    this.refreshHeader();
    this.store(op);
    this.refreshBanner();
    this.flush();
  }

  // -- navigation
  act(action) {
    const cur = this.current;
    if (action === "next-section") this.show(Math.min(cur + 1, this.sections.length - 1), true);
    else if (action === "prev-section") this.show(Math.max(cur - 1, 0), true);
    else if (action === "next-unanswered") this.nextUnanswered();
    else if (action === "review") this.review();
  }

  show(index, scroll) {
    this.current = index;
    sessionStorage.setItem(`pinzhi.sec.${this.iid}`, String(index));
    this.secEls.forEach((s, i) => { s.hidden = i !== index; });
    this.picker.value = String(index);
    this.wrap.dataset.section = String(index);
    for (const b of this.wrap.querySelectorAll("[data-action=prev-section]")) b.disabled = index === 0;
    for (const b of this.wrap.querySelectorAll("[data-action=next-section]")) b.disabled = index >= this.sections.length - 1;
    if (scroll) {
      const box = scroller(this.wrap);
      box.scrollTop = Math.max(0, box.scrollTop + this.wrap.getBoundingClientRect().top - box.getBoundingClientRect().top - 8);
    }
  }

  nextUnanswered() {
    const order = this.sections.flatMap((s) => s.items.map((it) => it.id));
    const start = this.sections.slice(0, this.current).reduce((n, s) => n + s.items.length, 0);
    const rotated = order.slice(start).concat(order.slice(0, start));
    const next = rotated.find((id) => !this.shown(id));
    if (next) this.focusItem(next);
  }

  focusItem(itemId) {
    const si = this.sectionOf[itemId];
    if (si !== this.current) this.show(si, false);
    const card = this.cards[itemId];
    for (const c of this.wrap.querySelectorAll(".pzi-highlight")) c.classList.remove("pzi-highlight");
    card.classList.add("pzi-highlight");
    const box = scroller(this.wrap);
    const head = this.wrap.querySelector(".pzi-head").getBoundingClientRect().height;
    box.scrollTop = Math.max(0, box.scrollTop + card.getBoundingClientRect().top - box.getBoundingClientRect().top - head - 12);
    const first = card.querySelector("button[role=radio]");
    if (first) first.focus({ preventScroll: true });
  }

  review() {
    if (this.outbox.length) {
      const banner = this.root.querySelector("[data-role=offline-banner]");
      banner.hidden = false;
      banner.textContent = this.L.review_wait.replace("{n}", this.outbox.length);
      this.flush();
      return;
    }
    this.setTrigger("nav", { action: "review", at: Date.now() });
  }

  // -- drawing state
  refreshAll() {
    for (const id of Object.keys(this.items)) this.refreshCard(id);
    this.refreshHeader();
    this.refreshBanner();
  }

  refreshCard(itemId) {
    const card = this.cards[itemId];
    const value = this.shown(itemId);
    const pending = this.outbox.some((op) => op.item_id === itemId);
    const state = this.errors[itemId] ? "error" : pending ? "pending" : value ? "saved" : "unanswered";
    card.dataset.state = state;
    for (const b of card.querySelectorAll("button[role=radio][data-value]")) {
      b.setAttribute("aria-checked", sameValue(JSON.parse(b.dataset.value), value) ? "true" : "false");
    }
    this.refreshV2(card, this.items[itemId], value);
    if (card._numeric) {
      const hit = card._numeric.find((o) => sameValue(o.value, value));
      card.querySelector("[data-role=step-value]").textContent = hit ? hit.label : "—";
    }
    card.querySelector("[data-action=clear]").hidden = !value;
    const status = card.querySelector("[data-role=status]");
    const L = this.L;
    if (state === "error") status.textContent = `✗ ${L.save_failed}: ${this.errors[itemId]}`;
    else if (state === "pending") status.textContent = `… ${L.pending}`;
    else if (state === "saved" && this.savedTime[itemId]) status.textContent = `✓ ${L.saved} ${hhmmss(this.savedTime[itemId])}`;
    else if (state === "saved") status.textContent = `✓ ${L.saved}`;
    else status.textContent = "";
    const thumbs = card.querySelector("[data-role=thumbs]");
    const shownPhotos = this.visiblePhotos(itemId);
    let queuedPhotos = 0;
    if (thumbs) {
      thumbs.replaceChildren();
      for (const p of shownPhotos) thumbs.append(this.thumbBox(itemId, `${this.api}/photos/${p.photo_id}?size=thumb`, p, false));
      for (const op of this.outbox) {
        if (op.kind === "photo" && op.item_id === itemId && !op.cancelled) {
          thumbs.append(this.thumbBox(itemId, op.photo, { op, captured_at: op.captured }, true));
          queuedPhotos += 1;
        }
      }
    }
    const reasonRow = card.querySelector("[data-role=no-photo-reason-row]");
    if (reasonRow) {
      const pendingReason = this.pendingFor(itemId, "reason");
      const hasReason = pendingReason ? !!pendingReason.reason.trim() : !!this.reasons[itemId];
      reasonRow.hidden = !((failed(this.items[itemId], value) && !shownPhotos.length && !queuedPhotos) || hasReason);
    }
  }

  refreshHeader() {
    const answers = {};
    let done = 0;
    for (const id of Object.keys(this.items)) {
      const v = this.shown(id);
      if (v) { answers[id] = v; done += 1; }
    }
    const total = Object.keys(this.items).length;
    this.wrap.querySelector("[data-role=progress]").textContent = `${this.L.progress} ${done}/${total}`;
    this.wrap.querySelector("[data-role=progress-bar]").style.width = `${total ? (100 * done) / total : 0}%`;
    const sc = partialScore(this.sections, answers);
    const score = this.wrap.querySelector("[data-role=score]");
    score.textContent = sc.percent === null ? "—" : `${sc.percent}%`;
    score.dataset.percent = sc.percent === null ? "" : sc.percent;
    this.refreshAdjust(sc);
    this.sections.forEach((s, i) => {
      const n = s.items.filter((it) => answers[it.id]).length;
      this.picker.options[i].textContent = `${i + 1}. ${this.title(s)} (${n}/${s.items.length})`;
    });
  }

  refreshBanner() {
    const banner = this.root.querySelector("[data-role=offline-banner]");
    const n = this.outbox.length;
    this.wrap.dataset.queued = String(n);
    if (this.signedOut && n) {
      banner.hidden = false;
      banner.textContent = this.L.signed_out.replace("{n}", n);
    } else if (n && !this.online) {
      banner.hidden = false;
      banner.textContent = this.L.offline.replace("{n}", n);
    } else if (n) {
      banner.hidden = false;
      banner.textContent = this.L.syncing.replace("{n}", n);
    } else {
      banner.hidden = true;
      banner.textContent = "";
    }
    banner.dataset.offline = n && !this.online ? "true" : "false";
  }
}

// ----------------------------------------------------------------------------- standards language version 2
// Multi-clause deduct items (a counter per lettered clause, a `per: all` clause as a yes/no), sample items
// (checked / failed counters), bonus and penalty counters, group headings and the method badge. The answers
// are exactly what scoring.evaluate accepts: {"counts": {clause: n}} (clauses at 0 left out; {} = no
// deduction), {"checked": n, "failed": k}, {"count": n}.
const MAX_COUNT = 99;
const CLAUSE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function millionths(x) {
  return fmtNum(Number(x) / 1e6);
}

// bonus / penalty: one choice per count up to what `max` allows (a stepper beyond 9 choices)
function adjustmentChoices(item, L) {
  const per = Number(item.per);
  const top = item.max !== null && item.max !== undefined ? Math.ceil(Number(item.max) / per - 1e-9) : 20;
  const sign = item.scoring === "bonus" ? "+" : "−";
  const out = [];
  for (let n = 0; n <= top; n++) {
    const amount = item.max !== null && item.max !== undefined ? Math.min(n * per, Number(item.max)) : n * per;
    const times = L.v2_times.replace("{n}", n);
    out.push({ value: { count: n }, label: n === 0 ? times : `${times} ${sign}${fmtNum(amount)}`,
               kind: n === 0 ? "zero" : (item.scoring === "bonus" ? "pass" : "fail") });
  }
  return out;
}

function countsOf(value) {
  return value && value.counts && typeof value.counts === "object" ? value.counts : null;
}

Object.assign(Screen.prototype, {
  // a section's cards, those of a group (分项) under its heading
  appendItems(sec, section) {
    const groups = {};
    for (const g of section.groups || []) groups[g.id] = g;
    const boxes = {};
    for (const it of section.items) {
      const g = it.group && groups[it.group];
      if (!g) {
        sec.append(this.buildCard(it));
        continue;
      }
      if (!boxes[g.id]) {
        boxes[g.id] = el("div", { class: "pzi-group", "data-group-id": g.id },
          el("h4", { class: "pzi-group-title", text: `${this.title(g)} · ${fmtNum(g.points)}${this.L.pts}` }));
        sec.append(boxes[g.id]);
      }
      boxes[g.id].append(this.buildCard(it));
    }
  },

  usesMethods() {
    if (this._usesMethods === undefined) {
      this._usesMethods = Object.values(this.items).some((it) => it.method && it.method !== "onsite");
    }
    return this._usesMethods;
  },

  v2Badges(item, badges) {
    const L = this.L;
    if (item.rules && item.rules.length) { // no single "per" (the "−x/1处" badge): each clause shows its own
      const per = [...badges.children].find((b) => b.textContent.startsWith("−"));
      if (per) per.remove();
    }
    if (item.scoring === "bonus" || item.scoring === "penalty") {
      badges.firstChild.remove(); // no points of their own
      const each = item.scoring === "bonus" ? L.v2_bonus_each : L.v2_penalty_each;
      badges.prepend(el("span", { class: `pzi-badge ${item.scoring === "bonus" ? "pzi-green" : "pzi-red"}`,
                                  "data-role": "adjustment", text: each.replace("{x}", fmtNum(item.per)) }));
      if (item.max !== null && item.max !== undefined) {
        badges.append(el("span", { class: "pzi-badge", text: L.v2_max.replace("{x}", fmtNum(item.max)) }));
      }
    }
    if (item.scoring === "sample") {
      badges.append(el("span", { class: "pzi-badge", text: `${L.v2_sample_badge} · ${L.v2_min_sample.replace("{n}", item.min_sample || 1)}` }));
    }
    if (item.method && this.usesMethods()) {
      badges.append(el("span", { class: "pzi-badge pzi-method", "data-role": "method", "data-method": item.method,
                                 text: L[`method_${item.method}`] || item.method }));
    }
  },

  // the answer controls of a version-2 item, or null for the version-1 kinds (drawn by buildCard)
  v2Controls(item) {
    if (item.scoring === "deduct" && item.rules && item.rules.length) return this.clauseControls(item);
    if (item.scoring === "sample") return this.sampleControls(item);
    return null;
  },

  radio(item, value, label, kind) {
    const b = el("button", { type: "button", role: "radio", "aria-checked": "false", class: `pzi-choice pzi-${kind}`,
                             "data-value": JSON.stringify(value), text: label });
    b.addEventListener("click", () => this.tap(item.id, value));
    return b;
  },

  counter(label, onStep, valueEl) {
    const minus = el("button", { type: "button", class: "pzi-choice pzi-step", "data-step": "-1", "aria-label": `${label} −`, text: "−" });
    const plus = el("button", { type: "button", class: "pzi-choice pzi-step", "data-step": "1", "aria-label": `${label} +`, text: "+" });
    minus.addEventListener("click", () => onStep(-1));
    plus.addEventListener("click", () => onStep(1));
    return el("div", { class: "pzi-counter" }, minus, valueEl, plus);
  },

  clauseControls(item) {
    const L = this.L;
    const box = el("div", { class: "pzi-v2 pzi-clauses" });
    const top = el("div", { class: "pzi-choices", role: "radiogroup", "aria-label": L.result },
      this.radio(item, { counts: {} }, L.v2_no_deduction, "pass"));
    if (item.na) top.append(this.radio(item, { result: "na" }, L.na, "na"));
    box.append(top);
    item.rules.forEach((r, i) => {
      const letter = CLAUSE_LETTERS[i] || r.id;
      const all = r.per === null || r.per === undefined;
      const row = el("div", { class: "pzi-clause", "data-clause": r.id });
      const badge = all ? L.v2_all : L.v2_each.replace("{x}", fmtNum(r.per));
      row.append(el("div", { class: "pzi-clause-text" }, el("b", { text: `${letter}. ` }), document.createTextNode(r.text),
                    el("span", { class: `pzi-badge${all ? " pzi-red" : ""}`, text: badge })));
      if (all) {
        const yn = el("div", { class: "pzi-choices", role: "radiogroup", "aria-label": `${letter}. ${r.text}` });
        for (const [v, label, kind] of [[0, L.v2_all_no, "pass"], [1, L.v2_all_yes, "fail"]]) {
          const b = el("button", { type: "button", role: "radio", "aria-checked": "false", class: `pzi-choice pzi-${kind}`,
                                   "data-clause-value": v, text: label });
          b.addEventListener("click", () => this.setClause(item, r.id, v));
          yn.append(b);
        }
        row.append(yn);
      } else {
        const shown = el("span", { class: "pzi-step-value", "data-role": "clause-count", "aria-live": "polite" });
        row.append(this.counter(`${letter}`, (d) => this.stepClause(item, r.id, d), shown));
      }
      box.append(row);
    });
    return box;
  },

  setClause(item, clauseId, n) {
    const counts = { ...(countsOf(this.shown(item.id)) || {}) };
    if (n > 0) counts[clauseId] = n;
    else delete counts[clauseId];
    this.tap(item.id, { counts });
  },

  stepClause(item, clauseId, d) {
    const counts = countsOf(this.shown(item.id));
    const cur = counts ? Number(counts[clauseId] || 0) : 0;
    const next = Math.min(Math.max(cur + d, 0), MAX_COUNT);
    if (next === cur && counts) return;
    if (!counts && next === 0) return; // "−" on an unanswered item: nothing to take away
    this.setClause(item, clauseId, next);
  },

  sampleControls(item) {
    const L = this.L;
    const box = el("div", { class: "pzi-v2 pzi-sample" });
    for (const [field, label] of [["checked", L.v2_checked], ["failed", L.v2_failed]]) {
      const input = el("input", { type: "text", inputmode: "numeric", pattern: "[0-9]*", class: "pzi-count-input",
                                  "data-role": `${field}-input`, "aria-label": label, maxlength: 6, placeholder: "—" });
      input.addEventListener("change", () => {
        const v = parseInt(input.value, 10);
        if (Number.isInteger(v) && v >= 0) this.setSample(item, field, v);
        else this.refreshCard(item.id);
      });
      const row = el("div", { class: "pzi-field", "data-field": field },
        el("span", { class: "pzi-field-label", text: label }),
        this.counter(label, (d) => this.stepSample(item, field, d), input));
      box.append(row);
    }
    box.append(el("span", { class: "pzi-sample-result", "data-role": "sample-result" }));
    if (item.na) {
      box.append(el("div", { class: "pzi-choices", role: "radiogroup", "aria-label": L.result },
        this.radio(item, { result: "na" }, L.na, "na")));
    }
    return box;
  },

  sampleOf(item) {
    const v = this.shown(item.id);
    return v && "checked" in v ? { n: Number(v.checked), k: Number(v.failed) } : null;
  },

  setSample(item, field, v) {
    const min = Number(item.min_sample || 1);
    const cur = this.sampleOf(item) || { n: min, k: 0 };
    let { n, k } = cur;
    if (field === "checked") n = Math.max(min, Math.min(v, 999999));
    else k = v;
    k = Math.min(Math.max(k, 0), n);
    const same = this.sampleOf(item) && n === cur.n && k === cur.k;
    if (same) this.refreshCard(item.id);
    else this.tap(item.id, { checked: n, failed: k });
  },

  stepSample(item, field, d) {
    const cur = this.sampleOf(item);
    if (!cur) {
      if (d > 0) this.setSample(item, field, field === "checked" ? Number(item.min_sample || 1) : 1);
      return;
    }
    this.setSample(item, field, (field === "checked" ? cur.n : cur.k) + d);
  },

  refreshV2(card, item, value) {
    if (!item) return;
    if (item.scoring === "deduct" && item.rules && item.rules.length) {
      const counts = countsOf(value);
      for (const row of card.querySelectorAll("[data-clause]")) {
        const n = counts ? Number(counts[row.dataset.clause] || 0) : null;
        const shown = row.querySelector("[data-role=clause-count]");
        if (shown) shown.textContent = n === null ? "—" : String(n);
        row.dataset.count = n === null ? "" : String(n);
        for (const b of row.querySelectorAll("button[data-clause-value]")) {
          const on = n !== null && (Number(b.dataset.clauseValue) === 1 ? n >= 1 : n === 0);
          b.setAttribute("aria-checked", on ? "true" : "false");
        }
      }
    } else if (item.scoring === "sample") {
      const s = value && "checked" in value ? { n: Number(value.checked), k: Number(value.failed) } : null;
      for (const [field, x] of [["checked", s && s.n], ["failed", s && s.k]]) {
        const input = card.querySelector(`[data-role=${field}-input]`);
        if (document.activeElement !== input) input.value = s ? String(x) : "";
      }
      const result = card.querySelector("[data-role=sample-result]");
      if (s && s.n > 0) {
        const got = Math.round((Number(item.points) * (s.n - s.k) / s.n) * 100 + 1e-9) / 100; // display only
        result.textContent = `→ ${fmtNum(got)}/${fmtNum(item.points)}${this.L.pts}`;
      } else {
        result.textContent = "";
      }
    }
  },

  refreshAdjust(sc) {
    const box = this.wrap.querySelector("[data-role=adjust]");
    const has = Object.values(this.items).some((it) => it.scoring === "bonus" || it.scoring === "penalty");
    box.hidden = !has;
    if (!has) return;
    box.textContent = this.L.v2_adjust.replace("{b}", millionths(sc.bonus)).replace("{p}", millionths(sc.penalty));
    box.dataset.bonus = millionths(sc.bonus);
    box.dataset.penalty = millionths(sc.penalty);
  },
});
