"""Tokens with their place in the text the user wrote, for explanations.

``tokenize`` works on normalized text (entities decoded, tags replaced by spaces, lower
case), whose character positions are not the original's. ``token_spans`` normalizes with
``normalize_with_origins`` (the same rewrites as ``normalize``, remembering where each
character came from), so each token can be shown as written (``"GREAT"``,
``"don&#39;t"``) and highlighted in place. It gives exactly ``tokenize(text)``'s tokens,
in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from movie_sentiment.text.normalize import WORD_TOKEN, normalize_with_origins


@dataclass(frozen=True)
class Span:
    """One token: its normalized form, and ``text[start:end]`` as written."""

    token: str
    start: int
    end: int


def token_spans(text: str) -> list[Span]:
    """``tokenize(text)``'s tokens with their character offsets into ``text``.

    >>> [(s.token, s.start, s.end) for s in token_spans("Not <b>GOOD</b>")]
    [('not', 0, 3), ('good', 7, 11)]
    """
    normalized, starts, ends = normalize_with_origins(text)
    return [
        Span(match.group(0), starts[match.start()], ends[match.end() - 1])
        for match in WORD_TOKEN.finditer(normalized)
    ]
