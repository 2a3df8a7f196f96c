"""``sunlight init`` as an operator runs it: the log key goes to a file (0600), a refused founding
leaves neither a log nor a key, concurrent inits found once, and ``--invite`` authorises one
founding through the service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

import ledger.cli.log  # noqa: F401  (registers `sunlight log`)
from ledger.application import Sunlight
from ledger.signing import MemberKey, Statement
from ledger.store.tables import logs_table
from tests.ledger.test_ledger_cli import sunlight

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")
INIT = ["init", "-c", "cli", "--name", "测试社区", "--origin", "test.example/cli",
        "--founder-id", "wang", "--founder-name", "王主任", "--term-start", "2024-01-01"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNLIGHT_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.delenv("SUNLIGHT_LOG_KEY_DIR", raising=False)
    return tmp_path


def log_rows() -> list[object]:
    app = Sunlight(os.environ["SUNLIGHT_DB"])
    with app.store.engine.connect() as conn:
        return list(conn.execute(select(logs_table)).all())


@pytest.mark.parametrize("mistake", ["no founder key", "bad estate", "bad founder key file"])
def test_a_failed_init_leaves_no_log_and_no_key(workdir: Path, mistake: str) -> None:
    sunlight("keys", "new", "wang")
    args = [*INIT, "-k", "wang", "--estate", "a=一期"]
    if mistake == "no founder key":
        args = [*INIT, "-k", "nobody"]
    elif mistake == "bad estate":
        args += ["--estate", "a=一期重复"]
    else:
        (workdir / "keys" / "bad.key").write_text("not a key")
        args = [*INIT, "-k", "bad"]
    # a key file that cannot be read: could not run (2); one that is no key: refused (1)
    out = sunlight(*args, code=2 if mistake == "no founder key" else 1)
    assert "错误" in out
    assert log_rows() == [] and Sunlight(os.environ["SUNLIGHT_DB"]).communities() == []
    assert not list(workdir.glob("log-keys/*"))
    # nothing to claim, and the operator can simply run init again
    sunlight(*INIT, "-k", "wang")
    assert [c.community_id for c in Sunlight(os.environ["SUNLIGHT_DB"]).communities()] == ["cli"]


def test_init_keeps_the_log_key_in_a_file(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sunlight("keys", "new", "wang")
    sunlight("keys", "new", "chen")
    out = sunlight(*INIT, "-k", "wang")
    path = workdir / "log-keys" / "cli.logkey"
    assert str(path.relative_to(workdir)) in out and path.stat().st_mode & 0o777 == 0o600
    assert [r.key_seed for r in log_rows()] == [None]  # type: ignore[attr-defined]
    admit = ["member", "admit", "-c", "cli", "-k", "wang", "--member-id", "chen", "--name", "陈明",
             "--role", "treasurer", "--member-key", "chen", "--term-start", "2024-01-01"]
    monkeypatch.setenv("SUNLIGHT_LOG_KEY_DIR", str(workdir / "elsewhere"))
    assert "日志密钥文件" in sunlight(*admit, code=2)
    monkeypatch.delenv("SUNLIGHT_LOG_KEY_DIR")
    assert "日志序号 1" in sunlight(*admit)
    # the explicit choice: the key in the database, until the operator moves it out
    sunlight("init", "-c", "indb", "--name", "库内社区", "--origin", "test.example/indb", "-k", "wang",
             "--founder-id", "wang", "--founder-name", "王主任", "--log-key-in-db")
    assert not (workdir / "log-keys" / "indb.logkey").exists()
    assert sunlight("log", "move-key", "-c", "indb").count("indb.logkey") == 1
    assert (workdir / "log-keys" / "indb.logkey").stat().st_mode & 0o777 == 0o600
    assert all(r.key_seed is None for r in log_rows())  # type: ignore[attr-defined]
    assert "不在数据库" in sunlight("log", "move-key", "-c", "indb", code=1)


def test_init_invite_authorises_one_founding(workdir: Path) -> None:
    out = sunlight("init", "-c", "inv", "--name", "邀请社区", "--origin", "test.example/inv",
                   "--invite", "--invite-days", "3")
    token = next(line for line in out.splitlines() if len(line) == 43)
    assert "/v1/communities/inv/founding" in out
    assert (workdir / "log-keys" / "inv.logkey").exists() and log_rows() == []
    key = MemberKey.generate()
    ledger = Sunlight(os.environ["SUNLIGHT_DB"])
    founded = key.sign(Statement("inv", "community.founded", ledger.clock(), {
        "name": "邀请社区", "founder_id": "z", "founder_name": "赵主任",
        "founder_public_key": key.public_b64, "term_start": "2024-01-01",
        "policy": "default"}))
    assert ledger.found_by_invitation("inv", token, [founded])[0].index == 0
    assert "已建账" in sunlight("init", "-c", "inv", "--name", "邀请社区", "--origin",
                                "test.example/inv", "--invite", code=1)


def test_concurrent_inits_in_two_processes_found_once(workdir: Path) -> None:
    for name in ("a", "b", "c", "d"):
        sunlight("keys", "new", name)
    Sunlight(os.environ["SUNLIGHT_DB"]).close()  # the operator's database exists already
    env = {**os.environ, "LANG": "C.UTF-8"}
    procs = [subprocess.Popen([SUNLIGHT, *INIT, "-k", name], cwd=workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("a", "b", "c", "d")]
    results = [(p.wait(120), *p.communicate()) for p in procs]
    assert sorted(code for code, _, _ in results) == [0, 1, 1, 1], results
    for code, _out, err in results:
        if code:
            assert "已建账" in err, err
    ledger = Sunlight(os.environ["SUNLIGHT_DB"])
    assert ledger.size("cli") == 1 and len(log_rows()) == 1
    ledger.log_keys.load("cli", "test.example/cli", ledger.community("cli").verifier_key)


def test_no_key_file_is_named_after_a_bad_community_id(workdir: Path) -> None:
    sunlight("keys", "new", "wang")
    args = [*INIT, "-k", "wang"]
    args[args.index("cli")] = "../escaped"
    assert "社区编号" in sunlight(*args, code=1)
    assert not (workdir / "escaped.logkey").exists() and not list(workdir.glob("log-keys/*"))
    assert log_rows() == []
