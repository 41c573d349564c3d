"""Abstract demo photos drawn with Pillow: gradients, shapes and patterns, no people, no text.

A photo is named by ``(seed, variant)``; the same name always gives the same
JPEG bytes. Variants of one seed are the re-used photo of a photo network:
resized, slightly cropped (at most 5 % a side), re-encoded at another JPEG
quality, or grayscale.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

WIDTH, HEIGHT = 320, 240
_SCALE = 4
VARIANTS = ("orig", "resize", "crop", "quality", "gray", "crop-gray")


@dataclass(frozen=True)
class PhotoSpec:
    """The name of one generated photo."""

    seed: int
    variant: str = "orig"
    corrupt: bool = False


def _palette(rng: random.Random) -> list[tuple[int, int, int]]:
    base = rng.random()
    colors = []
    for i in range(5):
        h = (base + i * rng.uniform(0.12, 0.35)) % 1.0
        colors.append(_hsv(h, rng.uniform(0.4, 1.0), rng.uniform(0.25, 1.0)))
    return colors


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return int(r * 255), int(g * 255), int(b * 255)


def base_image(seed: int) -> Image.Image:
    """The original abstract picture for ``seed`` (RGB, 320x240)."""
    rng = random.Random(f"photo:{seed}")
    colors = _palette(rng)
    # Background: a linear gradient in a random direction between two palette colours.
    # Drawn at a quarter of the size and scaled up: fast, and smooth enough that a
    # slight crop or re-encode keeps the perceptual hash.
    w, h = WIDTH // _SCALE, HEIGHT // _SCALE
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx / w) * np.cos(angle) + (yy / h) * np.sin(angle)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    c0, c1 = np.array(colors[0], np.float32), np.array(colors[1], np.float32)
    arr = c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]
    img = Image.fromarray(arr.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    # A pattern layer: stripes or a checker block, so images differ in structure too.
    if rng.random() < 0.5:
        step = rng.randint(10, 20)
        color = colors[2]
        for x in range(-h, w, step * 2):
            draw.polygon([(x, 0), (x + step, 0), (x + step + h, h), (x + h, h)], fill=color)
    else:
        cell = rng.randint(10, 20)
        x0, y0 = rng.randint(0, w // 2), rng.randint(0, h // 2)
        for i in range(rng.randint(2, 5)):
            for j in range(rng.randint(2, 4)):
                if (i + j) % 2 == 0:
                    x, y = x0 + i * cell, y0 + j * cell
                    draw.rectangle([x, y, x + cell, y + cell], fill=colors[2])
    # Big shapes in strong colours.
    for _ in range(rng.randint(3, 6)):
        kind = rng.choice(["ellipse", "rect", "poly"])
        color = rng.choice(colors[2:] + [(245, 245, 240), (15, 15, 25)])
        x, y = rng.randint(-10, w), rng.randint(-10, h)
        sw, sh = rng.randint(12, 45), rng.randint(12, 40)
        if kind == "ellipse":
            draw.ellipse([x, y, x + sw, y + sh], fill=color)
        elif kind == "rect":
            draw.rectangle([x, y, x + sw, y + sh], fill=color)
        else:
            pts = [
                (x + rng.randint(0, sw), y + rng.randint(0, sh)) for _ in range(rng.randint(3, 6))
            ]
            draw.polygon(pts, fill=color)
    return img.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)


def _encode(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, optimize=False)
    return buf.getvalue()


def render(spec: PhotoSpec) -> bytes:
    """The JPEG bytes of ``spec``; the same spec always gives the same bytes."""
    img = base_image(spec.seed)
    rng = random.Random(f"variant:{spec.seed}:{spec.variant}")
    quality = 88
    if spec.variant in ("crop", "crop-gray"):
        dx = int(WIDTH * rng.uniform(0.02, 0.04))
        dy = int(HEIGHT * rng.uniform(0.02, 0.04))
        left, top = dx // 2 + rng.randint(-2, 2), dy // 2 + rng.randint(-2, 2)
        img = img.crop((left, top, WIDTH - (dx - left), HEIGHT - (dy - top)))
    if spec.variant == "resize":
        scale = rng.choice([0.75, 0.8, 1.25, 1.5])
        img = img.resize((int(WIDTH * scale), int(HEIGHT * scale)), Image.Resampling.BILINEAR)
    if spec.variant in ("gray", "crop-gray"):
        img = img.convert("L")
    if spec.variant == "quality":
        quality = rng.choice([45, 55, 65, 72])
    data = _encode(img, quality)
    if spec.corrupt:
        # A truncated JPEG: the header is fine, the scan data stops half-way.
        data = data[: len(data) // 2]
    return data
