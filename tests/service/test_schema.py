"""Schemathesis over the service's OpenAPI spec, against a real server: generated
requests, valid and not, never get a 5xx, and every response matches its schema.

Schemathesis' own pytest plugin (``schemathesis.pytest.from_fixture``) reaches into
pytest's private node attributes and breaks when pytest changes them (pytest 9.2 removed
``Function._nodeid``). This test uses only the public Python API (one Hypothesis strategy
per operation and generation mode), so it runs under any pytest the lock or a newer
install brings.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from test_app import running, two_models

from movie_sentiment.service.app import Limits, create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(nbsvm_run, tutorial_run):
    models = two_models(nbsvm_run, tutorial_run)
    limits = Limits(max_body_bytes=50_000, max_reviews=20, max_review_chars=2_000)
    with running(create_app(models, limits)) as client:
        yield schemathesis.openapi.from_url(f"{client.base_url}/openapi.json")


def operations(schema):
    """Every operation of the spec; a spec Schemathesis cannot read fails the test."""
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
def test_every_response_is_documented_and_no_5xx(api_schema, mode):
    found = operations(api_schema)
    labels = {operation.label for operation in found}
    assert {"POST /v1/score", "GET /v1/models"} <= labels, labels
    assert any(label.startswith("POST /v2/models/") for label in labels), labels
    exercised = set()
    for operation in found:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # An operation without parameters or body has no invalid request to make.
            if mode is schemathesis.GenerationMode.POSITIVE:
                raise
            continue
        except Exception as failure:
            failure.add_note(f"operation: {operation.label} ({mode.value})")
            raise
        exercised.add(operation.label)
    assert "POST /v1/score" in exercised, exercised
