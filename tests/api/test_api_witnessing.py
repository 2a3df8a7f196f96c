"""Witnessing as a matter of course, end to end: ``sunlight serve`` pushes each new checkpoint to
the community's witnesses (``sunlight witness serve`` processes), stores their cosignatures,
retries one that is down until it catches up, and shows each one's lag; a witness refuses a
forked log and says so in its log. Every wait is on a condition."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ledger.application import Sunlight
from ledger.crypto.cosignature import verify_cosigned
from ledger.crypto.note import Verifier
from ledger.tlog.cosignatures import published_checkpoint
from ledger.tlog.push import WitnessPushError, push_checkpoint
from tests.api.helpers import SUNLIGHT, free_port, start_service, wait_until
from tests.committee import Committee

SEED = b"\x16" * 32  # the log key: two databases with it hold rival logs of one origin


class WitnessProcess:
    """A ``sunlight witness serve`` subprocess with its own key, database and log file."""

    def __init__(self, tmp_path: Path, name: str, log_vkey: str) -> None:
        slug = name.split(".")[0]
        self.key = tmp_path / f"{slug}.key"
        self.vkey = subprocess.run([SUNLIGHT, "witness", "keygen", name, "--out", str(self.key)],
                                   check=True, capture_output=True, text=True).stdout.strip()
        self.name = name
        self.db = f"sqlite:///{tmp_path / f'{slug}-witness.db'}"
        self.log = tmp_path / f"{slug}-witness.log"
        self.log_vkey = log_vkey
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [SUNLIGHT, "witness", "serve", "--key", str(self.key), "--log", self.log_vkey,
                 "--db", self.db, "--port", str(self.port)], stdout=out, stderr=out)

        def up() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            try:
                return httpx.get(self.url + "/", timeout=1).status_code == 200
            except httpx.TransportError:
                return False
        wait_until(up, f"witness {self.name} to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)


def disclosure(c: Committee, n: int, title: str = "公开事项") -> dict[str, object]:
    return c.sign("member", "disclosure.published", {
        "disclosure_id": f"W{n}", "category": "other", "period": "2026", "title": f"{title} {n}",
        "body": "内容"}, at=datetime.now(UTC).replace(microsecond=0)).to_json()


def cosigned(db_url: str, witness: str) -> int:
    app = Sunlight(db_url)
    try:
        return app.store.latest_cosigned_size("testcom", witness)
    finally:
        app.close()


def witness_status(service_url: str, name: str) -> dict[str, object]:
    status = httpx.get(service_url + "/status", timeout=10).json()
    (found,) = [w for w in status["communities"]["testcom"]["witnesses"] if w["name"] == name]
    assert isinstance(found, dict)
    return found


@pytest.mark.slow
def test_checkpoints_reach_the_witnesses_and_one_that_was_down_catches_up(
        tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'sunlight.db'}"
    c = Committee.found(db, log_seed=SEED)
    log_vkey = c.app.community(c.community).verifier_key
    office = WitnessProcess(tmp_path, "jiedaoban.example/w", log_vkey)  # 街道办
    board = WitnessProcess(tmp_path, "jiandu.example/w", log_vkey)  # 监督委员会
    service = None
    try:
        for w in (office, board):
            w.start()
            subprocess.run([SUNLIGHT, "witness", "add", "-c", "testcom", "--url", w.url,
                            "--key", w.vkey, "--db", db], check=True, capture_output=True)
        service = start_service(db, tmp_path / "serve.log", env={
            "SUNLIGHT_WITNESS_DELAY": "0.2", "SUNLIGHT_WITNESS_RETRY": "0.2",
            "SUNLIGHT_WITNESS_MAX_RETRY": "1"})
        # On start, the service brings each witness up to the log's head (6 entries).
        for w in (office, board):
            wait_until(lambda w=w: cosigned(db, w.name) == 6, f"{w.name} to cosign size 6")
        client = httpx.Client(base_url=service.url, timeout=30)
        assert client.post("/v1/communities/testcom/records",
                           json=disclosure(c, 1)).status_code == 201
        for w in (office, board):
            wait_until(lambda w=w: cosigned(db, w.name) == 7, f"{w.name} to cosign the write")

        board.stop()  # the supervision committee's witness is down: writes go on
        for n in (2, 3):
            assert client.post("/v1/communities/testcom/records",
                               json=disclosure(c, n)).status_code == 201
        wait_until(lambda: cosigned(db, office.name) == 9, "the office to cosign size 9")
        wait_until(lambda: witness_status(service.url, board.name)["state"] == "retrying",
                   "the service to retry the witness that is down")
        lagging = witness_status(service.url, board.name)
        assert lagging["lag_entries"] == 2 and lagging["cosigned_size"] == 7
        assert isinstance(lagging["lag_seconds"], float) and lagging["lag_seconds"] > 0
        assert lagging["last_error"]
        metrics = client.get("/metrics").text
        assert re.search(r'sunlight_witness_lag_entries\{community="testcom",'
                         r'witness="jiandu.example/w"\} 2\.0', metrics), metrics
        assert witness_status(service.url, office.name)["lag_entries"] == 0

        board.start()  # back: it catches up without another write
        wait_until(lambda: cosigned(db, board.name) == 9, "the witness that was down to catch up")
        wait_until(lambda: witness_status(service.url, board.name)["lag_entries"] == 0,
                   "the status to show no lag")
        published = published_checkpoint(Sunlight(db), "testcom")
        verify_cosigned(published, [Verifier.from_key_string(log_vkey)],
                        [Verifier.from_key_string(office.vkey),
                         Verifier.from_key_string(board.vkey)], 2)
        client.close()
        # uvicorn shuts down gracefully on SIGTERM, then re-raises it (exit status -15)
        assert service.terminate() in (0, -15)
        service = None
        # Stopping wrote the read view's snapshot, tied to the log's head.
        app = Sunlight(db)
        assert app.store.latest_snapshot_size("testcom") == 9
    finally:
        if service is not None:
            service.kill()
        office.stop()
        board.stop()


@pytest.mark.slow
def test_a_witness_refuses_a_forked_log_and_says_so(tmp_path: Path) -> None:
    """Two logs with the same origin and key that diverge: the witness cosigns one, refuses the
    other's checkpoint (it is not consistent with the one it cosigned) and logs the fork."""
    ours = Committee.found(f"sqlite:///{tmp_path / 'ours.db'}", log_seed=SEED)
    rival = Committee.found(f"sqlite:///{tmp_path / 'rival.db'}", log_seed=SEED)
    log_vkey = ours.app.community("testcom").verifier_key
    assert rival.app.community("testcom").verifier_key == log_vkey
    for c, title in ((ours, "本"), (rival, "另")):
        c.record("member", "disclosure.published", {
            "disclosure_id": "F1", "category": "other", "period": "2025", "title": title,
            "body": "内容"})
    witness = WitnessProcess(tmp_path, "jiandu.example/w", log_vkey)
    try:
        witness.start()
        key = Verifier.from_key_string(witness.vkey)
        assert push_checkpoint(ours.app, "testcom", witness.url, key).size == 7
        rival.record("member", "disclosure.published", {
            "disclosure_id": "F2", "category": "other", "period": "2025", "title": "另",
            "body": "内容"})
        with pytest.raises(WitnessPushError) as refused:
            push_checkpoint(rival.app, "testcom", witness.url, key)
        assert refused.value.status == 422
        wait_until(lambda: "FORK" in witness.log.read_text(), "the witness to log the fork")
        line = next(x for x in witness.log.read_text().splitlines() if "FORK" in x)
        assert "size 8" in line and "size 7" in line
    finally:
        witness.stop()


def test_a_push_that_fails_is_retried_with_growing_backoff_and_never_raises(
        tmp_path: Path) -> None:
    """The pusher's own bookkeeping, with an in-process witness behind a transport that fails
    while the witness is "down" and a clock the test moves."""
    from ledger.api.witnessing import WitnessPusher
    from ledger.crypto.cosignature import CosignatureSigner
    from ledger.store import WitnessRow
    from ledger.tlog.witness import Witness

    c = Committee.found(f"sqlite:///{tmp_path / 'ours.db'}", log_seed=SEED)
    log_vkey = c.app.community("testcom").verifier_key
    signer = CosignatureSigner.from_seed("jiandu.example/w", b"\x23" * 32)
    witness = Witness.open(signer, [Verifier.from_key_string(log_vkey)],
                           f"sqlite:///{tmp_path / 'w.db'}")
    down = [True]

    def post(_url: str, body: bytes) -> tuple[int, bytes]:
        if down[0]:
            raise WitnessPushError("无法连接见证人")
        answer = witness.add_checkpoint(body)
        return answer.status, answer.body.encode()

    now = [100.0]
    c.app.store.put_witness(WitnessRow("testcom", signer.name, "http://w.invalid",
                                       signer.verifier().key_string()))
    pusher = WitnessPusher(c.app, retry=1.0, max_retry=4.0, post=post, clock=lambda: now[0])
    pusher.reload()
    (target,) = pusher._targets["testcom"]
    assert target.due_at == 100.0  # brought up to the head at once
    backoffs = []
    for _ in range(4):
        pusher.push(target)
        assert target.due_at is not None
        backoffs.append(target.due_at - now[0])
    assert backoffs == [1.0, 2.0, 4.0, 4.0]
    (status,) = pusher.status("testcom", 6)
    assert status["state"] == "retrying" and status["lag_entries"] == 6
    pusher.notify("testcom")  # a write while it is down: the backoff still decides
    assert target.due_at == now[0] + 4.0
    down[0] = False
    pusher.push(target)
    (status,) = pusher.status("testcom", 6)
    assert status == {**status, "state": "ok", "cosigned_size": 6, "lag_entries": 0,
                      "lag_seconds": 0.0, "last_error": None}
    assert c.app.store.latest_cosigned_size("testcom", signer.name) == 6
    pusher.notify("testcom")  # debounced: due after the delay, not at once
    assert target.due_at == now[0] + pusher.delay


def test_a_witness_added_or_removed_while_running_counts_from_the_next_write(
        tmp_path: Path) -> None:
    """The pusher reads the witnesses table again once a write has been followed by ``delay``
    seconds, and every ``reload_every`` seconds: a witness added meanwhile is brought up to the
    head at once, one removed is pushed to no more, and each stored cosignature is reported."""
    from ledger.api.witnessing import RELOAD, WitnessPusher
    from ledger.crypto.cosignature import CosignatureSigner
    from ledger.store import WitnessRow
    from ledger.tlog.witness import Witness

    c = Committee.found(f"sqlite:///{tmp_path / 'ours.db'}", log_seed=SEED)
    log_key = Verifier.from_key_string(c.app.community("testcom").verifier_key)
    signers = [CosignatureSigner.from_seed(f"w{n}.example/w", bytes([0x50 + n]) * 32)
               for n in (1, 2)]
    witnesses = {f"http://w{n}.invalid": Witness.open(s, [log_key],
                                                      f"sqlite:///{tmp_path / f'w{n}.db'}")
                 for n, s in zip((1, 2), signers, strict=True)}

    def post(url: str, body: bytes) -> tuple[int, bytes]:
        answer = witnesses[url.removesuffix("/add-checkpoint")].add_checkpoint(body)
        return answer.status, answer.body.encode()

    def row(n: int) -> WitnessRow:
        s = signers[n - 1]
        return WitnessRow("testcom", s.name, f"http://w{n}.invalid", s.verifier().key_string(),
                          f"见证人{n}")

    now = [100.0]
    reported: list[str] = []
    c.app.store.put_witness(row(1))
    pusher = WitnessPusher(c.app, delay=1.0, reload_every=30.0, post=post, clock=lambda: now[0],
                           cosigned=reported.append)
    assert pusher.run_due()  # the thread's first step: the table
    (first,) = pusher._targets["testcom"]
    assert first.row == row(1)
    assert pusher.run_due() and not pusher.run_due()  # brought up to the head; nothing more
    assert reported == ["testcom"] and c.app.store.latest_cosigned_size("testcom", "w1.example/w") == 6
    assert pusher._next_due() == (None, 30.0)  # nothing to push; the table again in 30 s

    c.app.store.put_witness(row(2))  # `sunlight witness add` in another process
    c.record("member", "disclosure.published", {
        "disclosure_id": "A1", "category": "other", "period": "2026", "title": "新增",
        "body": "内容"})
    pusher.notify("testcom")
    assert pusher._next_due() == (None, 1.0)  # debounced: the table and the push after 1 s
    now[0] += 1.0
    assert pusher._next_due()[0] is RELOAD  # the table first: the witnesses configured now
    assert pusher.run_due()
    old, new = pusher._targets["testcom"]
    assert old is first and new.row == row(2) and new.due_at == now[0]
    while pusher.run_due():
        pass
    assert reported == ["testcom"] * 3
    assert [c.app.store.latest_cosigned_size("testcom", s.name) for s in signers] == [7, 7]
    assert pusher.status("testcom", 7)[1] == {**pusher.status("testcom", 7)[1],
                                              "name": "w2.example/w", "label": "见证人2"}

    c.app.store.remove_witness("testcom", signers[0].name)  # `sunlight witness remove`
    now[0] += 30.0  # no write: the periodic read finds it gone
    assert pusher._next_due()[0] is RELOAD
    assert pusher.run_due() and not pusher.run_due()
    assert [t.row.name for t in pusher._targets["testcom"]] == [signers[1].name]
    assert [s["name"] for s in pusher.status("testcom", 7)] == [signers[1].name]


def portal_at(site: Path, size: int, *labels: str) -> bool:
    """The published portal's checkpoint is at ``size`` and its home page says that each of
    ``labels`` confirmed it."""
    try:
        note = (site / "data" / "checkpoint.txt").read_text(encoding="utf-8")
        home = (site / "index.html").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return note.split("\n")[1] == str(size) and all(
        f"{label}已于" in home and f"本日志前 {size} 条记录只增未改" in home for label in labels)


@pytest.mark.slow
@pytest.mark.browser
def test_configured_witnesses_are_on_the_portal_and_one_added_while_running_counts(
        tmp_path: Path, browser: object) -> None:
    """Two witnesses configured with ``witness add --name``; the service's automatic publish
    (no ``--witness``) names both on the home and 审计 pages with their keys once they have
    cosigned, and the 审计 page's in-browser check verifies both cosignatures. A witness added
    while the service runs gets the next checkpoint and is named; one removed gets no more; an
    import's checkpoint is pushed like a single write's."""
    from tests.tlog.test_tlog_browser import check

    db = f"sqlite:///{tmp_path / 'sunlight.db'}"
    site = tmp_path / "site"
    c = Committee.found(db, log_seed=SEED)
    log_vkey = c.app.community(c.community).verifier_key
    office = WitnessProcess(tmp_path, "jiedaoban.example/w", log_vkey)
    board = WitnessProcess(tmp_path, "jiandu.example/w", log_vkey)
    owners = WitnessProcess(tmp_path, "yeweihui.example/w", log_vkey)
    labels = {office.name: "街道办", board.name: "居务监督委员会", owners.name: "业委会"}

    def add(w: WitnessProcess) -> None:
        subprocess.run([SUNLIGHT, "witness", "add", "-c", "testcom", "--url", w.url, "--key",
                        w.vkey, "--name", labels[w.name], "--db", db], check=True,
                       capture_output=True)

    service = None
    try:
        for w in (office, board, owners):
            w.start()
        add(office)
        add(board)
        service = start_service(
            db, tmp_path / "serve.log", "--publish-cmd",
            f"{SUNLIGHT} publish --community {{community}} --out {site} "
            "--base-url http://127.0.0.1:1/",
            env={"SUNLIGHT_WITNESS_DELAY": "0.2", "SUNLIGHT_PUBLISH_DELAY": "0.2"})
        client = httpx.Client(base_url=service.url, timeout=30)
        assert client.post("/v1/communities/testcom/records",
                           json=disclosure(c, 1)).status_code == 201
        for w in (office, board):
            wait_until(lambda w=w: cosigned(db, w.name) == 7, f"{w.name} to cosign the write")
        # each cosignature re-publishes: the portal's checkpoint carries both
        wait_until(lambda: portal_at(site, 7, "街道办", "居务监督委员会"),
                   "the portal to name both witnesses")
        audit = (site / "audit" / "index.html").read_text(encoding="utf-8")
        for w in (office, board):
            assert f"{labels[w.name]}已于" in audit
            assert f"{labels[w.name]}：<code class=\"sl-hash\">{w.vkey}</code>" in audit
        keys = json.loads((site / "data" / "witnesses.json").read_text(encoding="utf-8"))
        assert sorted((k["label"], k["key"]) for k in keys) == sorted(
            (labels[w.name], w.vkey) for w in (office, board))
        checked = check(browser, site)
        for label in ("街道办", "居务监督委员会"):
            assert f"{label}已于 " in checked
        assert checked.count("本日志前 7 条记录只增未改（联署签名核验无误）") == 2, checked

        add(owners)  # while the service runs: no restart
        assert client.post("/v1/communities/testcom/records",
                           json=disclosure(c, 2)).status_code == 201
        for w in (office, board, owners):
            wait_until(lambda w=w: cosigned(db, w.name) == 8, f"{w.name} to cosign size 8")
        wait_until(lambda: portal_at(site, 8, "街道办", "居务监督委员会", "业委会"),
                   "the portal to name the witness added while the service runs")

        subprocess.run([SUNLIGHT, "witness", "remove", "-c", "testcom", "--name", "街道办",
                        "--db", db], check=True, capture_output=True)
        assert client.post("/v1/communities/testcom/records",
                           json=disclosure(c, 3)).status_code == 201
        for w in (board, owners):
            wait_until(lambda w=w: cosigned(db, w.name) == 9, f"{w.name} to cosign size 9")
        wait_until(lambda: portal_at(site, 9, "居务监督委员会", "业委会"),
                   "the portal at size 9")
        status = httpx.get(service.url + "/status", timeout=10).json()
        assert sorted(w["name"] for w in status["communities"]["testcom"]["witnesses"]) == [
            board.name, owners.name]
        assert cosigned(db, office.name) == 8  # removed: pushed to no more
        keys = json.loads((site / "data" / "witnesses.json").read_text(encoding="utf-8"))
        assert sorted(k["label"] for k in keys) == ["业委会", "居务监督委员会"]
        assert "街道办已于" not in (site / "index.html").read_text(encoding="utf-8")
        # an import (a batch) reaches the witnesses too
        assert client.post("/v1/communities/testcom/batches",
                           json={"records": [disclosure(c, 4)]}).status_code == 201
        for w in (board, owners):
            wait_until(lambda w=w: cosigned(db, w.name) == 10, f"{w.name} to cosign the import")
        client.close()
        assert service.terminate() in (0, -15)  # graceful: a publish under way finishes
        service = None
    finally:
        if service is not None:
            service.kill()
        for w in (office, board, owners):
            w.stop()


def test_a_proposal_recorded_by_its_last_signature_reaches_the_witnesses(
        tmp_path: Path) -> None:
    """The checkpoint a co-signature appends is pushed like a single write's (it was left for
    the next write)."""
    from ledger.api.app import Settings, create_app
    from ledger.crypto.cosignature import CosignatureSigner
    from ledger.store import WitnessRow
    from ledger.tlog.witness import Witness
    from ledger.tlog.witness import create_app as witness_app
    from tests.api.helpers import live
    from tests.api.test_api_proposals import b64
    from tests.ledger.test_ledger_policy import grant_ready

    c = Committee.found(f"sqlite:///{tmp_path / 'ours.db'}", log_seed=SEED)
    log_key = Verifier.from_key_string(c.app.community("testcom").verifier_key)
    signer = CosignatureSigner.from_seed("jiandu.example/w", b"\x61" * 32)
    witness = Witness.open(signer, [log_key], f"sqlite:///{tmp_path / 'w.db'}")
    submission = c.sign("treasurer", "fund.grant_made", grant_ready(c))
    with live(witness_app(witness)) as witness_url:
        c.app.store.put_witness(WitnessRow("testcom", signer.name, witness_url,
                                           signer.verifier().key_string(), "监督委员会"))
        app = create_app(c.app, Settings(rate_per_address=0, rate_per_key=0, witness_delay=0.05))
        with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            size = c.app.size("testcom")
            wait_until(lambda: c.app.store.latest_cosigned_size("testcom", signer.name) == size,
                       "the witness to be brought up to the head")
            base = "/v1/communities/testcom/proposals"
            proposal = client.post(base, json=submission.to_json())
            assert proposal.status_code == 202, proposal.text
            p = proposal.json()
            chair = c.keys["chair"]
            r = client.post(f"{base}/{p['id']}/signatures", json={
                "key_id": chair.key_id,
                "signature": b64(chair.private.sign(p["statement"].encode()))})
            assert r.status_code == 201 and r.json()["index"] == size, r.text
            wait_until(lambda: c.app.store.latest_cosigned_size("testcom", signer.name)
                       == size + 1, "the witness to cosign the co-signed record")
