// 阳光账本 · 在浏览器中核验 (the audit page's one-page check of the published log).
//
// With nothing but this site's files and the browser's WebCrypto (Ed25519 from @noble/ed25519,
// vendored, where the browser has none), it checks:
//   - the checkpoint (log/checkpoint) is signed by the log key typed in the form
//     (C2SP signed-note, Ed25519 key type 0x01);
//   - every entry (log/tile/entries/..., C2SP tlog-tiles) hashes to the checkpoint's root
//     (RFC 9162 Merkle tree: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || l || r));
//   - every member signature verifies with the key the log itself registered for its key ID
//     (founder, admitted members, rotated keys), and that key was not rotated away or revoked
//     before the entry; an entry that registers a weak key (small order, mixed order, not
//     canonical) fails, and the key is not registered.
// Roles, terms and every domain rule are checked by `sunlight verify`, which the page names.
// Nothing from the log is ever inserted as markup: text only.

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });
const TILE_WIDTH = 256;
const MAX_LISTED = 50;
const READ_AHEAD = 4;  // entry bundles fetched ahead of the one being checked

class Stop extends Error {}

function b64decode(s) {
  if (typeof s !== "string" || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new Error("base64");
  }
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

// Ed25519: the browser's own WebCrypto where it has it (Chrome/Edge 137+, Firefox 129+,
// Safari 17+), else @noble/ed25519 (vendor/, MIT), fetched only then. Either backend is asked
// only after the rules below (those of ledger/crypto/ed25519.py and `sunlight verify`) pass: a
// key must be canonical, not of small order and in the prime-order subgroup; a signature must
// have S < L and an R that is canonical and not of small order. So both backends agree with the
// command line, on the edges too (tests/vectors/ed25519-edge.json).
const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;  // -121665/121666
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;
// The y of the eight small-order points (1; p-1; 0; the two of order 8), as in ed25519.py.
const SMALL_ORDER_Y = [0n, 1n, P - 1n,
  2707385501144840649318225287225658788936804267575313519463743609750303402022n,
  55188659117513257062467267217118295137698188065244968500265048394206261417927n];

function leInt(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

function leHex(n) {  // a 255-bit number as 32 little-endian bytes, in hex
  let out = "";
  for (let i = 0; i < 32; i++) { out += Number(n & 0xffn).toString(16).padStart(2, "0"); n >>= 8n; }
  return out;
}

// Every R refused without arithmetic: the small-order points and every y >= p, sign bit cleared.
const BAD_R = new Set([...SMALL_ORDER_Y, ...Array.from({ length: 19 }, (_, i) => P + BigInt(i))].map(leHex));
const BAD_R_FIRST = new Set([...BAD_R].map((h) => parseInt(h.slice(0, 2), 16)));

// Why a signature's encoding is refused (Chinese), or null. Cheap: run before every verification.
export function signatureProblem(signature) {
  if (signature.length !== 64) return "签名应为 64 字节";
  if (BAD_R_FIRST.has(signature[0])) {
    const r = signature.slice(0, 32);
    r[31] &= 0x7f;
    if (BAD_R.has(hex(r))) return "签名的 R 是小阶点或编码不规范";
  }
  if (signature[63] >= 0x10 && leInt(signature.subarray(32)) >= L) return "签名的 S 不小于群阶 L（编码不规范）";
  return null;
}

const mod = (a) => { const r = a % P; return r < 0n ? r + P : r; };

function powMod(base, exp) {
  let result = 1n;
  base = mod(base);
  while (exp > 0n) {
    if (exp & 1n) result = result * base % P;
    base = base * base % P;
    exp >>= 1n;
  }
  return result;
}

function addPoints([x1, y1, z1, t1], [x2, y2, z2, t2]) {  // complete, extended coordinates (RFC 8032 §5.1.4)
  const a = mod((y1 - x1) * (y2 - x2)), b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * t1 * t2 * D), d = mod(2n * z1 * z2);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function mulPoint(k, point) {
  let result = [0n, 1n, 1n, 0n];
  while (k > 0n) {
    if (k & 1n) result = addPoints(result, point);
    point = addPoints(point, point);
    k >>= 1n;
  }
  return result;
}

const isIdentity = ([x, y, z]) => mod(x) === 0n && mod(y - z) === 0n;

// Why a public key must not be registered or trusted (Chinese), or null: RFC 8032 §5.1.3 strict
// decoding, then not of small order and in the prime-order subgroup (L·A is the identity).
export function publicKeyProblem(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) return "公钥应为 32 字节";
  const n = leInt(raw);
  const sign = n >> 255n;
  const y = n & (2n ** 255n - 1n);
  if (y >= P) return "公钥编码不规范（y ≥ p）";
  const x2 = mod((y * y - 1n) * powMod(D * y * y + 1n, P - 2n));
  let x = powMod(x2, (P + 3n) / 8n);
  if (mod(x * x - x2) !== 0n) x = x * SQRT_M1 % P;
  if (mod(x * x - x2) !== 0n) return "公钥不是曲线上的点";
  if (x === 0n && sign === 1n) return "公钥编码不规范（x = 0 而符号位为 1）";
  if ((x & 1n) !== sign) x = P - x;
  const point = [x, y, 1n, x * y % P];
  if (isIdentity(mulPoint(8n, point))) return "公钥是小阶点";
  if (!isIdentity(mulPoint(L, point))) return "公钥不在素数阶子群中（含小阶分量）";
  return null;
}

// A key registered in the log (base64): why it is unsafe, or null.
function registeredKeyProblem(b64) {
  let raw;
  try { raw = b64decode(b64); } catch { return "公钥不是 base64"; }
  const problem = publicKeyProblem(raw);
  if (problem) return problem;
  if (btoa(String.fromCharCode(...raw)) !== b64) return "公钥的 base64 编码不规范";
  return null;
}

const weak = (what, problem) => `${what}不安全（${problem}），任何人都可能冒用它签名`;

let noble = null;

async function ed25519Backend() {
  if (noble === null) {
    let native = globalThis.__slEd25519Fallback !== true;  // tests force the fallback
    if (native) {
      try { await crypto.subtle.importKey("raw", new Uint8Array(32).fill(1), { name: "Ed25519" }, false, ["verify"]); } catch (e) {
        native = false;
      }
    }
    noble = native ? false : await import(new URL("vendor/noble-ed25519.js", import.meta.url).href);
    globalThis.__slEd25519Used = native ? "webcrypto" : "noble";
  }
  return noble;
}

async function ed25519Key(raw) {
  const problem = publicKeyProblem(raw);
  if (problem) throw new Error(problem);
  const fallback = await ed25519Backend();
  if (fallback) return { raw };
  return crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
}

async function ed25519Verify(key, signature, data) {
  if (signatureProblem(signature)) return false;
  const fallback = await ed25519Backend();
  if (!fallback) return crypto.subtle.verify({ name: "Ed25519" }, key, signature, data);
  try { return await fallback.verifyAsync(signature, data, key.raw, { zip215: false }); } catch { return false; }
}

// --- C2SP signed notes and checkpoints ---------------------------------------------------------

export async function parseVerifierKey(text) {
  const parts = /^([^+\s]+)\+([^+\s]*)\+(\S*)$/.exec(text.trim())?.slice(1) || [];  // base64 may hold "+"
  if (parts.length !== 3 || !/^[0-9a-f]{8}$/.test(parts[1])) {
    throw new Stop("日志验证公钥格式不对：应为 名称+8位十六进制+base64");
  }
  let raw;
  try { raw = b64decode(parts[2]); } catch { raw = null; }
  if (!raw || raw.length !== 33 || raw[0] !== 0x01) throw new Stop("日志验证公钥不是 Ed25519 公钥");
  const name = parts[0];
  const id = (await sha256(concat(enc.encode(name + "\n"), raw))).slice(0, 4);
  if (hex(id) !== parts[1]) throw new Stop("日志验证公钥的密钥 ID 与公钥不符");
  const problem = publicKeyProblem(raw.slice(1));
  if (problem) throw new Stop(weak("日志验证公钥", problem) + "，不能使用");
  return { name, id, key: await ed25519Key(raw.slice(1)) };
}

// Strict Ed25519 verification of `signature` over `data` by the raw public key `raw`.
export async function verifyEd25519(raw, signature, data) {
  if (publicKeyProblem(raw)) return false;
  return ed25519Verify(await ed25519Key(raw), signature, data);
}

export async function openCheckpoint(note, verifier) {
  const split = note.lastIndexOf("\n\n");  // as C2SP signed-note: the last empty line
  if (split < 0 || !note.endsWith("\n")) throw new Stop("检查点不是签名笔记（signed note）格式");
  const text = note.slice(0, split + 1);
  const lines = text.slice(0, -1).split("\n");
  const signers = [];
  const cosignatures = [];
  let signed = false;
  for (const line of note.slice(split + 2, -1).split("\n")) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Stop("检查点的签名行格式不对");
    signers.push(m[1]);
    if (m[1] !== verifier.name) { cosignatures.push({ name: m[1], b64: m[2] }); continue; }
    let raw;
    try { raw = b64decode(m[2]); } catch { continue; }
    if (raw.length === 68 && equal(raw.slice(0, 4), verifier.id)
        && await ed25519Verify(verifier.key, raw.slice(4), enc.encode(text))) {
      signed = true;
    }
  }
  if (lines.length < 3 || lines[0] !== verifier.name) {
    throw new Stop(`检查点属于日志 ${lines[0]}，而不是公钥所属的 ${verifier.name}`);
  }
  if (!signed) throw new Stop("检查点没有这把日志公钥的有效签名：日志或检查点被改动过，或公钥不对");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(lines[1])) throw new Stop("检查点的记录条数格式不对");
  let root;
  try { root = b64decode(lines[2]); } catch { root = null; }
  if (!root || root.length !== 32) throw new Stop("检查点的根哈希格式不对");
  return { origin: lines[0], size: Number(lines[1]), root, text, cosignatures,
           witnesses: signers.filter((n) => n !== lines[0]) };
}

// The witnesses the site names (data/witnesses.json: [{label, key}]) whose cosignature on the
// checkpoint verifies (c2sp.org/tlog-cosignature, type 0x04): [{label, name, at: Date}], and the
// names of those whose cosignature is there but does not verify.
export async function checkWitnesses(checkpoint, witnesses) {
  const confirmed = [], bad = [];
  for (const w of witnesses) {
    const parts = /^([^+\s]+)\+([0-9a-f]{8})\+(\S*)$/.exec(String(w.key).trim());
    let raw = null;
    try { raw = parts && b64decode(parts[3]); } catch { raw = null; }
    if (!raw || raw.length !== 33 || raw[0] !== 0x04) continue;
    const name = parts[1];
    const id = (await sha256(concat(enc.encode(name + "\n"), raw))).slice(0, 4);
    if (hex(id) !== parts[2] || publicKeyProblem(raw.slice(1))) continue;
    const lines = checkpoint.cosignatures.filter((c) => c.name === name);
    let ok = null;
    for (const c of lines) {
      let sig;
      try { sig = b64decode(c.b64); } catch { continue; }
      if (sig.length !== 76 || !equal(sig.slice(0, 4), id)) continue;
      let time = 0n;
      for (const b of sig.slice(4, 12)) time = (time << 8n) | BigInt(b);
      const message = enc.encode(`cosignature/v1\ntime ${time}\n${checkpoint.text}`);
      if (await verifyEd25519(raw.slice(1), sig.slice(12), message)) { ok = new Date(Number(time) * 1000); break; }
    }
    if (ok) confirmed.push({ label: String(w.label), name, at: ok });
    else if (lines.length) bad.push(String(w.label));
  }
  return { confirmed, bad };
}

// The log's current checkpoint, its signature checked with the log key `keyText`.
async function latestCheckpoint(get, keyText) {
  await requireWebCrypto();
  const verifier = await parseVerifierKey(keyText);
  const note = await get("checkpoint");
  if (note === null) throw new Stop("没有找到 log/checkpoint：本站没有发布日志");
  return openCheckpoint(dec.decode(note), verifier);
}

// --- tiles and the tree --------------------------------------------------------------------------

export function formatIndex(n) {
  const groups = [];
  do { groups.unshift(String(n % 1000).padStart(3, "0")); n = Math.floor(n / 1000); } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? "x" + g : g)).join("/");
}

export function entriesPath(n, width) {
  return `tile/entries/${formatIndex(n)}${width === TILE_WIDTH ? "" : ".p/" + width}`;
}

function tilePath(level, n, width) {
  return `tile/${level}/${formatIndex(n)}${width === TILE_WIDTH ? "" : ".p/" + width}`;
}

// How many of tile `n`'s places are filled when `count` items exist on its level.
function tileWidth(count, n) {
  return Math.min(TILE_WIDTH, count - n * TILE_WIDTH);
}

export function decodeBundle(bytes, width) {
  const entries = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new Error("truncated length");
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (at + 2 + length > bytes.length) throw new Error("truncated entry");
    entries.push(bytes.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length !== width) throw new Error(`${entries.length} entries, expected ${width}`);
  return entries;
}

// RFC 9162 root of a growing list of leaves: the perfect subtrees of the compact range, merged
// as they complete; the root folds them from the right.
export class CompactRange {
  constructor() { this.hashes = []; this.sizes = []; }

  async push(leaf) {
    let hash = leaf;
    let size = 1;
    while (this.sizes.length && this.sizes[this.sizes.length - 1] === size) {
      this.sizes.pop();
      hash = await sha256(concat([1], this.hashes.pop(), hash));
      size *= 2;
    }
    this.hashes.push(hash);
    this.sizes.push(size);
  }

  async root() {
    if (!this.hashes.length) return sha256(new Uint8Array(0));
    let hash = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i--) hash = await sha256(concat([1], this.hashes[i], hash));
    return hash;
  }
}

// --- the member keys the log registers -----------------------------------------------------------

async function keyIdOf(b64) {
  return hex((await sha256(b64decode(b64))).slice(0, 8));
}

class Keys {
  constructor() { this.byId = new Map(); this.current = new Map(); }

  // The key that signed entry `index`, or the reason it may not have.
  async signer(index, statement, keyId) {
    if (index === 0) {
      const founder = statement.kind === "community.founded" && statement.body?.founder_public_key;
      if (!founder) return { problem: "第一条记录不是建账声明" };
      if (await keyIdOf(founder) !== keyId) return { problem: "key_id 与建账公钥不符" };
      const problem = registeredKeyProblem(founder);
      if (problem) return { problem: weak("建账登记的创始成员公钥", problem) };
      return { raw: b64decode(founder), member: statement.body.founder_id };
    }
    const known = this.byId.get(keyId);
    if (!known) return { problem: "签名密钥不属于本社区任何成员" };
    if (known.retired !== null) {
      return { problem: `签名密钥已在第 ${known.retired} 条${known.reason}` };
    }
    return { raw: known.raw, member: known.member };
  }

  // Registers what a valid membership statement at `index` changes; a weak key is not
  // registered (nothing changes) and throws a KeyProblem.
  async fold(index, statement) {
    const body = statement.body || {};
    const registered = { "community.founded": body.founder_public_key, "member.admitted": body.public_key,
      "member.key_rotated": body.public_key }[statement.kind];
    const problem = registered === undefined ? null : registeredKeyProblem(registered);
    if (problem) throw new KeyProblem(weak("本条登记的公钥", problem));
    const add = async (member, b64) => {
      const id = await keyIdOf(b64);
      this.byId.set(id, { raw: b64decode(b64), retired: null, reason: "", member });
      this.current.set(member, id);
    };
    const retire = (member, reason) => {
      const key = this.byId.get(this.current.get(member));
      if (key && key.retired === null) { key.retired = index; key.reason = reason; }
    };
    if (statement.kind === "community.founded") await add(body.founder_id, body.founder_public_key);
    else if (statement.kind === "member.admitted") await add(body.member_id, body.public_key);
    else if (statement.kind === "member.key_rotated") {
      retire(body.member_id, "被更换");
      await add(body.member_id, body.public_key);
    } else if (statement.kind === "member.revoked") retire(body.member_id, "被撤销");
  }
}

class KeyProblem extends Error {}

// An entry's signatures as [key ID, signature bytes]: version 1 has one (key_id, sig); version 2
// ("sigs") at least two, in strictly ascending key ID order (none twice). Throws if malformed.
export function entrySignatures(entry) {
  const sig = (keyId, b64) => {
    const bytes = b64decode(b64);
    if (typeof keyId !== "string" || bytes.length !== 64) throw new Error("signature");
    return [keyId, bytes];
  };
  const keys = Object.keys(entry).sort().join(",");
  if (entry.v === 1 && keys === "accepted_at,key_id,sig,statement,v") return [sig(entry.key_id, entry.sig)];
  if (entry.v !== 2 || keys !== "accepted_at,sigs,statement,v" || !Array.isArray(entry.sigs)
      || entry.sigs.length < 2 || entry.sigs.length > 8) throw new Error("fields");
  const out = [];
  for (const item of entry.sigs) {
    if (item === null || typeof item !== "object" || Object.keys(item).sort().join(",") !== "key_id,sig") {
      throw new Error("signature");
    }
    if (out.length && !(item.key_id > out[out.length - 1][0])) throw new Error("order");
    out.push(sig(item.key_id, item.sig));
  }
  return out;
}

function registersKeys(kind) {
  return kind === "community.founded" || kind.startsWith("member.");
}

// --- the whole check -----------------------------------------------------------------------------

// `trusted`: {size, root} of a checkpoint this browser verified before (see remembered()), or
// null. The log must not have shrunk (rollback) and its first `size` entries must still make
// that root (no fork, no rewritten history).
export async function verifyLog(logUrl, keyText, report = () => {}, trusted = null) {
  const started = performance.now();
  const result = { size: 0, checked: 0, signatures: 0, failures: [], failureCount: 0, complete: false };
  const fail = (index, message) => {
    result.failureCount += 1;
    if (result.failures.length < MAX_LISTED) result.failures.push({ index, message });
  };
  const get = fetcher(logUrl);
  const checkpoint = await latestCheckpoint(get, keyText);
  result.size = checkpoint.size;
  result.root = checkpoint.root;
  result.origin = checkpoint.origin;
  result.witnesses = checkpoint.witnesses;
  result.checkpoint = checkpoint;
  const tree = new CompactRange();
  if (trusted && trusted.size > checkpoint.size) {
    fail(null, `日志只有 ${checkpoint.size} 条记录，比本机上次核验时（${trusted.size} 条）少：日志被回滚`);
  }
  const keys = new Keys();
  const imported = new Map();
  const bundles = Math.ceil(checkpoint.size / TILE_WIDTH);
  // The next few bundles are fetched while this one is checked: on a phone network the round
  // trips, not the hashing, would otherwise set the pace. (A failed fetch is kept, and thrown
  // when its bundle's turn comes.)
  const ahead = new Map();
  const fetchBundle = (m) => {
    if (!ahead.has(m)) {
      ahead.set(m, get(entriesPath(m, tileWidth(checkpoint.size, m))).catch((e) => e));
    }
  };
  for (let n = 0; n < bundles; n++) {
    const first = n * TILE_WIDTH;
    const width = tileWidth(checkpoint.size, n);
    for (let m = n; m < Math.min(bundles, n + 1 + READ_AHEAD); m++) fetchBundle(m);
    const data = await ahead.get(n);
    ahead.delete(n);
    if (data instanceof Error) throw data;
    if (data === null) { fail(first, `缺少记录包 ${entriesPath(n, width)}`); break; }
    let entries;
    try { entries = decodeBundle(data, width); } catch (e) {
      fail(first, `记录包 ${entriesPath(n, width)} 格式错误（${e.message}）`);
      break;
    }
    const leaves = await Promise.all(entries.map((e) => sha256(concat([0], e))));
    for (let i = 0; i < width; i++) {
      await tree.push(leaves[i]);
      if (trusted && first + i + 1 === trusted.size && !equal(await tree.root(), trusted.root)) {
        fail(trusted.size - 1, `前 ${trusted.size} 条记录组成的树与本机上次核验时不同：日志被改写（分叉）`);
      }
    }
    const pending = [];
    for (let i = 0; i < width; i++) {
      const index = first + i;
      result.checked += 1;
      let entry, statement, signatures, message;
      try {
        entry = JSON.parse(dec.decode(entries[i]));
        message = enc.encode(entry.statement);
        statement = JSON.parse(entry.statement);
        signatures = entrySignatures(entry);
        if (typeof statement.kind !== "string") throw new Error("fields");
      } catch {
        fail(index, "日志条目格式错误");
        continue;
      }
      let signers = [];
      try {
        for (const [keyId] of signatures) signers.push(await keys.signer(index, statement, keyId));
      } catch {
        signers = [{ problem: "建账声明格式错误" }];
      }
      // The same member twice (say with an old key and the new one) is named as such first.
      const holders = signatures.map(([keyId]) => keys.byId.get(keyId)?.member).filter((m) => m !== undefined);
      const problem = new Set(holders).size < holders.length
        ? "同一成员签了两次：共同签署须由不同的成员各签一次" : signers.find((s) => s.problem)?.problem;
      if (problem) { fail(index, problem); continue; }
      const checks = [];
      for (const [n, signer] of signers.entries()) {
        const id = hex(signer.raw);
        if (!imported.has(id)) imported.set(id, await ed25519Key(signer.raw).catch(() => null));
        const key = imported.get(id);
        if (key === null) { checks.push(Promise.resolve("签名公钥无效（不是 Ed25519 公钥）")); continue; }
        checks.push(ed25519Verify(key, signatures[n][1], message).catch(() => false).then((ok) => {
          result.signatures += 1;
          return ok ? null : "签名无效：声明被改动过，或不是用登记的密钥签名的";
        }));
      }
      // Every signature of a co-signed entry is checked; the entry fails once, for the first problem.
      const check = Promise.all(checks).then((found) => {
        const bad = found.find((m) => m !== null);
        if (bad) fail(index, bad);
        return !bad;
      });
      if (registersKeys(statement.kind)) {
        if (await check) {  // later entries depend on it
          try { await keys.fold(index, statement); } catch (e) {
            fail(index, e instanceof KeyProblem ? e.message : "成员记录格式错误");
          }
        }
      } else {
        pending.push(check);
      }
    }
    await Promise.all(pending);
    report(result);
  }
  if (result.checked === checkpoint.size) {
    result.complete = true;
    if (!equal(await tree.root(), checkpoint.root)) {
      fail(null, "由全部记录重新计算的根哈希与检查点不符：有记录被改动、删除或调换");
    }
  }
  result.failures.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  result.seconds = (performance.now() - started) / 1000;
  result.verified = result.complete && result.failureCount === 0;
  return result;
}

// --- one record: the receipt check of a record page -------------------------------------------

function largestPowerOfTwoBelow(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Hashes of complete subtrees, read from the log's hash tiles (C2SP tlog-tiles) for a tree size.
export class TileHashes {
  constructor(get, size) { this.get = get; this.size = size; this.tiles = new Map(); }

  // The hash of the 2^height leaves from leaf index * 2^height on (a complete subtree).
  async subtree(height, index) {
    const level = Math.floor(height / 8);
    const rest = height % 8;
    const stored = Math.floor(this.size / 2 ** (8 * level));  // hashes that exist on that tile level
    const first = index * 2 ** rest;
    const n = Math.floor(first / TILE_WIDTH);
    const width = tileWidth(stored, n);
    const path = tilePath(level, n, width);
    let tile = this.tiles.get(path);
    if (!tile) {
      tile = await this.get(path);
      if (tile === null) throw new Stop(`缺少瓦片 ${path}`);
      if (tile.length !== 32 * width) throw new Stop(`瓦片 ${path} 的长度不对`);
      this.tiles.set(path, tile);
    }
    let hashes = [];
    for (let i = first - n * TILE_WIDTH; i < first - n * TILE_WIDTH + 2 ** rest; i++) {
      hashes.push(tile.subarray(32 * i, 32 * i + 32));
    }
    while (hashes.length > 1) {
      const next = [];
      for (let i = 0; i < hashes.length; i += 2) next.push(await sha256(concat([1], hashes[i], hashes[i + 1])));
      hashes = next;
    }
    return hashes[0];
  }
}

// RFC 9162 MTH of leaves [a, b), with the leaf at `index` given (recomputed from the entry) and
// every subtree beside it read from the tiles: the inclusion proof, folded as it is read.
export async function rootWithLeaf(a, b, index, leaf, tiles) {
  const n = b - a;
  if (index >= a && index < b) {
    if (n === 1) return leaf;
  } else if (largestPowerOfTwoBelow(n) * 2 === n || n === 1) {
    return tiles.subtree(Math.log2(n), a / n);
  }
  const k = largestPowerOfTwoBelow(n);
  const left = await rootWithLeaf(a, a + k, index, leaf, tiles);
  const right = await rootWithLeaf(a + k, b, index, leaf, tiles);
  return sha256(concat([1], left, right));
}

// Checks one record against the current checkpoint: the checkpoint's signature, that the entry
// at `index` is the one the page shows (`entrySha256`, hex), that it is included in the
// checkpoint's tree, and that its statement carries a valid signature by `signerKey` (base64).
export async function checkRecord(logUrl, keyText, index, entrySha256, signerKey) {
  const get = fetcher(logUrl);
  const checkpoint = await latestCheckpoint(get, keyText);
  if (index >= checkpoint.size) {
    throw new Stop(`当前检查点只有 ${checkpoint.size} 条记录，不含第 ${index} 条：日志可能被回滚`);
  }
  const n = Math.floor(index / TILE_WIDTH);
  const width = tileWidth(checkpoint.size, n);
  const bundle = await get(entriesPath(n, width));
  if (bundle === null) throw new Stop(`缺少记录包 ${entriesPath(n, width)}`);
  let entry;
  try { entry = decodeBundle(bundle, width)[index % TILE_WIDTH]; } catch (e) {
    throw new Stop(`记录包 ${entriesPath(n, width)} 格式错误（${e.message}）`);
  }
  const problems = [];
  let statementKind = null, statementBody = null;  // only once the entry and signature hold
  if (hex(await sha256(entry)) !== entrySha256) problems.push("日志中的这条记录与本页所示的不是同一条（条目哈希不同）");
  const leaf = await sha256(concat([0], entry));
  const root = await rootWithLeaf(0, checkpoint.size, index, leaf, new TileHashes(get, checkpoint.size));
  if (!equal(root, checkpoint.root)) problems.push("这条记录与检查点的根哈希对不上：日志被改动过");
  let fields, signatures, message;
  try {
    fields = JSON.parse(dec.decode(entry));
    signatures = entrySignatures(fields);
    message = enc.encode(fields.statement);
  } catch {
    problems.push("日志条目格式错误");
  }
  if (signatures !== undefined) {
    // `signerKey`: the signer's key, or a co-signed record's signers' keys separated by spaces.
    const signerKeys = signerKey.trim().split(/\s+/);
    if (signerKeys.length !== signatures.length) problems.push("签名数目与本页所示的签名人数目不符");
    for (const [n, [keyId, signature]] of signatures.entries()) {
      const b64 = signerKeys[n] ?? "";
      const weakSigner = registeredKeyProblem(b64);
      const key = !b64 || await keyIdOf(b64) !== keyId ? undefined
        : weakSigner ? null : await ed25519Key(b64decode(b64)).catch(() => null);
      if (key === undefined) problems.push("签名密钥与本页所示的签名人密钥不符");
      else if (key === null) problems.push(weakSigner ? weak("签名人公钥", weakSigner) : "签名人公钥无效（不是 Ed25519 公钥）");
      else if (!await ed25519Verify(key, signature, message).catch(() => false)) {
        problems.push("签名无效：声明被改动过，或不是用签名人的密钥签名的");
      }
    }
    let body = null, kind = null;
    try { ({ kind, body } = JSON.parse(fields.statement)); } catch { /* reported above if it matters */ }
    const registered = kind === "community.founded" ? body?.founder_public_key
      : kind === "member.admitted" || kind === "member.key_rotated" ? body?.public_key : undefined;
    const problem = typeof registered === "string" ? registeredKeyProblem(registered) : null;
    if (problem) problems.push(weak("本条登记的公钥", problem) + "：日志不应接受这条记录");
    if (!problems.length) { statementKind = kind; statementBody = body; }
  }
  return { index, size: checkpoint.size, problems, kind: statementKind, body: statementBody };
}

// --- what a record page shows, against the statement it verified ------------------------------

// 元 from integer fen, exactly as the publisher writes it (publisher.fmt.yuan): "1,234.50 元".
export function yuan(fen) {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${whole}.${String(abs % 100).padStart(2, "0")} 元`;
}

const MONEY = /-?\d{1,3}(?:,\d{3})*\.\d{2} 元/g;
const squash = (text) => String(text).replace(/\s+/g, "");

function leaves(value, key, out) {  // every [key, value] at the ends of a nested value
  if (Array.isArray(value)) for (const v of value) leaves(v, key, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) leaves(v, k, out);
  } else out.push([key, value]);
  return out;
}

// Problems (in Chinese, one per differing field) between a record page's field rows and the
// verified statement: each row is rendered again from the signed value and compared with the
// text the page shows. `rows`: [{field, check, text, ref}], `labels`: field -> value -> label.
export function compareShown(rows, body, labels, title = "") {
  const problems = [];
  const seen = new Set();
  for (const row of rows) {
    seen.add(row.field);
    if (!(row.field in body)) { problems.push(`本页显示了签名原文中没有的“${row.label}”`); continue; }
    const value = body[row.field];
    let expected = null;
    if (row.check === "money") expected = yuan(value);
    else if (row.check === "text") expected = String(value);
    else if (row.check === "bool") expected = value ? "是" : "否";
    else if (row.check === "enum") expected = labels?.[row.field]?.[JSON.stringify(value)] ?? null;
    let same;
    if (row.check === "ref") same = row.ref === String(value);
    else if (expected !== null) same = squash(row.text) === squash(expected);
    else {  // nested: every amount and count signed is shown, every amount shown is signed
      const signed = leaves(value, row.field, []);
      const amounts = signed.filter(([k, v]) => k.endsWith("_fen") && typeof v === "number").map(([, v]) => yuan(v));
      const counts = signed.filter(([k, v]) => !k.endsWith("_fen") && typeof v === "number")
        .map(([k, v]) => k.endsWith("_centi") ? `${Math.floor(v / 100)}.${String(v % 100).padStart(2, "0")}` : String(v));
      const text = String(row.text);
      same = amounts.every((a) => text.includes(a)) && counts.every((c) => text.includes(c))
        && (text.match(MONEY) || []).every((a) => amounts.includes(a));
    }
    if (!same) problems.push(`“${row.label}”与签名原文不符：本页被改动过`);
  }
  const hidden = Object.keys(body).filter((key) => !seen.has(key)).length;
  if (hidden) problems.push(`签名原文中有 ${hidden} 项内容本页没有显示：本页被改动过`);
  const signedAmounts = leaves(body, "", []).filter(([k, v]) => k.endsWith("_fen") && typeof v === "number")
    .map(([, v]) => yuan(v));
  if ((String(title).match(MONEY) || []).some((a) => !signedAmounts.includes(a))) {
    problems.push("标题中的金额与签名原文不符：本页被改动过");
  }
  return problems;
}

// Each published attachment the page links to: recorded in the verified statement, and the
// file's SHA-256 is the recorded one.
async function checkAttachments(article, body) {
  const recorded = new Set((body.attachments || []).map((a) => a.sha256));
  const problems = [];
  for (const link of article.querySelectorAll("a[data-sl-attachment]")) {
    const name = link.textContent;
    if (!recorded.has(link.dataset.slAttachment)) {
      problems.push(`附件“${name}”不是这条记录登记的附件：本页被改动过`);
      continue;
    }
    let bytes = null;
    try {
      const response = await fetch(link.href, { cache: "no-store" });
      if (response.ok) bytes = new Uint8Array(await response.arrayBuffer());
    } catch { /* reported below */ }
    if (bytes === null) problems.push(`无法下载附件“${name}”`);
    else if (hex(await sha256(bytes)) !== link.dataset.slAttachment) {
      problems.push(`附件“${name}”的文件与账本登记的不一致：文件被改动过`);
    }
  }
  return problems;
}

function shownRows(box) {
  const article = box.closest("article") || document;
  return Array.from(article.querySelectorAll("tr[data-sl-field]"), (tr) => ({
    field: tr.dataset.slField, check: tr.dataset.slCheck, ref: tr.dataset.slRef,
    label: tr.querySelector("th")?.textContent ?? tr.dataset.slField,
    text: tr.querySelector("td")?.textContent ?? "",
  }));
}

function fetcher(logUrl) {
  return async (path) => {
    let response;
    try { response = await fetch(logUrl + path, { cache: "no-store" }); } catch (e) {
      throw new Stop(`无法下载 ${path}：${e.message}`);
    }
    if (response.status === 404 || response.status === 410) return null;
    if (!response.ok) throw new Stop(`下载 ${path} 出错：HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
}

async function requireWebCrypto() {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Stop("此浏览器不提供 WebCrypto（需通过 HTTPS 访问本站）：请换用较新的浏览器，或使用命令行核验");
  }
  try { await ed25519Backend(); } catch (e) {
    throw new Stop(`此浏览器无法进行 Ed25519 签名核验（${e.message}）：请换用较新的浏览器，或使用命令行核验`);
  }
}

// --- the page ------------------------------------------------------------------------------------

function line(parent, text, className) {
  const p = document.createElement("p");
  p.textContent = text;
  if (className) p.className = className;
  parent.append(p);
  return p;
}

// What this browser last verified, per log (localStorage; nothing when storage is off).
const remembered = {
  key: (origin) => `sunlight-verified:${origin}`,
  load(origin) {
    try {
      const saved = JSON.parse(localStorage.getItem(this.key(origin)) || "null");
      return saved && { size: saved.size, root: b64decode(saved.root), at: saved.at };
    } catch { return null; }
  },
  save(origin, size, root) {
    try {
      localStorage.setItem(this.key(origin), JSON.stringify(
        { size, root: btoa(String.fromCharCode(...root)), at: new Date().toISOString() }));
    } catch { /* private mode or full: the next check just starts afresh */ }
  },
};

function start(form) {
  const out = document.getElementById("sl-verify-out");
  const button = form.querySelector("button");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    out.replaceChildren();
    const status = line(out, "正在下载检查点……");
    try {
      const keyText = form.elements.key.value;
      const origin = keyText.trim().split("+")[0];
      const trusted = remembered.load(origin);
      const result = await verifyLog(new URL(form.dataset.log, location.href).href, keyText,
        (r) => { status.textContent = `已核验 ${r.checked.toLocaleString("zh-CN")} / ${r.size.toLocaleString("zh-CN")} 条记录……`; },
        trusted);
      status.remove();
      const n = (x) => x.toLocaleString("zh-CN");
      line(out, result.verified
        ? `通过：本站公开的全部 ${n(result.size)} 条记录都没有被改动、没有遗漏，每条都有登记过的成员的有效签名（用时 ${result.seconds.toFixed(1)} 秒）。`
        : `未通过：发现 ${n(result.failureCount)} 处问题。`, result.verified ? "sl-verify-ok" : "sl-verify-bad");
      if (result.failures.length) {
        const list = document.createElement("ul");
        for (const f of result.failures) {
          const item = document.createElement("li");
          item.textContent = (f.index === null ? "整份日志：" : `第 ${f.index} 条：`) + f.message;
          list.append(item);
        }
        out.append(list);
      }
      if (result.verified) {
        if (trusted && trusted.size) {
          line(out, `与本机上次核验（${new Date(trusted.at).toLocaleString("zh-CN")}，${n(trusted.size)} 条）一致：此前的记录没有被改动、删除或回滚。`);
        }
        remembered.save(origin, result.size, result.root);
        line(out, `技术细节：检查点签名、${n(result.size)} 条记录重算的默克尔树根、${n(result.signatures)} 个成员签名及其密钥登记均核验无误。`, "sl-meta");
      }
      if (result.checkpoint) {
        let named = [];
        try {
          const got = await fetch(new URL("../data/witnesses.json", new URL(form.dataset.log, location.href)), { cache: "no-store" });
          if (got.ok) named = await got.json();
        } catch { named = []; }
        const w = await checkWitnesses(result.checkpoint, Array.isArray(named) ? named : []);
        for (const c of w.confirmed) {
          line(out, `${c.label}已于 ${c.at.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" })}（北京时间）确认：本日志前 ${n(result.size)} 条记录只增未改（联署签名核验无误）。`, "sl-verify-ok");
        }
        for (const label of w.bad) line(out, `未通过：${label}的联署签名无效。`, "sl-verify-bad");
        const others = result.witnesses.filter((name) => !w.confirmed.some((c) => c.name === name));
        if (others.length) {
          line(out, `检查点另有联署：${others.join("、")}（本站未公布其公钥；可用命令行 --witness 核验）。`);
        }
      }
      line(out, "浏览器没有核验签名人的职务、任期和各项业务规则（如余额不为负、拨款经过决议）：请用上面的命令 sunlight verify 完整核验。");
    } catch (e) {
      status.remove();
      line(out, e instanceof Stop ? `无法核验：${e.message}` : `核验程序出错：${e.message}`, "sl-verify-bad");
    } finally {
      button.disabled = false;
    }
  });
}

export async function checkRecordBox(box) {
  const button = box.querySelector("button");
  const out = box.querySelector(".sl-receipt-out");
  button.disabled = true;
  out.replaceChildren();
  const status = line(out, "正在核验……");
  try {
    const r = await checkRecord(new URL(box.dataset.log, location.href).href, box.dataset.logKey,
      Number(box.dataset.index), box.dataset.entry, box.dataset.signerKey);
    const problems = [...r.problems];
    if (r.body !== null) {
      if (r.kind !== box.dataset.kind) problems.push("本页所示的记录类型与签名原文不符：本页被改动过");
      let labels = {};
      try {
        const response = await fetch(new URL(box.dataset.labels, location.href).href, { cache: "no-store" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        labels = (await response.json())[r.kind] || {};
      } catch (e) {
        throw new Stop(`无法下载选项名称表（${e.message}）`);
      }
      const title = document.querySelector(".md-content h1")?.textContent ?? "";
      problems.push(...compareShown(shownRows(box), r.body, labels, title));
      problems.push(...await checkAttachments(box.closest("article") || document, r.body));
    }
    status.remove();
    if (!problems.length) {
      line(out, "与公开账本一致，未被改动。", "sl-verify-ok sl-verify-big");
      line(out, `本页显示的每一项内容都与公开账本第 ${r.index} 条签名原文逐项相符；签名人的签名有效；` +
        `这条记录收录在本站公开的账本中（当前共 ${r.size.toLocaleString("zh-CN")} 条）。` +
        "引用的其他记录，请在各自的页面核验。");
    } else {
      line(out, "未通过：本页内容不能确认与公开账本一致。", "sl-verify-bad sl-verify-big");
      const list = document.createElement("ul");
      for (const p of problems) {
        const item = document.createElement("li");
        item.textContent = p;
        list.append(item);
      }
      out.append(list);
    }
  } catch (e) {
    status.remove();
    line(out, e instanceof Stop ? `无法核验：${e.message}` : `核验程序出错：${e.message}`, "sl-verify-bad");
  } finally {
    button.disabled = false;
  }
}

const form = typeof document !== "undefined" && document.getElementById("sl-verify");
if (form) start(form);
