"""Fixtures for the portal tests: one small community with hostile text and private data,
published once per session into a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ledger.application import Sunlight
from publisher.build import PublishResult, publish
from publisher.preview import serve_in_background
from publisher.records import Record, read_records
from tests.publisher.sample import Clock, Writer, build_sample

BASE_URL = "https://portal.example/testville/"


@dataclass
class Site:
    app: Sunlight
    writer: Writer
    out: Path
    result: PublishResult


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("portal")
    clock = Clock()
    app = Sunlight(f"sqlite:///{tmp / 'ledger.db'}", clock=clock)
    writer = build_sample(app, clock)
    out = tmp / "site"
    result = publish(app, "testville", out, base_url=BASE_URL)
    yield Site(app, writer, out, result)


def site_files(out: Path, *suffixes: str) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and (not suffixes or p.suffix in suffixes)]


@dataclass
class DemoSite:
    app: Sunlight
    out: Path
    community: str
    records: list[Record]  # every record of the log, as published


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    """The demo community (幸福里社区, the year 2025) published as residents see it (without the
    search index, which no test of it needs)."""
    from ledger.demo import COMMUNITY, build_demo

    tmp = tmp_path_factory.mktemp("demo-portal")
    app = Sunlight(f"sqlite:///{tmp / 'demo.db'}")
    build_demo(app)
    publish(app, COMMUNITY, tmp / "site", search=False)
    return DemoSite(app, tmp / "site", COMMUNITY, list(read_records(app.entries(COMMUNITY))))


DISTRICT_URL = "https://portal.example/chengnan/"
DISTRICT = {"dongfang": "东方社区", "nanhu": "南湖社区", "xiyuan": "西园社区"}


@dataclass
class DistrictSite:
    db: Path
    out: Path
    cache: Path
    result: Any  # publisher.district.DistrictResult
    records: dict[str, list[Record]]  # every community's records, as published


@pytest.fixture(scope="session")
def district_site(tmp_path_factory: pytest.TempPathFactory) -> DistrictSite:
    """Three communities, each a year of records by the demo builder with its own figures, in
    one database, published as one district site (without the search index)."""
    from ledger.demo import build_demo
    from publisher.district import publish_district

    tmp = tmp_path_factory.mktemp("district")
    app = Sunlight(f"sqlite:///{tmp / 'district.db'}")
    for community_id, name in DISTRICT.items():
        build_demo(app, community_id, name=name)
    out, cache = tmp / "site", tmp / "cache"
    result = publish_district(app, "城南街道", out, base_url=DISTRICT_URL, cache_dir=cache,
                              search=False)
    return DistrictSite(tmp / "district.db", out, cache, result,
                        {c: list(read_records(app.entries(c))) for c in DISTRICT})


@contextmanager
def serving(out: Path, address: str = "/") -> Iterator[str]:
    """The published site in ``out`` on a local port, at the path of its public ``address`` (the
    404 page's links are absolute): yields its local URL."""
    server, url = serve_in_background(out, prefix=urlsplit(address).path)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module", params=[360, 1280], ids=lambda w: f"{w}px")
def view(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    """One page of a phone's width and one of a desktop's (the accessibility tests run twice)."""
    context = browser.new_context(viewport={"width": request.param, "height": 800},
                                  device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()
