// The member's signing key: made here, kept in this browser's IndexedDB, never sent anywhere.
// WebCrypto Ed25519 with extractable=false where the browser has it (the private key cannot be
// read back even by this page); otherwise the vendored @noble/ed25519, whose key is stored as
// bytes in IndexedDB: less protected, and the page says so.

import { b64, hex, sha256, unb64 } from "./util.js";

const DB = "sunlight-console";
const STORE = "keys";
const ID = "member";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(req && req.result); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

export async function webCryptoEd25519() {
  try {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    return Boolean(pair && pair.privateKey);
  } catch (e) {
    return false;
  }
}

export async function keyIdOf(publicB64) {
  return hex(await sha256(unb64(publicB64))).slice(0, 16);
}

async function noble() {
  return import("./vendor/noble-ed25519.js");
}

// The stored key, as {kind, publicKey (base64), keyId, demo?}, or null.
export async function loadKey() {
  const stored = await tx("readonly", (s) => s.get(ID));
  if (!stored) return null;
  return { kind: stored.kind, publicKey: stored.publicKey, keyId: stored.keyId, demo: Boolean(stored.demo) };
}

export async function createKey() {
  let record;
  if (await webCryptoEd25519()) {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    record = { kind: "webcrypto", privateKey: pair.privateKey, publicKey: b64(raw) };
  } else {
    const ed = await noble();
    const secret = crypto.getRandomValues(new Uint8Array(32));
    record = { kind: "noble", secret, publicKey: b64(await ed.getPublicKeyAsync(secret)) };
  }
  record.keyId = await keyIdOf(record.publicKey);
  await tx("readwrite", (s) => s.put(record, ID));
  return loadKey();
}

// The demo only: a key from a public seed (the demo's members), marked as a demo key.
export async function importDemoSeed(seedHex) {
  const seed = Uint8Array.from(seedHex.match(/../g), (h) => parseInt(h, 16));
  const ed = await noble();
  const record = { kind: "noble", secret: seed, publicKey: b64(await ed.getPublicKeyAsync(seed)), demo: true };
  record.keyId = await keyIdOf(record.publicKey);
  await tx("readwrite", (s) => s.put(record, ID));
  return loadKey();
}

export async function forgetKey() {
  await tx("readwrite", (s) => s.delete(ID));
}

// A 64-byte Ed25519 signature over bytes, with the stored key.
export async function sign(bytes) {
  const stored = await tx("readonly", (s) => s.get(ID));
  if (!stored) throw new Error("本浏览器还没有签名密钥");
  if (stored.kind === "webcrypto") {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, stored.privateKey, bytes));
  }
  const ed = await noble();
  return ed.signAsync(bytes, stored.secret);
}
