"""The verifier against a log forged in every way the brief names. Each forged log has its tiles
rebuilt and its checkpoint re-signed with the log's own key, so only the content checks catch it;
each test asserts the entry index and the error code reported."""

from __future__ import annotations

import base64
import shutil
import threading
from pathlib import Path

import pytest

from ledger.audit.source import DirectorySource
from ledger.audit.verify import CannotVerify, Policy, Report, start_method, verify_log
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.note import Signer, Verifier
from ledger.crypto.tiles import entries_path, tile_path
from ledger.signing import MemberKey
from ledger.tlog.export import export_tiles
from tests.tlog.conftest import Built
from tests.tlog.logbuild import accepted_at, altered, fields, forged, problems, with_signature, write_log


def run(out: Path, built: Built, **policy: object) -> Report:
    return verify_log(DirectorySource(out), Policy(Verifier.from_key_string(built.vkey), **policy))  # type: ignore[arg-type]


def index_of(built: Built, kind: str, n: int = 0) -> int:
    found = [i for i, e in enumerate(built.entries) if fields(e)["statement"]["kind"] == kind]
    return found[n]


def test_the_untouched_log_verifies(audited: Built, tmp_path: Path) -> None:
    export_tiles(audited.app, audited.community, tmp_path)
    report = run(tmp_path, audited)
    assert problems(report) == []
    assert report.verified and report.complete
    assert report.entries_checked == len(audited.entries) == 292
    # two entries are co-signed (the 监督's admission, a revocation): every signature is checked
    assert report.signatures_checked == 294 and report.cosigned_entries == 2
    assert report.policy_from == 0 and report.policy_default
    assert report.community_id == audited.community


def test_rebuilt_tiles_equal_the_export(audited: Built, tmp_path: Path) -> None:
    """The forger's toolkit writes byte-identical tiles: the tamper tests below start from the log."""
    export_tiles(audited.app, audited.community, tmp_path / "a")
    write_log(tmp_path / "b", audited.entries, audited.signer)
    for path in (tmp_path / "a").rglob("*"):
        if path.is_file() and path.name != "checkpoint":
            assert (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes() == path.read_bytes()


def test_changed_amount_is_a_bad_signature(audited: Built, tmp_path: Path) -> None:
    i = index_of(audited, "fund.donation_recorded", 100)
    entries = list(audited.entries)
    entries[i] = altered(entries[i], lambda s: s["body"].update(amount_fen=99_999_00))
    write_log(tmp_path, entries, audited.signer)
    assert problems(run(tmp_path, audited)) == [(i, "signature-invalid")]


def test_deleted_record_breaks_what_depends_on_it(audited: Built, tmp_path: Path) -> None:
    opened = index_of(audited, "fund.opened")
    entries = audited.entries[:opened] + audited.entries[opened + 1:]
    write_log(tmp_path, entries, audited.signer)
    report = run(tmp_path, audited)
    # Every later donation now names a fund that was never opened; the first is located exactly.
    assert problems(report)[0] == (opened, "fund-not-found")
    assert not report.verified


def test_reordered_records(audited: Built, tmp_path: Path) -> None:
    i = index_of(audited, "fund.donation_recorded", 69)  # last of the first batch
    entries = list(audited.entries)
    assert accepted_at(entries[i]) < accepted_at(entries[i + 1])
    entries[i], entries[i + 1] = entries[i + 1], entries[i]
    write_log(tmp_path, entries, audited.signer)
    assert problems(run(tmp_path, audited)) == [(i + 1, "accepted-at-decreased")]


def test_replaced_signature(audited: Built, tmp_path: Path) -> None:
    i = index_of(audited, "decision.resolved")
    entries = list(audited.entries)
    entries[i] = with_signature(entries[i], base64.b64decode(fields(entries[i - 1])["sig"]))
    write_log(tmp_path, entries, audited.signer)
    assert problems(run(tmp_path, audited)) == [(i, "signature-invalid")]


def test_resigned_by_a_revoked_key(audited: Built, tmp_path: Path) -> None:
    assert audited.committee is not None
    revoked = audited.committee.keys["member"]
    extra = forged(audited.entries[-1], revoked, audited.community, "disclosure.published", {
        "disclosure_id": "X1", "category": "other", "period": "2025", "title": "伪造",
        "body": "用已撤销的密钥签名"})
    write_log(tmp_path, [*audited.entries, extra], audited.signer)
    assert problems(run(tmp_path, audited)) == [(292, "key-revoked")]


@pytest.mark.parametrize(("who", "code"), [("stranger", "unknown-key"), ("supervisor", "role-not-permitted")])
def test_resigned_by_an_unauthorised_key(audited: Built, tmp_path: Path, who: str, code: str) -> None:
    assert audited.committee is not None
    key = MemberKey.from_seed(b"\x42" * 32) if who == "stranger" else audited.committee.keys[who]
    i = index_of(audited, "fund.donation_recorded", 150)
    original = fields(audited.entries[i])["statement"]
    extra = forged(audited.entries[-1], key, audited.community, "fund.donation_recorded",
                   original["body"] | {"donation_id": "FORGED", "receipt_no": "RF"})
    write_log(tmp_path, [*audited.entries, extra], audited.signer)
    assert problems(run(tmp_path, audited)) == [(292, code)]


def test_rollback_below_the_trusted_checkpoint(audited: Built, tmp_path: Path) -> None:
    trusted = write_log(tmp_path / "new", audited.entries, audited.signer)
    write_log(tmp_path / "old", audited.entries[:200], audited.signer)
    report = run(tmp_path / "old", audited, trusted=trusted)
    assert problems(report) == [(200, "rollback")]
    assert report.trusted_size == 292


@pytest.mark.parametrize("size", [250, 256, 257])  # inside, at the end of, and past a full bundle
def test_fork_of_the_trusted_tree(audited: Built, tmp_path: Path, size: int) -> None:
    trusted = write_log(tmp_path / "trusted", audited.entries[:size], audited.signer)
    entries = list(audited.entries)
    del entries[100]  # a different tree with the same size as the trusted one
    write_log(tmp_path / "fork", entries, audited.signer)
    assert (size - 1, "fork") in problems(run(tmp_path / "fork", audited, trusted=trusted))


@pytest.mark.parametrize("size", [1, 250, 256, 257, 292])
def test_trusted_checkpoint_prefix_is_consistent(audited: Built, tmp_path: Path, size: int) -> None:
    trusted = write_log(tmp_path / "trusted", audited.entries[:size], audited.signer)
    write_log(tmp_path / "log", audited.entries, audited.signer)
    report = run(tmp_path / "log", audited, trusted=trusted)
    assert report.verified and report.trusted_size == size


def test_trusted_checkpoint_by_another_key_cannot_run(audited: Built, tmp_path: Path) -> None:
    other = Signer.from_seed(audited.signer.name, b"\x07" * 32)
    trusted = write_log(tmp_path / "t", audited.entries[:10], other)
    write_log(tmp_path / "log", audited.entries, audited.signer)
    with pytest.raises(CannotVerify):
        run(tmp_path / "log", audited, trusted=trusted)


def test_checkpoint_signed_by_another_key(audited: Built, tmp_path: Path) -> None:
    write_log(tmp_path, audited.entries, Signer.from_seed(audited.signer.name, b"\x07" * 32))
    report = run(tmp_path, audited)
    assert problems(report) == [(None, "checkpoint-signature")]
    assert not report.verified


def test_witness_quorum(audited: Built, tmp_path: Path) -> None:
    w1, w2 = (CosignatureSigner.from_seed(f"w{n}.example", bytes([n]) * 32) for n in (1, 2))
    text = write_log(tmp_path / "probe", audited.entries, audited.signer).split("\n\n")[0] + "\n"
    write_log(tmp_path / "log", audited.entries, audited.signer, w1.cosign(text, 1_700_000_000))
    keys = (w1.verifier(), w2.verifier())
    assert run(tmp_path / "log", audited, witnesses=keys, quorum=1).verified
    report = run(tmp_path / "log", audited, witnesses=keys, quorum=2)
    assert problems(report) == [(None, "witness-quorum")]
    assert report.witnesses == ["w1.example"]


def test_tampered_tiles_are_located(audited: Built, tmp_path: Path) -> None:
    write_log(tmp_path, audited.entries, audited.signer)
    level0 = tmp_path / tile_path(0, 0)
    data = bytearray(level0.read_bytes())
    data[5 * 32] ^= 1
    level0.write_bytes(bytes(data))
    level1 = tmp_path / tile_path(1, 0, 1)
    level1.write_bytes(bytes(32))
    assert problems(run(tmp_path, audited)) == [(0, "tile-mismatch"), (5, "tile-mismatch")]


def test_entry_bundle_changed_without_resigning(audited: Built, tmp_path: Path) -> None:
    entries = list(audited.entries)
    entries[3] = altered(entries[3], lambda s: s["body"].update(name="篡改"))
    write_log(tmp_path / "forged", entries, audited.signer)
    write_log(tmp_path / "log", audited.entries, audited.signer)
    shutil.copy(tmp_path / "forged" / entries_path(0), tmp_path / "log" / entries_path(0))
    # The level-1 hash over entries 0-255 and the level-0 hash of entry 3 both differ.
    assert problems(run(tmp_path / "log", audited)) == [
        (None, "root-mismatch"), (0, "tile-mismatch"), (3, "signature-invalid"), (3, "tile-mismatch")]


def test_missing_bundle_stops_and_is_located(audited: Built, tmp_path: Path) -> None:
    write_log(tmp_path, audited.entries, audited.signer)
    (tmp_path / entries_path(1, 36)).unlink()
    report = run(tmp_path, audited)
    assert problems(report) == [(256, "tile-missing")]
    assert not report.complete and report.entries_checked == 256


def test_signatures_in_a_process_pool_are_reported_by_index(audited: Built, tmp_path: Path) -> None:
    entries = list(audited.entries)
    bad = [10, 150, 291]
    for i in bad:
        entries[i] = with_signature(entries[i], bytes(64))
    write_log(tmp_path, entries, audited.signer)
    report = verify_log(DirectorySource(tmp_path), Policy(Verifier.from_key_string(audited.vkey)),
                        workers=2, batch_size=64)
    assert report.workers == 2
    assert problems(report) == [(i, "signature-invalid") for i in bad]
    assert report.signatures_checked == 294


def test_the_main_process_shares_signatures_while_the_pool_is_busy(audited: Built, tmp_path: Path) -> None:
    """Batches go to the worker until it falls behind (it is still starting here), then the main
    process checks batches itself; bad signatures are found on both paths, by index."""
    entries = list(audited.entries)
    bad = [3, 12, 100, 200, 291]  # in the first two batches (the pool's) and in later ones
    for i in bad:
        entries[i] = with_signature(entries[i], bytes(64))
    write_log(tmp_path, entries, audited.signer)
    report = verify_log(DirectorySource(tmp_path), Policy(Verifier.from_key_string(audited.vkey)),
                        workers=1, batch_size=8)
    assert report.workers == 1 and report.inline_signatures > 0
    assert report.inline_signatures < 294  # and not all of them
    assert problems(report) == [(i, "signature-invalid") for i in bad]
    assert report.signatures_checked == 294


def test_workers_are_spawned_while_another_thread_runs(audited: Built, tmp_path: Path) -> None:
    """Forking a process that runs other threads can deadlock the child: then workers are spawned
    (and a spawned worker finds the signatures just as a forked one does)."""
    entries = list(audited.entries)
    entries[200] = with_signature(entries[200], bytes(64))
    write_log(tmp_path, entries, audited.signer)
    assert start_method() == "fork"  # Linux, and only this thread
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert start_method() == "spawn"
        report = verify_log(DirectorySource(tmp_path), Policy(Verifier.from_key_string(audited.vkey)),
                            workers=1, batch_size=16)
    finally:
        stop.set()
        other.join()
    assert problems(report) == [(200, "signature-invalid")]
    assert report.signatures_checked == 294 and 0 < report.inline_signatures < 294


def test_not_a_log_cannot_run(audited: Built, tmp_path: Path) -> None:
    with pytest.raises(CannotVerify):
        run(tmp_path, audited)


def test_progress_is_reported_in_order_and_ends_at_the_size(audited: Built, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    export_tiles(audited.app, audited.community, tmp_path)
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr("ledger.audit.verify.PROGRESS_EVERY", 1)
    policy = Policy(Verifier.from_key_string(audited.vkey))
    assert verify_log(DirectorySource(tmp_path), policy, progress=lambda *a: calls.append(a)).verified
    assert calls == [(256, 292), (292, 292)]  # after the first bundle, then once at the end
    calls.clear()
    (tmp_path / entries_path(1, 36)).unlink()  # a log that stops: the last call says where
    assert problems(verify_log(DirectorySource(tmp_path), policy, progress=lambda *a: calls.append(a))) == \
        [(256, "tile-missing")]
    assert calls == [(256, 292), (256, 292)]
