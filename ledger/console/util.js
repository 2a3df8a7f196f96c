// Small pure helpers: canonical JSON (RFC 8785 for the JSON a statement holds), base64, hex,
// SHA-256, money in 元 <-> fen by string arithmetic (no floats), 大写 amounts, Shanghai dates.

export function canonical(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("只允许整数（金额以分为单位）");
    return String(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  // RFC 8785 sorts keys by UTF-16 code units: JavaScript's default sort
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
}

export const utf8 = (text) => new TextEncoder().encode(text);

export function b64(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

export function unb64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// --- money --------------------------------------------------------------------------------

export const MAX_FEN = 10n ** 12n;

// "1,500.5 元" -> "150050" (fen, as a decimal string), or throws a Chinese sentence.
export function yuanToFen(text) {
  const cleaned = String(text).trim().replace(/[,，\s]/g, "").replace(/元$/, "")
    .replace(/[０-９．]/g, (c) => (c === "．" ? "." : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
  if (cleaned === "") throw new Error("请填写金额（元）");
  const m = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!m) throw new Error(`金额应为数字，如 1500 或 1500.50，而不是“${text}”`);
  const cents = m[2] || "";
  if (cents.length > 2) throw new Error(`金额最多两位小数（到分），而不是“${text}”`);
  const fen = BigInt(m[1]) * 100n + BigInt((cents + "00").slice(0, 2));
  if (fen <= 0n) throw new Error("金额必须大于 0");
  if (fen > MAX_FEN) throw new Error("金额超出范围（每笔至多一亿元）");
  return Number(fen);
}

export function fenToYuan(fen) {
  const n = BigInt(fen);
  const yuan = (n / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${yuan}.${(n % 100n).toString().padStart(2, "0")} 元`;
}

const DIGITS = "零壹贰叁肆伍陆柒捌玖";
const SMALL = ["", "拾", "佰", "仟"];
const BIG = ["", "万", "亿", "万亿"];

// 150050 fen -> 壹仟伍佰元零伍角整 (the way a Chinese receipt writes an amount)
export function daxie(fen) {
  const n = BigInt(fen);
  let yuan = n / 100n;
  const jiao = Number((n / 10n) % 10n);
  const fenDigit = Number(n % 10n);
  let out = "";
  if (yuan > 0n) {
    const groups = [];
    while (yuan > 0n) { groups.push(Number(yuan % 10000n)); yuan /= 10000n; }
    let zero = false;
    for (let g = groups.length - 1; g >= 0; g--) {
      const v = groups[g];
      if (v === 0) { zero = out !== ""; continue; }
      if (zero || (out !== "" && v < 1000)) out += "零";
      zero = false;
      let part = "";
      let inner = false;
      for (let p = 3; p >= 0; p--) {
        const d = Math.floor(v / 10 ** p) % 10;
        if (d === 0) { inner = part !== ""; continue; }
        if (inner) part += "零";
        inner = false;
        part += DIGITS[d] + SMALL[p];
      }
      out += part + BIG[g];
    }
    out += "元";
  }
  if (jiao === 0 && fenDigit === 0) return (out || "零元") + "整";
  if (jiao > 0) out += DIGITS[jiao] + "角";
  else if (out) out += "零";
  if (fenDigit > 0) out += DIGITS[fenDigit] + "分";
  else out += "整";
  return out;
}

// --- dates in Asia/Shanghai ----------------------------------------------------------------

export function todayShanghai(now = new Date()) {
  // UTC+8 all year (China has no daylight saving time)
  return new Date(now.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

export function statementTime(now = new Date()) {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
