"""What routes depend on: every dependency is a coroutine, so a request is never handed to
FastAPI's thread pool and back (a plain function dependency would be, ~0.1 ms of CPU a
request; benchmarks/service_workers.py)."""

import inspect

import pytest

from movie_sentiment.service import dependencies


@pytest.mark.parametrize("dependency", [dependencies.service_state, dependencies.require_api_key])
def test_dependencies_run_on_the_event_loop(dependency):
    assert inspect.iscoroutinefunction(dependency)


@pytest.mark.parametrize("scheme", [dependencies.API_KEY_HEADER, dependencies.BEARER])
def test_the_key_schemes_run_on_the_event_loop(scheme):
    assert inspect.iscoroutinefunction(type(scheme).__call__)
