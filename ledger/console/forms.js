// Forms generated from the kinds registry (GET /v1/kinds): one control per field, by its shape;
// reading a form back into a statement body (money in 元 -> fen exactly), its private data, and
// the plain preview of what will be signed.

import { canonical, concat, daxie, escapeHtml as h, fenToYuan, hex, sha256, todayShanghai, utf8, yuanToFen } from "./util.js";

export class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

const safe = (path) => "f-" + path.replace(/[^A-Za-z0-9_-]/g, "-");

const WIDE_TEXT = new Set(["body", "description", "purpose", "summary", "note", "resolution", "criteria", "outcome"]);

function control(f, path, ctx) {
  const id = safe(path);
  const described = `aria-describedby="${id}-help ${id}-err"`;
  const req = f.required ? " required" : "";
  const preset = ctx.preset && ctx.preset[path] !== undefined ? String(ctx.preset[path]) : "";
  switch (f.shape) {
    case "money":
      return `<div class="money"><input id="${id}" data-path="${path}" data-shape="money" inputmode="decimal" autocomplete="off" ${described}${req} value="${h(preset)}"><span aria-hidden="true">元</span></div>
        <p class="daxie" id="${id}-daxie" aria-live="polite"></p>`;
    case "day":
      return `<input id="${id}" type="date" data-path="${path}" data-shape="day" ${described}${req} value="${h(preset || (f.required ? todayShanghai() : ""))}">`;
    case "period":
      return `<input id="${id}" data-path="${path}" data-shape="text" placeholder="如 ${todayShanghai().slice(0, 7)}" ${described}${req} value="${h(preset || (f.required ? todayShanghai().slice(0, 7) : ""))}">`;
    case "year":
      return `<input id="${id}" data-path="${path}" data-shape="integer" inputmode="numeric" ${described}${req} value="${h(preset || (f.required ? todayShanghai().slice(0, 4) : ""))}">`;
    case "integer":
      return `<input id="${id}" data-path="${path}" data-shape="integer" inputmode="numeric" ${described}${req} value="${h(preset)}">`;
    case "enum":
    case "boolean": {
      const values = f.values || [{ value: true, label: "是" }, { value: false, label: "否" }];
      const opts = values.map((v) => `<option value="${h(JSON.stringify(v.value))}"${JSON.stringify(v.value) === preset || String(v.value) === preset ? " selected" : ""}>${h(v.label)}</option>`).join("");
      const empty = f.required ? "" : `<option value="">（不填）</option>`;
      return `<select id="${id}" data-path="${path}" data-shape="json" ${described}${req}>${empty}${opts}</select>`;
    }
    case "ref": {
      const known = (ctx.refs && ctx.refs[f.ref]) || [];
      if (known.length) {
        const empty = f.required ? `<option value="">请选择</option>` : `<option value="">（不填）</option>`;
        const opts = known.map((r) => `<option value="${h(r.id)}"${r.id === preset ? " selected" : ""}>${h(r.name ? `${r.name}（${r.id}）` : r.id)}</option>`).join("");
        return `<select id="${id}" data-path="${path}" data-shape="text" ${described}${req}>${empty}${opts}</select>`;
      }
      return `<input id="${id}" data-path="${path}" data-shape="text" ${described}${req} value="${h(preset)}" placeholder="尚无可选记录，请填写编号">`;
    }
    case "hash": {
      // an attachment of a list of attachments may be published on the portal; other files never
      const publish = path.startsWith("attachments.") ? `<label class="check"><input type="checkbox" id="${id}-publish">公开一份副本（居民可在门户查看原件；不勾选则只公开哈希）</label>` : "";
      return `<input id="${id}" type="file" accept="image/*,application/pdf" data-path="${path}" data-shape="hash" ${described}${req}>
        <p class="hash" id="${id}-hash" aria-live="polite">${preset ? h(preset) : "未选择文件：只登记其 SHA-256 哈希"}</p>${publish}`;
    }
    case "commitment":
      return `<div class="person" data-path="${path}" data-shape="commitment">
        <label for="${id}-name">姓名（不公开）</label><input id="${id}-name" autocomplete="off" data-person="name">
        <label for="${id}-contact">联系电话（不公开）</label><input id="${id}-contact" inputmode="tel" autocomplete="off" data-person="contact">
        <p class="note">姓名和电话只存私密库；公开记录里只有加了 32 字节随机盐的哈希。</p></div>`;
    case "list":
      if (f.fields && f.fields.length) return table(f, path, ctx);
      return `<textarea id="${id}" data-path="${path}" data-shape="lines" rows="3" ${described}${req}>${h(preset)}</textarea>`;
    case "object":
      return `<fieldset class="group">${f.fields.map((sub) => fieldHtml(sub, `${path}.${sub.name}`, ctx)).join("")}</fieldset>`;
    default: {
      if (WIDE_TEXT.has(f.name)) return `<textarea id="${id}" data-path="${path}" data-shape="text" rows="3" ${described}${req}>${h(preset)}</textarea>`;
      return `<input id="${id}" data-path="${path}" data-shape="text" autocomplete="off" ${described}${req} value="${h(preset)}" placeholder="${f.example !== undefined && typeof f.example === "string" && f.shape !== "key" ? "如 " + h(f.example) : ""}">`;
    }
  }
}

function table(f, path, ctx) {
  const id = safe(path);
  const head = f.fields.map((sub) => `<th scope="col">${h(sub.label)}${sub.shape === "money" ? "（元）" : ""}</th>`).join("");
  return `<table class="rows" id="${id}" data-path="${path}" data-shape="table"><thead><tr>${head}</tr></thead><tbody>${row(f, path, 0, ctx)}</tbody></table>
    <button type="button" class="secondary add-row" data-table="${id}">添加一行</button>`;
}

function row(f, path, n, ctx) {
  return `<tr>${f.fields.map((sub) => `<td><label class="visually-hidden" for="${safe(`${path}.${n}.${sub.name}`)}">${h(f.label)} 第 ${n + 1} 行 ${h(sub.label)}</label>${control(sub, `${path}.${n}.${sub.name}`, ctx)}</td>`).join("")}</tr>`;
}

function fieldHtml(f, path, ctx) {
  const id = safe(path);
  if (ctx.hidden && ctx.hidden.has(path)) return "";
  // the registry's help speaks of fen and of the command line's --person; a form does neither
  const help = f.shape === "money" ? `以元为单位，如 1500 或 1500.50（最多两位小数）`
    : f.shape === "commitment" ? "" : f.help || "";
  const need = f.required ? `<span class="need">必填</span>` : `<span class="optional">选填</span>`;
  const labelFor = ["commitment", "object", "list"].includes(f.shape) && !(f.shape === "list" && !(f.fields && f.fields.length)) ? "" : ` for="${id}"`;
  const tag = labelFor ? "label" : "span";
  return `<div class="field" data-field="${h(path.split(".")[0])}">
    <${tag} class="label"${labelFor}>${h(f.label)} ${need}</${tag}>
    <p class="help" id="${id}-help">${h(help)}</p>
    ${control(f, path, ctx)}
    <p class="error" id="${id}-err" role="alert" hidden></p></div>`;
}

export function formHtml(kind, ctx) {
  return kind.fields.map((f) => fieldHtml(f, f.name, ctx)).join("");
}

// Live behaviour: 大写 under money, hashing picked files, adding table rows.
export function wire(root, kind, ctx) {
  root.addEventListener("input", (e) => {
    const el = e.target;
    if (el.dataset && el.dataset.shape === "money") {
      const out = document.getElementById(el.id + "-daxie");
      try {
        const fen = yuanToFen(el.value);
        out.textContent = `大写：${daxie(fen)}`;
      } catch (err) {
        out.textContent = el.value.trim() ? "" : "";
      }
    }
  });
  root.addEventListener("change", async (e) => {
    const el = e.target;
    if (el.dataset && el.dataset.shape === "hash") {
      const out = document.getElementById(el.id + "-hash");
      const file = el.files && el.files[0];
      if (!file) { delete el.dataset.hash; out.textContent = "未选择文件"; return; }
      out.textContent = "正在计算哈希…";
      const digest = hex(await sha256(new Uint8Array(await file.arrayBuffer())));
      el.dataset.hash = digest;
      out.textContent = `${file.name}：SHA-256 ${digest}`;
      const row = /^(attachments\.\d+)\.sha256$/.exec(el.dataset.path);
      if (row) {  // an attachment's name and type, from the file, unless already typed in
        const name = document.getElementById(safe(`${row[1]}.name`));
        const type = document.getElementById(safe(`${row[1]}.media_type`));
        if (name && !name.value.trim()) name.value = file.name.slice(0, 80);
        if (type && !type.value.trim() && /^[a-z]+\/[A-Za-z0-9.+-]+$/.test(file.type)) type.value = file.type;
      }
    }
  });
  root.addEventListener("click", (e) => {
    const btn = e.target.closest && e.target.closest(".add-row");
    if (!btn) return;
    const tableEl = document.getElementById(btn.dataset.table);
    const path = tableEl.dataset.path;
    const f = lookup(kind.fields, path);
    const n = tableEl.tBodies[0].rows.length;
    tableEl.tBodies[0].insertAdjacentHTML("beforeend", row(f, path, n, ctx));
  });
}

function lookup(fields, path) {
  let found = null;
  let list = fields;
  for (const step of path.split(".")) {
    if (/^\d+$/.test(step)) continue;
    found = list.find((f) => f.name === step);
    list = (found && found.fields) || [];
  }
  return found;
}

// The body, private data and files of a filled form; a FieldError names the field at fault.
export async function readForm(root, kind, ctx) {
  const body = {};
  const privates = [];
  const uploads = [];
  privates.uploads = uploads;
  for (const f of kind.fields) {
    if (ctx.fixed && ctx.fixed[f.name] !== undefined) { body[f.name] = ctx.fixed[f.name]; continue; }
    const value = await readField(root, f, f.name, privates);
    if (value !== undefined) body[f.name] = value;
    else if (f.required) throw new FieldError(f.name, `请填写“${f.label}”`);
  }
  delete privates.uploads;
  return { body, privates, uploads };
}

async function readField(root, f, path, privates) {
  const id = safe(path);
  const el = document.getElementById(id);
  const where = path.split(".")[0];
  switch (f.shape) {
    case "money": {
      if (!el.value.trim()) return undefined;
      try { return yuanToFen(el.value); } catch (err) { throw new FieldError(where, `${f.label}：${err.message}`); }
    }
    case "integer":
    case "year": {
      const text = el.value.trim();
      if (!text) return undefined;
      if (!/^\d+$/.test(text)) throw new FieldError(where, `${f.label}：应为整数，而不是“${text}”`);
      return Number(text);
    }
    case "enum":
    case "boolean":
      return el.value === "" ? undefined : JSON.parse(el.value);
    case "hash": {
      const publish = document.getElementById(id + "-publish");
      if (el.dataset.hash && publish && publish.checked) privates.uploads.push({ sha256: el.dataset.hash, file: el.files[0] });
      return el.dataset.hash || undefined;
    }
    case "commitment": {
      const box = root.querySelector(`[data-path="${path}"][data-shape="commitment"]`);
      const data = {};
      for (const input of box.querySelectorAll("[data-person]")) {
        if (input.value.trim()) data[input.dataset.person] = input.value.trim();
      }
      const salt = crypto.getRandomValues(new Uint8Array(32));
      const commitment = hex(await sha256(concat(salt, utf8(canonical(data)))));
      privates.push({ commitment, salt: hex(salt), data });
      return commitment;
    }
    case "list": {
      if (f.fields && f.fields.length) {
        const out = [];
        const rows = document.getElementById(id).tBodies[0].rows.length;
        for (let n = 0; n < rows; n++) {
          const item = {};
          for (const sub of f.fields) {
            const v = await readField(root, sub, `${path}.${n}.${sub.name}`, privates);
            if (v !== undefined) item[sub.name] = v;
          }
          if (Object.keys(item).length) out.push(item);
        }
        return out.length ? out : undefined;
      }
      const lines = el.value.split(/[\n、；;]/).map((s) => s.trim()).filter(Boolean);
      return lines.length ? lines : undefined;
    }
    case "object": {
      const out = {};
      for (const sub of f.fields) {
        const v = await readField(root, sub, `${path}.${sub.name}`, privates);
        if (v !== undefined) out[sub.name] = v;
      }
      return Object.keys(out).length ? out : undefined;
    }
    default: {
      const text = el.value.trim();
      return text === "" ? undefined : text;
    }
  }
}

export function showError(root, field, message) {
  const box = field && root.querySelector(`.field[data-field="${field}"]`);
  if (!box) return false;
  const err = box.querySelector(":scope > .error");
  err.textContent = message;
  err.hidden = false;
  box.classList.add("invalid");
  const input = box.querySelector("input, select, textarea");
  if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  return true;
}

export function clearErrors(root) {
  for (const err of root.querySelectorAll(".error")) { err.hidden = true; err.textContent = ""; }
  for (const box of root.querySelectorAll(".invalid")) box.classList.remove("invalid");
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

// --- the preview: exactly the fields the statement carries, in plain Chinese ----------------

export function shown(f, value, ctx) {
  if (value === undefined) return "";
  switch (f.shape) {
    case "money": return `${fenToYuan(value)}（${daxie(value)}）`;
    case "enum":
    case "boolean": {
      const v = (f.values || [{ value: true, label: "是" }, { value: false, label: "否" }]).find((x) => x.value === value);
      return v ? v.label : String(value);
    }
    case "ref": {
      const r = ((ctx.refs && ctx.refs[f.ref]) || []).find((x) => x.id === value);
      return r && r.name ? `${r.name}（${value}）` : String(value);
    }
    case "commitment": return `个人信息的加盐哈希 ${value.slice(0, 16)}…（姓名、电话不在声明中）`;
    case "hash": return `SHA-256 ${value}`;
    case "list":
      if (f.fields && f.fields.length) return value.map((item) => f.fields.filter((s) => item[s.name] !== undefined).map((s) => `${s.label} ${shown(s, item[s.name], ctx)}`).join("，")).join("；");
      return value.join("、");
    case "object": return f.fields.filter((s) => value[s.name] !== undefined).map((s) => `${s.label} ${shown(s, value[s.name], ctx)}`).join("，");
    default: return String(value);
  }
}

export function previewRows(kind, body, ctx) {
  return kind.fields.filter((f) => body[f.name] !== undefined).map((f) => [f.label, shown(f, body[f.name], ctx), f.name]);
}
