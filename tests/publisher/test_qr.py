"""publisher.qr chooses the same mask as segno and makes the same symbol, module for module."""

from __future__ import annotations

import random

import pytest
import segno
from segno import encoder

from publisher import qr


def same(content: str, error: str) -> None:
    theirs = segno.make(content, error=error)
    ours = qr.make(content, error)
    assert (ours.designator, ours.mask) == (theirs.designator, theirs.mask), content
    assert ours.matrix == theirs.matrix, content


def test_record_urls_as_segno_makes_them() -> None:
    for base in ("https://portal.example/", "https://阳光.example/c0001/", "/"):
        for index in range(0, 2000, 13):
            same(f"{base}r/{index}/", "m")


@pytest.mark.parametrize("error", ["l", "m", "q", "h"])
def test_every_size_and_level_as_segno_makes_them(error: str) -> None:
    rng = random.Random(f"qr-{error}")
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789/:.-_?=&%阳光账本"
    for length in [*range(1, 60, 3), 80, 120, 200, 300, 450]:  # versions 1 .. ~17
        for _ in range(3):
            same("".join(rng.choice(alphabet) for _ in range(length)), error)


def test_every_mask_is_chosen_as_segno_chooses_it() -> None:
    """Short random texts reach each of the eight masks, so each one's scores are compared."""
    rng = random.Random("qr-masks")
    masks = set()
    for _ in range(300):
        content = "".join(rng.choice("abcdef0123") for _ in range(rng.randrange(5, 60)))
        same(content, "m")
        masks.add(segno.make(content, error="m").mask)
    assert masks == set(range(8))


def test_segno_is_left_as_it_was() -> None:
    original = encoder.find_and_apply_best_mask
    qr.make("https://portal.example/", "m")
    assert encoder.find_and_apply_best_mask is original
    with pytest.raises(segno.DataOverflowError):
        qr.make("x" * 5000, "h")
    assert encoder.find_and_apply_best_mask is original


def test_micro_codes_and_a_chosen_mask_are_segnos() -> None:
    micro = encoder.make_matrix(11, 11)
    assert qr._best_mask(micro, 11, 11) == encoder.find_and_apply_best_mask(
        encoder.make_matrix(11, 11), 11, 11)
    # a module segno left unset (2) is not scored here
    unset = encoder.make_matrix(21, 21)
    assert qr._best_mask(unset, 21, 21) == encoder.find_and_apply_best_mask(
        encoder.make_matrix(21, 21), 21, 21)
