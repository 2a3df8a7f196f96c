"""Two ``sunlight serve`` processes, and the CLI beside them, on one database: what one of them
records is known to the others at once -- for writing (no stale "unknown key") and for reading."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ledger.signing import MemberKey
from tests.api.helpers import SUNLIGHT, Service, disclosure, start_service
from tests.committee import Committee

RECORDS = "/v1/communities/testcom/records"
MEMBERS = "/v1/communities/testcom/members"


def admission(c: Committee, name: str) -> dict[str, object]:
    c.keys[name] = MemberKey.from_seed(name.encode().ljust(32, b"s"))
    return c.cosign(["chair", "supervisor"], "member.admitted", {
        "member_id": name, "name": f"{name}-name", "role": "member",
        "public_key": c.keys[name].public_b64, "term_start": "2024-01-01",
        "term_end": "2027-12-31"}, at=datetime.now(UTC).replace(microsecond=0)).to_json()


def members(client: httpx.Client) -> set[str]:
    return {m["member_id"] for m in client.get(MEMBERS).json()["members"]}


def post(client: httpx.Client, c: Committee, who: str, n: int) -> None:
    r = client.post(RECORDS, json=disclosure(c, n, who=who, now=True, tag=who).to_json())
    assert r.status_code == 201, r.text


def sunlight(db_url: str, keys: Path, *args: str) -> str:
    done = subprocess.run([SUNLIGHT, *args, "--db", db_url, "--dir", str(keys)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_what_one_process_records_the_others_know_at_once(db_url: str, tmp_path: Path) -> None:
    c = Committee.found(db_url)
    c.app.store.engine.dispose()
    keys = tmp_path / "keys"
    c.keys["chair"].save(keys / "chair.key")
    c.keys["supervisor"].save(keys / "supervisor.key")
    services: list[Service] = []
    try:
        services = [start_service(db_url, tmp_path / f"serve{n}.log") for n in range(2)]
        with httpx.Client(base_url=services[0].url) as a, \
                httpx.Client(base_url=services[1].url) as b:
            post(b, c, "member", 1)  # B holds the log in its cache, as a running service does
            assert "new1" not in members(b)
            r = a.post(RECORDS, json=admission(c, "new1"))
            assert r.status_code == 201, r.text
            assert "new1" in members(b)  # read right after the other process wrote
            post(b, c, "new1", 1)
            # the CLI beside the running services admits a member (the 主任 and the 监督 sign
            # together, -k twice); both services know it
            MemberKey.from_seed(b"cli-member".ljust(32, b"c")).save(keys / "new2.key")
            sunlight(db_url, keys, "member", "admit", "-c", "testcom", "-k", "chair", "-k", "supervisor",
                     "--member-id", "new2", "--name", "new2-name", "--role", "member",
                     "--member-key", "new2", "--term-start", "2024-01-01")
            c.keys["new2"] = MemberKey.load(keys / "new2.key")
            assert "new2" in members(a) and "new2" in members(b)
            post(a, c, "new2", 1)
            post(b, c, "new2", 2)
            # and the CLI records for a member admitted through a service
            assert b.post(RECORDS, json=admission(c, "new3")).status_code == 201
            c.keys["new3"].save(keys / "new3.key")
            out = sunlight(db_url, keys, "record", "disclosure.published", "-c", "testcom",
                           "-k", "new3", "--set", "disclosure_id=cli-1", "--set",
                           "category=other", "--set", "period=2025-03", "--set", "title=公开事项",
                           "--set", "body=本月公开内容。")
            assert "已登记：发布公开" in out
            sizes = {client.get("/v1/communities/testcom").json()["size"] for client in (a, b)}
            assert len(sizes) == 1
    finally:
        for service in services:
            service.terminate()
