"""C2SP tlog-tiles: paths, tile sets, encodings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reference_tree import ReferenceTree

from ledger.crypto import tiles
from ledger.crypto.errors import MalformedError
from ledger.crypto.merkle import leaf_hash


@pytest.mark.parametrize(
    ("index", "text"),
    [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_formatting(index: int, text: str) -> None:
    assert tiles.format_index(index) == text


def test_paths_from_the_spec() -> None:
    assert tiles.tile_path(0, 1234067, None) == "tile/0/x001/x234/067"
    assert tiles.tile_path(0, 1234067, 5) == "tile/0/x001/x234/067.p/5"
    assert tiles.tile_path(2, 0, 256) == "tile/2/000"
    assert tiles.entries_path(1234067, 5) == "tile/entries/x001/x234/067.p/5"
    assert tiles.parse_tile_path("tile/0/x001/x234/067.p/5") == tiles.TileRef(0, 1234067, 5)
    ref = tiles.parse_tile_path("tile/entries/x001/x234/067")
    assert ref == tiles.TileRef(0, 1234067, 256, entries=True) and not ref.is_partial


@given(
    st.integers(min_value=0, max_value=63),
    st.integers(min_value=0, max_value=2**40),
    st.integers(min_value=1, max_value=256),
)
def test_path_round_trip(level: int, index: int, width: int) -> None:
    ref = tiles.TileRef(level, index, width)
    assert tiles.parse_tile_path(ref.path()) == ref


@pytest.mark.parametrize(("level", "width"), [(64, None), (-1, None), (0, 0), (0, 257)])
def test_bad_path_arguments(level: int, width: int | None) -> None:
    with pytest.raises(MalformedError):
        tiles.tile_path(level, 0, width)


def test_tiles_for_size_matches_the_spec_examples() -> None:
    # "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
    # tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
    # partial level 2 tile of width 1."
    found = tiles.tiles_for_size(70_000)
    assert [t for t in found if t[0] == 0 and t[2] == 256] == [(0, n, 256) for n in range(273)]
    assert [t for t in found if not (t[0] == 0 and t[2] == 256)] == [
        (0, 273, 112),
        (1, 0, 256),
        (1, 1, 17),
        (2, 0, 1),
    ]
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile
    # of width 1."
    assert tiles.tiles_for_size(256) == [(0, 0, 256), (1, 0, 1)]
    assert tiles.tiles_for_size(0) == []
    assert tiles.tiles_for_size(1) == [(0, 0, 1)]


def test_tile_nodes_hold_level_8l_hashes() -> None:
    tree = ReferenceTree([b"%d" % i for i in range(256 * 2 + 3)])
    ref = tiles.TileRef(1, 0, 2)
    assert ref.node_ids() == [(8, 0), (8, 1)]
    assert [tree.node(lv, k) for lv, k in ref.node_ids()] == [tree.mth(0, 256), tree.mth(256, 512)]
    data = tiles.encode_hash_tile([tree.node(8, 0), tree.node(8, 1)])
    assert len(data) == 64
    assert tiles.decode_hash_tile(data, 2) == [tree.node(8, 0), tree.node(8, 1)]


def test_entry_bundle_round_trip_and_leaf_hashes() -> None:
    entries = [b"", b"a", b"x" * 65535]
    data = tiles.encode_entry_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert tiles.decode_entry_bundle(data, 3) == entries
    assert [leaf_hash(e) for e in tiles.decode_entry_bundle(data)] == [
        leaf_hash(e) for e in entries
    ]


@pytest.mark.parametrize("entries", [[b"x" * 65536], [b"a"] * 257])
def test_entry_bundle_encode_rejects(entries: list[bytes]) -> None:
    with pytest.raises(MalformedError):
        tiles.encode_entry_bundle(entries)


def test_entry_bundle_decode_rejects_more_than_256() -> None:
    with pytest.raises(MalformedError):
        tiles.decode_entry_bundle(b"\x00\x00" * 257)


def _reference_decode(data: bytes) -> list[bytes] | None:
    """The bundle format read the plainest way: None where it is malformed."""
    entries = []
    while data:
        if len(data) < 2 or len(entries) == 256:
            return None
        length = int.from_bytes(data[:2], "big")
        if len(data) < 2 + length:
            return None
        entries.append(data[2 : 2 + length])
        data = data[2 + length :]
    return entries


@given(st.lists(st.binary(max_size=40), max_size=300), st.integers(0, 5), st.binary(max_size=3))
def test_entry_bundle_decode_agrees_with_a_plain_reading(entries: list[bytes], cut: int, tail: bytes) -> None:
    """Well-formed, truncated, or followed by garbage: the decoder returns what the plain reading
    does, or refuses where it does."""
    data = b"".join(len(e).to_bytes(2, "big") + e for e in entries)
    for candidate in (data, data[: max(len(data) - cut, 0)], data + tail):
        want = _reference_decode(candidate)
        if want is None:
            with pytest.raises(MalformedError):
                tiles.decode_entry_bundle(candidate)
        else:
            assert tiles.decode_entry_bundle(candidate) == want


@pytest.mark.parametrize("hashes", [[], [b"x" * 31], [b"x" * 32] * 257])
def test_hash_tile_encode_rejects(hashes: list[bytes]) -> None:
    with pytest.raises(MalformedError):
        tiles.encode_hash_tile(hashes)
