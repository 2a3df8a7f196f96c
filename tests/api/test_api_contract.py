"""The contract: an OpenAPI 3.1 document generated from the routes, honoured by every answer.

Schemathesis generates requests (valid and invalid) for every operation and checks that no
answer is a 5xx and every answer matches the document (status, content type, schema).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.openapi.loaders import from_url
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from ledger.api import Settings, create_app
from ledger.domain.state import BODY_TYPES
from tests.api.helpers import disclosure, live
from tests.committee import Committee


@pytest.fixture
def service(committee: Committee) -> Iterator[str]:
    for n in range(5):
        committee.app.submit(disclosure(committee, n))
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0))
    with live(app) as url:
        yield url


def test_openapi_document_is_generated_from_the_routes(service: str) -> None:
    doc = httpx.get(f"{service}/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    assert "/v1/communities/{community}/records" in doc["paths"]
    assert set(doc["paths"]["/v1/communities/{community}/records"]) == {"get", "post"}
    post = doc["paths"]["/v1/communities/{community}/records"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SubmissionIn"}
    assert "application/problem+json" in post["responses"]["422"]["content"]
    schemas = doc["components"]["schemas"]
    for kind in BODY_TYPES:  # every record kind's body has its schema
        assert "Body_" + kind.replace(".", "_") in schemas
    # ... taken from the kinds registry: Chinese labels and help, enumeration labels, an example
    spend = schemas["Body_fee_spend_recorded"]
    assert spend["properties"]["invoice_sha256"]["title"] == "发票哈希"
    assert "同一张发票只能报销一次" in spend["properties"]["invoice_sha256"]["description"]
    assert schemas["SpendCategory"]["x-labels"]["repairs"] == "维修"
    assert spend["x-signers"] == ["chair", "treasurer"] and spend["examples"][0]["spend_id"]


@pytest.mark.slow
def test_no_5xx_and_every_answer_matches_the_document(service: str) -> None:
    api = from_url(f"{service}/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 16
    for operation in operations:
        has_community = any(p.name == "community" for p in operation.path_parameters)
        fixed: list[dict[str, str] | None] = [None, {"community": "testcom"}] if has_community \
            else [None]
        # "Schema-valid data is accepted" cannot hold here: a schema cannot say "signed by a
        # member" or "index < size", and such requests are rightly 4xx. Every other check runs:
        # no 5xx, documented status, content type, headers and response schema.
        # Schemathesis does not count 413 (body over 64 KiB) as rejecting invalid data, so for
        # the POST operations that is checked below instead.
        post = operation.method.upper() == "POST"
        excluded = [positive_data_acceptance, *([negative_data_rejection] if post else [])]
        negatable = bool(list(operation.iter_parameters())) or bool(operation.body)
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if negatable else [])
        for mode in modes:
            for path_parameters in fixed:
                strategy = operation.as_strategy(mode, path_parameters=path_parameters)

                check = _checker(strategy, excluded,
                                 must_refuse=post and mode is GenerationMode.NEGATIVE)
                try:
                    check()
                except Unsatisfiable:
                    # nothing left to make invalid (every parameter is fixed or has none)
                    assert mode is GenerationMode.NEGATIVE, operation.label


def _checker(strategy: Any, excluded: list[Any], *, must_refuse: bool) -> Any:
    @given(case=strategy)
    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(timeout=30, excluded_checks=excluded)
        if must_refuse:
            assert 400 <= response.status_code < 500, response.text[:300]

    return check
