"""RFC 9162 §2.1 Merkle tree: known answers, structural vectors, and the reference tree."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_tree import ReferenceTree

from ledger.crypto import merkle
from ledger.crypto.errors import (
    InconsistentTreeError,
    InvalidProofError,
    MalformedError,
    OutOfRangeError,
    VerificationError,
)


def h(hex_: str) -> bytes:
    return bytes.fromhex(hex_)


# -- known answers ------------------------------------------------------------------------------


def test_empty_root_is_sha256_of_nothing() -> None:
    # echo -n | sha256sum
    assert merkle.EMPTY_ROOT.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_leaf_and_node_hash_known_answers() -> None:
    # transparency-dev/merkle rfc6962_test.go:
    # echo -n 00 | xxd -r -p | sha256sum
    assert merkle.leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    # echo -n 004C313233343536 | xxd -r -p | sha256sum
    assert merkle.leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    # echo -n 014E3132334E343536 | xxd -r -p | sha256sum
    assert merkle.node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


# The RFC 6962 test tree used by transparency-dev/merkle (testonly/constants.go) and
# certificate-transparency: eight leaves, and the root of every prefix of it.
RFC6962_LEAVES = [
    h(x)
    for x in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
RFC6962_ROOTS = [
    h(x)
    for x in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
RFC6962_TREE = ReferenceTree(RFC6962_LEAVES)

# transparency-dev/merkle cmd/proofgen: (leaf index, tree size, proof), inclusion...
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# ...and consistency: (old size, new size, proof).
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


@pytest.mark.parametrize("size", range(9))
def test_rfc6962_roots(size: int) -> None:
    compact = merkle.CompactRange()
    for entry in RFC6962_LEAVES[:size]:
        compact.append(merkle.leaf_hash(entry))
    assert compact.root() == RFC6962_ROOTS[size]
    assert RFC6962_TREE.mth(0, size) == RFC6962_ROOTS[size]
    assert merkle.root_at(size, RFC6962_TREE.get_nodes) == RFC6962_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_rfc6962_inclusion_vectors(index: int, size: int, proof: list[str]) -> None:
    expected = [h(p) for p in proof]
    assert merkle.inclusion_proof(index, size, RFC6962_TREE.get_nodes) == expected
    leaf = merkle.leaf_hash(RFC6962_LEAVES[index])
    merkle.verify_inclusion(index, size, leaf, expected, RFC6962_ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_rfc6962_consistency_vectors(old: int, new: int, proof: list[str]) -> None:
    expected = [h(p) for p in proof]
    assert merkle.consistency_proof(old, new, RFC6962_TREE.get_nodes) == expected
    merkle.verify_consistency(old, new, RFC6962_ROOTS[old], RFC6962_ROOTS[new], expected)


# -- RFC 9162 §2.1.5 structural example -----------------------------------------------------------
#
#            hash                 a..f = leaf hashes of d0..d5, j = leaf hash of d6,
#           /    \                g = H(a, b), h = H(c, d), i = H(e, f),
#          k      l               k = H(g, h), l = H(i, j)
#         / \    / \
#        g   h  i   j
#       / \ / \ / \  |
#       a b c d e f  d6

SEVEN = ReferenceTree([f"d{i}".encode() for i in range(7)])
LABELS = {
    "a": SEVEN.node(0, 0),
    "b": SEVEN.node(0, 1),
    "c": SEVEN.node(0, 2),
    "d": SEVEN.node(0, 3),
    "e": SEVEN.node(0, 4),
    "f": SEVEN.node(0, 5),
    "j": SEVEN.node(0, 6),
    "g": SEVEN.node(1, 0),
    "h": SEVEN.node(1, 1),
    "i": SEVEN.node(1, 2),
    "k": SEVEN.node(2, 0),
}
LABELS["l"] = merkle.node_hash(LABELS["i"], LABELS["j"])


@pytest.mark.parametrize(("index", "labels"), [(0, "bhl"), (3, "cgl"), (4, "fjk"), (6, "ik")])
def test_rfc9162_inclusion_paths(index: int, labels: str) -> None:
    proof = merkle.inclusion_proof(index, 7, SEVEN.get_nodes)
    assert proof == [LABELS[x] for x in labels]
    merkle.verify_inclusion(index, 7, SEVEN.leaves[index], proof, SEVEN.mth())


@pytest.mark.parametrize(("old", "labels"), [(3, "cdgl"), (4, "l"), (6, "ijk")])
def test_rfc9162_consistency_proofs(old: int, labels: str) -> None:
    proof = merkle.consistency_proof(old, 7, SEVEN.get_nodes)
    assert proof == [LABELS[x] for x in labels]
    merkle.verify_consistency(old, 7, SEVEN.mth(0, old), SEVEN.mth(), proof)


# -- compact range --------------------------------------------------------------------------------


def test_append_reports_every_completed_node() -> None:
    tree = ReferenceTree([bytes([i]) for i in range(8)])
    compact = merkle.CompactRange()
    reported = [compact.append(leaf) for leaf in tree.leaves]
    assert [[(lv, k) for lv, k, _ in nodes] for nodes in reported] == [
        [(0, 0)],
        [(0, 1), (1, 0)],
        [(0, 2)],
        [(0, 3), (1, 1), (2, 0)],
        [(0, 4)],
        [(0, 5), (1, 2)],
        [(0, 6)],
        [(0, 7), (1, 3), (2, 1), (3, 0)],
    ]
    for nodes in reported:
        for level, index, hash_ in nodes:
            assert hash_ == tree.node(level, index)


def test_compact_range_serialisation_and_load() -> None:
    tree = ReferenceTree([bytes([i]) for i in range(13)])
    compact = merkle.CompactRange()
    for leaf in tree.leaves:
        compact.append(leaf)
    data = compact.to_bytes()
    assert data[:8] == (13).to_bytes(8, "big") and len(data) == 8 + 3 * 32  # 13 = 8 + 4 + 1
    assert merkle.CompactRange.from_bytes(data) == compact
    assert merkle.CompactRange.load(13, tree.get_nodes) == compact
    assert [(lv, k) for lv, k, _ in compact.nodes()] == [(3, 0), (2, 2), (0, 12)]
    assert merkle.CompactRange().root() == merkle.EMPTY_ROOT


@pytest.mark.parametrize("data", [b"", b"\x00" * 7, (1).to_bytes(8, "big"), b"\x00" * 40])
def test_compact_range_rejects_bad_encodings(data: bytes) -> None:
    with pytest.raises(MalformedError):
        merkle.CompactRange.from_bytes(data)


def test_proofs_fetch_complete_nodes_in_one_batch() -> None:
    tree = ReferenceTree([bytes([i]) for i in range(100)])
    calls: list[list[tuple[int, int]]] = []

    def get_nodes(wanted: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        calls.append(wanted)
        return tree.get_nodes(wanted)  # asserts every node is complete

    assert merkle.inclusion_proof(37, 100, get_nodes) == tree.path(37)
    assert merkle.consistency_proof(37, 100, get_nodes) == tree.proof(37, 100)
    assert len(calls) == 2


def test_missing_or_bad_stored_node_is_an_error() -> None:
    with pytest.raises(InconsistentTreeError):
        merkle.inclusion_proof(0, 2, lambda wanted: {})
    with pytest.raises(InconsistentTreeError):
        merkle.root_at(3, lambda wanted: dict.fromkeys(wanted, b"short"))


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (-1, 3)])
def test_inclusion_proof_out_of_range(index: int, size: int) -> None:
    with pytest.raises(OutOfRangeError):
        merkle.inclusion_proof(index, size, RFC6962_TREE.get_nodes)


def test_consistency_proof_trivial_and_out_of_range() -> None:
    assert merkle.consistency_proof(0, 5, RFC6962_TREE.get_nodes) == []
    assert merkle.consistency_proof(5, 5, RFC6962_TREE.get_nodes) == []
    with pytest.raises(OutOfRangeError):
        merkle.consistency_proof(6, 5, RFC6962_TREE.get_nodes)


def test_subtree_root_requires_an_aligned_subtree() -> None:
    tree = ReferenceTree([bytes([i]) for i in range(8)])
    assert merkle.subtree_root(4, 7, tree.get_nodes) == tree.mth(4, 7)
    with pytest.raises(OutOfRangeError):
        merkle.subtree_root(2, 5, tree.get_nodes)


def test_verify_consistency_trivial_cases() -> None:
    root = RFC6962_ROOTS[5]
    merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [])
    merkle.verify_consistency(5, 5, root, root, [])
    with pytest.raises(InconsistentTreeError):
        merkle.verify_consistency(5, 5, root, RFC6962_ROOTS[4], [])
    with pytest.raises(InvalidProofError):
        merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [root])
    with pytest.raises(VerificationError):
        merkle.verify_consistency(0, 5, root, root, [])


# -- the reference tree, over random sizes --------------------------------------------------------

TREES: dict[int, ReferenceTree] = {}


def tree_of(size: int) -> ReferenceTree:
    if size not in TREES:
        TREES[size] = ReferenceTree([hashlib.sha256(b"%d" % i).digest() for i in range(size)])
    return TREES[size]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=600), st.data())
def test_generated_proofs_match_reference(size: int, data: st.DataObject) -> None:
    tree = tree_of(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    old = data.draw(st.integers(min_value=1, max_value=size))
    proof = merkle.inclusion_proof(index, size, tree.get_nodes)
    assert proof == tree.path(index)
    merkle.verify_inclusion(index, size, tree.leaves[index], proof, tree.mth())
    consistency = merkle.consistency_proof(old, size, tree.get_nodes)
    assert consistency == (tree.proof(old, size) if old < size else [])
    merkle.verify_consistency(old, size, tree.mth(0, old), tree.mth(), consistency)
    assert merkle.root_at(size, tree.get_nodes) == tree.mth()


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=600))
def test_compact_range_matches_reference(size: int) -> None:
    tree = tree_of(max(size, 1))
    compact = merkle.CompactRange()
    for i, leaf in enumerate(tree.leaves[:size]):
        for level, index, hash_ in compact.append(leaf):
            assert hash_ == tree.node(level, index)
        if i % 37 == 0:
            assert compact.root() == tree.mth(0, i + 1)
    assert compact.size == size
    assert compact.root() == tree.mth(0, size)
    assert merkle.CompactRange.from_bytes(compact.to_bytes()) == compact


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=12), st.data())
def test_appending_whole_subtrees_matches_reference(levels: list[int], data: st.DataObject) -> None:
    """Subtrees of 2**level leaves (when aligned) mixed with single leaves give the same tree."""
    tree = tree_of(600)
    compact = merkle.CompactRange()
    for level in levels:
        size = compact.size
        if size % (1 << level) or size + (1 << level) > 600:
            compact.append(tree.leaves[size])  # not aligned: one leaf instead
            continue
        leaves = tree.leaves[size:size + (1 << level)]
        nodes = compact.append_subtree(level, merkle.subtree_hash(leaves))
        assert nodes[0] == (level, size >> level, tree.node(level, size >> level))
        for lv, index, hash_ in nodes:
            assert hash_ == tree.node(lv, index)
        assert compact.root() == tree.mth(0, compact.size)
    if data.draw(st.booleans()):
        assert merkle.CompactRange.from_bytes(compact.to_bytes()) == compact


def test_subtree_hash_and_append_subtree_refuse_bad_shapes() -> None:
    tree = tree_of(8)
    with pytest.raises(MalformedError):
        merkle.subtree_hash(tree.leaves[:3])
    with pytest.raises(MalformedError):
        merkle.subtree_hash([])
    compact = merkle.CompactRange()
    compact.append(tree.leaves[0])
    with pytest.raises(OutOfRangeError):
        compact.append_subtree(1, merkle.subtree_hash(tree.leaves[1:3]))  # starts at 1, not even
    with pytest.raises(MalformedError):
        compact.append_subtree(0, b"short")
    assert compact.size == 1
