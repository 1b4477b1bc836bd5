"""Tokens with their place in the text the user wrote, for explanations.

``tokenize`` works on normalized text (entities decoded, tags replaced by spaces, lower
case), whose character positions are not the original's. ``token_spans`` performs the same
steps while remembering, for every normalized character, the original characters it came
from, so each token can be shown as written (``"GREAT"``, ``"don&#39;t"``) and
highlighted in place. It gives exactly ``tokenize(text)``'s tokens, in order.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from movie_sentiment.text.tokenize import _APOSTROPHES, _TAG, _TOKEN

# The character references html.unescape decodes (its own pattern, Python 3.4+).
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


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
    # 1. Decode entities; each decoded character remembers its reference's span.
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for match in _CHARREF.finditer(text):
        for offset in range(position, match.start()):
            chars.append(text[offset])
            starts.append(offset)
            ends.append(offset + 1)
        for char in html.unescape(match.group(0)):
            chars.append(char)
            starts.append(match.start())
            ends.append(match.end())
        position = match.end()
    for offset in range(position, len(text)):
        chars.append(text[offset])
        starts.append(offset)
        ends.append(offset + 1)
    decoded = "".join(chars)
    # 2. Tags become one space each (their characters belong to no token).
    if "<" in decoded:
        kept = []
        kept_starts, kept_ends = [], []
        position = 0
        for match in _TAG.finditer(decoded):
            kept.append(decoded[position : match.start()])
            kept_starts.extend(starts[position : match.start()])
            kept_ends.extend(ends[position : match.start()])
            kept.append(" ")
            kept_starts.append(starts[match.start()] if match.start() < len(starts) else 0)
            kept_ends.append(ends[match.end() - 1])
            position = match.end()
        kept.append(decoded[position:])
        kept_starts.extend(starts[position:])
        kept_ends.extend(ends[position:])
        decoded, starts, ends = "".join(kept), kept_starts, kept_ends
    # 3. Apostrophes unified, then lower case. ``lower()`` almost always keeps the length;
    #    when a character lengthens ("İ" -> "i̇"), each is lowered alone to keep its origin.
    for apostrophe in _APOSTROPHES:
        decoded = decoded.replace(apostrophe, "'")
    normalized = decoded.lower()
    if len(normalized) != len(decoded):
        pieces = [char.lower() for char in decoded]  # lengths only: "Σ" depends on context
        starts = [s for piece, s in zip(pieces, starts, strict=True) for _ in piece]
        ends = [e for piece, e in zip(pieces, ends, strict=True) for _ in piece]
    low_starts, low_ends = starts, ends
    return [
        Span(match.group(0), low_starts[match.start()], low_ends[match.end() - 1])
        for match in _TOKEN.finditer(normalized)
    ]
