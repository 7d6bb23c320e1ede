// The close-out signature pad: a canvas drawn with pointer events (finger, stylus, mouse), 清除 and 保存签名.
// Data contract: see app/ui/signature_pad/__init__.py. Reports the trigger "signed" with a PNG data URL.
const pads = new WeakMap();

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  let pad = pads.get(parentElement);
  if (!pad || pad.key !== data.key) {
    if (pad) pad.destroy();
    pad = new Pad(parentElement, data, setTriggerValue);
    pads.set(parentElement, pad);
  } else {
    pad.setTrigger = setTriggerValue; // a rerun keeps what is drawn
    pad.setDisabled(Boolean(data.disabled));
  }
}

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

class Pad {
  constructor(parent, data, setTriggerValue) {
    this.key = data.key;
    this.setTrigger = setTriggerValue;
    this.L = data.labels || {};
    this.height = Number(data.height) || 200;
    let root = parent.querySelector(":scope > .pzs-host");
    if (!root) {
      root = el("div", { class: "pzs-host" });
      parent.append(root);
    }
    root.replaceChildren();
    this.root = root;
    this.canvas = el("canvas", { class: "pzs-canvas", "data-role": "signature-canvas", role: "img",
                                 "aria-label": this.L.aria || "signature", "data-role-name": data.role || "" });
    this.hint = el("div", { class: "pzs-hint", text: this.L.hint || "" });
    this.clearBtn = el("button", { type: "button", class: "pzs-btn", "data-action": "clear-signature",
                                   text: this.L.clear || "Clear" });
    this.saveBtn = el("button", { type: "button", class: "pzs-btn pzs-primary", "data-action": "save-signature",
                                  text: this.L.save || "Save" });
    const box = el("div", { class: "pzs-box" }, this.canvas, this.hint);
    root.append(box, el("div", { class: "pzs-row" }, this.clearBtn, this.saveBtn));
    this.strokes = 0;
    this.drawing = null;
    this.resize();
    this.onResize = () => this.resize();
    window.addEventListener("resize", this.onResize);
    this.canvas.addEventListener("pointerdown", (e) => this.down(e));
    this.canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const t of ["pointerup", "pointercancel", "pointerleave"]) this.canvas.addEventListener(t, (e) => this.up(e));
    this.clearBtn.addEventListener("click", () => this.clear());
    this.saveBtn.addEventListener("click", () => this.save());
    this.setDisabled(Boolean(data.disabled));
  }

  destroy() {
    window.removeEventListener("resize", this.onResize);
  }

  setDisabled(disabled) {
    this.disabled = disabled;
    this.saveBtn.disabled = disabled;
    this.clearBtn.disabled = disabled;
  }

  resize() {
    const w = Math.max(200, Math.round(this.canvas.getBoundingClientRect().width || this.root.clientWidth || 600));
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const old = this.strokes ? this.canvas.toDataURL("image/png") : null;
    this.canvas.width = Math.min(2400, Math.round(w * ratio));
    this.canvas.height = Math.min(1200, Math.round(this.height * ratio));
    this.canvas.style.height = `${this.height}px`;
    const ctx = this.canvas.getContext("2d");
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111827";
    ctx.lineWidth = 2.6 * ratio;
    this.ratio = ratio;
    if (old) { // keep what was drawn across a rotation
      const img = new Image();
      img.onload = () => ctx.drawImage(img, 0, 0);
      img.src = old;
    }
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * (this.canvas.width / r.width), (e.clientY - r.top) * (this.canvas.height / r.height)];
  }

  down(e) {
    if (this.disabled) return;
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.drawing = e.pointerId;
    const [x, y] = this.point(e);
    const ctx = this.canvas.getContext("2d");
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.01, y + 0.01);
    ctx.stroke();
    this.last = [x, y];
    this.strokes += 1;
    this.hint.hidden = true;
  }

  move(e) {
    if (this.drawing !== e.pointerId) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    const ctx = this.canvas.getContext("2d");
    for (const ev of events.length ? events : [e]) {
      const [x, y] = this.point(ev);
      ctx.beginPath();
      ctx.moveTo(this.last[0], this.last[1]);
      ctx.lineTo(x, y);
      ctx.stroke();
      this.last = [x, y];
    }
  }

  up(e) {
    if (this.drawing === e.pointerId) this.drawing = null;
  }

  clear() {
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = 0;
    this.hint.hidden = false;
  }

  save() {
    if (this.disabled) return;
    // sent even when nothing is drawn: the server refuses a blank signature with its own message
    this.setTrigger("signed", { png: this.canvas.toDataURL("image/png"), strokes: this.strokes, at: Date.now() });
  }
}
