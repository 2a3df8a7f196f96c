"""The ``sunlight`` command line, run in-process with typer's runner on a real SQLite file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

import ledger.cli  # noqa: F401  (registers every command)
from ledger.application import Sunlight
from ledger.cli.root import app

runner = CliRunner()


def sunlight(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False) if code == 0 else \
        runner.invoke(app, list(args))
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == code, output
    return output


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNLIGHT_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    return tmp_path


def found(workdir: Path) -> None:
    sunlight("keys", "new", "wang")
    sunlight("keys", "new", "chen")
    sunlight("init", "-c", "cli", "--name", "测试社区", "--origin", "test.example/cli", "-k", "wang",
             "--founder-id", "wang", "--founder-name", "王主任", "--term-start", "2024-01-01",
             "--estate", "a=一期")
    sunlight("member", "admit", "-c", "cli", "-k", "wang", "--member-id", "chen", "--name", "陈明",
             "--role", "treasurer", "--member-key", "chen", "--term-start", "2024-01-01")
    sunlight("record", "fund.opened", "-c", "cli", "-k", "chen", "--set", "fund_id=f1",
             "--set", "name=微基金", "--set", "purpose=资助小项目", "--set", "opened_on=2025-01-01")


def test_keys_are_written_owner_only(workdir: Path) -> None:
    out = sunlight("keys", "new", "wang")
    mode = stat.S_IMODE(os.stat(workdir / "keys" / "wang.key").st_mode)
    assert mode == 0o600
    key_id = out.split("key_id:")[1].split()[0]
    assert key_id in sunlight("keys", "show", "wang")
    assert key_id in sunlight("keys", "list")
    assert "不会覆盖" in sunlight("keys", "new", "wang", code=1)


def test_init_admit_record_and_refusals(workdir: Path) -> None:
    found(workdir)
    out = sunlight("record", "fund.donation_recorded", "-c", "cli", "-k", "chen",
                   "--set", "fund_id=f1", "--set", "donation_id=d1", "--set", "amount_fen=10000",
                   "--set", "channel=cash", "--set", "receipt_no=R1", "--set", "received_on=2025-01-02",
                   "--person", "name=张三", "--person", "phone=13800138000")
    assert "日志序号 4" in out
    assert "手机号码" in sunlight("record", "disclosure.published", "-c", "cli", "-k", "chen",
                                  "--set", "disclosure_id=x", "--set", "category=other",
                                  "--set", "period=2025", "--set", "title=t",
                                  "--set", "body=请联系 13800138000", code=1)
    assert "应为整数" in sunlight("record", "fund.donation_recorded", "-c", "cli", "-k", "chen",
                                  "--set", "amount_fen=12.5", code=1)
    assert "无权" in sunlight("member", "revoke", "-c", "cli", "-k", "chen", "--member-id", "wang",
                              "--reason", "x", code=1)
    ledger = Sunlight(os.environ["SUNLIGHT_DB"])
    assert ledger.size("cli") == 5
    assert ledger.private_records("cli")[0]["data"] == {"name": "张三", "phone": "13800138000"}
    assert "已删除 1 份" in sunlight("forget", "-c", "cli", "张三")
    assert ledger.private_records("cli") == []
    assert "没有" in sunlight("forget", "-c", "cli", "张三", code=1)


def test_member_lifecycle(workdir: Path) -> None:
    found(workdir)
    sunlight("keys", "new", "chen2")
    sunlight("member", "rotate", "-c", "cli", "-k", "wang", "--member-id", "chen", "--new-key", "chen2")
    assert "已被更换" in sunlight("record", "fund.opened", "-c", "cli", "-k", "chen", "--set",
                                  "fund_id=f2", "--set", "name=n", "--set", "purpose=p",
                                  "--set", "opened_on=2025-01-01", code=1)
    sunlight("member", "role", "-c", "cli", "-k", "wang", "--member-id", "chen", "--role", "member")
    sunlight("member", "term", "-c", "cli", "-k", "wang", "--member-id", "chen",
             "--term-start", "2024-01-01", "--term-end", "2030-01-01")
    sunlight("member", "revoke", "-c", "cli", "-k", "wang", "--member-id", "chen", "--reason", "辞职")
    assert "撤销" in sunlight("record", "disclosure.published", "-c", "cli", "-k", "chen2",
                              "--json", '{"disclosure_id":"x","category":"other","period":"2025",'
                              '"title":"t","body":"b"}', code=1)


def test_bulk_import_is_all_or_nothing_and_names_every_bad_line(workdir: Path) -> None:
    found(workdir)
    bad = workdir / "bad.csv"
    bad.write_text("fund_id,donation_id,amount_fen,channel,receipt_no,received_on,person.name\n"
                   "f1,d1,100,cash,R1,2025-01-03,李四\n"
                   "f1,d2,12.5,cash,R2,2025-01-03,王五\n"
                   "f1,d3,100,card,R3,2025-01-03,赵六\n"
                   "f1,d1,300,cash,R4,2025-01-03,钱七\n", encoding="utf-8")
    out = sunlight("record", "fund.donation_recorded", "-c", "cli", "-k", "chen",
                   "--from-file", str(bad), code=1)
    assert "3 行有误" in out and "第 3 行" in out and "第 4 行" in out and "第 5 行" in out
    assert "第 2 行" not in out
    ledger = Sunlight(os.environ["SUNLIGHT_DB"])
    assert ledger.size("cli") == 4 and ledger.private_records("cli") == []
    good = workdir / "good.jsonl"
    good.write_text("\n".join(json.dumps(
        {"fund_id": "f1", "donation_id": f"d{n}", "amount_fen": 100 * n, "channel": "cash",
         "receipt_no": f"R{n}", "received_on": "2025-01-03", "person": {"name": f"捐赠人{n}"}},
        ensure_ascii=False) for n in range(1, 4)), encoding="utf-8")
    assert "已导入 3 条" in sunlight("record", "fund.donation_recorded", "-c", "cli", "-k", "chen",
                                    "--from-file", str(good))
    assert ledger.size("cli") == 7 and len(ledger.private_records("cli")) == 3
    broken = workdir / "broken.jsonl"
    broken.write_text('{"fund_id": "f1"}\nnot json\n', encoding="utf-8")
    out = sunlight("record", "fund.donation_recorded", "-c", "cli", "-k", "chen",
                   "--from-file", str(broken), code=1)
    assert "第 1 行" in out and "第 2 行" in out


def test_unknown_kind_lists_the_known_ones(workdir: Path) -> None:
    found(workdir)
    out = sunlight("record", "fund.stolen", "-c", "cli", "-k", "chen", code=1)
    assert "未知的记录类型" in out and "fund.donation_recorded" in out
    assert "fund.donation_recorded" in sunlight("kinds")


def test_unreachable_database_is_a_clear_error(workdir: Path) -> None:
    sunlight("keys", "new", "wang")
    out = sunlight("--help")
    assert "record" in out
    out = runner.invoke(app, ["forget", "-c", "x", "y", "--db", "nosuchdialect://x"])
    assert out.exit_code == 2 and "无法打开数据库" in (out.output + out.stderr)


@pytest.mark.slow
def test_demo_never_touches_a_real_ledger_in_its_folder(workdir: Path) -> None:
    found(workdir)
    real = workdir / "ledger.db"
    before = real.stat().st_size
    (workdir / "sunlight.db").write_bytes(b"a real ledger")
    sunlight("demo", "--out", str(workdir), "--no-serve")
    assert (workdir / "sunlight.db").read_bytes() == b"a real ledger"
    assert real.stat().st_size == before
    assert (workdir / "demo-ledger.db").exists()
    sunlight("demo", "--out", str(workdir), "--no-serve")  # again: rebuilt in place
    # the demo's checkpoint is cosigned by its street office, and the portal says so
    home = (workdir / "site" / "index.html").read_text(encoding="utf-8")
    assert "街道办已于 2025-12-31 09:00（北京时间）确认" in home
    other = workdir / "mine"
    (other / "site").mkdir(parents=True)
    (other / "site" / "notes.md").write_text("mine")
    assert "不是演示门户" in sunlight("demo", "--out", str(other), "--no-serve", code=1)
    assert (other / "site" / "notes.md").read_text() == "mine"



def test_publish_takes_the_database_from_sunlight_db_and_the_community_from_c(workdir: Path) -> None:
    found(workdir)
    sunlight("init", "-c", "other", "--name", "另一个社区", "--origin", "test.example/other", "-k", "wang",
             "--founder-id", "wang", "--founder-name", "王主任", "--term-start", "2024-01-01")
    assert "-c/--community" in sunlight("publish", "--out", "site", code=1)  # two communities: which?
    assert "已生成门户" in sunlight("publish", "-c", "cli", "--out", "site")  # no --db: SUNLIGHT_DB
    assert "测试社区" in (workdir / "site" / "index.html").read_text(encoding="utf-8")


# Commands that open no community's ledger, or only their own database, and why.
NO_LEDGER = {
    "demo": "its own database, OUT/demo-ledger.db, rebuilt each time: never a real ledger",
    "keys new": "key files only", "keys show": "key files only", "keys list": "key files only",
    "kinds": "prints the record kinds", "verify": "reads a published log, offline",
    "log verify-proof": "reads a receipt file, offline", "witness keygen": "a witness key file",
    "witness serve": "the witness's own database (--db, default sqlite:///witness.db)",
}
ALL_COMMUNITIES = {"serve": "serves every community in the database",
                   "db init": "creates the tables every community shares"}


def _commands(group: TyperGroup, prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found[prefix + name] = command
    return found


def test_every_command_takes_the_same_db_and_community_options() -> None:
    """``--db`` (``SUNLIGHT_DB``, default ``sqlite:///sunlight.db``) and ``-c/--community``
    (``SUNLIGHT_COMMUNITY``) on every command that opens a ledger: a new command without them
    fails here unless it is listed above with its reason."""
    from ledger.store import DEFAULT_DB_URL

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    commands = _commands(root)
    assert {"publish", "init", "record", "log key", "member admit"} <= set(commands)
    assert set(NO_LEDGER) | set(ALL_COMMUNITIES) <= set(commands)
    for name, command in commands.items():
        if name in NO_LEDGER:
            continue
        options = {o: p for p in command.params if p.param_type_name == "option" for o in p.opts}
        db = options.get("--db")
        assert db is not None and db.envvar == "SUNLIGHT_DB" and db.default == DEFAULT_DB_URL, name
        if name in ALL_COMMUNITIES:
            continue
        community = options.get("-c")
        assert community is not None and community is options.get("--community"), name
        assert community.envvar == "SUNLIGHT_COMMUNITY", name
