"""The JSON corruption vectors in tests/vectors: valid cases pass, every corruption fails
with a VerificationError subclass, and make_vectors.py still reproduces the files."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.crypto import merkle, tiles
from ledger.crypto.errors import VerificationError
from ledger.crypto.note import Verifier, open_note
from ledger.crypto.proof_file import verify_proof_file

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def load_vectors(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [str(c.get("desc", c.get("path"))) for c in cases]


def check(case: dict[str, Any], run: Any) -> None:
    if case["valid"]:
        run()
    else:
        with pytest.raises(VerificationError):
            run()


INCLUSION = load_vectors("inclusion-corruptions.json")
CONSISTENCY = load_vectors("consistency-corruptions.json")
NOTES = load_vectors("note-corruptions.json")
TILES = load_vectors("tiles-corruptions.json")
PROOF_FILES = load_vectors("proof-file-corruptions.json")


@pytest.mark.parametrize("case", INCLUSION, ids=ids(INCLUSION))
def test_inclusion(case: dict[str, Any]) -> None:
    check(
        case,
        lambda: merkle.verify_inclusion(
            case["index"],
            case["size"],
            bytes.fromhex(case["leaf_hash"]),
            [bytes.fromhex(p) for p in case["proof"]],
            bytes.fromhex(case["root"]),
        ),
    )


@pytest.mark.parametrize("case", CONSISTENCY, ids=ids(CONSISTENCY))
def test_consistency(case: dict[str, Any]) -> None:
    check(
        case,
        lambda: merkle.verify_consistency(
            case["old_size"],
            case["new_size"],
            bytes.fromhex(case["old_root"]),
            bytes.fromhex(case["new_root"]),
            [bytes.fromhex(p) for p in case["proof"]],
        ),
    )


@pytest.mark.parametrize("case", NOTES, ids=ids(NOTES))
def test_note(case: dict[str, Any]) -> None:
    verifiers = [Verifier.from_key_string(k) for k in case["verifier_keys"]]
    check(case, lambda: open_note(case["note"], verifiers))


@pytest.mark.parametrize("case", TILES["paths"], ids=ids(TILES["paths"]))
def test_tile_path(case: dict[str, Any]) -> None:
    check(case, lambda: tiles.parse_tile_path(case["path"]))


@pytest.mark.parametrize("case", TILES["entry_bundles"], ids=ids(TILES["entry_bundles"]))
def test_entry_bundle(case: dict[str, Any]) -> None:
    check(case, lambda: tiles.decode_entry_bundle(bytes.fromhex(case["data"]), case["width"]))


@pytest.mark.parametrize("case", TILES["hash_tiles"], ids=ids(TILES["hash_tiles"]))
def test_hash_tile(case: dict[str, Any]) -> None:
    check(case, lambda: tiles.decode_hash_tile(bytes.fromhex(case["data"]), case["width"]))


@pytest.mark.parametrize("case", PROOF_FILES, ids=ids(PROOF_FILES))
def test_proof_file(case: dict[str, Any]) -> None:
    check(
        case,
        lambda: verify_proof_file(
            case["text"],
            bytes.fromhex(case["leaf_hash"]),
            [Verifier.from_key_string(k) for k in case["log_verifier_keys"]],
            witnesses=[Verifier.from_key_string(k) for k in case["witness_verifier_keys"]],
            quorum=case["quorum"],
        ),
    )


def test_every_file_has_valid_and_corrupt_cases() -> None:
    for cases in (INCLUSION, CONSISTENCY, NOTES, PROOF_FILES, *TILES.values()):
        assert {c["valid"] for c in cases} == {True, False}


def test_generator_reproduces_the_committed_files() -> None:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, data in module.build().items():
        assert (VECTORS / name).read_text(encoding="utf-8") == module.render(data), name
