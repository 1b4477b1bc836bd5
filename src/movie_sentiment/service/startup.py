"""What ``movie-sentiment serve`` checks before it listens, so a mistake is one error line
at start, not a service that runs and never works: the model names, the CORS origins, the
API key, and that each model gives numbers."""

from __future__ import annotations

import ipaddress
import urllib.parse
from pathlib import Path

from movie_sentiment.errors import BundleError, InvalidInputError
from movie_sentiment.service.app import check_model_name

PROBE = "A test review before serving: a good film, a bad ending."
API_KEY_VARIABLE = "MOVIE_SENTIMENT_API_KEY"


def model_paths(bundles: list[str]) -> dict[str, Path]:
    """``NAME=PATH`` or ``PATH`` (named by its run folder) -> paths, by name; each name
    one URL segment, and no name twice."""
    paths: dict[str, Path] = {}
    named: set[str] = set()
    for given in bundles:
        name, _, path = given.rpartition("=") if "=" in given else ("", "", given)
        path = Path(path)
        explicit = bool(name) or "=" in given
        if not explicit:
            resolved = path.resolve()
            name = resolved.parent.name if resolved.name == "bundle" else resolved.name
        if name in paths:
            if explicit and name in named:
                raise InvalidInputError(
                    f"the name {name!r} is given to two models ({paths[name]} and {path}); "
                    "give each model its own name"
                )
            raise InvalidInputError(
                f"two models are named {name!r} ({paths[name]} and {path}); "
                "name them apart: NAME=PATH"
            )
        check_model_name(name)
        paths[name] = path
        if explicit:
            named.add(name)
    return paths


def cors_origin(given: str) -> str:
    """A web origin as browsers send it in ``Origin`` (``https://host[:port]``, lower case,
    no trailing slash), or ``*``; an ``InvalidInputError`` for anything with a path."""
    if given == "*":
        return given
    problem = f"--cors-origin {given!r} is not an origin like https://host or http://host:port"
    try:
        parts = urllib.parse.urlsplit(given)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise InvalidInputError(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(problem)
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise InvalidInputError(f"{problem} (an origin has no path, query or user)")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def api_key(given: str | None, environment: dict) -> str | None:
    """The key to require, or None; an empty one, from the option or the environment
    (where Click would silently drop it), is an ``InvalidInputError``."""
    from_environment = environment.get(API_KEY_VARIABLE)
    if given is None and from_environment is not None and not from_environment.strip():
        given = from_environment
    if given is not None and not given.strip():
        if given == from_environment:
            raise InvalidInputError(
                f"${API_KEY_VARIABLE} is set but empty; set a key in it or unset it"
            )
        raise InvalidInputError("the API key is empty; give a key or leave the option out")
    return given


def open_to_others(host: str) -> bool:
    """Whether listening on ``host`` lets other machines in (anything but loopback)."""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a name: it may resolve to any address


def check_scores(models: dict) -> None:
    """Each model scores a test review to a number, or a ``BundleError`` naming it: a model
    whose every score is NaN would otherwise leave the service running and never ready."""
    for name, model in models.items():
        try:
            problem = model.score([PROBE], on_error="mark").error[0]
        except (BundleError, InvalidInputError) as error:
            problem = str(error)
        if problem:
            what = f"a test {problem}" if problem.startswith("review ") else problem
            raise BundleError(f"model {name!r} cannot be served: {what}")
