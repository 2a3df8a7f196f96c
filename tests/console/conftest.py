"""A real ``sunlight serve`` with a community awaiting its founding by invitation."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api.helpers import SUNLIGHT, Service, start_service

COMMUNITY = "newcom"


@dataclass
class Invited:
    service: Service
    url: str
    token: str
    db_url: str
    files: Path  # the published copies of this community's attachments
    site: Path  # the portal, as the service's automatic publish writes it


@pytest.fixture(scope="module")
def invited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Invited]:
    tmp = tmp_path_factory.mktemp("console")
    db_url = f"sqlite:///{tmp / 'sunlight.db'}"
    keys = tmp / "log-keys"
    done = subprocess.run([SUNLIGHT, "init", "-c", COMMUNITY, "--name", "新社区", "--origin",
                           "test.example/newcom", "--invite", "--db", db_url,
                           "--log-key-dir", str(keys)],
                          capture_output=True, text=True, check=True, cwd=tmp)
    link = re.search(r"/console/#/found/newcom/(\S+)", done.stdout)
    assert link is not None, done.stdout
    # the service republishes the portal after new records, with the published attachments
    publish = (f"{SUNLIGHT} publish --community {{community}} --out {tmp / 'site'} "
               f"--attachments {tmp / 'files'}/{{community}}")
    service = start_service(db_url, tmp / "serve.log", "--log-key-dir", str(keys),
                            "--files-dir", str(tmp / "files"), "--publish-cmd", publish,
                            env={"SUNLIGHT_PUBLIC_URL": "https://portal.example/{community}/"})
    try:
        yield Invited(service, service.url, link.group(1), db_url, tmp / "files" / COMMUNITY,
                      tmp / "site")
    finally:
        service.terminate()


def shot(page: object, path: Path) -> None:  # pragma: no cover - debugging aid
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
