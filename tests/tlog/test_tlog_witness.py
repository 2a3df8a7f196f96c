"""The witness (``sunlight witness``) and the log's push client, through real HTTP handling
(uvicorn in a thread, the real urllib client) and, once, through ``sunlight witness serve`` on a real port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from ledger.application import Sunlight
from ledger.crypto.cosignature import CosignatureSigner, verify_cosigned
from ledger.crypto.note import Signer, Verifier, sign_note
from ledger.crypto.witness_protocol import format_add_checkpoint_request
from ledger.tlog.cosignatures import cosignature_lines, published_checkpoint
from ledger.tlog.push import Post, WitnessPushError, push_checkpoint, urllib_post
from ledger.tlog.witness import Witness, create_app, generate_witness_key, load_witness_key
from tests.committee import Committee

SEED = b"\x11" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def found(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Committee:
    """A test community whose log key is fixed, so two databases can hold rival logs."""
    return Committee.found(db_url, log_seed=SEED)


def disclose(c: Committee, n: int, title: str = "公开") -> None:
    c.record("member", "disclosure.published", {
        "disclosure_id": f"W{n}", "category": "other", "period": "2025", "title": f"{title} {n}", "body": "内容"})


class Harness:
    """The witness app served by uvicorn on a free port in a thread; pushes use the real client."""

    def __init__(self, tmp_path: Path, log_vkey: str) -> None:
        self.signer = CosignatureSigner.from_seed("witness.example/w1", b"\x22" * 32)
        self.witness = Witness.open(self.signer, [Verifier.from_key_string(log_vkey)],
                                    f"sqlite:///{tmp_path / 'witness.db'}")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.witness), host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off", ws="none"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.calls: list[tuple[int, int]] = []

    def __enter__(self) -> Harness:
        self.thread.start()
        deadline = time.monotonic() + 120  # a failure cap for a busy machine, not a timing
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "witness did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def post(self) -> Post:
        def post(url: str, body: bytes) -> tuple[int, bytes]:
            status, answer = urllib_post(url, body)
            self.calls.append((int(body.split(b"\n")[0][4:]), status))
            return status, answer
        return post

    def push(self, c: Committee) -> object:
        return push_checkpoint(c.app, c.community, self.url + "/", self.signer.verifier(), self.post())

    def raw(self, body: str | bytes) -> tuple[int, str, str]:
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(self.url + "/add-checkpoint", data=data, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode(), response.headers["Content-Type"]
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), exc.headers["Content-Type"]


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Committee, Harness]]:
    c = found(f"sqlite:///{tmp_path / 'a.db'}", monkeypatch)
    with Harness(tmp_path, c.app.community(c.community).verifier_key) as harness:
        yield c, harness


def test_push_cosign_and_publish(pair: tuple[Committee, Harness]) -> None:
    c, h = pair
    h.push(c)
    disclose(c, 1)
    disclose(c, 2)
    h.push(c)
    assert h.calls == [(0, 200), (6, 200)]  # the second push proves consistency from 6
    published = published_checkpoint(c.app, c.community)
    log_key = Verifier.from_key_string(c.app.community(c.community).verifier_key)
    verify_cosigned(published, [log_key], [h.signer.verifier()], 1)
    assert h.witness.latest(log_key.name) is not None
    assert len(cosignature_lines(c.app, c.community, 8)) == 1


def test_push_learns_the_witness_size_from_409(pair: tuple[Committee, Harness], tmp_path: Path) -> None:
    c, h = pair
    h.push(c)
    disclose(c, 1)
    with c.app.store.engine.begin() as conn:  # the log forgot what the witness holds
        from ledger.store.tables import cosignatures_table

        conn.execute(cosignatures_table.delete())
    h.push(c)
    assert h.calls == [(0, 200), (0, 409), (6, 200)]


def test_witness_refuses_an_inconsistent_log(pair: tuple[Committee, Harness], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    c, h = pair
    disclose(c, 1)
    h.push(c)  # the witness now holds size 7
    rival = found(f"sqlite:///{tmp_path / 'b.db'}", monkeypatch)  # same key and origin
    disclose(rival, 1, "另一份")
    disclose(rival, 2, "另一份")
    with pytest.raises(WitnessPushError) as refused:
        h.push(rival)
    assert refused.value.status == 422  # the consistency proof 7 -> 8 does not match its 7
    assert h.calls[-2:] == [(0, 409), (7, 422)]
    same_size = found(f"sqlite:///{tmp_path / 'c.db'}", monkeypatch)
    disclose(same_size, 1, "另一份")
    with pytest.raises(WitnessPushError) as forked:
        h.push(same_size)
    # tlog-witness: the same size with another root is 422, like any failed consistency check
    assert forked.value.status == 422 and "分叉" in str(forked.value)
    assert h.calls[-2:] == [(0, 409), (7, 422)]
    assert h.witness.latest(h.witness.state.cosigner.name) is None
    stored = h.witness.latest("test.example/testcom")
    assert stored is not None and stored[0] == 7


def test_witness_status_codes(pair: tuple[Committee, Harness], tmp_path: Path) -> None:
    c, h = pair
    signed = c.app.checkpoint(c.community)
    assert h.raw(b"garbage")[0] == 400
    text = signed.split("\n\n")[0] + "\n"
    bad = sign_note(text, Signer.from_seed("test.example/testcom", b"\x33" * 32))  # not the log's key
    assert h.raw(format_add_checkpoint_request(0, [], bad))[0] == 403
    other = Committee.found(f"sqlite:///{tmp_path / 'x.db'}", community="othercom")
    assert h.raw(format_add_checkpoint_request(0, [], other.app.checkpoint("othercom")))[0] == 404
    status, body, _ = h.raw(format_add_checkpoint_request(0, [], signed))
    assert status == 200 and body.startswith("— witness.example/w1 ")
    assert h.raw(format_add_checkpoint_request(0, [], signed)) == (409, "6\n", "text/x.tlog.size")


def test_keygen_file(tmp_path: Path) -> None:
    path = tmp_path / "w.key"
    signer = generate_witness_key("w.example", path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert load_witness_key(path).verifier_key() == signer.verifier_key()
    assert Verifier.from_key_string(signer.verifier_key()).sig_type == 0x04


@pytest.mark.slow
def test_cli_witness_serve_and_push(pair: tuple[Committee, Harness], tmp_path: Path) -> None:
    c, _ = pair
    bin_dir = Path(sys.executable).parent
    sunlight = str(bin_dir / "sunlight")
    key = tmp_path / "witness.key"
    vkey = subprocess.run([sunlight, "witness", "keygen", "witness.example/cli", "--out", str(key)],
                          check=True, capture_output=True, text=True).stdout.strip()
    log_vkey = c.app.community(c.community).verifier_key
    port = _free_port()
    server = subprocess.Popen([sunlight, "witness", "serve", "--key", str(key), "--log", log_vkey,
                               "--db", f"sqlite:///{tmp_path / 'wserve.db'}", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # a failure cap for a busy machine, not a timing
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "witness did not start"
                time.sleep(0.05)
        out = subprocess.run([sunlight, "log", "witness-push", "-c", c.community, "--witness",
                              f"http://127.0.0.1:{port}", "--witness-key", vkey, "--db", c.app.db_url],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "已联署大小 6" in out.stdout
    finally:
        server.terminate()
        server.wait(10)
    published = published_checkpoint(Sunlight(c.app.db_url), c.community)
    verify_cosigned(published, [Verifier.from_key_string(log_vkey)], [Verifier.from_key_string(vkey)], 1)
