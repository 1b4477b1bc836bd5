"""One self-contained HTML page per run: the card, the metrics, every plot (embedded as
data URIs) and a few explained test reviews. No scripts, nothing fetched from elsewhere;
every text from a review or a file is escaped."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from movie_sentiment.evaluation.render import STYLE, review_html

PLOTS = [
    ("accuracy.png", "Training and validation accuracy per epoch"),
    ("loss.png", "Training and validation loss per epoch"),
    ("confusion_matrix.png", "Confusion matrix (test)"),
    ("reliability.png", "Reliability before and after temperature scaling (test)"),
    ("risk_coverage.png", "Accuracy of the answered reviews against the share answered"),
    ("stars_confusion.png", "Stars: true against predicted (test)"),
    ("ratings_confusion.png", "Stars: true against predicted (test)"),  # runs before 0.x
]
REPORT_STYLE = """
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
td, th { border: 1px solid #d1d5db; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f3f4f6; } td:first-child, th:first-child { text-align: left; }
figure { display: inline-block; margin: 0.5rem; max-width: 45%; vertical-align: top; }
figure img { max-width: 100%; } figcaption { font-size: 0.85rem; color: #4b5563; }
pre { background: #f9fafb; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
"""


def _figure(folder: Path, name: str, caption: str) -> str:
    path = Path(folder) / name
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    return html.escape(str(value))


def _table(rows: list[tuple], header: tuple | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header) if header else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{_number(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table>{f'<tr>{head}</tr>' if head else ''}{body}</table>"


def _page_head(title: str, note: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{STYLE}{REPORT_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(note)}</p>"
    )


def _explained(examples: list[dict]) -> str:
    return "".join(
        f"<h3>{html.escape(item['title'])}</h3>{review_html(item, 8)}" for item in examples
    )


def _metrics_tables(metrics: dict) -> str:
    names = ["accuracy", "loss", "precision", "recall", "f1", "roc_auc"]
    splits = [s for s in ("validation", "test") if s in metrics]
    parts = [
        _table(
            [(n, *(metrics[s].get(n, "") for s in splits)) for n in names],
            ("metric", *splits),
        )
    ]
    test = metrics.get("test", {})
    if "uncertain" in test:
        zone = test["uncertain"]
        parts.append("<h3>Uncertain zone (test)</h3>")
        parts.append(
            _table(
                [
                    (
                        f"{zone['target_accuracy']:.0%}",
                        f"{zone['band'][0]:.3f} - {zone['band'][1]:.3f}"
                        + (
                            f" (texts under {zone['short_under_words']} tokens: "
                            f"{zone['short_band'][0]:.3f} - {zone['short_band'][1]:.3f})"
                            if "short_band" in zone
                            else ""
                        ),
                        zone["coverage"],
                        zone["answered_accuracy"] if zone["answered_accuracy"] is not None else "-",
                        zone["aurc"],
                    )
                ],
                ("target", "uncertain band", "share answered", "their accuracy", "AURC"),
            )
        )
    if "cross_validation" in metrics:
        parts.append(_cross_validation_table(metrics["cross_validation"]))
    if "stars" in test:
        ours, baseline = test["stars"], test.get("stars_baseline", {})
        parts.append("<h3>Stars (test)</h3>")
        keys = ["mae", "rmse", "exact", "within_one"]
        parts.append(
            _table(
                [(k, ours[k], baseline.get(k, "")) for k in keys],
                ("", "this model", "polarity then class median"),
            )
        )
    return "".join(parts)


def _cross_validation_table(summary: dict) -> str:
    """A cross-validated run's figures (``training.cross_validation``): per figure its
    mean and standard deviation over the folds, then each fold's."""
    folds = summary["per_fold"]

    def shown(value):
        return "-" if value is None else value

    rows = [
        (name, shown(summary["mean"][name]), shown(summary["sd"][name]),
         *(shown(fold[name]) for fold in folds))
        for name in summary["mean"]
    ]  # fmt: skip
    rows.append(("held-out reviews", "", "", *(fold["reviews"] for fold in folds)))
    header = ("figure", "mean", "sd", *(f"fold {i + 1}" for i in range(len(folds))))
    return (
        f"<h3>Cross-validation ({summary['folds']} folds, seed {summary['seed']})</h3>"
        "<p>Each fold measured by a model trained on the other folds; the saved model "
        f"is trained on all the reviews.</p>{_table(rows, header)}"
    )


def _accuracy_when_trained(metrics: dict) -> tuple:
    """The evaluation page's row of the model's own held-out accuracy: its test split's,
    or a cross-validated run's mean over the folds."""
    if "test" not in metrics and "cross_validation" in metrics:
        folds = metrics["cross_validation"]
        return (f"accuracy over {folds['folds']} folds when trained", folds["mean"]["accuracy"])
    return ("test accuracy when trained", metrics.get("test", {}).get("accuracy"))


def report_html(folder: Path, card: dict, examples: list[dict], note: str = "") -> str:
    """The page for the run in ``folder`` (its plots are read from there), with its card
    and ``examples`` (score rows with ``text``, ``title`` and an ``explanation``)."""
    title = f"{card.get('family', 'model')} run report"
    metrics = card.get("metrics", {})
    summary = [
        ("family", card.get("family")),
        ("parameters", f"{card.get('parameters') or 0:,}"),
        ("trained", card.get("created")),
        ("train seconds", card.get("train_seconds")),
        ("epochs run / kept", f"{card.get('epochs_run')} / {card.get('epoch_kept')}"),
        ("temperature", card.get("calibration", {}).get("temperature")),
        ("data sha256", str(card.get("data", {}).get("sha256", ""))[:16] + "..."),
        (
            "reviews (train / validation / test)",
            "{} / {} / {}".format(
                *(
                    card.get("data", {}).get(k)
                    for k in ("train_reviews", "validation_reviews", "test_reviews")
                )
            ),
        ),
    ]
    teacher = card.get("initialization", {}).get("teacher")
    if teacher:  # a distilled model (fast): who taught it, and how well it scored
        summary.append(
            (
                "teacher",
                f"{teacher.get('family')} ({teacher.get('source')}): validation accuracy "
                f"{teacher.get('validation_accuracy')}, test {teacher.get('test_accuracy')}",
            )
        )
    plots = "".join(_figure(folder, name, caption) for name, caption in PLOTS)
    explained = _explained(examples)
    return (
        _page_head(title, note) + f"<h2>Model</h2>{_table(summary)}"
        f"<h2>Metrics</h2>{_metrics_tables(metrics)}"
        f"<h2>Plots</h2>{plots}"
        f"<h2>Explained test reviews</h2>"
        f"{explained or '<p>No test reviews were available to explain.</p>'}"
        "<h2>Settings</h2>"
        f"<pre>{html.escape(json.dumps(card.get('config', {}), indent=2))}</pre>"
        "</body></html>"
    )


def _measured_tables(figures: dict) -> str:
    names = ["accuracy", "loss", "precision", "recall", "f1", "roc_auc"]
    calibration = figures["calibration"]
    zone = figures["uncertain"]
    shift = figures["shift"]
    training = shift.get("training_length_words") or {}
    parts = [
        _table([(n, figures.get(n) if figures.get(n) is not None else "-") for n in names]),
        "<h3>Calibration</h3>",
        _table(
            [
                ("ECE", calibration["ece_before"], calibration["ece_after"]),
                ("Brier", calibration["brier_before"], calibration["brier_after"]),
            ],
            ("", "before the temperature", "after"),
        ),
        "<h3>Uncertain zone</h3>",
        _table(
            [(zone["coverage"], zone["answered"], zone["answered_accuracy"] or "-")],
            ("share answered", "reviews answered", "their accuracy"),
        ),
    ]
    stars = figures.get("stars")
    if stars and stars["mae"] is not None:
        parts += [
            "<h3>Stars</h3>",
            _table([(stars["mae"], stars["exact"], stars["count"])], ("MAE", "exact", "rated")),
        ]
    lengths = shift["length_words"]
    parts += [
        "<h3>How different is this data</h3>",
        _table(
            [
                ("length in words, 10th / 50th / 90th percentile",
                 " / ".join(str(lengths.get(k, "-")) for k in ("p10", "p50", "p90")),
                 " / ".join(str(training.get(k, "-")) for k in ("p10", "p50", "p90"))),
                ("unknown words", f"{shift['unknown_word_share']:.1%}", ""),
                (f"texts under {shift['short_words']} words", f"{shift['short_share']:.1%}", ""),
            ],
            ("", "this data", "training data"),
        ),
    ]  # fmt: skip
    return "".join(parts)


def evaluation_html(
    card: dict, figures: dict, data: dict, examples: list[dict], note: str = ""
) -> str:
    """The page of one model measured on one labeled data set (``bundle.measure``'s
    ``figures``; ``data``: what was read, as ``LabeledReviews.describe`` gives it, and
    its ``notes``), with explained ``examples`` as in the run report."""
    source = data.get("source", "the data")
    title = f"{card.get('family', 'model')} on {source}"
    trained_on = card.get("data", {})
    summary = [
        ("model", f"{card.get('family')} trained {card.get('created')}"),
        ("trained on", trained_on.get("source", "IMDB")),
        _accuracy_when_trained(card.get("metrics", {})),
        ("data", source),
        ("reviews measured", figures.get("count")),
        ("columns", ", ".join(f"{k}: {v}" for k, v in data.get("columns", {}).items() if v)),
        ("data sha256", str(data.get("sha256", ""))[:16] + "..."),
    ]
    notes = "".join(f"<li>{html.escape(line)}</li>" for line in data.get("notes", []))
    advice = "".join(f"<li>{html.escape(line)}</li>" for line in figures.get("advice", []))
    explained = _explained(examples)
    return (
        _page_head(title, note)
        + f"<h2>Model and data</h2>{_table(summary)}"
        + (f"<h3>Read from the data</h3><ul>{notes}</ul>" if notes else "")
        + (f"<h2>What this says</h2><ul>{advice}</ul>" if advice else "")
        + f"<h2>Figures</h2>{_measured_tables(figures)}"
        f"<h2>Explained reviews</h2>"
        f"{explained or '<p>No reviews were available to explain.</p>'}"
        "</body></html>"
    )
