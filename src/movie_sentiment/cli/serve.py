"""``movie-sentiment serve``: load models, check them, and serve them over HTTP.

The options are grouped as the service takes them (``Limits``, batching, the server's
guards); the command checks what it can before loading any model, so a taken port or a
bad origin is one error line at once. Starting the service, in one process or several,
is ``service.launch``'s.
"""

from __future__ import annotations

from typing import Annotated

import typer

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
    float | None,
    typer.Option(
        min=0,
        help="How long a request waits for others to join its batch.",
        show_default="2, or 0 with --workers above 1",
    ),
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

WorkersOption = Annotated[
    int,
    typer.Option(min=1, max=64, help="Processes sharing the port, one core each (metrics add up)."),
]


def serve_command(
    bundles: BundlesArgument,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    max_body_bytes: MaxBodyOption = 1_000_000,
    max_reviews: MaxReviewsOption = 1000,
    max_review_chars: MaxCharsOption = 100_000,
    max_batch_size: MaxBatchOption = 64,
    max_wait_ms: MaxWaitOption = None,
    api_key: ApiKeyOption = None,
    cors_origin: CorsOption = None,
    drain_seconds: DrainOption = 30.0,
    header_timeout: HeaderTimeoutOption = 10.0,
    body_timeout: BodyTimeoutOption = 30.0,
    max_connections: MaxConnectionsOption = 1000,
    workers: WorkersOption = 1,
) -> None:
    """Serve models over HTTP: the page at /, POST /v1/score, GET /v1/models, the Open
    Inference Protocol under /v2, /metrics; the API is described at /docs and
    /openapi.json. Listens on 127.0.0.1 unless told otherwise; SIGTERM or SIGHUP drains,
    then exits."""
    import os

    from movie_sentiment.service import launch, startup

    api_key = startup.api_key(api_key, dict(os.environ))
    origins = tuple(startup.cors_origin(origin) for origin in cors_origin or ())
    paths = startup.model_paths(bundles)
    if api_key is None and startup.open_to_others(host):
        typer.echo(
            f"warning: listening on {host} with no API key: anyone who can reach it can use "
            "the service (give --api-key or $MOVIE_SENTIMENT_API_KEY)",
            err=True,
        )
    spec = launch.ServiceSpec(
        paths={name: str(path) for name, path in paths.items()},
        limits=(max_body_bytes, max_reviews, max_review_chars),
        api_key=api_key,
        max_batch=max_batch_size,
        max_wait_ms=launch.batch_wait_ms(workers) if max_wait_ms is None else max_wait_ms,
        cors_origins=origins,
        body_seconds=body_timeout,
    )
    server = launch.ServerSpec(host, port, drain_seconds, header_timeout, max_connections)
    code = launch.serve(spec, server, workers)
    if code:
        raise typer.Exit(code)
