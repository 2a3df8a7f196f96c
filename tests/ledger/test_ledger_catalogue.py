"""The disclosure catalogue: a record the community sets, checked field by field, in force once set."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.community import DEFAULT_CATALOGUE
from ledger.domain.errors import DomainError, InvalidInput
from ledger.domain.state import parse_body
from tests.committee import Committee

KIND = "community.disclosure_catalogue_set"
MONTHLY = {"item_id": "m", "title": "财务月度公开", "cadence": "monthly", "category": "fund_use", "deadline": 10}


@pytest.mark.parametrize(("item", "words"), [
    ({**MONTHLY, "category": None}, "须填写公开类别"),
    ({**MONTHLY, "deadline": 29}, "应为 1–28"),
    ({**MONTHLY, "cadence": "each_decision", "category": None, "deadline": 20}, "每项决议的公开须填写公开类别"),
    ({**MONTHLY, "deadline": 0}, "deadline"),
])
def test_a_bad_item_is_refused_in_chinese(item: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_body(KIND, {"items": [{k: v for k, v in item.items() if v is not None}]})
    assert words in refused.value.message


def test_the_default_ships_the_issue_s_deadlines() -> None:
    items = {i.item_id: (i.cadence.value, i.deadline) for i in DEFAULT_CATALOGUE.set.items}
    assert items == {"finance-monthly": ("monthly", 10), "finance-quarterly": ("quarterly", 10),
                     "decision": ("each_decision", 20), "evaluation-results": ("each_evaluation", 20)}
    assert DEFAULT_CATALOGUE.index is None and DEFAULT_CATALOGUE.set.recording_lag_days == 30


def test_set_by_the_chair_and_in_force_from_then_on(committee: Committee) -> None:
    assert committee.app.state(committee.community).catalogue is DEFAULT_CATALOGUE
    with pytest.raises(DomainError) as refused:
        committee.record("chair", KIND, {"items": [MONTHLY, MONTHLY]})
    assert refused.value.code == "catalogue-duplicate-item"
    with pytest.raises(DomainError) as refused:
        committee.record("treasurer", KIND, {"items": [MONTHLY]})
    assert refused.value.code == "role-not-permitted"
    receipt = committee.record("chair", KIND, {"items": [MONTHLY], "recording_lag_days": 10})
    catalogue = committee.app.state(committee.community).catalogue
    assert catalogue.index == receipt.index and catalogue.set.recording_lag_days == 10
