// The committee console: a hash-routed page per task, calling the service's own API.

import * as keys from "./keys.js";
import { FieldError, clearErrors, formHtml, previewRows, readForm, showError, wire } from "./forms.js";
import { b64, canonical, concat, daxie, escapeHtml as h, fenToYuan, hex, sha256, statementTime, utf8 } from "./util.js";

const main = document.getElementById("main");
const state = { kinds: null, roles: {}, last: null };

async function api(path, options = {}) {
  const init = { method: options.method || "GET", headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    init.headers["Content-Type"] = "application/json";
  }
  Object.assign(init.headers, options.headers || {});
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    return { ok: false, status: 0, body: { detail: "无法连接服务，请检查网络后重试" } };
  }
  let body = null;
  try { body = await response.json(); } catch (e) { body = { detail: `服务答复 ${response.status}` }; }
  return { ok: response.ok, status: response.status, body };
}

async function kinds() {
  if (!state.kinds) {
    const r = await api("/v1/kinds");
    state.kinds = r.body.kinds;
    for (const role of r.body.roles) state.roles[role.value] = role.label;
  }
  return state.kinds;
}

// Every item of a paged list (at most 20 pages of 100).
async function every(path, key) {
  let out = [];
  let cursor = null;
  for (let n = 0; n < 20; n++) {
    const r = await api(path + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
    if (!r.ok) break;
    out = out.concat(r.body[key]);
    cursor = r.body.next_cursor;
    if (!cursor) break;
  }
  return out;
}

const kindOf = async (name) => (await kinds()).find((k) => k.kind === name);

function page(title, html) {
  document.title = `${title} · 阳光账本控制台`;
  main.innerHTML = `<h1>${h(title)}</h1>${html}`;
  main.focus();
}

function keyWarning(key) {
  if (!key) return "";
  if (key.demo) return `<p class="warn" role="note">演示密钥：来自公开的种子，任何人都能用它签名，只能用于演示社区。</p>`;
  if (key.kind === "noble") return `<p class="warn" role="note">此浏览器不支持安全保存的密钥（WebCrypto Ed25519），密钥以普通数据保存在本浏览器中，保护较弱；请尽快换用新版浏览器。</p>`;
  return "";
}

// My membership in a community: {member_id, name, role} for my key, or null.
async function whoAmI(community, key) {
  if (!key) return null;
  for (const m of await every(`/v1/communities/${community}/members?limit=100`, "members")) {
    if (m.active && m.keys.some((k) => k.key_id === key.keyId && k.retired_index === null)) return m;
  }
  return null;
}

// Records a kind may point at, by namespace: {namespace: [{id, name}]}
async function references(community, kind) {
  const all = await kinds();
  const refs = {};
  const wanted = new Set();
  const walk = (fields) => { for (const f of fields) { if (f.ref) wanted.add(f.ref); if (f.fields) walk(f.fields); } };
  walk(kind.fields);
  for (const ns of wanted) {
    refs[ns] = [];
    for (const k of all.filter((x) => x.creates && x.creates.namespace === ns)) {
      for (const rec of await every(`/v1/communities/${community}/records?kind=${encodeURIComponent(k.kind)}&limit=100`, "records")) {
        refs[ns].push({ id: rec.body[k.creates.id_field], name: rec.body[k.creates.name_field] });
      }
    }
  }
  return refs;
}

async function signStatement(community, kindName, body, privates) {
  const key = await keys.loadKey();
  const statement = canonical({ v: 1, community, kind: kindName, at: statementTime(), body });
  const signature = await keys.sign(utf8(statement));
  const submission = { statement, signature: b64(signature), key_id: key.keyId };
  if (privates.length) submission.private = privates;
  return submission;
}

// --- pages ----------------------------------------------------------------------------------

async function home() {
  const key = await keys.loadKey();
  const r = await api("/v1/communities?limit=100");
  const list = r.ok ? r.body.communities : [];
  page("阳光账本 · 委员控制台", `
    ${key ? `<p>本浏览器的签名密钥：配对码 <strong class="code">${h(group(key.keyId))}</strong></p>${keyWarning(key)}`
    : `<p>本浏览器还没有签名密钥。委员签名登记前，先在这里生成一把（密钥只存在本浏览器里，不会上传）。</p>`}
    <p><a class="button" href="#/key">${key ? "我的密钥与配对码" : "生成我的签名密钥"}</a></p>
    <h2>社区</h2>
    ${list.length ? `<ul class="menu">${list.map((c) => `<li><a href="#/c/${h(c.community)}">${h(c.name || c.community)}</a></li>`).join("")}</ul>` : "<p>本服务还没有社区。收到建账邀请链接的主任，请直接打开那个链接。</p>"}`);
}

const group = (keyId) => keyId.replace(/(.{4})(?=.)/g, "$1 ");

async function keyPage() {
  let key = await keys.loadKey();
  const render = async () => {
    if (!key) {
      const secure = await keys.webCryptoEd25519();
      page("我的签名密钥", `<p>签名密钥在本浏览器中生成并保存，永远不会离开本机，也无需抄写或保管文件。${secure ? "" : "（此浏览器不支持安全密钥，将使用保护较弱的备用方式。）"}</p>
        <button id="make">生成签名密钥</button>`);
      document.getElementById("make").onclick = async () => { key = await keys.createKey(); await render(); };
      return;
    }
    const offered = await api("/v1/pairings", { method: "POST", json: { public_key: key.publicKey } });
    page("我的签名密钥", `${keyWarning(key)}
      <p>新成员：把下面的<strong>配对码</strong>告诉主任（或让主任扫码），主任在控制台输入后即可为您办理入职。</p>
      <p class="pairing" id="pairing-code">${h(group(key.keyId))}</p>
      ${offered.ok ? `<img class="qr" alt="配对码二维码" src="/v1/qr?data=${encodeURIComponent(key.keyId)}" width="160" height="160">` : `<p class="error">配对码暂未登记到服务：${h(offered.body.detail || "")}</p>`}
      <p class="help">公钥（可公开）：<span class="mono">${h(key.publicKey)}</span></p>
      <p><a class="button secondary" href="#/">返回首页</a></p>`);
  };
  await render();
}

async function communityPage(community) {
  const key = await keys.loadKey();
  const info = await api(`/v1/communities/${community}`);
  if (!info.ok) return page("未找到社区", `<p class="error">${h(info.body.detail)}</p>`);
  const me = await whoAmI(community, key);
  const all = await kinds();
  if (!me) {
    return page(info.body.name || community, `${keyWarning(key)}<p>您的签名密钥还不是本社区成员的密钥。</p>
      <p>${key ? `请把配对码 <strong class="code">${h(group(key.keyId))}</strong> 告诉主任，由主任办理入职。` : ""}</p>
      <p><a class="button" href="#/key">我的密钥与配对码</a></p>`);
  }
  const mine = all.filter((k) => k.signers.includes(me.role) && k.kind !== "community.founded");
  page(info.body.name || community, `${keyWarning(key)}
    <p>${h(me.name)}（${h(me.role_zh)}），已登记 ${info.body.size} 条记录。</p>
    ${me.role === "chair" ? `<p><a class="button" href="#/c/${community}/admit">凭配对码接纳新成员</a></p>` : ""}
    <p><a class="button" href="#/c/${community}/proposals">待我签署的提案</a></p>
    <p><a class="button secondary" href="#/c/${community}/import">从表格导入纸质台账</a></p>
    <h2>登记一条记录</h2>
    <ul class="menu">${mine.map((k) => `<li><a href="#/c/${community}/new/${k.kind}">${h(k.title)}</a></li>`).join("")}</ul>`);
}

async function admitPage(community) {
  page("凭配对码接纳新成员", `<p>新成员（或换了手机的成员）在“我的密钥”页面生成密钥后，会看到 16 位配对码。</p><form id="pair" novalidate>
    <div class="field" data-field="code"><label class="label" for="code">新成员的配对码（16 位）</label>
    <input id="code" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="code-err">
    <p class="error" id="code-err" role="alert" hidden></p></div>
    <button type="submit">查找新成员的密钥</button></form><section id="found-key" aria-live="polite"></section>`);
  document.getElementById("pair").onsubmit = async (e) => {
    e.preventDefault();
    const code = document.getElementById("code").value.replace(/[\s-]/g, "").toLowerCase();
    const r = await api(`/v1/pairings/${encodeURIComponent(code || "-")}`);
    if (!r.ok) {
      const err = document.getElementById("code-err");
      err.textContent = r.body.detail;
      err.hidden = false;
      return;
    }
    const err = document.getElementById("code-err");
    err.hidden = true;
    document.getElementById("found-key").innerHTML = `<p class="ok">找到新密钥，密钥编号 ${h(group(r.body.key_id))}。</p>
      <button id="as-new">接纳为新成员</button>
      <button id="as-rotation" class="secondary">为已有成员更换密钥（手机丢失或更换）</button>`;
    document.getElementById("as-new").onclick = () => {
      state.preset = { public_key: r.body.public_key, name: r.body.name || "" };
      location.hash = `#/c/${community}/new/member.admitted`;
    };
    document.getElementById("as-rotation").onclick = () => {
      state.preset = { public_key: r.body.public_key, reason: "手机丢失，更换密钥" };
      location.hash = `#/c/${community}/new/member.key_rotated`;
    };
  };
}

async function recordPage(community, kindName, options = {}) {
  const kind = await kindOf(kindName);
  const key = await keys.loadKey();
  if (!kind) return page("未知的记录类型", `<p class="error">没有记录类型 ${h(kindName)}</p>`);
  if (!key) return page(kind.title, `<p>请先<a href="#/key">生成签名密钥</a>。</p>`);
  const ctx = { refs: options.founding ? {} : await references(community, kind), preset: options.preset || state.preset || {},
                fixed: options.fixed || {}, hidden: new Set(Object.keys(options.fixed || {})) };
  state.preset = null;
  page(options.title || kind.title, `${keyWarning(key)}${options.intro || ""}
    <form id="record" novalidate>${formHtml(kind, ctx)}
      <p class="error" id="form-err" role="alert" hidden></p>
      <button type="submit">预览并检查</button></form>
    <section id="preview" hidden aria-live="polite"></section>`);
  const form = document.getElementById("record");
  wire(form, kind, ctx);
  form.onsubmit = async (e) => {
    e.preventDefault();
    clearErrors(form);
    const formErr = document.getElementById("form-err");
    formErr.hidden = true;
    let read;
    try {
      read = await readForm(form, kind, ctx);
    } catch (err) {
      if (!(err instanceof FieldError) || !showError(form, err.field, err.message)) { formErr.textContent = err.message; formErr.hidden = false; }
      return;
    }
    const submission = await signStatement(community, kind.kind, read.body, read.privates);
    let propose = null;
    if (!options.founding) {
      const check = await api(`/v1/communities/${community}/records?dry_run=1`, { method: "POST", json: submission });
      if (!check.ok && check.body.code === "needs-cosign") propose = check.body.detail;
      else if (!check.ok) return refuse(form, check.body);
    }
    preview(community, kind, read, submission, ctx, Object.assign({ propose }, options));
  };
}

function refuse(form, problem) {
  const formErr = document.getElementById("form-err");
  if (!showError(form, problem.field, problem.detail)) {
    formErr.textContent = problem.detail || "提交未被接受";
    formErr.hidden = false;
    formErr.focus();
  }
}

function preview(community, kind, read, submission, ctx, options) {
  const form = document.getElementById("record");
  const box = document.getElementById("preview");
  const rows = previewRows(kind, read.body, ctx);
  const person = read.privates.filter((p) => Object.keys(p.data).length);
  form.hidden = true;
  box.hidden = false;
  box.innerHTML = `<h2>您将签署：</h2>
    <p>${h(kind.title)} · 社区 ${h(community)} · ${h(new Date().toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" }))}</p>
    <dl class="preview">${rows.map(([label, value, name]) => `<dt>${h(label)}</dt><dd data-name="${h(name)}">${h(value)}</dd>`).join("")}</dl>
    ${(read.uploads || []).length ? `<p class="note">另将存放 ${read.uploads.length} 份附件的公开副本（按哈希核对）。</p>` : ""}
    ${person.length ? `<p class="note">不写入声明、只交私密库：${person.map((p) => Object.values(p.data).map(h).join("、")).join("；")}</p>` : ""}
    ${options.founding ? "" : options.propose ? `<p class="note" id="needs-cosign">${h(options.propose)}。提交后成为提案，其他成员在控制台“待我签署”中共同签署后才登记。</p>`
      : `<p class="ok">已按账本的全部规则检查通过（尚未登记）。</p>`}
    <button id="confirm">${options.propose ? "签署并提交为提案" : "确认签署并提交"}</button> <button id="back" class="secondary">返回修改</button>`;
  document.getElementById("back").onclick = () => { box.hidden = true; form.hidden = false; };
  document.getElementById("confirm").onclick = async (e) => {
    e.target.disabled = true;
    for (const up of read.uploads || []) {  // published copies first: the record then names them
      const put = () => fetch(`/v1/communities/${community}/files/${up.sha256}`, { method: "PUT", body: up.file, headers: { "Content-Type": up.file.type || "application/octet-stream" }, credentials: "same-origin" });
      let res = await put();
      if (res.status === 401) { await signIn(community); res = await put(); }
      if (!res.ok) {
        let detail = `上传附件失败（${res.status}）`;
        try { detail = (await res.json()).detail; } catch (err) { /* keep the status */ }
        box.hidden = true;
        form.hidden = false;
        return refuse(form, { detail: `公开副本未能存放：${detail}`, field: "attachments" });
      }
    }
    const r = options.founding
      ? await api(`/v1/communities/${community}/founding`, { method: "POST", json: { records: [submission] }, headers: { Authorization: `Bearer ${options.token}` } })
      : await api(`/v1/communities/${community}/${options.propose ? "proposals" : "records"}`, { method: "POST", json: submission });
    if (r.status === 202) {
      box.innerHTML = `<h2>已保存为提案</h2><p class="ok" id="proposed">尚未登记：${h(r.body.message || "")}</p>
        <p><a class="button secondary" href="#/c/${h(community)}">返回</a></p>`;
      return;
    }
    if (!r.ok) {
      box.hidden = true;
      form.hidden = false;
      return refuse(form, r.body);
    }
    const receipt = options.founding ? r.body.receipts[0] : r.body;
    state.last = { community, kind, body: read.body, person, receipt, ctx };
    location.hash = "#/receipt";
  };
  document.getElementById("confirm").focus();
}

async function receiptPage() {
  const last = state.last;
  if (!last) return page("回执", `<p>没有新登记的记录。</p><p><a class="button" href="#/">返回首页</a></p>`);
  const { community, kind, receipt } = last;
  const settings = await api("/v1/console/settings");
  const portal = settings.ok ? settings.body.portal_url : null;
  const proof = URL.createObjectURL(new Blob([receipt.proof], { type: "text/plain" }));
  page("已登记", `<p class="ok">${h(kind.title)}已写入社区 ${h(community)} 的公开日志，日志序号 <strong id="log-index">${receipt.index}</strong>。</p>
    <dl class="preview"><dt>声明哈希</dt><dd class="mono">${h(receipt.statement_hash)}</dd><dt>检查点树大小</dt><dd>${receipt.tree_size}</dd></dl>
    <p><a class="button" download="${h(community)}-${receipt.index}.tlog-proof" href="${proof}">下载离线证明（.tlog-proof）</a></p>
    ${portal ? `<p><a class="button" id="portal-link" href="${h(portal.replace("{community}", community).replace(/\/?$/, "/"))}r/${receipt.index}/">在门户查看（门户更新后可见）</a></p>` : ""}
    <p><a class="button secondary" href="/v1/communities/${h(community)}/records/${receipt.index}">查看记录原文</a></p>
    ${kind.kind === "fund.donation_recorded" ? `<p><a class="button" href="#/donor">打印捐赠收据</a></p>` : ""}
    <p><a class="button secondary" href="#/c/${h(community)}">继续登记</a></p>`);
}

function donorPage() {
  const last = state.last;
  if (!last || last.kind.kind !== "fund.donation_recorded") return page("捐赠收据", `<p>没有新登记的捐赠。</p>`);
  const { community, body, person, receipt } = last;
  const record = `${location.origin}/v1/communities/${community}/records/${receipt.index}`;
  const name = person.length && person[0].data.name ? person[0].data.name : "（匿名）";
  document.title = "捐赠收据";
  main.innerHTML = `<article class="a6"><h1>捐赠收据</h1>
    <dl><dt>捐赠人</dt><dd>${h(name)}</dd><dt>金额</dt><dd>${h(fenToYuan(body.amount_fen))}<br>${h(daxie(body.amount_fen))}</dd>
    <dt>基金</dt><dd>${h(body.fund_id)}</dd><dt>收据号</dt><dd>${h(body.receipt_no)}</dd><dt>收款日期</dt><dd>${h(body.received_on)}</dd>
    <dt>公开日志</dt><dd>社区 ${h(community)} 第 ${receipt.index} 条</dd></dl>
    <img class="qr" alt="扫码核对这笔捐赠的公开记录" src="/v1/qr?data=${encodeURIComponent(record)}" width="140" height="140">
    <p class="small">扫码核对公开记录；公开记录中没有您的姓名和电话。</p></article>
    <p class="no-print"><button id="print">打印</button> <a class="button secondary" href="#/receipt">返回</a></p>`;
  document.getElementById("print").onclick = () => window.print();
}

async function foundingPage(community, token) {
  let key = await keys.loadKey();
  if (!key) {
    page("建立社区", `<p>您收到了社区 ${h(community)} 的建账邀请。先在本浏览器生成您（主任）的签名密钥：它只存在本机，不会上传。</p><button id="make">生成签名密钥</button>`);
    document.getElementById("make").onclick = async () => { key = await keys.createKey(); foundingPage(community, token); };
    return;
  }
  await recordPage(community, "community.founded", {
    founding: true, token, title: "建立社区",
    intro: `<p>凭建账邀请建立社区 ${h(community)}：您将作为主任签署建账声明。签署规则采用默认规则（重要事项两人共同签署）。</p>`,
    fixed: { founder_public_key: key.publicKey, policy: "default" },
    preset: { founder_id: "chair" },
  });
}

// --- the demo only: act as a demo member (keys from public seeds) -----------------------------

async function demoPage() {
  const r = await api("/v1/demo/members");
  if (!r.ok) return page("演示", `<p>只有演示服务（sunlight demo）提供演示成员。</p>`);
  page("演示：以演示成员身份使用", `<p class="warn" role="note">${h(r.body.notice)}</p>
    <p>选一位演示成员：本浏览器将改用该成员的演示密钥（来自公开种子，仅限演示社区）。</p>
    <ul class="menu">${r.body.members.map((m) => `<li><button class="secondary as-member" data-seed="${h(m.seed)}">${h(m.name)}（${h(m.role_zh)}）</button></li>`).join("")}</ul>`);
  main.onclick = async (e) => {
    const btn = e.target.closest && e.target.closest("button.as-member");
    if (!btn) return;
    await keys.importDemoSeed(btn.dataset.seed);
    location.hash = `#/c/${r.body.community}`;
  };
}

// --- sign-in and proposals -------------------------------------------------------------------

// Signs in by signing the service's challenge: the session is an HttpOnly cookie this page never sees.
async function signIn(community) {
  const key = await keys.loadKey();
  const c = await api(`/v1/communities/${community}/auth/challenge`, { method: "POST" });
  if (!c.ok) throw new Error(c.body.detail);
  const message = `sunlight-auth-v1\ncommunity=${community}\norigin=${location.origin}\nchallenge=${c.body.challenge}\n`;
  const signature = await keys.sign(utf8(message));
  const s = await api(`/v1/communities/${community}/auth/session`, { method: "POST", json: { challenge: c.body.challenge, key_id: key.keyId, signature: b64(signature) } });
  if (!s.ok) throw new Error(s.body.detail);
}

async function proposalsPage(community) {
  const key = await keys.loadKey();
  let r = await api(`/v1/communities/${community}/proposals?status=pending`);
  if (r.status === 401) {
    await signIn(community);
    r = await api(`/v1/communities/${community}/proposals?status=pending`);
  }
  if (!r.ok) return page("待我签署的提案", `<p class="error" role="alert">${h(r.body.detail)}</p>`);
  const all = await kinds();
  const waiting = r.body.proposals.filter((p) => !p.signatures.some((s) => s.key_id === key.keyId));
  const items = [];
  for (const p of waiting) {
    const statement = JSON.parse(p.statement);
    const kind = all.find((k) => k.kind === statement.kind);
    const ctx = { refs: await references(community, kind) };
    const rows = previewRows(kind, statement.body, ctx);
    items.push(`<article class="proposal" data-id="${h(p.id)}"><h2>${h(kind.title)}</h2>
      <p>您将签署：</p>
      <dl class="preview">${rows.map(([label, value]) => `<dt>${h(label)}</dt><dd>${h(value)}</dd>`).join("")}</dl>
      <p class="note">${h(p.missing.join("；"))}</p>
      <button class="cosign" data-id="${h(p.id)}">共同签署</button>
      <p class="error" role="alert" hidden></p></article>`);
  }
  page("待我签署的提案", waiting.length ? items.join("") : `<p id="none-waiting">没有等待您签署的提案。</p>`);
  main.onclick = async (e) => {
    const btn = e.target.closest && e.target.closest("button.cosign");
    if (!btn) return;
    btn.disabled = true;
    const p = waiting.find((x) => x.id === btn.dataset.id);
    const signature = await keys.sign(utf8(p.statement));
    const done = await api(`/v1/communities/${community}/proposals/${encodeURIComponent(p.id)}/signatures`, { method: "POST", json: { key_id: key.keyId, signature: b64(signature) } });
    const article = btn.closest("article");
    if (!done.ok) {
      const err = article.querySelector(".error");
      err.textContent = done.body.detail;
      err.hidden = false;
      btn.disabled = false;
      return;
    }
    article.insertAdjacentHTML("beforeend", done.status === 201
      ? `<p class="ok cosigned">已共同签署并登记，日志序号 ${done.body.index}。</p>`
      : `<p class="ok cosigned">已加上您的签名；${h((done.body.missing || []).join("；") || "等待登记")}</p>`);
  };
}

// --- import: a kind's template, checked row by row, recorded all together ------------------

async function importPage(community) {
  const all = await kinds();
  const key = await keys.loadKey();
  const me = await whoAmI(community, key);
  const mine = all.filter((k) => me && k.signers.includes(me.role) && k.kind !== "community.founded");
  page("从表格导入", `<p>下载一种记录的模板，在 Excel 或 WPS 中每行填一条，再上传：每一行都先检查，全部通过后才一次登记。</p>
    <form id="import" novalidate>
      <div class="field" data-field="kind"><label class="label" for="kind">记录类型</label>
      <select id="kind">${mine.map((k) => `<option value="${k.kind}">${h(k.title)}</option>`).join("")}</select></div>
      <p id="templates"></p>
      <div class="field" data-field="file"><label class="label" for="file">填好的表格（.csv 或 .xlsx）</label>
      <input id="file" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"></div>
      <button type="submit">检查全部行</button></form>
    <section id="result" aria-live="polite"></section>`);
  const select = document.getElementById("kind");
  const links = () => {
    const k = select.value;
    document.getElementById("templates").innerHTML = `下载模板：<a class="button secondary" href="/v1/kinds/${k}/template.xlsx">Excel 模板</a> <a class="button secondary" href="/v1/kinds/${k}/template.csv">CSV 模板</a>`;
  };
  select.onchange = links;
  links();
  document.getElementById("import").onsubmit = async (e) => {
    e.preventDefault();
    const out = document.getElementById("result");
    const file = document.getElementById("file").files[0];
    if (!file) { out.innerHTML = `<p class="error" role="alert">请选择填好的表格文件</p>`; return; }
    const kindName = select.value;
    const parsed = await fetch(`/v1/kinds/${kindName}/rows?name=${encodeURIComponent(file.name)}`, { method: "POST", body: await file.arrayBuffer(), headers: { "Content-Type": "application/octet-stream" } });
    const rows = await parsed.json();
    if (!parsed.ok) { out.innerHTML = `<p class="error" role="alert">${h(rows.detail)}</p>`; return; }
    const bad = rows.rows.filter((r) => r.error);
    if (bad.length) return listBad(out, bad);
    const subs = [];
    for (const r of rows.rows) {
      const privates = [];
      if (r.commitment_field) {  // the person of the row, salted here: only the commitment is signed
        const data = r.person || {};
        const salt = crypto.getRandomValues(new Uint8Array(32));
        const commitment = hex(await sha256(concat(salt, utf8(canonical(data)))));
        r.body[r.commitment_field] = commitment;
        privates.push({ commitment, salt: hex(salt), data });
      }
      subs.push(await signStatement(community, kindName, r.body, privates));
    }
    const check = await api(`/v1/communities/${community}/batches?dry_run=1`, { method: "POST", json: { records: subs } });
    if (!check.ok) {
      const errors = check.body.errors || [{ row: 1, detail: check.body.detail }];
      return listBad(out, errors.map((x) => ({ line: rows.rows[x.row - 1] ? rows.rows[x.row - 1].line : x.row, error: x.detail })));
    }
    out.innerHTML = `<p class="ok">全部 ${subs.length} 行检查通过（尚未登记）。</p><button id="commit">签署并登记全部 ${subs.length} 行</button>`;
    document.getElementById("commit").onclick = async (ev) => {
      ev.target.disabled = true;
      const r = await api(`/v1/communities/${community}/batches`, { method: "POST", json: { records: subs } });
      if (!r.ok) { out.innerHTML = `<p class="error" role="alert">${h(r.body.detail)}</p>`; return; }
      out.innerHTML = `<p class="ok" id="imported">已登记 ${r.body.receipts.length} 条记录，日志序号 ${r.body.receipts[0].index} 至 ${r.body.receipts[r.body.receipts.length - 1].index}。</p>`;
    };
  };
}

function listBad(out, bad) {
  out.innerHTML = `<p class="error" role="alert">${bad.length} 行有误，全部未登记。请改正后重新上传：</p>
    <ul class="bad">${bad.map((b) => `<li>第 ${b.line} 行：${h(b.error)}</li>`).join("")}</ul>`;
}

// --- the router -----------------------------------------------------------------------------

async function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  delete main.dataset.page;
  main.onclick = null;
  await show(hash);
  main.dataset.page = hash;  // rendered (tests wait for it)
}

async function show(hash) {
  const parts = hash.split("/").filter(Boolean);
  try {
    if (parts.length === 0) return await home();
    if (parts[0] === "key") return await keyPage();
    if (parts[0] === "demo") return await demoPage();
    if (parts[0] === "receipt") return await receiptPage();
    if (parts[0] === "donor") return donorPage();
    if (parts[0] === "found" && parts.length === 3) return await foundingPage(parts[1], parts[2]);
    if (parts[0] === "c" && parts.length === 2) return await communityPage(parts[1]);
    if (parts[0] === "c" && parts[2] === "admit") return await admitPage(parts[1]);
    if (parts[0] === "c" && parts[2] === "proposals") return await proposalsPage(parts[1]);
    if (parts[0] === "c" && parts[2] === "import") return await importPage(parts[1]);
    if (parts[0] === "c" && parts[2] === "new" && parts[3]) return await recordPage(parts[1], parts[3]);
    page("没有这个页面", `<p><a class="button" href="#/">返回首页</a></p>`);
  } catch (err) {
    page("出错了", `<p class="error" role="alert">${h(err.message || String(err))}</p><p><a class="button" href="#/">返回首页</a></p>`);
  }
}

window.addEventListener("hashchange", route);
route();
