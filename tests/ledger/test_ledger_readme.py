"""Docs that run: the README opens with the two commands of a fresh machine, CI runs the second,
and the first works (without serving, so the test ends)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text[: text.index("\n## ")]
    return re.findall(r"```(?:sh|bash)\n(.+?)\n```", head, re.S)


def test_readme_starts_with_demo_and_test_commands() -> None:
    commands = readme_commands()
    assert commands[:2] == ["./scripts/demo", "./scripts/test"]
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_demo_command_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "demo"), "--out", str(tmp_path / "demo"), "--no-serve"],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "条签名记录" in result.stdout
    assert (tmp_path / "demo" / "sunlight.db").exists()
    if "跳过门户" not in result.stdout:
        assert (tmp_path / "demo" / "site" / "index.html").exists()
    assert sys.executable  # the suite itself runs in the same venv the scripts bootstrap
