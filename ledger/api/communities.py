"""Reading a community: who it is, its members and keys, and the projections the portal shows.

Everything here is folded from committed log entries (see :mod:`ledger.api.readmodel`), so a
reader never sees a record that was refused or is still being written.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from ledger.api import paging, params
from ledger.api.context import Services, services
from ledger.api.problems import ApiError
from ledger.api.readmodel import View
from ledger.api.records import json_response
from ledger.application import COMMUNITY_ID, CommunityInfo
from ledger.domain.decision import Decision
from ledger.domain.disclosure import Disclosure
from ledger.domain.evaluation import Evaluation
from ledger.domain.fee import Fee
from ledger.domain.fund import Fund, donor_display
from ledger.domain.member import KeyRecord, Member
from ledger.domain.project import Project
from ledger.domain.state import CommunityState


def _dump(model: Any) -> dict[str, Any]:
    out: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return out


def _key(k: KeyRecord) -> dict[str, Any]:
    return {"key_id": k.key_id, "public_key": k.public_key, "member_id": k.member_id,
            "added_index": k.added_index, "retired_index": k.retired_index,
            "retired_reason": k.retired_reason}


async def list_communities(request: Request) -> Response:
    s = services(request)
    after = params.text(request, "cursor", pattern=COMMUNITY_ID[1:-1])
    limit = paging.limit(request)
    infos, more = await s.reading.log(_communities_after, s, after, limit)
    return await s.reading.memory([i.community_id for i in infos], _community_page, s, infos, more,
                                  request.url)


def _communities_after(s: Services, after: str | None, limit: int
                       ) -> tuple[list[CommunityInfo], bool]:
    infos = [i for i in s.ledger.communities() if after is None or i.community_id > after]
    return infos[:limit], len(infos) > limit


def _community_page(s: Services, infos: list[CommunityInfo], more: bool, url: URL) -> Response:
    out = []
    for info in infos:
        with s.reads.locked(info.community_id) as view:
            out.append(_community(info.community_id, info.origin, info.verifier_key, view.state,
                                  view.size))
    parts = paging.fit(out)
    following = infos[len(parts) - 1].community_id if parts and (
        more or len(parts) < len(infos)) else None
    return paging.respond(url, "communities", parts, following)


def _community(community_id: str, origin: str, verifier_key: str, state: CommunityState,
               size: int) -> dict[str, Any]:
    c = state.community
    return {"community": community_id, "origin": origin, "verifier_key": verifier_key,
            "size": size, "name": c.name if c else None,
            "estates": [_dump(e) for e in c.estates.values()] if c else []}


async def get_community(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    return await s.reading.memory([community], _get_community, s, community)


def _get_community(s: Services, community: str) -> Response:
    info = s.ledger.community(community)
    with s.reads.locked(community) as view:
        return json_response(_community(community, info.origin, info.verifier_key, view.state,
                                         view.size))


def _member(m: Member) -> dict[str, Any]:
    return {"member_id": m.id, "name": m.name, "role": m.role.value,
            "role_zh": m.role.title_zh, "term_start": m.term_start.isoformat(),
            "term_end": m.term_end.isoformat() if m.term_end else None,
            "active": m.active, "keys": [_key(k) for k in m.keys]}


async def list_members(request: Request) -> Response:
    return await _list_of_state(request, "members")


async def list_keys(request: Request) -> Response:
    return await _list_of_state(request, "keys")


# What ``members`` and ``keys`` list: the state's dict of them (in the order first recorded, so an
# offset is a stable cursor) and how one reads.
_STATE_LISTS: dict[str, tuple[Callable[[CommunityState], dict[str, Any]], Callable[[Any], dict[str, Any]]]] = {
    "members": (lambda state: state.members, _member),
    "keys": (lambda state: state.keys, _key),
}


async def _list_of_state(request: Request, name: str) -> Response:
    s = services(request)
    community = params.community(request)
    start, limit = paging.offset(request), paging.limit(request)
    return await s.reading.memory([community], _state_page, s, community, name, start, limit,
                                  request.url)


def _state_page(s: Services, community: str, name: str, start: int, limit: int, url: URL
                ) -> Response:
    of_state, render = _STATE_LISTS[name]
    with s.reads.locked(community) as view:
        found = of_state(view.state)
        items = [render(x) for x in islice(found.values(), start, start + limit)]
        total = len(found)
    return paging.offset_page(url, name, items, start, total)


# --- projections ---------------------------------------------------------------------------


def _fund(f: Fund) -> dict[str, Any]:
    return {"fund_id": f.id, "name": f.opened.name, "purpose": f.opened.purpose,
            "opened_on": f.opened.opened_on, "balance_fen": f.balance,
            "donated_fen": sum(f.donated.values()), "granted_fen": sum(f.granted.values()),
            "available_fen": {r: f.available(r) for r in sorted(f.donated)},
            "donation_count": len(f.donations), "grant_count": len(f.grants)}


def _donation(fund_id: str, d: Fund.DonationRecorded) -> dict[str, Any]:
    return {"fund_id": fund_id, "donation_id": d.donation_id, "amount_fen": d.amount_fen,
            "restriction": d.restriction, "received_on": d.received_on,
            "donor": donor_display(d),
            "receipt_no": d.receipt_no}


def _fees(fees: Fee) -> dict[str, Any]:
    years = sorted(set(fees.budgets) | set(fees.spent))
    return {
        "estate_id": fees.estate_id,
        "budget_vs_actual": [
            {"year": y, "category": c, "budget_fen": fees.budgets.get(y, {}).get(c, 0),
             "spent_fen": fees.spent.get(y, {}).get(c, 0)}
            for y in years
            for c in sorted(set(fees.budgets.get(y, {})) | set(fees.spent.get(y, {})))],
        # every budget of a year: the original, then each revision and its decision
        "budget_history": [
            {"year": y, "revision": b.revision, "index": b.log_index, "day": b.day,
             "decision_id": b.decision_id,
             "lines": [{"category": c, "amount_fen": fen} for c, fen in b.lines.items()]}
            for y in sorted(fees.budget_history) for b in fees.budget_history[y]],
        "income_count": len(fees.income), "spend_count": len(fees.spends),
    }


def _disclosure(d: Disclosure) -> dict[str, Any]:
    return {"index": d.index, **_dump(d.published),
            "corrections": [{"index": i, **_dump(c)} for i, c in d.corrections],
            "retracted": None if d.retracted is None
            else {"index": d.retracted[0], **_dump(d.retracted[1])}}


def _decision(d: Decision) -> dict[str, Any]:
    return {"index": d.index, **_dump(d.resolved), "meeting": _dump(d.meeting.held),
            "used_fen": list(d.used_fen)}


def _evaluation(r: Evaluation) -> dict[str, Any]:
    return {"index": r.index, **_dump(r.opened),
            "results": _dump(r.results) if r.results else None,
            "consequence": _dump(r.consequence) if r.consequence else None}


def _project(p: Project) -> dict[str, Any]:
    return {"project_id": p.id, "title": p.discovered.title, "step": p.step,
            "steps": [{"step": name, "index": i, **_dump(body)}
                      for name, (i, body) in p.steps.items()],
            "grants": list(p.grants)}


def _flat(body: Any) -> dict[str, Any] | None:
    return None if body is None else _dump(body)


def _flat_donation(v: View, key: tuple[str, str]) -> dict[str, Any] | None:
    donation = v.state.funds[key[0]].donations.get(key[1])
    return None if donation is None else _donation(key[0], donation)


# Each projection: its items in the order first recorded (a dict of the state, or a list the read
# model keeps as it folds; never reordered, so positions are stable cursors) and how one reads.
Items = Callable[[View], "dict[str, Any] | list[tuple[str, str]]"]
PROJECTIONS: dict[str, tuple[Items, Callable[[View, Any], dict[str, Any] | None]]] = {
    "funds": (lambda v: v.state.funds, lambda v, f: _fund(f)),
    "fees": (lambda v: v.state.fees, lambda v, f: _fees(f)),
    "disclosures": (lambda v: v.state.disclosures, lambda v, d: _disclosure(d)),
    "decisions": (lambda v: v.state.decisions, lambda v, d: _decision(d)),
    "evaluations": (lambda v: v.state.rounds, lambda v, r: _evaluation(r)),
    "projects": (lambda v: v.state.projects, lambda v, p: _project(p)),
    "donations": (lambda v: v.rows.get("donations", []), _flat_donation),
    "grants": (lambda v: v.rows.get("grants", []),
               lambda v, k: _flat(v.state.funds[k[0]].grants.get(k[1]))),
    "income": (lambda v: v.rows.get("income", []),
               lambda v, k: _flat(v.state.fees[k[0]].income.get(k[1]))),
    "spends": (lambda v: v.rows.get("spends", []),
               lambda v, k: _flat(v.state.fees[k[0]].spends.get(k[1]))),
}


async def get_projection(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    name = str(request.path_params["name"])
    if name not in PROJECTIONS:
        raise ApiError(404, "projection-not-found",
                       f"没有名为 {name[:40]} 的视图；可用：{'、'.join(PROJECTIONS)}")
    start, limit = paging.offset(request), paging.limit(request)
    return await s.reading.memory([community], _projection_page, s, community, name, start, limit,
                                  request.url)


def _projection_page(s: Services, community: str, name: str, start: int, limit: int,
                     url: URL) -> Response:
    items_of, read = PROJECTIONS[name]
    with s.reads.locked(community) as view:
        items = items_of(view)
        listed = items if isinstance(items, list) else view.values(name, items)
        page = [read(view, item) for item in listed[start:start + limit]]
        total, size = len(items), view.size
    return paging.offset_page(url, "items", [p for p in page if p is not None], start, total,
                              {"community": community, "size": size})
