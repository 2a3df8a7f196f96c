"""A community's witnesses as configured with ``sunlight witness add|list|remove``: the name
residents know each one by (``--name 街道办``), kept in ``sunlight_witnesses`` on every backend,
added to a table an earlier build created, and refused in Chinese when it would mislead."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from ledger.application import Sunlight
from ledger.crypto.cosignature import CosignatureSigner
from ledger.store import WitnessRow
from tests.ledger.test_ledger_cli import found, sunlight

OFFICE = CosignatureSigner.from_seed("jiedaoban.example/w", b"\x41" * 32)
BOARD = CosignatureSigner.from_seed("jiandu.example/w", b"\x42" * 32)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNLIGHT_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    return tmp_path


def test_a_witness_keeps_its_display_name_on_every_backend(db_url: str) -> None:
    app = Sunlight(db_url)
    app.store.put_witness(WitnessRow("c1", OFFICE.name, "http://w1", OFFICE.verifier_key(),
                                     "街道办"))
    app.store.put_witness(WitnessRow("c1", BOARD.name, "http://w2", BOARD.verifier_key()))
    office, board = sorted(app.store.witnesses("c1"), key=lambda r: r.url)
    assert (office.label, office.display_name) == ("街道办", "街道办")
    assert (board.label, board.display_name) == (None, BOARD.name)
    app.store.put_witness(WitnessRow("c1", OFFICE.name, "http://w1", OFFICE.verifier_key(),
                                     "街道办事处"))  # renamed: replaced, not doubled
    assert [r.display_name for r in app.store.witnesses("c1")] == [BOARD.name, "街道办事处"]


def test_a_table_from_before_display_names_gets_the_column(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:  # as the build before display names created it
        conn.exec_driver_sql(
            "CREATE TABLE sunlight_witnesses (community_id VARCHAR(64) NOT NULL, "
            "name VARCHAR(200) NOT NULL, url VARCHAR(500) NOT NULL, "
            "verifier_key VARCHAR(300) NOT NULL, PRIMARY KEY (community_id, name))")
        conn.exec_driver_sql(
            "INSERT INTO sunlight_witnesses VALUES ('c1', 'jiedaoban.example/w', 'http://w1', "
            f"'{OFFICE.verifier_key()}')")
    engine.dispose()
    app = Sunlight(db_url)
    (row,) = app.store.witnesses("c1")
    assert row == WitnessRow("c1", OFFICE.name, "http://w1", OFFICE.verifier_key(), None)
    app.close()
    assert Sunlight(db_url).store.witnesses("c1") == [row]  # a second opening changes nothing


def test_witness_add_list_and_remove_by_display_name(workdir: Path) -> None:
    found(workdir)
    out = sunlight("witness", "add", "-c", "cli", "--url", "http://127.0.0.1:9/", "--key",
                   OFFICE.verifier_key(), "--name", " 街道办 ")
    assert f"见证人「街道办」已配置（公钥名称 {OFFICE.name}，" in out and "无需重启" in out
    sunlight("witness", "add", "-c", "cli", "--url", "http://127.0.0.1:10", "--key",
             BOARD.verifier_key())
    listed = sunlight("witness", "list", "-c", "cli").splitlines()
    assert listed == [f"cli\t{BOARD.name}\t{BOARD.name}\thttp://127.0.0.1:10\t已联署至 0 条",
                      f"cli\t街道办\t{OFFICE.name}\thttp://127.0.0.1:9\t已联署至 0 条"]
    # another witness may not take a name residents already know for the first one
    refused = sunlight("witness", "add", "-c", "cli", "--url", "http://127.0.0.1:10", "--key",
                       BOARD.verifier_key(), "--name", "街道办", code=2)
    assert "已有称为「街道办」的见证人" in refused
    # the same witness may be renamed
    sunlight("witness", "add", "-c", "cli", "--url", "http://127.0.0.1:9", "--key",
             OFFICE.verifier_key(), "--name", "街道办事处")
    assert "已移除社区 cli 的见证人 街道办事处" in sunlight("witness", "remove", "-c", "cli",
                                                           "--name", "街道办事处")
    assert "没有名为 街道办 的见证人" in sunlight("witness", "remove", "-c", "cli", "--name",
                                                  "街道办", code=1)
    assert BOARD.name in sunlight("witness", "remove", "-c", "cli", "--name", BOARD.name)
    assert sunlight("witness", "list").strip() == "尚未配置见证人"


@pytest.mark.parametrize(("name", "said"), [
    ("  ", "--name 不能为空"),
    ("街" * 41, "--name 过长"),
    ("街道办\n监督委员会", "--name 含有换行或控制字符"),
])
def test_a_display_name_that_would_mislead_is_refused(workdir: Path, name: str, said: str) -> None:
    found(workdir)
    out = sunlight("witness", "add", "-c", "cli", "--url", "http://127.0.0.1:9", "--key",
                   OFFICE.verifier_key(), "--name", name, code=2)
    assert said in out
    assert Sunlight(f"sqlite:///{workdir / 'ledger.db'}").store.witnesses() == []
