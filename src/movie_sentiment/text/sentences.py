"""Sentences of a review, for short-text training examples and the short-text benchmark.

A sentence ends at ``.``, ``!`` or ``?`` (a closing quote or bracket may follow) before
white space, or at a line break (``<br />`` in IMDB's text). Abbreviations ("Mr. Smith")
split where they should not; the short-text examples and figures only need sentences
roughly, and "7.5/10" stays whole because no space follows its point.
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Fixed-width look-behinds (Python's re needs them): the end mark, or the mark then one
# closing quote or bracket; or any line break.
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"')\]])\s+|\s*\n\s*")
_WORD = re.compile(r"\w")


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` that hold a word, in order.

    >>> sentences("Great cast.<br /><br />But the plot? Dull! (Sadly.) 7.5/10")
    ['Great cast.', 'But the plot?', 'Dull!', '(Sadly.)', '7.5/10']
    """
    parts = _BOUNDARY.split(_BREAK.sub("\n", text))
    return [part.strip() for part in parts if _WORD.search(part)]


def last_sentences(text: str, count: int) -> str:
    """The last ``count`` sentences of ``text`` joined by a space (the whole text when it
    has fewer; the text itself when no sentence holds a word).

    >>> last_sentences("Slow start. Great ending! Loved it.", 2)
    'Great ending! Loved it.'
    """
    found = sentences(text)
    return " ".join(found[-count:]) if found else text


def trailing_snippets(texts, count: int) -> tuple[list[str], list[int]]:
    """Short examples carved from reviews: each review's last sentence, its last two, ...
    up to its last ``count``, each only when shorter than the review itself. Returns the
    snippets and, for each, the index of the review it came from (whose label it takes).

    >>> trailing_snippets(["Dull start. Fine middle. Great end!", "One line only."], 2)
    (['Great end!', 'Fine middle. Great end!'], [0, 0])
    """
    snippets, sources = [], []
    for index, text in enumerate(texts):
        found = sentences(text)
        for size in range(1, min(count, len(found) - 1) + 1):
            snippets.append(" ".join(found[-size:]))
            sources.append(index)
    return snippets, sources
