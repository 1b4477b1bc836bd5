"""What the command line prints: terminal-safe text, JSON lines, warnings, the progress
bar, and the one ``error:`` line a user mistake becomes.

Every byte a review or a file name brings to the terminal goes through ``terminal_text``
(or ``json_line``), so a review cannot act on the terminal.
"""

from __future__ import annotations

import contextlib
import json
import re

import typer

SNIPPET = 60  # characters of a review shown in the plain prediction table
# C0 controls but tab and line feed, DEL and C1 controls (a terminal acts on them all).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """``text`` safe for a terminal: control characters escaped (``\\x1b``), so a review
    cannot set the window title, clear the screen or write the clipboard (OSC 52)."""
    return CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def echo(text: str = "") -> None:
    """One line on stdout, escaped for the terminal."""
    typer.echo(terminal_text(text))


def warn(text: str) -> None:
    """One ``warning:`` line on stderr, escaped for the terminal."""
    typer.echo(f"warning: {terminal_text(text)}", err=True)


def error_line(message: str) -> None:
    """The one ``error: ...`` line on stderr a user mistake becomes (whitespace folded, so
    a message is always one line)."""
    typer.echo(f"error: {terminal_text(' '.join(message.split()))}", err=True)


def snippet(text: str) -> str:
    """A review's first ``SNIPPET`` characters on one line, for a table cell."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 3] + "..."


def json_line(record: dict) -> str:
    """One JSON object on one line. Text stays readable (not ASCII-escaped), except the
    characters that tools splitting on Unicode line breaks would cut a line at and the
    control characters a terminal would act on."""
    line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    for character, escaped in (("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        line = line.replace(character, escaped)
    # JSON escapes C0 controls itself; DEL and C1 controls (U+0085 among them) it keeps raw.
    return CONTROL_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", line)


def lines_named(lines: list[int], limit: int = 10) -> str:
    """``1, 2, 3 and 7 more``: which lines, without flooding the terminal."""
    listed = ", ".join(str(line) for line in lines[:limit])
    return listed + (f" and {len(lines) - limit} more" if len(lines) > limit else "")


@contextlib.contextmanager
def progress_bar(what: str):
    """A progress bar on a terminal (share of the input's bytes done, rows scored and
    rows/s this run, time left); nothing otherwise. Yields ``update(done, total, rows)``."""
    import time

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    started = time.perf_counter()
    with Progress(
        TextColumn(what),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(what, total=None, rows=0, rate=0.0)

        def update(done: int, total: int, rows: int) -> None:
            rate = rows / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, rows=rows, rate=rate)

        yield update
