"""The commands as users run them: ``sunlight log …`` and ``sunlight verify`` (directory and HTTP)."""

from __future__ import annotations

import contextlib
import datetime
import functools
import http.server
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

import ledger.cli.log  # noqa: F401  (registers the commands)
from ledger.audit.source import HttpSource, SourceError
from ledger.audit.verify import Policy, verify_log
from ledger.cli.root import app
from ledger.crypto.note import Verifier
from tests.tlog.conftest import Built
from tests.tlog.logbuild import altered, problems, write_log

runner = CliRunner()


def sunlight(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture(scope="module")
def exported(audited: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exported")
    code, output = sunlight("log", "export", str(out), "-c", audited.community, "--db", audited.db_url)
    assert code == 0, output
    return out


def test_demo_log_exports_and_verifies_with_the_cli(demo_log: Built, tmp_path: Path) -> None:
    code, output = sunlight("log", "export", str(tmp_path), "-c", demo_log.community, "--db", demo_log.db_url)
    assert code == 0, output
    key = sunlight("log", "key", "-c", demo_log.community, "--db", demo_log.db_url)[1].strip()
    code, output = sunlight("verify", str(tmp_path), "--key", key)
    assert code == 0, output


def test_cli_verify_passes_and_reports(audited: Built, exported: Path, tmp_path: Path) -> None:
    key = sunlight("log", "key", "-c", audited.community, "--db", audited.db_url)[1].strip()
    assert key == audited.vkey
    code, output = sunlight("verify", str(exported), "--key", key)
    assert code == 0, output
    assert "全部通过 VERIFIED" in output and "292 条记录" in output
    assert "签署规则 Signing policy: 自第 0 条起为默认规则" in output
    assert "共同签署 Co-signed: 2 条记录" in output and "294 个签名" in output
    (tmp_path / "log.vkey").write_text(key + "\n")
    code, output = sunlight("verify", str(exported), "--key", str(tmp_path / "log.vkey"), "--json")
    assert code == 0
    report = json.loads(output)
    assert (report["verified"], report["size"], report["failures"]) == (True, 292, [])


def test_cli_verify_failure_is_exit_1_with_the_index(audited: Built, tmp_path: Path) -> None:
    entries = list(audited.entries)
    entries[17] = altered(entries[17], lambda s: s["body"].update(amount_fen=1))
    write_log(tmp_path, entries, audited.signer)
    code, output = sunlight("verify", str(tmp_path), "--key", audited.vkey)
    assert code == 1
    assert "第 17 条 entry #17 [signature-invalid]" in output
    code, output = sunlight("verify", str(tmp_path), "--key", audited.vkey, "--json")
    assert code == 1
    assert [(f["index"], f["code"]) for f in json.loads(output)["failures"]] == [(17, "signature-invalid")]


def test_cli_verify_trusted_checkpoint(audited: Built, exported: Path, tmp_path: Path) -> None:
    trusted = tmp_path / "trusted"
    code, output = sunlight("log", "checkpoint", "-c", audited.community, "--db", audited.db_url)
    trusted.write_text(output)
    old = tmp_path / "old"
    write_log(old, audited.entries[:100], audited.signer)
    assert sunlight("verify", str(exported), "--key", audited.vkey, "--trusted", str(trusted))[0] == 0
    code, output = sunlight("verify", str(old), "--key", audited.vkey, "--trusted", str(trusted), "--json")
    assert code == 1
    assert [(f["index"], f["code"]) for f in json.loads(output)["failures"]] == [(100, "rollback")]


def test_cli_verify_cannot_run_is_exit_2(audited: Built, tmp_path: Path) -> None:
    assert sunlight("verify", str(tmp_path / "missing"), "--key", audited.vkey)[0] == 2
    assert sunlight("verify", str(tmp_path), "--key", audited.vkey)[0] == 2  # no checkpoint
    assert sunlight("verify", str(tmp_path), "--key", "not-a-key+1234")[0] == 2
    assert sunlight("verify", "http://127.0.0.1:9/", "--key", audited.vkey)[0] == 2  # nothing listens
    w = "w.example+00000000+BA=="
    assert sunlight("verify", str(tmp_path), "--key", audited.vkey, "--witness", w)[0] == 2


def test_cli_verify_internal_error_is_exit_2_not_1(audited: Built, exported: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 1 promises the log failed verification: a fault of the verifier must not say that."""
    def broken(batch: object) -> list[int]:
        raise RuntimeError("simulated fault")

    monkeypatch.setattr("ledger.audit.verify.verify_batch", broken)
    code, output = sunlight("verify", str(exported), "--key", audited.vkey)
    assert code == 2 and "internal error" in output and "simulated fault" in output


def test_cli_receipt_roundtrip(audited: Built, tmp_path: Path) -> None:
    receipt = tmp_path / "r.tlog-proof"
    code, output = sunlight("log", "proof", "150", "-c", audited.community, "--db", audited.db_url,
                            "--out", str(receipt))
    assert code == 0, output
    code, output = sunlight("log", "verify-proof", str(receipt), "--key", audited.vkey)
    assert code == 0, output
    assert "记录 #150" in output and "fund.donation_recorded" in output
    entry = tmp_path / "entry.json"
    entry.write_bytes(audited.entries[151])
    code, output = sunlight("log", "verify-proof", str(receipt), "--key", audited.vkey, "--entry-file", str(entry))
    assert code == 1 and "收据无效" in output


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serving(directory: Path, handler: type[http.server.SimpleHTTPRequestHandler],
             tls: ssl.SSLContext | None = None) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'http' if tls is None else 'https'}://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served(exported: Path) -> Iterator[str]:
    with _serving(exported, _Quiet) as url:
        yield url


def test_verify_over_http(audited: Built, served: str) -> None:
    report = verify_log(HttpSource(served), Policy(Verifier.from_key_string(audited.vkey)))
    assert report.verified and report.entries_checked == 292
    code, output = sunlight("verify", served, "--key", audited.vkey)
    assert code == 0, output



class _Slow(_Quiet):
    """A distant server: every response takes a while; counts requests in flight; can fail paths."""

    delay = 0.05
    lock = threading.Lock()
    in_flight = 0
    most_in_flight = 0
    failing: ClassVar[dict[str, int]] = {}  # path -> HTTP status (each server gets its own)
    requested: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        cls = type(self)
        with cls.lock:
            cls.requested.append(self.path.lstrip("/"))
            cls.in_flight += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        try:
            time.sleep(cls.delay)
            status = cls.failing.get(self.path.lstrip("/"))
            if status is None:
                super().do_GET()
            else:
                self.send_error(status)
        finally:
            with cls.lock:
                cls.in_flight -= 1


@pytest.fixture
def slow_server(exported: Path) -> Iterator[tuple[str, type[_Slow]]]:
    handler_class = type("Handler", (_Slow,), {"in_flight": 0, "most_in_flight": 0, "failing": {},
                                                    "requested": []})
    with _serving(exported, handler_class) as url:
        yield url, handler_class


def test_http_source_reads_ahead_within_a_bound(audited: Built,
                                                slow_server: tuple[str, type[_Slow]]) -> None:
    url, handler = slow_server
    source = HttpSource(url, read_ahead=3)
    report = verify_log(source, Policy(Verifier.from_key_string(audited.vkey)), workers=0)
    assert report.verified and report.entries_checked == 292
    assert 1 < handler.most_in_flight <= 3 + 1  # the next bundle and its tile came together
    ahead = list(handler.requested)
    handler.requested.clear()
    verify_log(HttpSource(url, read_ahead=0), Policy(Verifier.from_key_string(audited.vkey)), workers=0)
    assert sorted(ahead) == sorted(handler.requested), "read ahead exactly what is read, each once"
    assert not source._pending  # verify_log stopped reading ahead when it finished
    source.prefetch(["checkpoint"] * 10 + [f"missing-{i}" for i in range(10)])
    assert len(source._pending) == 2 * 3  # held: at most twice the threads
    assert source.read("missing-0") is None and source.read("checkpoint") is not None
    source.close()


def test_http_read_ahead_failures_surface_where_they_are_read(audited: Built, exported: Path,
                                                              slow_server: tuple[str, type[_Slow]]) -> None:
    url, handler = slow_server
    handler.failing["tile/entries/001.p/36"] = 404
    report = verify_log(HttpSource(url), Policy(Verifier.from_key_string(audited.vkey)), workers=0)
    assert problems(report) == [(256, "tile-missing")] and not report.complete
    handler.failing["tile/entries/001.p/36"] = 500
    with pytest.raises(SourceError, match="HTTP 500"):
        verify_log(HttpSource(url), Policy(Verifier.from_key_string(audited.vkey)), workers=0)
    code, output = sunlight("verify", url, "--key", audited.vkey)
    assert code == 2 and "HTTP 500" in output


class _KeepAlive(_Quiet):
    """An HTTP/1.1 server that keeps connections open and counts them (and the requests)."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    connections = 0
    requests = 0

    def setup(self) -> None:
        super().setup()
        with self.lock:
            type(self).connections += 1

    def do_GET(self) -> None:
        with self.lock:
            type(self).requests += 1
        super().do_GET()


def _self_signed(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1 that no system trusts, and a server context serving it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sunlight test log")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_http_source_keeps_connections_alive(audited: Built, exported: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, tls: bool) -> None:
    """A whole log over a handful of connections (TLS handshakes), not one per tile; over HTTPS
    the server's certificate is checked against the system's store (here: SSL_CERT_FILE)."""
    handler = type("Handler", (_KeepAlive,), {"connections": 0, "requests": 0})
    cert_file, context = _self_signed(tmp_path) if tls else (None, None)
    with _serving(exported, handler, context) as url:
        if cert_file is not None:
            code, output = sunlight("verify", url, "--key", audited.vkey)
            assert code == 2 and "CERTIFICATE_VERIFY_FAILED" in output, output  # not trusted yet
            handler.connections = handler.requests = 0
            monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        report = verify_log(HttpSource(url, read_ahead=3), Policy(Verifier.from_key_string(audited.vkey)),
                            workers=0)
    assert report.verified and report.entries_checked == 292
    assert handler.requests >= 6  # checkpoint, 2 bundles, 2 level-0 tiles, 1 level-1 tile
    assert 1 <= handler.connections <= 3 + 1 < handler.requests


def test_cli_verify_progress_goes_to_stderr_only_when_asked(audited: Built, exported: Path) -> None:
    shown = CliRunner().invoke(app, ["verify", str(exported), "--key", audited.vkey, "--progress", "--json"])
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["verified"] is True  # stdout stays clean JSON
    assert "核验中 verifying: 292 / 292 条记录 entries (100%)" in shown.stderr
    assert shown.stderr.endswith("\n")  # the last line is finished
    for flags in ([], ["--no-progress"]):  # not a terminal: nothing unless asked
        quiet = CliRunner().invoke(app, ["verify", str(exported), "--key", audited.vkey, *flags])
        assert quiet.exit_code == 0 and "核验中" not in quiet.stderr


def test_cli_verify_saves_the_verified_checkpoint_for_next_time(audited: Built, exported: Path,
                                                                tmp_path: Path) -> None:
    """An auditor's loop: verify and keep the checkpoint; next time the same file is --trusted."""
    saved = tmp_path / "trusted.checkpoint"
    result = CliRunner().invoke(app, ["verify", str(exported), "--key", audited.vkey, "--json",
                                      "--trusted", str(saved), "--save-checkpoint", str(saved)])
    assert result.exit_code == 0, result.output
    assert "首次核验" in result.stderr  # the same command from the first audit on
    assert saved.read_text() == (exported / "checkpoint").read_text() == json.loads(result.stdout)["checkpoint"]
    old = tmp_path / "old"
    write_log(old, audited.entries[:100], audited.signer)  # the same log, rolled back
    code, output = sunlight("verify", str(old), "--key", audited.vkey, "--trusted", str(saved),
                            "--save-checkpoint", str(saved))
    assert code == 1 and "[rollback]" in output and "未更新" in output
    assert saved.read_text() == (exported / "checkpoint").read_text()  # kept what was trusted
    assert sunlight("verify", str(exported), "--key", audited.vkey, "--trusted", str(saved),
                    "--save-checkpoint", str(saved))[0] == 0
    code, output = sunlight("verify", str(exported), "--key", audited.vkey,
                            "--save-checkpoint", str(tmp_path / "no-such-dir" / "c"))
    assert code == 2 and "无法保存检查点" in output
    code, output = sunlight("verify", str(exported), "--key", audited.vkey, "--trusted", str(tmp_path / "gone"))
    assert code == 2 and "无法读取受信任的检查点" in output  # a missing --trusted alone is still an error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old", "trusted.checkpoint"]  # no temporary left
