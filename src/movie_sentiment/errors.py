"""User-facing errors: one exception type per kind of mistake.

The CLI turns any ``MovieSentimentError`` into a one-line message and a non-zero exit;
the service turns it into a 4xx JSON body. Anything else is a bug and keeps its traceback.
"""


class MovieSentimentError(Exception):
    """Base class of every error that is the user's to fix."""

    exit_code = 2


class DataNotFoundError(MovieSentimentError):
    """The IMDB archive (or a user's data file) is not where it was said to be."""


class InvalidDataError(MovieSentimentError):
    """A data file exists but is not what it should be (corrupt, wrong layout)."""


class DownloadError(MovieSentimentError):
    """Downloading the dataset failed (network, HTTP status, checksum)."""


class InvalidInputError(MovieSentimentError):
    """Input text or an input file cannot be used (empty, not UTF-8, unknown format)."""


class UnknownModelError(MovieSentimentError):
    """A model family name that the registry does not know."""


class ConfigError(MovieSentimentError):
    """A configuration value is out of range or of the wrong type."""


class BundleError(MovieSentimentError):
    """A path is not a readable model bundle (missing, truncated, foreign)."""


class OutputExistsError(MovieSentimentError):
    """Writing would overwrite something the user already has (use --force)."""
