"""``sunlight audit`` on the demo's database: every rule's finding, exit 1; a clean log exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.application import Sunlight
from ledger.audit.findings import RULES
from ledger.cli import app
from ledger.demo import COMMUNITY, build_demo
from tests.audit.test_findings import clean_log
from tests.committee import Committee

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    ledger = Sunlight(url)
    build_demo(ledger)
    ledger.close()
    return url


def test_the_demo_holds_every_finding(demo_db: str) -> None:
    result = runner.invoke(app, ["audit", "-c", COMMUNITY, "--db", demo_db, "--format", "json",
                                 "--as-of", "2025-12-31"])
    assert result.exit_code == 1, result.output
    (report,) = json.loads(result.stdout)
    assert {f["rule"] for f in report["findings"]} == set(RULES)
    assert all(f["records"] or f["rule"] in ("disclosure-missing", "proposal-expired")
               for f in report["findings"])


def test_markdown_and_csv_in_chinese_for_every_community(demo_db: str) -> None:
    md = runner.invoke(app, ["audit", "--db", demo_db, "--as-of", "2025-12-31"])
    assert md.exit_code == 1
    assert md.stdout.startswith("# 审计视图：幸福里社区（xingfuli）")
    assert all(rule.title in md.stdout for rule in RULES.values())
    csv = runner.invoke(app, ["audit", "-c", COMMUNITY, "--db", demo_db, "--format", "csv",
                              "--as-of", "2025-12-31"])
    assert csv.exit_code == 1 and csv.stdout.startswith("社区,类别,规则,规则名称,期间,说明,涉及记录\n")


def test_a_clean_log_exits_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sunlight.db'}"
    c = Committee.found(url)
    clean_log(c)
    c.app.close()
    result = runner.invoke(app, ["audit", "-c", c.community, "--db", url, "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("未发现问题。") == 4


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "2025-13-01"], "不是有效的日期"),
    (["-c", "nosuch"], "nosuch"),
])
def test_could_not_run_exits_2(demo_db: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["audit", "--db", demo_db, *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
