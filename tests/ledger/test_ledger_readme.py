"""Docs that run: the README opens with the two commands of a fresh machine, CI runs the second,
and the first works (without serving, so the test ends)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text[: text.index("\n## ")]
    return re.findall(r"```(?:sh|bash)\n(.+?)\n```", head, re.S)


def test_readme_starts_with_demo_and_test_commands() -> None:
    commands = readme_commands()
    assert commands[:2] == ["./scripts/demo", "./scripts/test"]
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_demo_command_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "demo"), "--out", str(tmp_path / "demo"), "--no-serve"],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "条签名记录" in result.stdout
    assert "演示数据" in result.stdout and "公开种子" in result.stdout  # the demo's keys are public
    home = tmp_path / "demo" / "site" / "index.html"  # and the portal's home page says so too
    assert "跳过门户" in result.stdout or "公开种子" in home.read_text(encoding="utf-8")
    assert (tmp_path / "demo" / "demo-ledger.db").exists()
    if "跳过门户" not in result.stdout:
        assert (tmp_path / "demo" / "site" / "index.html").exists()
        # the 审计 page lists the demo's unanswered objection, not the answered one
        audit = (tmp_path / "demo" / "site" / "audit" / "index.html").read_text(encoding="utf-8")
        assert "逾期未答复的异议" in audit and "10 月二期绿化服务费未附作业记录" in audit
        assert "3 号楼电梯曳引机更换超出年度预算" not in audit
    # the suite runs in the venv the scripts bootstrap: the `sunlight` the tests start (next to
    # sys.executable) is the one `./scripts/demo` just ran
    assert Path(sys.prefix).resolve() == (ROOT / ".venv").resolve(), (
        f"the tests run in {sys.prefix}, not in {ROOT / '.venv'}: run them with ./scripts/test")
    assert (Path(sys.executable).parent / "sunlight").resolve() == (ROOT / ".venv" / "bin" / "sunlight").resolve()


@pytest.mark.slow
def test_verification_guide_runs_as_written(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = text.split("<!-- verification-guide -->", 1)[1]
    script = re.search(r"```sh\n(.+?)\n```", guide, re.S)
    assert script is not None
    env = {"PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
           "LANG": "C.UTF-8"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script.group(1)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "VERIFIED" in result.stdout and "收据有效" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verified"] is True and report["size"] == 399


@pytest.mark.slow
def test_demo_serves_the_portal(tmp_path: Path) -> None:
    """``sunlight demo`` (what ``./scripts/demo`` runs) builds the portal and serves it until
    stopped; a browser's first request gets the home page of 幸福里社区."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s, socket.socket() as c:  # two ports the system says are free
        s.bind(("127.0.0.1", 0))
        c.bind(("127.0.0.1", 0))
        port, console_port = s.getsockname()[1], c.getsockname()[1]
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "sunlight"), "demo", "--out",
                               str(tmp_path / "demo"), "--port", str(port),
                               "--console-port", str(console_port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        page = ""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)  # polling for the server to come up, not timing anything
        assert "幸福里社区" in page, server.stdout.read() if server.poll() is not None else "no page"
        # and the committee console beside it, with its demo members
        with urllib.request.urlopen(f"http://127.0.0.1:{console_port}/console/", timeout=5) as response:
            assert "阳光账本" in response.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{console_port}/v1/demo/members",
                                    timeout=5) as response:
            assert "王建国" in response.read().decode()
    finally:
        server.terminate()
        server.wait(30)
        if server.stdout is not None:
            server.stdout.close()
