"""No credential leaves the service: a database password appears in no response (``/status``,
problem documents, ``/metrics``), no log line and no CLI message -- even when a failed publish
command prints the database URL it was given."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner

from ledger.api import Settings, create_app
from ledger.api.logs import JsonFormatter
from ledger.api.problems import problem
from ledger.api.server import command_publisher
from ledger.redaction import redact
from tests.api.helpers import disclosure, live, start_service, wait_until
from tests.committee import Committee
from tests.conftest import _PG_SKIP, drop_pg_database, fresh_pg_database

PASSWORD = "s3cret-pw"
SECRET_URL = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:5432/test"
# A publish command that fails the way a real one does: it prints the URL it could not open.
FAILING_PUBLISH = "sh -c 'echo \"could not open {db}\" >&2; exit 3'"
# As the README advises: no {db}; the command inherits SUNLIGHT_DB from ``sunlight serve``.
INHERITING_PUBLISH = "sh -c 'echo \"could not open $SUNLIGHT_DB\" >&2; exit 3'"
RECORDS = "/v1/communities/testcom/records"


@pytest.mark.parametrize("text", [
    SECRET_URL,
    f"OperationalError: could not open {SECRET_URL} (connection refused)",
    f"Command '['sunlight', 'publish', '--db', '{SECRET_URL}']' timed out after 600 seconds",
    json.dumps({"db": SECRET_URL, "other": "a@b"}),
    f"postgresql://admin:{PASSWORD}@db.example:5432/x?sslmode=require",
    f"mysql+pymysql://u:{PASSWORD}@h/db and redis://:{PASSWORD}@cache:6379/0",
    f"postgresql://u:p@{PASSWORD}@h/db",  # an unencoded "@" inside the password
    f"https://u:{PASSWORD}/x@example.org/",  # a "/" inside the password
    f"host=127.0.0.1 user=postgres password={PASSWORD} dbname=test",
    f"PASSWORD = '{PASSWORD}'",
])
def test_the_redactor_hides_every_password(text: str) -> None:
    assert PASSWORD not in redact(text)
    assert "***" in redact(text)


def test_the_redactor_leaves_everything_else_alone() -> None:
    for text in ("postgresql+psycopg://postgres@127.0.0.1:5432/test", "sqlite:///var/lib/s.db",
                 "http://127.0.0.1:8080/v1/communities", "张三 13800138000 a=b", "user@example.org"):
        assert redact(text) == text
    assert redact(SECRET_URL) == make_url(SECRET_URL).render_as_string(hide_password=True)


def test_log_lines_and_problem_documents_hide_passwords() -> None:
    try:
        raise RuntimeError(f"cannot reach {SECRET_URL}")
    except RuntimeError:
        record = logging.LogRecord("sunlight.api", logging.ERROR, __file__, 1,
                                   "failed on %s", (SECRET_URL,), sys.exc_info())
    record.error = f"db={SECRET_URL}"
    record.details = {"urls": [SECRET_URL]}
    line = JsonFormatter().format(record)
    assert PASSWORD not in line and json.loads(line)["traceback"]
    doc = problem(500, "x", f"无法打开 {SECRET_URL}", extra={"errors": [{"detail": SECRET_URL}]})
    assert PASSWORD.encode() not in doc.body and b"***" in doc.body


def wait_for_publish(client: httpx.Client, state: str, timeout: float = 60) -> dict[str, object]:
    publish: dict[str, object] = {}

    def reached() -> bool:
        publish.clear()
        publish.update(client.get("/status").json()["communities"]["testcom"]["publish"])
        return publish["state"] == state

    wait_until(reached, f"the publish state {state}", timeout)
    return publish


def everything_anonymous_clients_see(client: httpx.Client) -> list[str]:
    bodies = [client.get(path).text for path in (
        "/status", "/metrics", "/readyz", "/healthz", "/v1/communities", "/nowhere",
        "/v1/communities/nosuch", "/v1/communities/testcom/records?limit=9999")]
    bodies.append(client.post(RECORDS, content=b"{").text)
    bodies.append(client.post(RECORDS, json={"statement": "x", "signature": "A" * 86 + "==",
                                             "key_id": "0" * 16}).text)
    return bodies


def test_a_failed_publish_shows_no_password_in_status(committee: Committee,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    publish = command_publisher(FAILING_PUBLISH, SECRET_URL)
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0, publish=publish,
                                             publisher_name="command", publish_delay=0.05))
    with caplog.at_level(logging.INFO, logger="sunlight"), live(app) as url, \
            httpx.Client(base_url=url) as client:
        assert client.post(RECORDS, json=disclosure(committee, 1).to_json()).status_code == 201
        status = wait_for_publish(client, "failed")
        assert status["last_error"] == (
            "RuntimeError: exit 3: could not open postgresql+psycopg://postgres:***@127.0.0.1:5432"
            "/test")
        for body in everything_anonymous_clients_see(client):
            assert PASSWORD not in body
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert any('"event":"publish"' in line and "***" in line for line in lines)
    assert not [line for line in lines if PASSWORD in line]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_password_bearing_database_url_never_leaves_the_service(tmp_path: Path) -> None:
    """``sunlight serve`` on PostgreSQL (trust auth accepts any password) with a publish command
    that fails printing the URL: no response and no log line shows the password."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    plain, name = fresh_pg_database()
    url = make_url(plain).set(password=PASSWORD).render_as_string(hide_password=False)
    log = tmp_path / "serve.log"
    try:
        committee = Committee.found(url)
        committee.app.store.engine.dispose()
        service = start_service(url, log, "--log-level", "info", "--publish-cmd", INHERITING_PUBLISH,
                                env={"SUNLIGHT_PUBLISH_DELAY": "0.05"})
        try:
            with httpx.Client(base_url=service.url) as client:
                r = client.post(RECORDS, json=disclosure(committee, 1, now=True).to_json())
                assert r.status_code == 201, r.text
                status = wait_for_publish(client, "failed")
                assert f"could not open {redact(url)}" in str(status["last_error"])
                for body in everything_anonymous_clients_see(client):
                    assert PASSWORD not in body
        finally:
            service.terminate()
        text = log.read_text()
        assert '"event":"publish"' in text and "postgres:***@" in text
        assert PASSWORD not in text
    finally:
        drop_pg_database(name)


def test_the_cli_never_prints_a_password(tmp_path: Path) -> None:
    import ledger.cli  # noqa: F401  (registers every command)
    from ledger.cli.root import app

    unreachable = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:1/test"
    done = CliRunner().invoke(app, ["forget", "-c", "x", "y", "--db", unreachable])
    output = done.output + done.stderr
    assert done.exit_code == 2 and "无法打开数据库" in output
    assert "postgres:***@127.0.0.1:1/test" in output and PASSWORD not in output
