"""The run report (``report.html``): written at the end of ``train`` and by
``movie-sentiment report RUN``; the page itself is ``evaluation.pages``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from movie_sentiment.evaluation.pages import evaluation_html, report_html
from movie_sentiment.storage import write_text_atomic
from movie_sentiment.text.tokenize import as_tokens

REPORT_FILE = "report.html"
SAMPLE = 2000  # test reviews scored to find the examples
MAX_WORDS = 150  # examples short enough to read


def can_explain(model) -> bool:
    """Whether every member's family has an ``explain`` hook: a registered family may
    leave it out (docs/adding-a-family.md), and its report then shows no examples."""
    from movie_sentiment.models import member_family

    members, _ = model.members()
    return all(
        member.family_name is not None and member_family(member.family_name).explain is not None
        for member in members
    )


def pick_examples(model, test, seed: int = 0) -> list[dict]:
    """A correct, a wrong and an uncertain test review (short ones), explained; none
    when the model's family cannot explain its scores."""
    if test is None or not len(test) or not can_explain(model):
        return []
    order = np.random.RandomState(seed).permutation(len(test))[:SAMPLE]
    lengths = as_tokens(test.select(order).encodable).lengths()
    short = order[(lengths > 0) & (lengths <= MAX_WORDS)]
    if not len(short):
        return []
    texts = [test.texts[i] for i in short]
    scores = model.score(texts)
    truth = ["positive" if test.labels[i] == 1 else "negative" for i in short]
    wanted = {
        "Scored right": lambda i: scores.label[i] == truth[i],
        "Scored wrong": lambda i: scores.label[i] not in (truth[i], "uncertain"),
        "Uncertain": lambda i: scores.label[i] == "uncertain",
    }
    chosen = []
    for title, test_of in wanted.items():
        found = next((i for i in range(len(texts)) if test_of(i)), None)
        if found is not None:
            chosen.append((title, found))
    explained = model.score([texts[i] for _, i in chosen], explain=True)
    examples = []
    for row, (title, i) in enumerate(chosen):
        item = explained.row(row)
        rating = int(test.ratings[short[i]])
        rated = f" rated {rating}/10" if rating > 0 else ""  # a user's data may have none
        examples.append(
            {
                **item,
                "text": texts[i],
                "title": f"{title}: a {truth[i]} review{rated}, scored {item['label']}",
            }
        )
    return examples


def write_report(folder: Path, model, test=None, note: str = "") -> Path:
    """``report.html`` in the run ``folder``, written atomically."""
    examples = pick_examples(model, test)
    page = report_html(Path(folder), model.card.to_dict(), examples, note)
    path = Path(folder) / REPORT_FILE
    write_text_atomic(path, page)
    return path


def write_evaluation(path: Path, model, figures: dict, data: dict, reviews=None) -> Path:
    """The page of ``model`` measured on a labeled data set (``evaluation_html``) at
    ``path``, written atomically, with explained examples from ``reviews``."""
    examples = pick_examples(model, reviews)
    page = evaluation_html(model.card.to_dict() if model.card else {}, figures, data, examples)
    write_text_atomic(Path(path), page)
    return Path(path)
