"""User-facing errors: each message says what went wrong and what to do about it.

The CLI prints these without a traceback; anything else escaping is a bug.
"""


class ReidlabError(Exception):
    """Base class for errors caused by input (data, config, arguments), not by the code."""


class DatasetNotFoundError(ReidlabError):
    """A dataset is not where the data root says it should be."""


class DatasetFormatError(ReidlabError):
    """A dataset's files are there but do not follow its layout (names, labels)."""


class ImageReadError(ReidlabError):
    """An image file exists but cannot be decoded."""


class ConfigError(ReidlabError):
    """A config value or CLI argument is not allowed."""
