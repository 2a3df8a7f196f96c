"""A log written before weak keys were refused: a member key (or the founder's) registered as the
identity point, and a donation "signed" for it with the fixed fake signature that OpenSSL alone
accepts. ``sunlight verify`` fails it at the entry that registered the key, with the code
``weak-key``, and refuses what the weak key "signed"; weak log and witness keys are refused
before anything is read. (The audit page and the record page: tests/tlog/test_tlog_browser.py.)"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from typer.testing import CliRunner

import ledger.cli.log  # noqa: F401  (registers the commands)
from ledger.cli.root import app
from ledger.crypto.note import SIG_COSIGNATURE_V1, SIG_ED25519, compute_key_id
from tests.tlog.conftest import Built
from tests.tlog.logbuild import FAKE_SIGNATURE, IDENTITY_KEY, fields, weak_key_log, write_log

runner = CliRunner()


def sunlight(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_the_forgery_is_one_openssl_alone_accepts(audited: Built) -> None:
    """Why the log below passed before: the fake donation's signature verifies under the key."""
    entries, at = weak_key_log(audited, "admitted")
    statement = json.loads(entries[at + 1])["statement"].encode()
    Ed25519PublicKey.from_public_bytes(base64.b64decode(IDENTITY_KEY)).verify(FAKE_SIGNATURE, statement)


@pytest.mark.parametrize("how", ["admitted", "rotated", "founded"])
def test_sunlight_verify_fails_at_the_entry_that_registered_a_weak_key(audited: Built, tmp_path: Path,
                                                                        how: str) -> None:
    entries, at = weak_key_log(audited, how)
    write_log(tmp_path, entries, audited.signer)
    code, output = sunlight("verify", str(tmp_path), "--key", audited.vkey, "--json")
    assert code == 1, output
    report = json.loads(output[output.index("{"):])
    failures = report["failures"]
    assert failures[0]["index"] == at and failures[0]["code"] == "weak-key"
    assert "公钥不安全" in failures[0]["message_zh"]
    kind = fields(entries[at])["statement"]["kind"]
    assert failures[0]["message_zh"].startswith(f"{kind}：")
    after = {(f["index"], f["code"]) for f in failures[1:]}
    if how == "founded":  # nothing was founded: the next entry has no community to go to
        assert after == {(1, "community-not-found")}
    else:  # the weak key was never registered: what it "signed" is by nobody
        assert after == {(at + 1, "unknown-key")}
    code, output = sunlight("verify", str(tmp_path), "--key", audited.vkey)
    assert code == 1 and f"第 {at} 条 entry #{at}" in output and "weak-key" in output, output


@pytest.mark.parametrize("sig_type", [SIG_ED25519, SIG_COSIGNATURE_V1])
@pytest.mark.parametrize("raw", [bytes([1]) + bytes(31), (2**255 - 18).to_bytes(32, "little")],
                         ids=["identity", "p+1"])
def test_weak_log_and_witness_keys_are_refused(audited: Built, tmp_path: Path, sig_type: int,
                                               raw: bytes) -> None:
    name = audited.signer.name
    weak = f"{name}+{compute_key_id(name, sig_type, raw).hex()}+{base64.b64encode(bytes([sig_type]) + raw).decode()}"
    write_log(tmp_path, audited.entries, audited.signer)
    code, output = sunlight("verify", str(tmp_path), "--key", weak)
    assert code == 2 and "验证公钥不安全，不能使用" in output, output
    code, output = sunlight("verify", str(tmp_path), "--key", audited.vkey, "--witness", weak)
    assert code == 2 and "见证人公钥不安全，不能使用" in output, output
    key_file = tmp_path / "witness.key"
    code, output = sunlight("witness", "keygen", "witness.example/w", "--out", str(key_file))
    assert code == 0, output
    code, output = sunlight("witness", "serve", "--key", str(key_file), "--log", weak,
                            "--db", f"sqlite:///{tmp_path / 'w.db'}")
    assert code == 2 and "日志公钥不安全，不能使用" in output, output
