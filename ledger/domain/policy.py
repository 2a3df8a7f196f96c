"""Who must sign together: a community's signing policy (两人以上共同签署).

A policy is a list of rules; a rule names a kind, the seats to fill (each by a different member
in office, from the roles the seat lists; an empty seat is "the recorder": a role that may record
the kind) and when it applies (always, at or above an amount, for a budget revision, once the
committee has three members in office, or to recover the 主任's lost key). A statement must fill
the seats of every rule that applies to it. The default rules are declared with their kinds in
:mod:`ledger.domain.kinds`; a community changes them with a ``community.policy_set`` record
(:class:`ledger.domain.community.Community.PolicySet`), which
itself needs the signatures the policy in force asks for, and applies from the next entry on.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.common import Choice, Info, Shape
from ledger.domain.roles import Role

DEFAULT_PROPOSAL_DAYS = 14
"""How long a proposal (a statement still waiting for co-signatures) stays open, unless the
community's ``community.policy_set`` says otherwise (``proposal_days``); a co-signed statement is
accepted up to that many days after it was signed."""
MAX_PROPOSAL_DAYS = 90


class Condition(Choice):
    ALWAYS = "always", "始终"
    REVISION = "revision", "修订预算时"
    COMMITTEE_OF_THREE = "committee_of_three", "委员会在任成员达三人后"
    RECOVERY = "recovery", "主任的密钥遗失时"


class Founding(Choice):
    """The policy a ``community.founded`` statement puts in force (absent: none, as before)."""

    DEFAULT = "default", "默认签署规则"


class Rule(BaseModel):
    """One rule: ``seats`` to fill for ``kind`` when ``when`` holds (and, with
    ``min_amount_fen``, the amount is at least that)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Annotated[str, Field(pattern=r"^[a-z_]+\.[a-z_]+$"),
                    Info("记录类型", "如 fund.grant_made", example="fund.grant_made")]
    seats: Annotated[list[list[Role]], Field(min_length=1, max_length=4),
                     Info("签名人", "每一席由一位不同的成员签名，写出可担任该席的职务；空列表为登记人",
                          example=[["treasurer"], ["chair"]])]
    min_amount_fen: Annotated[int | None, Field(ge=1, le=2**53 - 1, strict=True),
                              Info("金额下限（分）", "金额达到此数时适用（可不填）", shape=Shape.MONEY)] = None
    when: Annotated[Condition, Info("适用情形", "何时须共同签署（默认始终）")] = Condition.ALWAYS

    def text_zh(self, title: str) -> str:
        """``拨付资助须出纳和主任共同签署``."""
        seats = "和".join(seat_zh(s) for s in self.seats)
        amount = "" if self.min_amount_fen is None else f"{self.min_amount_fen // 100:,} 元及以上的"
        if self.when is Condition.RECOVERY:
            return f"主任的密钥遗失时，更换主任密钥须{seats}共同签署"
        if self.when is Condition.REVISION:
            return f"修订{title.removeprefix('编制')}须{seats}共同签署"
        if self.when is Condition.COMMITTEE_OF_THREE:
            return f"委员会在任成员达三人后，{title}须{seats}共同签署"
        return f"{amount}{title}须{seats}共同签署"


def seat_zh(seat: Sequence[Role]) -> str:
    if not seat:
        return "登记人"
    if set(seat) == set(Role):
        return "另一位在任成员"
    return "或".join(r.title_zh for r in seat)


def unfilled(seats: Sequence[Sequence[Role]], recorder: frozenset[Role],
             signers: Sequence[Role]) -> list[Sequence[Role]]:
    """The seats that ``signers`` (one role each, each a different member) leave empty at best:
    none when every seat can be given its own signer. Seats are few; all orders are tried."""
    allowed = [frozenset(s) if s else recorder for s in seats]
    best: list[int] = list(range(len(seats)))
    for order in permutations(range(len(seats))):
        used: set[int] = set()
        empty = []
        for seat in order:
            who = next((n for n, role in enumerate(signers) if n not in used and role in allowed[seat]),
                       None)
            if who is None:
                empty.append(seat)
            else:
                used.add(who)
        if len(empty) < len(best):
            best = empty
            if not best:
                break
    return [seats[n] for n in sorted(best)]
