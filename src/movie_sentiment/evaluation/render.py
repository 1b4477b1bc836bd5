"""Explanations drawn for people: a review cut into plain and scored pieces, and one
self-contained HTML page (no scripts, no fonts or styles from elsewhere; every piece of
review text escaped, so a review holding ``<script>`` shows as text).

Works on plain data (``Scores.row(i)`` with the review's ``text``), so any front end can
use it without the bundle.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence

GREEN, RED = (22, 163, 74), (220, 38, 38)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def segments(text: str, tokens: list[dict]) -> list[tuple[str, float | None]]:
    """``text`` as consecutive pieces: each token with its contribution, and the text
    between tokens with None."""
    pieces, position = [], 0
    for token in sorted(tokens, key=lambda t: t["start"]):
        if token["start"] > position:
            pieces.append((text[position : token["start"]], None))
        pieces.append((text[token["start"] : token["end"]], token["contribution"]))
        position = token["end"]
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces


def strongest(tokens: list[dict]) -> float:
    """The largest absolute contribution (1.0 when there is none), to scale colors."""
    return max((abs(t["contribution"]) for t in tokens), default=0.0) or 1.0


def top_words(tokens: list[dict], count: int = 10) -> tuple[list[dict], list[dict]]:
    """The ``count`` tokens adding most for positive, and most against. A word written
    several times is listed once, with its contributions summed."""
    merged: dict[str, float] = {}
    for token in tokens:
        key = token["text"].lower()
        merged[key] = merged.get(key, 0.0) + token["contribution"]
    ranked = sorted(merged.items(), key=lambda item: item[1])
    against = [{"text": w, "contribution": v} for w, v in ranked[:count] if v < 0]
    positive = [{"text": w, "contribution": v} for w, v in reversed(ranked[-count:]) if v > 0]
    return positive, against


def _color(contribution: float, scale: float) -> str:
    red, green, blue = GREEN if contribution > 0 else RED
    alpha = min(1.0, abs(contribution) / scale) * 0.75
    return f"rgba({red}, {green}, {blue}, {alpha:.3f})"


def _summary(item: dict) -> str:
    parts = [f"<strong>{html.escape(str(item.get('label')))}</strong>"]
    if item.get("probability") is not None:
        parts.append(f"probability of positive {item['probability']:.3f}")
    if item.get("stars") is not None:
        parts.append(f"{item['stars']} of 10 stars")
    if item.get("chunks", 1) > 1:
        parts.append(f"read in {item['chunks']} chunks")
    return " · ".join(parts)


def _data_attributes(item: dict, fields: Sequence[str]) -> str:
    """``fields`` of ``item`` as ``data-NAME`` attributes holding JSON values, so the page
    carries the whole score record for a script or a test to read."""
    return "".join(
        f' data-{name}="{html.escape(json.dumps(item[name], ensure_ascii=False))}"'
        for name in fields
    )


def review_html(item: dict, count: int = 10, fields: Sequence[str] = ()) -> str:
    """One explained review as an HTML fragment; ``fields``: the keys of ``item`` (the
    score record's, from the caller) also written as ``data-`` attributes."""
    explanation = item["explanation"]
    tokens = explanation["tokens"]
    scale = strongest(tokens)
    body = []
    for piece, value in segments(item["text"], tokens):
        escaped = html.escape(piece)
        if value is None:  # between words: the reviews' <br /> tags read as line breaks
            body.append(html.escape(_BREAK.sub("\n", piece)))
        else:
            body.append(
                f'<span class="w" style="background:{_color(value, scale)}" '
                f'title="{value:+.4f}">{escaped}</span>'
            )
    positive, against = top_words(tokens, count)

    def listing(words: list[dict]) -> str:
        if not words:
            return "<li>(none)</li>"
        return "".join(
            f"<li>{html.escape(w['text'])} <code>{w['contribution']:+.3f}</code></li>"
            for w in words
        )

    return (
        f'<section class="review"{_data_attributes(item, fields)}>'
        f"<p class=summary>{_summary(item)}</p>"
        f'<p class="text">{"".join(body)}</p>'
        '<div class="lists">'
        f"<div><h3>For positive</h3><ol>{listing(positive)}</ol></div>"
        f"<div><h3>Against</h3><ol>{listing(against)}</ol></div>"
        "</div>"
        f"<p class=method>logit {explanation['logit']:+.3f} = base {explanation['base']:+.3f}"
        f" + words {explanation['logit'] - explanation['base'] - explanation['gap']:+.3f}"
        f" + unexplained {explanation['gap']:+.3f} · {html.escape(explanation['method'])}</p>"
        "</section>"
    )


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1f2937; }
h1 { font-size: 1.4rem; } h3 { font-size: 1rem; margin: 0.4rem 0; }
.review { border: 1px solid #d1d5db; border-radius: 8px; padding: 1rem; margin: 1rem 0; }
.text { line-height: 1.9; white-space: pre-wrap; }
.w { border-radius: 3px; padding: 0 1px; }
.lists { display: flex; gap: 3rem; }
.method { color: #6b7280; font-size: 0.85rem; }
code { font-size: 0.85rem; }
"""


def explanations_page(
    items: list[dict], title: str, note: str = "", fields: Sequence[str] = ()
) -> str:
    """A whole HTML page of explained reviews (``items``: score rows with ``text``; each
    of ``fields`` written on its review as a ``data-`` attribute too)."""
    reviews = "".join(review_html(item, fields=fields) for item in items)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(note)}</p>"
        "<p>Words in green push the score toward positive, words in red toward negative; "
        "the stronger the color, the larger the push. Hover a word for its contribution to "
        "the logit.</p>"
        f"{reviews}</body></html>"
    )
