"""User-facing errors: each message says what went wrong and what to do about it.

The CLI prints these without a traceback; anything else escaping is a bug.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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


def writable_folder(path: str | Path, flag: str) -> Path:
    """``path`` as a folder this process can write (made if missing), checked before any work: a
    file in its place, or a read-only disk, is one clear line."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ReidlabError(f"{flag} {path} is a file, not a folder: give a folder (it is made if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".reidlab-write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ReidlabError(f"{flag} {path} cannot be written ({exc.strerror or exc}): give a writable folder") from None
    return path
