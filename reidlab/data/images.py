"""Decoding image files into one uint8 array, and the on-disk cache that makes a reload instant.

The cache stores the decoded, resized images of a file list under ``$REIDLAB_CACHE`` (default
``~/.cache/reidlab``). Its key covers the file names, sizes and modification times and the target
size, so an edited or replaced file is decoded again. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from reidlab.errors import ImageReadError

Size = tuple[int, int]  # (height, width)


def cache_dir() -> Path:
    return Path(os.environ.get("REIDLAB_CACHE", Path.home() / ".cache" / "reidlab"))


def read_image(path: Path, size: Size) -> np.ndarray:
    """One image as ``(H, W, 3)`` uint8 RGB, resized (bilinear, antialiased) to ``size``."""
    try:
        with Image.open(path) as img:
            img = img.convert("RGB").resize((size[1], size[0]), Image.BILINEAR)
            return np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageReadError(
            f"cannot decode image {path}: {exc}. Replace the file with a valid copy from the "
            "dataset's release (the SHA256SUMS beside the datasets list the expected contents)."
        ) from None


def _cache_key(root: Path, relpaths: list[str], size: Size) -> str:
    digest = hashlib.sha1(f"{size}".encode())
    for rel in relpaths:
        stat = (root / rel).stat()
        digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def read_images(root: Path, relpaths: list[str], size: Size, use_cache: bool = True) -> np.ndarray:
    """All of ``relpaths`` (relative to ``root``) as ``(N, H, W, 3)`` uint8, via the cache."""
    path = cache_dir() / f"{_cache_key(root, relpaths, size)}.npy" if use_cache else None
    if path is not None and path.exists():
        return np.load(path)
    with ThreadPoolExecutor(max_workers=4) as pool:  # PIL decoding releases the GIL
        images = np.stack(list(pool.map(lambda rel: read_image(root / rel, size), relpaths)))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                np.save(f, images)
            os.replace(tmp, path)
        except OSError as exc:  # the cache only saves time: go on without it
            if "tmp" in locals():
                tmp.unlink(missing_ok=True)
            warnings.warn(f"image cache {path.parent} not written ({exc.strerror or exc}); set REIDLAB_CACHE "
                          "to a writable folder to decode the images once only", stacklevel=2)
    return images
