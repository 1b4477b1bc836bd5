"""User-facing errors: one exception type per kind of mistake.

The CLI turns any ``MovieSentimentError`` into a one-line message and a non-zero exit;
the service turns it into a 4xx JSON body. Anything else is a bug and keeps its traceback.

Each type also derives from the built-in exception a Python user would expect, so code
written against Keras or the standard library (``except ValueError``,
``except FileNotFoundError``) catches ours too.
"""


class MovieSentimentError(Exception):
    """Base class of every error that is the user's to fix."""

    exit_code = 2


class DataNotFoundError(MovieSentimentError, FileNotFoundError):
    """The IMDB archive (or a user's data file) is not where it was said to be."""


class InvalidDataError(MovieSentimentError, ValueError):
    """A data file exists but is not what it should be (corrupt, wrong layout)."""


class DownloadError(MovieSentimentError):
    """Downloading the dataset failed (network, HTTP status, checksum)."""


class InvalidInputError(MovieSentimentError, ValueError):
    """Input text or an input file cannot be used (empty, not UTF-8, unknown format)."""


class UnknownFamilyError(MovieSentimentError, ValueError):
    """A model family name that the registry does not know."""


class ConfigError(MovieSentimentError, ValueError):
    """A configuration value is out of range or of the wrong type."""


class BundleError(MovieSentimentError, ValueError):
    """A path is not a readable model bundle (missing, truncated, foreign, inconsistent)."""


class OutputExistsError(MovieSentimentError, FileExistsError):
    """Writing would overwrite something the user already has (use --force), or
    something that ``--force`` may not replace because it is not ours."""


class StorageError(MovieSentimentError, OSError):
    """A file or folder cannot be written: no permission, read-only, disk full."""


class OutputBusyError(MovieSentimentError):
    """Another process is writing the same output right now (it holds its lock)."""


class ModelFailedError(MovieSentimentError):
    """The model gave no score for any review (damaged weights): not the input's fault."""

    exit_code = 1


class WorkerDiedError(MovieSentimentError):
    """A worker process scoring a batch job died (killed, out of memory): not the input's
    fault; the finished parts are kept, so the same command resumes."""

    exit_code = 1
