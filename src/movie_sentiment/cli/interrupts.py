"""Ctrl-C on the command line: remembered, and held while Keras starts up.

A KeyboardInterrupt raised inside JAX's start-up was lost in its garbage-collector
callback (the command then went on: every score printed, a whole run trained) or crashed
the process; so while Keras starts, Ctrl-C only sets ``INTERRUPTED``, acted on after.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

# Set by Ctrl-C (``_on_interrupt``); while Keras starts up, Ctrl-C only sets it.
INTERRUPTED = threading.Event()
_DEFERRING = threading.Event()


def stop_if_interrupted() -> None:
    """Stop (exit 130, nothing printed) if Ctrl-C came while it could not act."""
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_held():
    """Ctrl-C held until the block is done, then acted on (Keras, JAX and XLA start up
    in it)."""
    _DEFERRING.set()
    try:
        yield
    finally:
        _DEFERRING.clear()
    stop_if_interrupted()


def load_model(bundle: Path):
    """``SentimentModel.load(bundle)``, Ctrl-C held meanwhile, as Keras starts up in it."""
    with interrupts_held():
        from movie_sentiment.bundle import SentimentModel

        return SentimentModel.load(bundle)


def start_keras() -> None:
    """Import Keras (and JAX) with Ctrl-C held, so it is not lost in their start-up."""
    with interrupts_held():
        import keras  # noqa: F401


def forget_caught_interrupt() -> None:
    """After a Ctrl-C the command caught (exit 130): keep CPython from ending the process
    by SIGINT anyway. When the KeyboardInterrupt rises inside code run by ``exec`` or
    ``eval`` of a string (a dataclass's ``__init__`` or a namedtuple being made while a
    module is imported), CPython 3.11 marks it unhandled, even though we catch it, and at
    exit (under ``python -m movie_sentiment.cli``) kills the process with SIGINT: exit -2,
    not 130. It clears that mark each time it runs a string, so one harmless string is
    run."""
    exec("pass", {})  # CPython's run_eval_code_obj clears the mark as it starts


def _on_interrupt(signum, frame) -> None:
    """Ctrl-C: remember it (``INTERRUPTED``), then raise KeyboardInterrupt as usual, unless
    Keras is starting up (``interrupts_held`` acts on it when done)."""
    INTERRUPTED.set()
    if not _DEFERRING.is_set():
        signal.default_int_handler(signum, frame)


@contextlib.contextmanager
def interrupts_remembered():
    """``_on_interrupt`` as the Ctrl-C handler for one command (not where Ctrl-C is
    ignored, or off the main thread, where no handler can be set)."""
    INTERRUPTED.clear()
    usual = signal.getsignal(signal.SIGINT)
    if usual is not signal.default_int_handler or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, usual)
