"""Schemathesis over the service's OpenAPI spec, against a real server: generated
requests, valid and not, never get a 5xx, and every response matches its schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from test_app import running, two_models

from movie_sentiment.service.app import Limits, create_app


@pytest.fixture(scope="module")
def api_schema(nbsvm_run, tutorial_run):
    models = two_models(nbsvm_run, tutorial_run)
    limits = Limits(max_body_bytes=50_000, max_reviews=20, max_review_chars=2_000)
    with running(create_app(models, limits)) as client:
        schema = schemathesis.openapi.from_url(f"{client.base_url}/openapi.json")
        # Valid requests and invalid ones (wrong types, missing fields, out of limits).
        schema.config.generation.update(modes=list(schemathesis.GenerationMode))
        yield schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_response_is_documented_and_no_5xx(case):
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
