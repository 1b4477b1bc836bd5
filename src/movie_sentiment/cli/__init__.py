"""The ``movie-sentiment`` command: data, families, train, evaluate, predict, explain,
report, score, serve.

A front end only: every command (one module each) composes library calls and prints
through ``rendering``. User mistakes (``MovieSentimentError``, and Click's usage errors
such as ``--epochs abc``) become one ``error:`` line on stderr and exit code 2, never a
traceback or a box.

Heavy libraries (Keras, scikit-learn) are imported inside the commands that use them, so
``--help`` answers at once.
"""

from __future__ import annotations

import sys

import typer
from typer.exceptions import TyperException

from movie_sentiment.cli import data, evaluate, explain, families, predict, report, score, serve
from movie_sentiment.cli import train as train_module
from movie_sentiment.cli.interrupts import (
    INTERRUPTED,
    forget_caught_interrupt,
    interrupts_remembered,
)
from movie_sentiment.cli.rendering import error_line, terminal_text
from movie_sentiment.errors import MovieSentimentError

__all__ = ["INTERRUPTED", "app", "main", "terminal_text"]

app = typer.Typer(
    help="Sentiment of movie reviews: the Keras IMDB tutorials as a tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
data_app = typer.Typer(help="Look at the IMDB data.", no_args_is_help=True)
app.add_typer(data_app, name="data")
data_app.command("info")(data.data_info)
data_app.command("show")(data.data_show)
app.command("families")(families.families_command)
app.command("train")(train_module.train_command)
app.command("evaluate")(evaluate.evaluate_command)
app.command("predict")(predict.predict_command)
app.command("explain")(explain.explain_command)
app.command("report")(report.report_command)
app.command("score")(score.score_command)
app.command("serve")(serve.serve_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors for user mistakes, exit code 2."""
    try:
        with interrupts_remembered():
            code = app(args=argv, standalone_mode=False, prog_name="movie-sentiment")
    except MovieSentimentError as error:
        error_line(str(error))
        sys.exit(error.exit_code)
    except TyperException as error:  # Click's usage errors: --epochs abc, --epoch
        if type(error).__name__ == "NoArgsIsHelpError":
            error.show()  # a bare command shows its help
            sys.exit(2)
        context = getattr(error, "ctx", None)
        where = context.command_path if context is not None else "movie-sentiment"
        error_line(f"{error.format_message()} (see: {where} --help)")
        sys.exit(2)
    except typer.Abort:  # end of input where a prompt waited
        error_line("input ended")
        sys.exit(1)
    if code == 130:  # Typer turns Ctrl-C into exit code 130; say what happened
        error_line("interrupted (Ctrl-C)")
        forget_caught_interrupt()
    sys.exit(code if isinstance(code, int) else 0)
