"""The tokenizer as it was before it was vectorized (commit 80f0718), kept verbatim as the
reference the fast one must equal token for token, span for span. Not used by the package.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]*>")
_APOSTROPHES = ("\u2019", "\u2018", "`")
_TOKEN = re.compile(r"\w+(?:'\w+)*")
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


def normalize(text: str) -> str:
    text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    for apostrophe in _APOSTROPHES:
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    return text.lower()


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) of each token, as ``spans.token_spans`` gave them."""
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
    for apostrophe in _APOSTROPHES:
        decoded = decoded.replace(apostrophe, "'")
    normalized = decoded.lower()
    if len(normalized) != len(decoded):
        pieces = [char.lower() for char in decoded]
        starts = [s for piece, s in zip(pieces, starts, strict=True) for _ in piece]
        ends = [e for piece, e in zip(pieces, ends, strict=True) for _ in piece]
    return [
        (match.group(0), starts[match.start()], ends[match.end() - 1])
        for match in _TOKEN.finditer(normalized)
    ]
