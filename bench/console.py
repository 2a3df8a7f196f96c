# ruff: noqa: E402  (sys.path is fixed before the imports: see below)
"""The committee console: its first load, and sign + submit from the browser, against a baseline.

    python bench/console.py [--n 50]

1. First load: the bytes of the console's page, style and modules, compressed as gzip would
   send them (goal: at most 150 KB).
2. Starts ``sunlight serve`` on a fresh database with a founding invitation, founds the
   community in Debian chromium through the console (a non-extractable WebCrypto key), then
   signs and submits ``--n`` disclosures from that page with the console's own modules:
   canonical JSON, WebCrypto Ed25519, ``POST …/records`` (goal p95 <= 300 ms).
3. Baseline: the same number of statements signed in Python and posted with httpx, one at a time.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Keep bench/ off sys.path (its http.py would shadow the standard library's http package) and
# put the repository there instead, before anything imports http.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import gzip
import re
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime

import httpx

from ledger.api.console import CONSOLE_DIR
from ledger.signing import MemberKey, Statement

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")
FIRST_LOAD = ["index.html", "style.css", "app.js", "forms.js", "keys.js", "util.js"]

SIGN_AND_SUBMIT = """async ([community, n, tag]) => {
  const keys = await import('/console/keys.js');
  const util = await import('/console/util.js');
  const key = await keys.loadKey();
  const times = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const body = {disclosure_id: `${tag}-${i}`, category: 'other', period: util.todayShanghai().slice(0, 7),
                  title: `基准 ${i}`, body: '控制台签名与提交的基准测试。'};
    const statement = util.canonical({v: 1, community, kind: 'disclosure.published', at: util.statementTime(), body});
    const signature = await keys.sign(util.utf8(statement));
    const r = await fetch(`/v1/communities/${community}/records`, {method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({statement, signature: util.b64(signature), key_id: key.keyId})});
    if (r.status !== 201) throw new Error(await r.text());
    times.push(performance.now() - started);
  }
  return times;
}"""


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    size = sum(len(gzip.compress((CONSOLE_DIR / f).read_bytes(), 9)) for f in FIRST_LOAD)
    print(f"first load: {size / 1000:.1f} KB gzip (goal <= 150 KB)")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        out = subprocess.run([SUNLIGHT, "init", "-c", "bench", "--name", "基准社区", "--origin",
                              "bench.example/bench", "--invite", "--db", db, "--log-key-dir",
                              f"{tmp}/keys"], capture_output=True, text=True, check=True).stdout
        token = re.search(r"/console/#/found/bench/(\S+)", out)
        assert token is not None
        port = 18_000 + int(time.time()) % 1000
        env = {"SUNLIGHT_RATE_PER_ADDRESS": "0", "SUNLIGHT_RATE_PER_KEY": "0", "PATH": "/usr/bin:/bin"}
        server = subprocess.Popen([SUNLIGHT, "serve", "--db", db, "--port", str(port), "--log-level",
                                   "warning", "--log-key-dir", f"{tmp}/keys"], env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--headless", "--no-sandbox"])
                page = browser.new_page(viewport={"width": 360, "height": 640})
                page.goto(f"{url}/console/#/found/bench/{token.group(1)}")
                page.get_by_role("button", name="生成签名密钥").click()
                page.get_by_label("社区名称").fill("基准社区")
                page.get_by_label("创始成员 必填").fill("王主任")
                page.get_by_role("button", name="预览并检查").click()
                page.get_by_role("button", name="确认签署并提交").click()
                page.get_by_role("heading", name="已登记").wait_for()
                page.evaluate(SIGN_AND_SUBMIT, ["bench", 5, "warm"])  # warm up
                console = page.evaluate(SIGN_AND_SUBMIT, ["bench", args.n, "run"])
                browser.close()
            # the baseline: a member key in Python; the chair admits it first
            baseline = baseline_times(url, args.n)
        finally:
            server.terminate()
            server.wait(30)
    print(f"console sign + submit: p50 {statistics.median(console):.1f} ms, "
          f"p95 {p95(console):.1f} ms (goal <= 300 ms)")
    print(f"baseline (Python sign + httpx): p50 {statistics.median(baseline):.1f} ms, "
          f"p95 {p95(baseline):.1f} ms; console p95 / baseline p95 = "
          f"{p95(console) / p95(baseline):.2f}")


def baseline_times(url: str, n: int) -> list[float]:
    """Statements a Python key signs and httpx posts: the service's own share of the time. The
    key is not a member, so each is refused after the same parsing; the refusal is measured."""
    key = MemberKey.generate()
    times = []
    with httpx.Client(base_url=url) as client:
        for i in range(n):
            started = time.perf_counter()
            sub = key.sign(Statement("bench", "disclosure.published", datetime.now(UTC).replace(
                microsecond=0), {"disclosure_id": f"py-{i}", "category": "other",
                                 "period": "2026-12", "title": "基准", "body": "基准。"}))
            client.post("/v1/communities/bench/records", json=sub.to_json())
            times.append((time.perf_counter() - started) * 1000)
    return times


if __name__ == "__main__":
    main()
