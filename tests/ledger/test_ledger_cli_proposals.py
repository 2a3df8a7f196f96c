"""``sunlight propose``, ``proposals`` and ``cosign`` on the database and against a running
``sunlight serve`` (a real subprocess): signed here, sent over HTTP, no database access on the
client; ``record`` and ``member`` with ``--server`` too."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ledger.application import Sunlight
from tests.api.helpers import start_service
from tests.ledger.test_ledger_cli import found, sunlight, workdir  # noqa: F401  (a fixture)

NO_DB = "sqlite:////nonexistent/dir/none.db"  # a client with --server never opens a database


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def spend(spend_id: str, amount_fen: int) -> str:
    return json.dumps({"estate_id": "a", "spend_id": spend_id, "category": "elevators",
                       "vendor": "电梯公司", "amount_fen": amount_fen,
                       "invoice_sha256": hashlib.sha256(spend_id.encode()).hexdigest(),
                       "spent_on": today(), "description": "维保"})


def proposal_id(out: str) -> str:
    found_id = re.search(r"已保存为提案 ([A-Za-z0-9_-]{22})", out)
    assert found_id, out
    return found_id.group(1)


@pytest.mark.slow
def test_propose_list_and_cosign_through_a_running_service_and_on_the_database(
        workdir: Path) -> None:  # noqa: F811
    found(workdir)
    db = f"sqlite:///{workdir / 'ledger.db'}"
    sunlight("keys", "new", "zhao")
    service = start_service(db, workdir / "serve.log")
    try:
        url = service.url
        budget = json.dumps({"estate_id": "a", "year": int(today()[:4]),
                             "lines": [{"category": "elevators", "amount_fen": 10_000_000}]})
        assert "已登记" in sunlight("record", "fee.budget_set", "-c", "cli", "-k", "chen",
                                    "--json", budget, "--server", url, "--db", NO_DB)
        assert "已登记" in sunlight("member", "admit", "-c", "cli", "-k", "wang", "--member-id",
                                    "zhao", "--name", "赵监督", "--role", "supervisor",
                                    "--member-key", "zhao", "--term-start", "2024-01-01",
                                    "--server", url, "--db", NO_DB)
        # under 5,000 元 one signature suffices: propose simply records it
        assert "签名已齐，已登记" in sunlight("propose", "fee.spend_recorded", "-c", "cli", "-k",
                                             "chen", "--json", spend("s0", 100_000),
                                             "--server", url, "--db", NO_DB)
        out = sunlight("propose", "fee.spend_recorded", "-c", "cli", "-k", "chen",
                       "--json", spend("s1", 600_000), "--server", url, "--db", NO_DB)
        pid = proposal_id(out)
        assert "还须主任或监督签名" in out and f"sunlight cosign -c cli {pid}" in out
        listed = sunlight("proposals", "-c", "cli", "-k", "zhao", "--server", url, "--db", NO_DB)
        assert pid in listed and "待签" in listed and "还须主任或监督签名" in listed
        assert "登录" in sunlight("proposals", "-c", "cli", "--server", url, "--db", NO_DB, code=2)
        assert "没有编号" in sunlight("cosign", "-c", "cli", "A" * 22, "-k", "wang",
                                      "--server", url, "--db", NO_DB, code=1)
        # the proposer signing again counts once
        assert "还须主任或监督签名" in sunlight("cosign", "-c", "cli", pid, "-k", "chen",
                                                  "--server", url, "--db", NO_DB)
        out = sunlight("cosign", "-c", "cli", pid, "-k", "wang", "--server", url, "--db", NO_DB)
        assert "签署：fee.spend_recorded" in out and "签名已齐，已登记" in out
        # the same on the database
        out = sunlight("propose", "fee.spend_recorded", "-c", "cli", "-k", "chen",
                       "--json", spend("s2", 700_000))
        second = proposal_id(out)
        assert second in sunlight("proposals", "-c", "cli", "--status", "pending")
        assert "签名已齐，已登记" in sunlight("cosign", "-c", "cli", second, "-k", "zhao")
        listed = sunlight("proposals", "-c", "cli")
        assert listed.count("已登记") == 2 and "待签" not in listed
        assert "无法连接服务" in sunlight("proposals", "-c", "cli", "-k", "wang", "--server",
                                          "http://127.0.0.1:9", "--db", NO_DB, code=2)
    finally:
        service.terminate()
    ledger = Sunlight(db)
    kinds = [json.loads(json.loads(e)["statement"])["kind"] for _, e in ledger.entries("cli")]
    assert kinds.count("fee.spend_recorded") == 3
