"""The audit page's one-page check (``site/docs/assets/verify.js``) in headless Chromium, against
the published log and against logs forged the ways the command-line verifier is tested with: each
forgery is found and located, and what the page does not check (roles, terms, rules) it says."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import pytest

from ledger.crypto.note import Signer
from ledger.crypto.tiles import entries_path
from ledger.signing import MemberKey
from publisher.build import publish
from publisher.preview import serve_in_background
from tests.chromium import MARKS
from tests.tlog.conftest import Built
from tests.tlog.logbuild import IDENTITY_KEY, altered, fields, forged, weak_key_log, with_signature, write_log

pytestmark = MARKS


@pytest.fixture(scope="module")
def portal(audited: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portal") / "site"
    publish(audited.app, audited.community, out, base_url="https://portal.example/audited/", search=False)
    return out


BACKENDS = ["webcrypto", "noble"]  # the browser's Ed25519, or the vendored @noble/ed25519 fallback


def press(browser: Any, site: Path, path: str, button: str, out: str, backend: str,
          before: str = "") -> str:
    """Serves ``site``, opens ``path`` on a phone-sized screen, runs ``before`` (JavaScript),
    presses ``button`` with the given Ed25519 backend and returns the text of ``out`` once done."""
    server, url = serve_in_background(site)
    context = browser.new_context(viewport={"width": 360, "height": 640})
    try:
        return press_in(context, url + path, button, out, backend, before)
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def press_in(context: Any, url: str, button: str, out: str, backend: str = "webcrypto", before: str = "") -> str:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.evaluate(f"window.__slEd25519Fallback = {str(backend == 'noble').lower()}; {before}")
    page.click(button)
    page.wait_for_function(f"document.querySelector('{out}').textContent"
                           f" && !document.querySelector('{button}').disabled", timeout=60_000)
    assert errors == []
    assert page.evaluate("window.__slEd25519Used") == backend
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "sideways scroll"
    text = "\n".join(line for line in str(page.inner_text(out)).splitlines() if line)
    page.close()
    return text


def check(browser: Any, site: Path, key: str | None = None, backend: str = "webcrypto") -> str:
    """The audit page's check of the whole log (with ``key`` typed in, if given)."""
    before = "" if key is None else f"document.getElementById('sl-verify-key').value = {key!r}"
    return press(browser, site, "audit/", "#sl-verify button", "#sl-verify-out", backend, before)


def with_log(portal: Path, tmp_path: Path, entries: list[bytes], signer: Signer) -> Path:
    """The portal's audit page and assets beside a log written from ``entries``."""
    site = tmp_path / "site"
    for part in ("audit", "assets"):
        shutil.copytree(portal / part, site / part)
    write_log(site / "log", entries, signer)
    return site


def index_of(built: Built, kind: str, n: int = 0) -> int:
    return [i for i, e in enumerate(built.entries) if fields(e)["statement"]["kind"] == kind][n]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_published_log_passes(browser: Any, portal: Path, backend: str) -> None:
    text = check(browser, portal, backend=backend)
    first, technical = text.splitlines()[:2]  # a first visit: nothing remembered in between
    assert first.startswith("通过：本站公开的全部 292 条记录都没有被改动、没有遗漏，每条都有登记过的成员的有效签名")
    assert technical == "技术细节：检查点签名、292 条记录重算的默克尔树根、294 个成员签名及其密钥登记均核验无误。"
    assert "浏览器没有核验签名人的职务、任期和各项业务规则" in text


@pytest.mark.parametrize("backend", BACKENDS)
def test_changed_amount_and_replaced_signature_are_located(browser: Any, portal: Path, audited: Built,
                                                          tmp_path: Path, backend: str) -> None:
    i = index_of(audited, "fund.donation_recorded", 100)
    j = index_of(audited, "decision.resolved")
    entries = list(audited.entries)
    entries[i] = altered(entries[i], lambda s: s["body"].update(amount_fen=99_999_00))
    entries[j] = with_signature(entries[j], base64.b64decode(fields(entries[j - 1])["sig"]))
    text = check(browser, with_log(portal, tmp_path, entries, audited.signer), backend=backend)
    assert text.splitlines()[:3] == [
        "未通过：发现 2 处问题。",
        f"第 {min(i, j)} 条：签名无效：声明被改动过，或不是用登记的密钥签名的",
        f"第 {max(i, j)} 条：签名无效：声明被改动过，或不是用登记的密钥签名的"]


def test_bundle_changed_without_resigning_breaks_the_root(browser: Any, portal: Path, audited: Built,
                                                          tmp_path: Path) -> None:
    site = with_log(portal, tmp_path, audited.entries, audited.signer)
    bundle = site / "log" / entries_path(0)
    data = bundle.read_bytes()
    at = data.index(b'amount_fen\\":') + len(b'amount_fen\\":')
    bundle.write_bytes(data[:at] + (b"9" if data[at:at + 1] != b"9" else b"8") + data[at + 1:])
    first = next(i for i, e in enumerate(audited.entries) if b'amount_fen\\":' in e)
    lines = check(browser, site).splitlines()
    assert lines[:3] == ["未通过：发现 2 处问题。",
                         "整份日志：由全部记录重新计算的根哈希与检查点不符：有记录被改动、删除或调换",
                         f"第 {first} 条：签名无效：声明被改动过，或不是用登记的密钥签名的"]


def test_keys_the_log_retired_or_never_registered(browser: Any, portal: Path, audited: Built,
                                                  tmp_path: Path) -> None:
    assert audited.committee is not None
    revoked_at = index_of(audited, "member.revoked")
    by_revoked = forged(audited.entries[-1], audited.committee.keys["member"], audited.community,
                        "disclosure.published", {"disclosure_id": "X1", "category": "other", "period": "2025",
                                                 "title": "伪造", "body": "用已撤销的密钥签名"})
    body = fields(audited.entries[index_of(audited, "fund.donation_recorded", 150)])["statement"]["body"]
    by_stranger = forged(by_revoked, MemberKey.from_seed(b"\x42" * 32), audited.community,
                         "fund.donation_recorded", body | {"donation_id": "FORGED", "receipt_no": "RF"})
    text = check(browser, with_log(portal, tmp_path, [*audited.entries, by_revoked, by_stranger], audited.signer))
    assert text.splitlines()[:3] == ["未通过：发现 2 处问题。",
                                     f"第 292 条：签名密钥已在第 {revoked_at} 条被撤销",
                                     "第 293 条：签名密钥不属于本社区任何成员"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rotated_key_signs_no_more(browser: Any, portal: Path, audited: Built, tmp_path: Path,
                                    backend: str) -> None:
    """After a key rotation the new key signs and the old one is refused, from that entry on."""
    assert audited.committee is not None
    keys, community = audited.committee.keys, audited.community
    new = MemberKey.from_seed(b"\x31" * 32)
    rotated = forged(audited.entries[-1], keys["chair"], community, "member.key_rotated",
                     {"member_id": "treasurer", "public_key": new.public_b64})
    disclosure = {"category": "other", "period": "2025", "title": "轮换后", "body": "新密钥签名"}
    by_new = forged(rotated, new, community, "disclosure.published", disclosure | {"disclosure_id": "R1"})
    by_old = forged(by_new, keys["treasurer"], community, "disclosure.published", disclosure | {"disclosure_id": "R2"})
    text = check(browser, with_log(portal, tmp_path, [*audited.entries, rotated, by_new, by_old], audited.signer),
                 backend=backend)
    assert text.splitlines()[:2] == ["未通过：发现 1 处问题。", "第 294 条：签名密钥已在第 292 条被更换"]


def test_the_page_remembers_what_it_verified_and_finds_a_rollback_or_a_fork(
        browser: Any, portal: Path, audited: Built, tmp_path: Path) -> None:
    """Like --trusted/--save-checkpoint: this browser keeps the last checkpoint it verified (per
    log) and holds the log to it on the next visit."""
    site = with_log(portal, tmp_path, audited.entries, audited.signer)
    server, url = serve_in_background(site)
    context = browser.new_context(viewport={"width": 360, "height": 640})

    def visit(entries: list[bytes]) -> list[str]:
        shutil.rmtree(site / "log")
        write_log(site / "log", entries, audited.signer)
        return press_in(context, url + "audit/", "#sl-verify button", "#sl-verify-out").splitlines()

    try:
        first = visit(audited.entries)
        assert first[0].startswith("通过：") and not any("本机上次核验" in line for line in first)
        again = visit(audited.entries)
        assert again[0].startswith("通过：") and again[1].startswith("与本机上次核验（")
        assert again[1].endswith("，292 条）一致：此前的记录没有被改动、删除或回滚。")
        assert visit(audited.entries[:100])[:2] == [
            "未通过：发现 1 处问题。", "整份日志：日志只有 100 条记录，比本机上次核验时（292 条）少：日志被回滚"]
        assert audited.committee is not None  # history rewritten: entry 50 dropped, two new ones after
        body = {"category": "other", "period": "2025", "title": "改写", "body": "改写后的历史"}
        extra = forged(audited.entries[-1], audited.committee.keys["chair"], audited.community,
                       "disclosure.published", body | {"disclosure_id": "F1"})
        extra2 = forged(extra, audited.committee.keys["chair"], audited.community,
                        "disclosure.published", body | {"disclosure_id": "F2"})
        rewritten = [*audited.entries[:50], *audited.entries[51:], extra, extra2]
        assert visit(rewritten)[:2] == [
            "未通过：发现 1 处问题。", "第 291 条：前 292 条记录组成的树与本机上次核验时不同：日志被改写（分叉）"]
        assert visit(audited.entries)[0].startswith("通过：")  # still held to the 292 it verified
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_what_the_page_does_not_check_it_says(browser: Any, portal: Path, audited: Built,
                                              tmp_path: Path) -> None:
    """A supervisor may not record a donation: `sunlight verify` refuses this log (tested there);
    the page, which checks signatures and key registrations only, passes it and says so."""
    assert audited.committee is not None
    body = fields(audited.entries[index_of(audited, "fund.donation_recorded", 150)])["statement"]["body"]
    extra = forged(audited.entries[-1], audited.committee.keys["supervisor"], audited.community,
                   "fund.donation_recorded", body | {"donation_id": "FORGED", "receipt_no": "RF"})
    text = check(browser, with_log(portal, tmp_path, [*audited.entries, extra], audited.signer))
    assert text.startswith("通过：") and "请用上面的命令 sunlight verify 完整核验" in text


@pytest.mark.parametrize("backend", BACKENDS)
def test_checkpoint_key_and_missing_files(browser: Any, portal: Path, audited: Built, tmp_path: Path,
                                          backend: str) -> None:
    other = Signer.from_seed(audited.signer.name, b"\x07" * 32)
    site = with_log(portal, tmp_path, audited.entries, other)
    assert check(browser, site, backend=backend) == \
        "无法核验：检查点没有这把日志公钥的有效签名：日志或检查点被改动过，或公钥不对"
    assert check(browser, site, key=other.verifier_key()).startswith("通过：")
    assert check(browser, site, key="not a key") == "无法核验：日志验证公钥格式不对：应为 名称+8位十六进制+base64"
    (site / "log" / entries_path(1, 36)).unlink()
    assert check(browser, site, key=other.verifier_key()).splitlines()[:2] == [
        "未通过：发现 1 处问题。", "第 256 条：缺少记录包 tile/entries/001.p/36"]


def in_page(browser: Any, site: Path, script: str, arg: Any) -> Any:
    """Evaluates ``script`` (a JavaScript function of ``arg``) in ``site``'s audit page."""
    server, url = serve_in_background(site)
    page = browser.new_page()
    try:
        page.goto(url + "audit/")
        return page.evaluate(script, arg)
    finally:
        page.close()
        server.shutdown()
        server.server_close()


def test_the_pages_tree_paths_and_bundles_match_the_python_ones(browser: Any, portal: Path) -> None:
    """verify.js's RFC 9162 root against the naive reference tree for every size 0..300 (and a few
    past tile boundaries), its tile paths against ``format_index``, and its bundle decoder's refusals."""
    from ledger.crypto.tiles import encode_entry_bundle, entries_path
    from tests.crypto.reference_tree import ReferenceTree

    sizes = [*range(301), 511, 512, 513, 1000]
    entries = [f"entry {i}".encode() for i in range(max(sizes))]
    got = in_page(browser, portal, """async ([sizes, count]) => {
            const v = await import("../assets/verify.js");
            const enc = new TextEncoder();
            const roots = [];
            const tree = new v.CompactRange();
            for (let n = 0; n <= Math.max(...sizes); n++) {
                if (sizes.includes(n)) {
                    roots.push(Array.from(await tree.root(), b => b.toString(16).padStart(2, "0")).join(""));
                }
                if (n < count) {
                    const e = enc.encode("entry " + n);
                    const leaf = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array([0, ...e])));
                    await tree.push(leaf);
                }
            }
            const paths = [0, 1, 999, 1000, 1234067].map(n => v.entriesPath(n, 256))
                .concat([v.entriesPath(1, 36)]);
            const refusals = [];
            for (const [hex, width] of __BUNDLES__) {
                const bytes = Uint8Array.from(hex.match(/../g) || [], h => parseInt(h, 16));
                try { refusals.push(v.decodeBundle(bytes, width).length); } catch (e) { refusals.push("refused"); }
            }
            return {roots, paths, refusals};
        }""".replace("__BUNDLES__", repr(_bundles(encode_entry_bundle)).replace("'", '"')), [sizes, len(entries)])
    assert got["roots"] == [ReferenceTree(entries[:n]).mth().hex() for n in sizes]
    assert got["paths"] == [entries_path(n) for n in (0, 1, 999, 1000, 1234067)] + [entries_path(1, 36)]
    assert got["refusals"] == [2, "refused", "refused", "refused", 1]


def _bundles(encode: Any) -> list[list[object]]:
    """(hex, width) pairs: a good bundle, one a byte short, one with a byte too many, one read with
    the wrong width, and one holding a single empty entry."""
    good = encode([b"one", b"two"])
    return [[good.hex(), 2], [good[:-1].hex(), 2], [(good + b"\x00").hex(), 2], [good.hex(), 3],
            [encode([b""]).hex(), 1]]


# --- a record page's own check (the donor's receipt) ------------------------------------------


def check_record(browser: Any, site: Path, index: int, edit: str = "", backend: str = "webcrypto") -> str:
    """Record ``index``'s own check (after ``edit``, JavaScript run on its page)."""
    return press(browser, site, f"r/{index}/", "#sl-receipt button", ".sl-receipt-out", backend, edit)


def copy_portal(portal: Path, tmp_path: Path, entries: list[bytes] | None = None,
                signer: Signer | None = None) -> Path:
    site = tmp_path / "site"
    shutil.copytree(portal, site)
    if entries is not None and signer is not None:
        shutil.rmtree(site / "log")
        write_log(site / "log", entries, signer)
    return site


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index", [0, 150, 255, 256, 291])
def test_a_record_page_checks_its_own_record(browser: Any, portal: Path, index: int, backend: str) -> None:
    assert check_record(browser, portal, index, backend=backend).splitlines() == [
        "与公开账本一致，未被改动。",
        f"本页显示的每一项内容都与公开账本第 {index} 条签名原文逐项相符；签名人的签名有效；"
        "这条记录收录在本站公开的账本中（当前共 292 条）。引用的其他记录，请在各自的页面核验。"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_record_page_finds_its_record_changed_rolled_back_or_misattributed(
        browser: Any, portal: Path, audited: Built, tmp_path: Path, backend: str) -> None:
    i = index_of(audited, "fund.donation_recorded", 100)
    entries = list(audited.entries)
    entries[i] = altered(entries[i], lambda s: s["body"].update(amount_fen=99_999_00))
    site = copy_portal(portal, tmp_path / "changed", entries, audited.signer)
    assert check_record(browser, site, i, backend=backend).splitlines() == [
        "未通过：本页内容不能确认与公开账本一致。", "日志中的这条记录与本页所示的不是同一条（条目哈希不同）",
        "签名无效：声明被改动过，或不是用签名人的密钥签名的"]
    assert check_record(browser, site, i + 1).startswith("与公开账本一致")  # its neighbour is untouched

    site = copy_portal(portal, tmp_path / "rolled-back", audited.entries[:100], audited.signer)
    assert check_record(browser, site, 150) == \
        "无法核验：当前检查点只有 100 条记录，不含第 150 条：日志可能被回滚"

    other = next(k for k in fields(audited.entries[0])["statement"]["body"].values()
                 if isinstance(k, str) and k.endswith("=") and len(k) == 44)  # the founder's key
    swap = f"document.getElementById('sl-receipt').dataset.signerKey = {other!r}"
    j = index_of(audited, "fund.donation_recorded", 3)
    assert check_record(browser, portal, j, swap, backend) == \
        "未通过：本页内容不能确认与公开账本一致。\n签名密钥与本页所示的签名人密钥不符"


@pytest.mark.parametrize(("tile", "index"), [("tile/0/000", 100), ("tile/1/000.p/1", 260)])
def test_a_record_page_finds_a_changed_tile(browser: Any, portal: Path, tmp_path: Path, tile: str,
                                           index: int) -> None:
    """Record 100's proof reads leaf hashes 0..63 from the level-0 tile; record 260's reads the
    hash of leaves 0..255 from the level-1 tile. One flipped bit in either is found."""
    site = copy_portal(portal, tmp_path)
    data = bytearray((site / "log" / tile).read_bytes())
    data[5] ^= 1
    (site / "log" / tile).write_bytes(bytes(data))
    assert check_record(browser, site, index) == \
        "未通过：本页内容不能确认与公开账本一致。\n这条记录与检查点的根哈希对不上：日志被改动过"


def test_the_pages_inclusion_proofs_from_tiles_match_the_root(browser: Any, portal: Path,
                                                              tmp_path: Path) -> None:
    """Tiles of three levels (70,000 entries): the root recomputed from one leaf and the tiles
    beside it equals the checkpoint's for leaves at tile and level boundaries."""
    from ledger.crypto.checkpoint import Checkpoint

    entries = [f"entry {i}".encode() for i in range(70_000)]
    signer = Signer.from_seed("sunlight.example/tiles", b"\x09" * 32)
    site = tmp_path / "site"
    shutil.copytree(portal / "assets", site / "assets")
    shutil.copytree(portal / "audit", site / "audit")
    note = write_log(site / "log", entries, signer)
    root = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n").root_hash.hex()
    indices = [0, 1, 255, 256, 4095, 65_535, 65_536, 69_999]
    got = in_page(browser, site, """async ([indices, size]) => {
            const v = await import("../assets/verify.js");
            const get = async (path) => {
                const r = await fetch("../log/" + path);
                return r.ok ? new Uint8Array(await r.arrayBuffer()) : null;
            };
            const out = [];
            for (const i of indices) {
                const e = new TextEncoder().encode("entry " + i);
                const leaf = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array([0, ...e])));
                const r = await v.rootWithLeaf(0, size, i, leaf, new v.TileHashes(get, size));
                out.push(Array.from(r, b => b.toString(16).padStart(2, "0")).join(""));
            }
            return out;
        }""", [indices, len(entries)])
    assert got == [root] * len(indices)


def test_the_page_fetches_bundles_ahead(browser: Any, portal: Path, audited: Built, tmp_path: Path) -> None:
    """On a slow network the next bundles are already on their way: with every entry bundle held
    back until 1 + 4 are requested at once (or all six are), the log still verifies -- however
    slowly the machine runs the page."""
    import functools
    import http.server
    import threading

    site = with_log(portal, tmp_path, audited.entries * 5, audited.signer)  # 1,460 entries, 6 bundles

    class Slow(http.server.SimpleHTTPRequestHandler):
        arrived = threading.Condition()
        now = most = requested = 0

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if "/tile/entries/" not in self.path:
                return super().do_GET()
            with Slow.arrived:
                Slow.now += 1
                Slow.requested += 1
                Slow.most = max(Slow.most, Slow.now)
                Slow.arrived.notify_all()
                # the 60 s only caps a page that never asks for five at once (the test then fails)
                Slow.arrived.wait_for(lambda: Slow.most >= 5 or Slow.requested >= 6, timeout=60)
            try:
                super().do_GET()
            finally:
                with Slow.arrived:
                    Slow.now -= 1

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Slow, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context(viewport={"width": 360, "height": 640})
    try:
        text = press_in(context, f"http://127.0.0.1:{server.server_address[1]}/audit/", "#sl-verify button",
                        "#sl-verify-out")
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    assert text.startswith("通过：本站公开的全部 1,460 条记录")
    assert Slow.most == 5


# --- weak keys: the rules of ledger/crypto/ed25519.py, in the page ---------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_pages_ed25519_rules_match_the_vectors(browser: Any, portal: Path, backend: str) -> None:
    """verify.js against tests/vectors/ed25519-edge.json, as the Python checks are: which keys it
    would register, which signature encodings it looks at, and what it verifies, on either backend."""
    import json

    vectors = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "ed25519-edge.json")
                         .read_text(encoding="utf-8"))
    got = in_page(browser, portal, """async ([cases, fallback]) => {
            window.__slEd25519Fallback = fallback;
            const v = await import("../assets/verify.js");
            const bytes = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
            const out = [];
            for (const c of cases) {
                const key = bytes(c.public_key), sig = bytes(c.signature);
                out.push([v.publicKeyProblem(key) === null, v.signatureProblem(sig) === null,
                          await v.verifyEd25519(key, sig, bytes(c.message))]);
            }
            return {out, used: window.__slEd25519Used};
        }""", [vectors, backend == "noble"])
    assert got["used"] == backend
    for case, (key_ok, signature_ok, valid) in zip(vectors, got["out"], strict=True):
        assert (key_ok, signature_ok, valid) == (case["key_ok"], case["signature_ok"], case["valid"]), case["desc"]


WEAK = "不安全（公钥是小阶点），任何人都可能冒用它签名"


@pytest.mark.parametrize(("how", "backend"), [("admitted", "webcrypto"), ("admitted", "noble"),
                                              ("rotated", "webcrypto"), ("founded", "noble")])
def test_a_log_that_registered_a_weak_key_fails_at_that_entry(browser: Any, portal: Path, audited: Built,
                                                              tmp_path: Path, how: str, backend: str) -> None:
    """A log written before weak keys were refused: the identity point registered as a member's
    key, then a donation "signed" for it with a fixed fake signature (which OpenSSL alone accepts)."""
    entries, at = weak_key_log(audited, how)
    text = check(browser, with_log(portal, tmp_path, entries, audited.signer), backend=backend)
    what = "建账登记的创始成员公钥" if how == "founded" else "本条登记的公钥"
    assert text.splitlines()[:3] == ["未通过：发现 2 处问题。", f"第 {at} 条：{what}{WEAK}",
                                     f"第 {at + 1} 条：签名密钥不属于本社区任何成员"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_record_page_finds_a_weak_key(browser: Any, portal: Path, audited: Built, tmp_path: Path,
                                        backend: str) -> None:
    """The record page of the entry that registered the identity key, and of the donation "signed"
    for it, as an old portal would show them."""
    import hashlib

    entries, at = weak_key_log(audited, "admitted")
    site = copy_portal(portal, tmp_path, entries, audited.signer)
    chair = fields(entries[0])["statement"]["body"]["founder_public_key"]

    def page(index: int, signer: str) -> str:
        edit = (f"Object.assign(document.getElementById('sl-receipt').dataset, {{index: '{index}', "
                f"entry: '{hashlib.sha256(entries[index]).hexdigest()}', signerKey: '{signer}'}})")
        return check_record(browser, site, 0, edit, backend)

    assert page(at, chair) == f"未通过：本页内容不能确认与公开账本一致。\n本条登记的公钥{WEAK}：日志不应接受这条记录"
    assert page(at + 1, IDENTITY_KEY) == f"未通过：本页内容不能确认与公开账本一致。\n签名人公钥{WEAK}"
    assert audited.committee is not None  # the entry before, a donation, still passes
    # (its entry and signature verify; only the fields shown, record 0's, differ from it)
    before = page(at - 1, audited.committee.keys["treasurer"].public_b64)
    assert "本页所示的记录类型与签名原文不符：本页被改动过" in before
    assert not any(p in before for p in ("签名无效", "签名人公钥", "根哈希", "条目哈希", "日志不应"))


def test_a_weak_log_key_is_refused(browser: Any, portal: Path) -> None:
    from ledger.crypto.note import SIG_ED25519, compute_key_id

    raw = bytes([1]) + bytes(31)
    name = "portal.example/weak"
    vkey = f"{name}+{compute_key_id(name, SIG_ED25519, raw).hex()}+{base64.b64encode(bytes([1]) + raw).decode()}"
    assert check(browser, portal, key=vkey) == f"无法核验：日志验证公钥{WEAK}，不能使用"
