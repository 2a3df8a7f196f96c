"""``forget`` leaves the erased person in no file: not in the SQLite database, its WAL or its
shared-memory file, while a service-like second ledger has the same database open; on PostgreSQL
the private table's files are rewritten without the row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from ledger.application import Sunlight
from ledger.domain.errors import Conflict
from ledger.signing import PrivateRecord
from ledger.store.tables import private_table
from tests.committee import Committee

NAME = "欧阳翠花"
CONTACT = "zz-forget-me-ascii-7731"



@pytest.fixture
def db_url(storage_db_url: str) -> str:
    """Every storage layout: SQLite, PostgreSQL, partitioned by community, with a hot standby."""
    return storage_db_url

def forms(value: str) -> list[bytes]:
    """The ways a text can sit in a file: UTF-8, and JSON-escaped ASCII."""
    escaped = value.encode("ascii", "backslashreplace").decode().replace("\\u", "\\\\u")
    return [value.encode("utf-8"), escaped.encode()]


def files_holding(folder: Path, value: str) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
                  for form in forms(value) if form in p.read_bytes())


def donate(c: Committee, n: int, person: dict[str, str]) -> None:
    record = PrivateRecord.commit(person)
    c.record("treasurer", "fund.donation_recorded", {
        "fund_id": "f1", "donation_id": f"d{n}", "amount_fen": 100, "channel": "cash",
        "receipt_no": f"R{n}", "received_on": "2025-03-01", "donor_commitment": record.commitment},
        (record,))


def test_forget_leaves_the_name_in_no_file_under_the_database_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    url = f"sqlite:///{folder / 'ledger.db'}"
    c = Committee.found(url)
    c.fund()
    service = Sunlight(url)  # as `sunlight serve` would have it open, with its pooled connections
    assert service.size(c.community) == c.app.size(c.community)
    for n in range(20):  # others' data around it, before and after
        donate(c, n, {"name": f"邻居{n}", "phone": f"1390000{n:04d}"})
    donate(c, 100, {"name": NAME, "contact": CONTACT})
    for n in range(20, 40):
        donate(c, n, {"name": f"邻居{n}"})
    assert any(r["data"].get("name") == NAME  # type: ignore[union-attr]
               for r in service.private_records(c.community))  # the service has read it
    assert files_holding(folder, NAME) and files_holding(folder, CONTACT), "test must see it first"

    assert c.app.forget(c.community, NAME) == 1

    assert files_holding(folder, NAME) == [] and files_holding(folder, CONTACT) == []
    # Everyone else's data is still there, and both ledgers go on working.
    assert len(service.private_records(c.community)) == 40
    assert files_holding(folder, "邻居39")
    donate(c, 200, {"name": "新来的"})
    assert service.size(c.community) == c.app.size(c.community)


def test_forget_in_a_database_written_without_secure_delete(tmp_path: Path) -> None:
    """Written by a version that did not zero deleted content (others' records deleted and
    moved around it): the first start rewrites the file once, and the erased row leaves every
    file."""
    folder = tmp_path / "old"
    folder.mkdir()
    url = f"sqlite:///{folder / 'ledger.db'}"
    c = Committee.found(url)

    @event.listens_for(c.app.store.engine, "connect")
    def _as_before(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA secure_delete = OFF")

    c.app.store.engine.dispose()
    c.fund()
    for n in range(10):
        donate(c, n, {"name": f"邻居{n}"})
    donate(c, 10, {"name": NAME, "contact": CONTACT})
    for n in range(11, 30):
        donate(c, n, {"name": f"邻居{n}"})
    c.app.forget(c.community, "邻居3")
    with c.app.store.engine.begin() as conn:
        conn.execute(text("DROP TABLE sunlight_salts_seen"))  # as before salts were remembered
    c.app.close()
    c.app = Sunlight(url, clock=c.clock)
    assert files_holding(folder, NAME)
    assert c.app.forget(c.community, CONTACT) == 1
    assert files_holding(folder, NAME) == [] and files_holding(folder, CONTACT) == []


def test_forget_says_when_a_reader_keeps_the_old_pages(tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    url = f"sqlite:///{folder / 'ledger.db'}"
    c = Committee.found(url)
    c.fund()
    donate(c, 1, {"name": NAME})
    reader = sqlite3.connect(folder / "ledger.db", isolation_level=None)
    reader.execute("PRAGMA busy_timeout = 0")
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM sunlight_private").fetchone() == (1,)

    @event.listens_for(c.app.store.engine, "connect")
    def _no_wait(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 0")  # a test does not wait the 30 s

    c.app.store.engine.dispose()
    with pytest.raises(Conflict) as err:
        c.app.forget(c.community, NAME)
    assert err.value.code == "checkpoint-busy" and "再运行一次" in err.value.message
    assert c.app.private_records(c.community) == []  # erased all the same
    reader.execute("COMMIT")
    reader.close()
    assert c.app.forget(c.community, NAME) == 0  # running it again finishes the job
    assert files_holding(folder, NAME) == []


@pytest.mark.postgres
def test_forget_rewrites_the_private_table_on_postgresql(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    c = Committee.found(db_url)
    c.fund()
    donate(c, 1, {"name": NAME, "contact": CONTACT})
    # the table's files, and its partitions' where it is partitioned by community
    files = text("SELECT array_agg(pg_relation_filenode(r) ORDER BY r) FROM ("
                 "SELECT 'sunlight_private'::regclass::oid AS r UNION ALL SELECT inhrelid FROM "
                 "pg_inherits WHERE inhparent = 'sunlight_private'::regclass) AS t")
    with c.app.store.engine.connect() as conn:
        before = conn.execute(files).scalar()
    assert c.app.forget(c.community, NAME) == 1
    with c.app.store.engine.connect() as conn:
        after = conn.execute(files).scalar()
        rows = conn.execute(select(private_table.c.data)).scalars().all()
    assert rows == [] and after != before  # VACUUM FULL wrote new files without the row
