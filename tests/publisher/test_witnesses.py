"""Witnesses on the portal: a checkpoint cosigned by a witness the operator named is said in
plain words on the home and 审计 pages (who, when); a cosignature that does not verify with the
named key is not; the keys are published for the in-browser check."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Sunlight
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.note import split_note
from ledger.tlog.cosignatures import store_cosignature
from publisher.build import publish
from publisher.fmt import local_time
from publisher.witnesses import Witness
from tests.chromium import MARKS, chromium
from tests.publisher.conftest import BASE_URL
from tests.publisher.sample import Clock, build_sample

STREET = CosignatureSigner.from_seed("jiedao.example/witness", b"\x31" * 32)
PAPER = CosignatureSigner.from_seed("paper.example/witness", b"\x32" * 32)
STRANGER = CosignatureSigner.from_seed("stranger.example/witness", b"\x33" * 32)
AT = int(datetime(2025, 3, 20, 2, 30, tzinfo=UTC).timestamp())


@pytest.fixture(scope="module")
def cosigned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The sample community's portal, its checkpoint cosigned by 街道办 and by a stranger;
    the operator named 街道办 and 晚报 (which has not cosigned). Returns the site and size."""
    tmp_path = tmp_path_factory.mktemp("cosigned")
    clock = Clock()
    app = Sunlight(f"sqlite:///{tmp_path / 'ledger.db'}", clock=clock)
    build_sample(app, clock)
    signed = app.checkpoint("testville")
    text, _ = split_note(signed)
    size = app.size("testville")
    for signer in (STREET, STRANGER):
        store_cosignature(app, "testville", size, signer.name, signer.cosign(text, AT))
    # the operator names the street office and the paper (which has not cosigned)
    witnesses = (Witness.parse(f"街道办={STREET.verifier_key()}"),
                 Witness.parse(f"晚报={PAPER.verifier_key()}"))
    out = tmp_path / "site"
    publish(app, "testville", out, base_url=BASE_URL, witnesses=witnesses, search=False)
    return out, size


def test_a_cosigned_checkpoint_says_who_confirmed_it_and_when(cosigned: tuple[Path, int]) -> None:
    out, size = cosigned
    when = local_time(datetime.fromtimestamp(AT, UTC))
    said = f"街道办已于 {when}（北京时间）确认：本日志前 {size} 条记录只增未改。"
    home = (out / "index.html").read_text(encoding="utf-8")
    audit = (out / "audit" / "index.html").read_text(encoding="utf-8")
    assert said in home and said in audit
    assert "晚报已于" not in home + audit  # named, but no cosignature
    assert "stranger.example/witness" in audit and "无法核对" in audit
    assert STREET.verifier_key() in audit
    keys = json.loads((out / "data" / "witnesses.json").read_text(encoding="utf-8"))
    assert keys == [{"label": "街道办", "key": STREET.verifier_key()},
                    {"label": "晚报", "key": PAPER.verifier_key()}]
    assert STREET.name in (out / "data" / "checkpoint.txt").read_text(encoding="utf-8")


def test_a_cosignature_under_a_different_key_is_not_a_confirmation(tmp_path: Path) -> None:
    clock = Clock()
    app = Sunlight(f"sqlite:///{tmp_path / 'ledger.db'}", clock=clock)
    build_sample(app, clock)
    text, _ = split_note(app.checkpoint("testville"))
    impostor = CosignatureSigner.from_seed(STREET.name, b"\x34" * 32)  # same name, other key
    store_cosignature(app, "testville", app.size("testville"), impostor.name,
                      impostor.cosign(text, AT))
    out = tmp_path / "site"
    publish(app, "testville", out, base_url=BASE_URL, search=False,
            witnesses=(Witness.parse(f"街道办={STREET.verifier_key()}"),))
    assert "街道办已于" not in (out / "index.html").read_text(encoding="utf-8")
    assert "尚无见证人确认" in (out / "audit" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("text", ["街道办", "=key", "街道办=not-a-key",
                                  f"街道办={Sunlight.__name__}+00000000+AAAA"])
def test_a_bad_witness_is_refused_in_chinese(text: str) -> None:
    with pytest.raises(ValueError, match="见证人"):
        Witness.parse(text)


def _browser(test: Any) -> Any:
    for mark in MARKS:
        test = mark(test)
    return test


@_browser
@pytest.mark.parametrize("backend", ["webcrypto", "noble"])
def test_the_browser_check_verifies_the_cosignature(cosigned: tuple[Path, int], backend: str
                                                    ) -> None:
    from tests.tlog.test_tlog_browser import check

    out, size = cosigned
    with chromium() as browser:
        text = check(browser, out, backend=backend)
    assert "街道办已于 " in text and f"本日志前 {size} 条记录只增未改（联署签名核验无误）" in text
    assert "stranger.example/witness" in text and "晚报" not in text


def test_the_communitys_configured_witnesses_are_named_without_witness_options(
        tmp_path: Path) -> None:
    """``sunlight witness add --name 街道办`` is enough for the portal (the service's automatic
    publish gives no ``--witness``); a ``--witness`` with the same key keeps its own label, and
    a configured key that is not a cosignature key is left out, never fatal."""
    from ledger.store import WitnessRow

    clock = Clock()
    app = Sunlight(f"sqlite:///{tmp_path / 'ledger.db'}", clock=clock)
    build_sample(app, clock)
    text, _ = split_note(app.checkpoint("testville"))
    size = app.size("testville")
    for signer in (STREET, PAPER):
        store_cosignature(app, "testville", size, signer.name, signer.cosign(text, AT))
    app.store.put_witness(WitnessRow("testville", STREET.name, "http://w1",
                                     STREET.verifier_key(), "街道办"))
    app.store.put_witness(WitnessRow("testville", PAPER.name, "http://w2", PAPER.verifier_key()))
    app.store.put_witness(WitnessRow("testville", "broken", "http://w3", "broken+0+AAAA", "坏的"))
    out = tmp_path / "site"
    publish(app, "testville", out, base_url=BASE_URL, search=False)
    when = local_time(datetime.fromtimestamp(AT, UTC))
    home = (out / "index.html").read_text(encoding="utf-8")
    audit = (out / "audit" / "index.html").read_text(encoding="utf-8")
    for label in ("街道办", PAPER.name):  # no display name: its key name
        said = f"{label}已于 {when}（北京时间）确认：本日志前 {size} 条记录只增未改。"
        assert said in home and said in audit
    assert STREET.verifier_key() in audit and PAPER.verifier_key() in audit
    assert "坏的" not in audit and "无法核对" not in audit
    keys = json.loads((out / "data" / "witnesses.json").read_text(encoding="utf-8"))
    assert keys == [{"label": "街道办", "key": STREET.verifier_key()},
                    {"label": PAPER.name, "key": PAPER.verifier_key()}]

    publish(app, "testville", out, base_url=BASE_URL, search=False,
            witnesses=(Witness.parse(f"晚报={PAPER.verifier_key()}"),))
    keys = json.loads((out / "data" / "witnesses.json").read_text(encoding="utf-8"))
    assert keys == [{"label": "晚报", "key": PAPER.verifier_key()},
                    {"label": "街道办", "key": STREET.verifier_key()}]
    assert f"晚报已于 {when}" in (out / "index.html").read_text(encoding="utf-8")
