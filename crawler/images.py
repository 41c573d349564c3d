"""The content-addressed image store: every photo once, under its SHA-256.

Layout: ``<image_dir>/<sha[:2]>/<sha[2:4]>/<sha>`` (no extension; the content
type is recorded in the observation). Only images Pillow can open as JPEG, PNG,
GIF or WebP are kept, under a pixel limit that stops decompression bombs.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path
from typing import Any

import imagehash
from PIL import Image

#: Largest image accepted, in pixels (Pillow's decompression-bomb guard).
MAX_IMAGE_PIXELS = 40_000_000

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


class ImageRejected(Exception):
    """An image was not stored; ``reason`` is the stats key (``corrupt_image``, ``image_bomb``...)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def image_path(image_dir: str | os.PathLike[str], sha256: str) -> Path:
    """Where the image with this SHA-256 lives in the store (it may not exist)."""
    sha = sha256.lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError(f"Image id {sha256!r} is not a SHA-256 hex digest.")
    return Path(image_dir) / sha[:2] / sha[2:4] / sha


def inspect_image(body: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> dict[str, Any]:
    """Open ``body`` with Pillow and return its sha256, phash, size and content type.

    Raises :class:`ImageRejected` for empty, corrupt, unsupported or oversized images.
    """
    if not body:
        raise ImageRejected("empty_image")
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            # Between 1x and 2x the limit Pillow only warns; treat it as the bomb it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as img:
                fmt = img.format or ""
                if fmt not in _FORMATS:
                    raise ImageRejected("unsupported_image", fmt or "unknown format")
                width, height = img.size
                if width * height > max_pixels:
                    raise ImageRejected("image_bomb", f"{width}x{height} pixels")
                img.load()
                phash = str(imagehash.phash(img))
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image_bomb", str(exc)) from None
    except Exception as exc:  # Pillow raises many types for broken files
        raise ImageRejected("corrupt_image", f"{type(exc).__name__}: {exc}") from None
    return {
        "sha256": hashlib.sha256(body).hexdigest(),
        "phash": phash,
        "width": width,
        "height": height,
        "content_type": _FORMATS[fmt],
    }


def store_image(
    image_dir: str | os.PathLike[str], body: bytes, max_pixels: int = MAX_IMAGE_PIXELS
) -> dict[str, Any]:
    """Check and store one image once; returns the observation's image entry."""
    info = inspect_image(body, max_pixels=max_pixels)
    target = image_path(image_dir, info["sha256"])
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, target)
    info["path"] = str(target.relative_to(image_dir))
    return info
