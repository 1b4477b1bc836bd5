"""The one normalizer of review text, and where each normalized character came from.

Reviews are raw web text: HTML line breaks (``<br /><br />``), other tags, entities
(``&amp;``, ``&#8230;``), typographic apostrophes and mixed case. Normalizing is a short
list of rewrites (``REWRITES``), then lower case. ``normalize`` applies them to get the
text the tokenizers split; ``normalize_with_origins`` applies the very same rewrites while
remembering, for every normalized character, the span of the original it came from, so an
explanation can show each token as written (``"GREAT"``, ``"don&#39;t"``). Both read one
list, so the two cannot drift apart.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

# \w is letters, digits and underscore in any script; apostrophes join word parts.
WORD_TOKEN = re.compile(r"\w+(?:'\w+)*")


@dataclass(frozen=True)
class Rewrite:
    """Every match of ``pattern`` becomes ``replace(match)``; ``triggers``: the rule can
    only match where one of these characters is, so text without them is left untouched
    without running the pattern (most reviews have no entity)."""

    pattern: re.Pattern
    replace: Callable[[re.Match], str] | str  # a str is taken as is (no group references)
    triggers: str

    def applies_to(self, text: str) -> bool:
        for trigger in self.triggers:  # a loop: a generator costs more than the searches
            if trigger in text:
                return True
        return False

    def replacement(self, match: re.Match) -> str:
        return self.replace if isinstance(self.replace, str) else self.replace(match)


def _decoded(match: re.Match) -> str:
    return html.unescape(match.group(0))


REWRITES = (
    # Character references as html.unescape finds them (its own pattern, Python 3.4+):
    # substituting each match decoded alone is exactly html.unescape of the whole text.
    Rewrite(re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)"), _decoded, "&"),
    # Tags (``<br />``) become one space each.
    Rewrite(re.compile(r"<[^>]*>"), " ", "<"),
    # Typographic apostrophes and backticks become the plain one.
    Rewrite(re.compile("[\u2019\u2018`]"), "'", "\u2019\u2018`"),
)


def normalize(text: str) -> str:
    """Lower-case plain text: entities decoded, tags (``<br />``) replaced by spaces.

    >>> normalize("Great<br /><br />film &amp; cast")
    'great  film & cast'
    """
    for rewrite in REWRITES:
        if rewrite.applies_to(text):
            text = rewrite.pattern.sub(rewrite.replace, text)
    return text.lower()


def normalize_with_origins(text: str) -> tuple[str, list[int], list[int]]:
    """``normalize(text)``, and for each of its characters the ``text[start:end]`` it came
    from (a decoded entity's characters all come from the whole entity, a tag's space from
    the whole tag).

    >>> normalize_with_origins("A&amp;B")
    ('a&b', [0, 1, 6], [1, 6, 7])
    """
    starts = list(range(len(text)))
    ends = list(range(1, len(text) + 1))
    for rewrite in REWRITES:
        if rewrite.applies_to(text):
            text, starts, ends = _rewrite_with_origins(text, starts, ends, rewrite)
    lowered = text.lower()
    if len(lowered) != len(text):
        # ``lower()`` almost always keeps the length; when a character lengthens
        # ("İ" -> "i̇"), each is lowered alone to know which characters it became.
        pieces = [char.lower() for char in text]  # lengths only: "Σ" depends on context
        starts = [s for piece, s in zip(pieces, starts, strict=True) for _ in piece]
        ends = [e for piece, e in zip(pieces, ends, strict=True) for _ in piece]
    return lowered, starts, ends


def _rewrite_with_origins(
    text: str, starts: list[int], ends: list[int], rewrite: Rewrite
) -> tuple[str, list[int], list[int]]:
    """One rewrite, carrying the origins along: the characters a match becomes all come
    from the span of the whole match."""
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    position = 0
    for match in rewrite.pattern.finditer(text):
        pieces.append(text[position : match.start()])
        new_starts.extend(starts[position : match.start()])
        new_ends.extend(ends[position : match.start()])
        replacement = rewrite.replacement(match)
        pieces.append(replacement)
        new_starts.extend([starts[match.start()]] * len(replacement))
        new_ends.extend([ends[match.end() - 1]] * len(replacement))
        position = match.end()
    pieces.append(text[position:])
    new_starts.extend(starts[position:])
    new_ends.extend(ends[position:])
    return "".join(pieces), new_starts, new_ends
