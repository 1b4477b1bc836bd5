"""``movie-sentiment serve``: load models, check them, and serve them over HTTP.

The options are grouped as the service takes them (``Limits``, batching, the server's
guards); the command checks what it can before loading any model, so a taken port or a
bad origin is one error line at once.
"""

from __future__ import annotations

from typing import Annotated

import typer

from movie_sentiment.errors import InvalidInputError

BundlesArgument = Annotated[
    list[str], typer.Argument(help="Run or bundle folders, as PATH or NAME=PATH.")
]
HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")]
MaxBodyOption = Annotated[int, typer.Option(min=1, help="Largest request body (413 beyond).")]
MaxReviewsOption = Annotated[int, typer.Option(min=1, help="Reviews per request (422 beyond).")]
MaxCharsOption = Annotated[int, typer.Option(min=1, help="Characters per review (422 beyond).")]
MaxBatchOption = Annotated[
    int, typer.Option(min=1, help="Reviews gathered into one model call (1: no batching).")
]
MaxWaitOption = Annotated[
    float, typer.Option(min=0, help="How long a request waits for others to join its batch.")
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        envvar="MOVIE_SENTIMENT_API_KEY",
        help="Require this key (X-API-Key or Authorization: Bearer) on every route but "
        "the health checks and the page; also $MOVIE_SENTIMENT_API_KEY.",
        show_envvar=False,
    ),
]
CorsOption = Annotated[
    list[str] | None,
    typer.Option(help="Let web pages from this origin call the API (repeatable; none by default)."),
]
DrainOption = Annotated[
    float,
    typer.Option(
        min=0,
        help="On SIGTERM or SIGHUP, how long requests in flight may take to finish "
        "(a hard cap: the process ends by then).",
    ),
]
HeaderTimeoutOption = Annotated[
    float, typer.Option(min=0.1, help="Seconds a request's headers may take to arrive (408).")
]
BodyTimeoutOption = Annotated[
    float, typer.Option(min=0.1, help="Seconds a request's body may take to arrive (408).")
]
MaxConnectionsOption = Annotated[
    int, typer.Option(min=1, help="Connections open at once; beyond, a new one gets a 503.")
]


def serve_command(
    bundles: BundlesArgument,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    max_body_bytes: MaxBodyOption = 1_000_000,
    max_reviews: MaxReviewsOption = 1000,
    max_review_chars: MaxCharsOption = 100_000,
    max_batch_size: MaxBatchOption = 64,
    max_wait_ms: MaxWaitOption = 2.0,
    api_key: ApiKeyOption = None,
    cors_origin: CorsOption = None,
    drain_seconds: DrainOption = 30.0,
    header_timeout: HeaderTimeoutOption = 10.0,
    body_timeout: BodyTimeoutOption = 30.0,
    max_connections: MaxConnectionsOption = 1000,
) -> None:
    """Serve models over HTTP: the page at /, POST /v1/score, GET /v1/models, the Open
    Inference Protocol under /v2, /metrics; the API is described at /docs and
    /openapi.json. Listens on 127.0.0.1 unless told otherwise; SIGTERM or SIGHUP drains,
    then exits."""
    import os

    from movie_sentiment.service import startup
    from movie_sentiment.service.app import create_app
    from movie_sentiment.service.schemas import Limits
    from movie_sentiment.service.server import allow_open_files, serve

    api_key = startup.api_key(api_key, dict(os.environ))
    origins = tuple(startup.cors_origin(origin) for origin in cors_origin or ())
    paths = startup.model_paths(bundles)
    allow_open_files(max_connections)
    _check_port_free(host, port)
    if api_key is None and startup.open_to_others(host):
        typer.echo(
            f"warning: listening on {host} with no API key: anyone who can reach it can use "
            "the service (give --api-key or $MOVIE_SENTIMENT_API_KEY)",
            err=True,
        )
    models, load_seconds = _load_models(paths)
    app = create_app(
        models,
        Limits(max_body_bytes, max_reviews, max_review_chars),
        api_key,
        max_batch=max_batch_size,
        max_wait_ms=max_wait_ms,
        cors_origins=origins,
        load_seconds=load_seconds,
        body_seconds=body_timeout,
    )
    serve(
        app,
        host,
        port,
        drain_seconds,
        header_seconds=header_timeout,
        max_connections=max_connections,
    )


def _check_port_free(host: str, port: int) -> None:
    """A taken port is one error line now, not uvicorn's traceback after loading."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise InvalidInputError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def _load_models(paths: dict) -> tuple[dict, dict[str, float]]:
    """Every model by name, with its load time in seconds, checked to score."""
    import time

    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.service import startup

    models, load_seconds = {}, {}
    for name, path in paths.items():
        started = time.perf_counter()
        models[name] = SentimentModel.load(path)
        load_seconds[name] = time.perf_counter() - started
    startup.check_scores(models)
    return models, load_seconds
