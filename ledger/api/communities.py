"""Reading a community: who it is, its members and keys, and the projections the portal shows.

Everything here is folded from committed log entries (see :mod:`ledger.api.readmodel`), so a
reader never sees a record that was refused or is still being written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledger.api import params
from ledger.api.context import services
from ledger.api.problems import ApiError
from ledger.api.records import json_response
from ledger.domain.members import KeyRecord
from ledger.domain.state import CommunityState


def _dump(model: Any) -> dict[str, Any]:
    out: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return out


def _key(k: KeyRecord) -> dict[str, Any]:
    return {"key_id": k.key_id, "public_key": k.public_key, "member_id": k.member_id,
            "added_index": k.added_index, "retired_index": k.retired_index,
            "retired_reason": k.retired_reason}


def list_communities(request: Request) -> Response:
    s = services(request)
    out = []
    for info in s.ledger.communities():
        with s.reads.locked(info.community_id) as view:
            out.append(_community(info.community_id, info.origin, info.verifier_key, view.state,
                                  view.size))
    return json_response({"communities": out})


def _community(community_id: str, origin: str, verifier_key: str, state: CommunityState,
               size: int) -> dict[str, Any]:
    c = state.community
    return {"community": community_id, "origin": origin, "verifier_key": verifier_key,
            "size": size, "name": c.name if c else None,
            "estates": [_dump(e) for e in c.estates.values()] if c else []}


def get_community(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    info = s.ledger.community(community)
    with s.reads.locked(community) as view:
        return json_response(_community(community, info.origin, info.verifier_key, view.state,
                                         view.size))


def list_members(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    with s.reads.locked(community) as view:
        members = [{"member_id": m.id, "name": m.name, "role": m.role.value,
                    "role_zh": m.role.title_zh, "term_start": m.term_start.isoformat(),
                    "term_end": m.term_end.isoformat() if m.term_end else None,
                    "active": m.active, "keys": [_key(k) for k in m.keys]}
                   for m in view.state.members.values()]
    return json_response({"members": members})


def list_keys(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    with s.reads.locked(community) as view:
        keys = [_key(k) for k in view.state.keys.values()]
    return json_response({"keys": keys})


# --- projections ---------------------------------------------------------------------------


def _funds(state: CommunityState) -> list[dict[str, Any]]:
    return [{"fund_id": f.id, "name": f.opened.name, "purpose": f.opened.purpose,
             "opened_on": f.opened.opened_on, "balance_fen": f.balance,
             "donated_fen": sum(f.donated.values()), "granted_fen": sum(f.granted.values()),
             "available_fen": {r: f.available(r) for r in sorted(f.donated)},
             "donations": [{"donation_id": d.donation_id, "amount_fen": d.amount_fen,
                            "restriction": d.restriction, "received_on": d.received_on,
                            "donor": d.display_name if d.display != "anonymous" else "匿名",
                            "receipt_no": d.receipt_no} for d in f.donations.values()],
             "grants": [_dump(g) for g in f.grants.values()]}
            for f in state.funds.values()]


def _fees(state: CommunityState) -> list[dict[str, Any]]:
    out = []
    for estate_id, fees in state.fees.items():
        years = sorted(set(fees.budgets) | set(fees.spent))
        out.append({
            "estate_id": estate_id,
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
            "income": [_dump(i) for i in fees.income.values()],
            "spends": [_dump(sp) for sp in fees.spends.values()],
        })
    return out


def _disclosures(state: CommunityState) -> list[dict[str, Any]]:
    return [{"index": d.index, **_dump(d.published),
             "corrections": [{"index": i, **_dump(c)} for i, c in d.corrections],
             "retracted": None if d.retracted is None
             else {"index": d.retracted[0], **_dump(d.retracted[1])}}
            for d in state.disclosures.values()]


def _decisions(state: CommunityState) -> list[dict[str, Any]]:
    return [{"index": d.index, **_dump(d.resolved), "meeting": _dump(d.meeting.held),
             "used_fen": list(d.used_fen)} for d in state.decisions.values()]


def _evaluations(state: CommunityState) -> list[dict[str, Any]]:
    return [{"index": r.index, **_dump(r.opened),
             "results": _dump(r.results) if r.results else None,
             "consequence": _dump(r.consequence) if r.consequence else None}
            for r in state.rounds.values()]


def _projects(state: CommunityState) -> list[dict[str, Any]]:
    return [{"project_id": p.id, "title": p.discovered.title, "step": p.step,
             "steps": [{"step": name, "index": i, **_dump(body)}
                       for name, (i, body) in p.steps.items()],
             "grants": list(p.grants)} for p in state.projects.values()]


PROJECTIONS: dict[str, Callable[[CommunityState], list[dict[str, Any]]]] = {
    "funds": _funds, "fees": _fees, "disclosures": _disclosures, "decisions": _decisions,
    "evaluations": _evaluations, "projects": _projects,
}


def get_projection(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    name = str(request.path_params["name"])
    build = PROJECTIONS.get(name)
    if build is None:
        raise ApiError(404, "projection-not-found",
                       f"没有名为 {name[:40]} 的视图；可用：{'、'.join(PROJECTIONS)}")
    with s.reads.locked(community) as view:
        items = build(view.state)
        size = view.size
    return json_response({"community": community, "size": size, "items": items})
