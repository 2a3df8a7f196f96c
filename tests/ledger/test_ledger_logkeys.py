"""The log key outside the database: a backup of the database is not the log key, the ledger
signs only with the key file that matches the log's registered key, and old databases with the
key inside keep working until the operator moves it out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from ledger.application import Sunlight
from ledger.crypto.note import Verifier, open_note
from ledger.logkeys import LogKey, LogKeyDir, LogKeyError
from ledger.signing import MemberKey
from ledger.store.tables import logs_table
from tests.committee import Clock, Committee

ORIGIN = "test.example/keyed"


def keyed(db_url: str, key_dir: Path, clock: Clock) -> tuple[Sunlight, LogKey, Committee]:
    """A community founded as `sunlight init` does by default: the key in a file, 0600."""
    app = Sunlight(db_url, clock=clock, log_key_dir=key_dir)
    c = Committee(app, clock, keys={"chair": MemberKey.from_seed(b"\x51" * 32)},
                  community="keyed")
    key = LogKey.generate(ORIGIN)
    LogKeyDir(key_dir).write("keyed", key)
    app.found([c.founding()], origin=ORIGIN)
    return app, key, c


def disclose(c: Committee, n: int) -> None:
    c.record("chair", "disclosure.published", {"disclosure_id": f"D{n}", "category": "other",
                                               "period": "2025", "title": "公开", "body": "内容"})


def stored_seed(app: Sunlight, community: str) -> bytes | None:
    with app.store.engine.connect() as conn:
        seed = conn.execute(select(logs_table.c.key_seed).where(
            logs_table.c.community_id == community)).scalar()
    return bytes(seed) if seed else None


def test_the_database_holds_only_the_verifier_key(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    app, key, c = keyed(db_url, tmp_path / "keys", clock)
    path = tmp_path / "keys" / "keyed.logkey"
    assert path.stat().st_mode & 0o777 == 0o600
    assert stored_seed(app, "keyed") is None
    assert app.community("keyed").verifier_key == key.verifier_key
    if db_url.startswith("sqlite"):  # the backup an attacker copies: no trace of the seed
        app.close()
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("sunlight.db*"))
        assert key.seed not in raw
    again = Sunlight(db_url, clock=clock, log_key_dir=tmp_path / "keys")
    c.app = again
    disclose(c, 1)
    note = again.checkpoint("keyed")
    open_note(note, [Verifier.from_key_string(key.verifier_key)])


@pytest.mark.parametrize("trouble", ["missing", "other key", "readable by others", "no key dir"])
def test_no_signature_without_the_matching_key_file(db_url: str, tmp_path: Path,
                                                    trouble: str) -> None:
    clock = Clock()
    _app, _key, c = keyed(db_url, tmp_path / "keys", clock)
    path = tmp_path / "keys" / "keyed.logkey"
    key_dir = tmp_path / "keys"
    if trouble == "missing":
        path.unlink()
    elif trouble == "other key":  # same log name, another key: it would fork the log
        path.unlink()
        LogKeyDir(key_dir).write("keyed", LogKey.generate(ORIGIN))
    elif trouble == "readable by others":
        path.chmod(0o644)
    else:
        key_dir = tmp_path / "elsewhere"
    fresh = Sunlight(db_url, clock=clock, log_key_dir=key_dir)
    c.app = fresh
    before = fresh.checkpoint("keyed")
    with pytest.raises(LogKeyError) as refused:
        disclose(c, 1)
    assert refused.value.code in {"log-key-missing", "log-key-mismatch", "log-key-unsafe"}
    assert "日志密钥" in str(refused.value)
    assert fresh.size("keyed") == 1 and fresh.checkpoint("keyed") == before  # nothing written
    assert Sunlight(db_url, clock=clock).size("keyed") == 1


def test_move_the_key_out_of_an_old_database(db_url: str, tmp_path: Path) -> None:
    c = Committee.found(db_url)  # key kept in the database, as every log before key files
    seed = stored_seed(c.app, c.community)
    assert seed is not None
    verifier_key = c.app.community(c.community).verifier_key
    disclose(c, 1)
    moved = Sunlight(db_url, clock=c.clock, log_key_dir=tmp_path / "keys")
    path = moved.move_key_out(c.community)
    assert path == tmp_path / "keys" / "testcom.logkey" and path.stat().st_mode & 0o777 == 0o600
    assert LogKey.parse(path.read_text().strip()).seed == seed
    assert stored_seed(moved, c.community) is None
    assert moved.community(c.community).verifier_key == verifier_key
    c.app = moved
    disclose(c, 2)
    open_note(moved.checkpoint(c.community), [Verifier.from_key_string(verifier_key)])
    c.app = Sunlight(db_url, clock=c.clock, log_key_dir=tmp_path / "nowhere")
    with pytest.raises(LogKeyError):
        disclose(c, 3)


OLD_SCHEMA = """CREATE TABLE sunlight_logs (
    community_id VARCHAR(64) NOT NULL PRIMARY KEY,
    origin VARCHAR(200) NOT NULL UNIQUE,
    key_seed {blob} NOT NULL,
    created_at TIMESTAMP{tz} NOT NULL)"""


def test_a_database_from_before_key_files(db_url: str, tmp_path: Path) -> None:
    """The table as the previous release created it (key seed NOT NULL, no verifier key):
    opened, migrated, and both kinds of log key work in it."""
    engine = create_engine(db_url)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(text(OLD_SCHEMA.format(blob="BYTEA" if postgres else "BLOB",
                                            tz=" WITH TIME ZONE" if postgres else "")))
    engine.dispose()
    old = Committee.found(db_url, "oldcom")  # key in the database
    clock = old.clock
    app, _key, c = keyed(db_url, tmp_path / "keys", clock)  # key in a file
    disclose(c, 1)
    assert app.move_key_out("oldcom").exists()
    old.app = Sunlight(db_url, clock=clock, log_key_dir=tmp_path / "keys")
    disclose(old, 1)
    assert {i.community_id for i in old.app.communities()} == {"oldcom", "keyed"}
    assert stored_seed(old.app, "oldcom") is None and stored_seed(old.app, "keyed") is None


def test_key_files_are_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    keys = LogKeyDir(tmp_path / "keys")
    key = LogKey.generate(ORIGIN)
    path = keys.write("keyed", key)
    assert path.stat().st_mode & 0o777 == 0o600
    assert oct(os.stat(tmp_path / "keys").st_mode & 0o777) == oct(0o700)
    with pytest.raises(LogKeyError):
        keys.write("keyed", LogKey.generate(ORIGIN))
    assert keys.load("keyed", ORIGIN, key.verifier_key) == key
    with pytest.raises(LogKeyError):  # a key file for another log name
        keys.load("keyed", "test.example/other", None)
    path.chmod(0o640)
    with pytest.raises(LogKeyError):
        keys.load("keyed", ORIGIN, key.verifier_key)
