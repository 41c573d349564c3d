"""Run costly regexes only on the parts of a text where they can match.

Each helper returns exactly what ``pattern.finditer(text)`` would: a scan is
narrowed to windows or candidate start positions that provably hold every
match, so the extractors stay fast without changing their results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

__all__ = [
    "ascii_fold_safe",
    "back_limits",
    "digit_windows",
    "finditer_at",
    "finditer_in",
    "keyword_starts",
    "lowered",
]

# Characters that unbounded quantifiers of the price and age patterns may repeat
# (whitespace and the separators of "1h --> 150", "150/u"); all others are counted.
_FREE = r"\s:=\-–>/"
# A price or age match holds at most 25 counted characters before its number and 45 after it
# (longest duration + currency + lookahead); the budgets leave a margin.
_BACK = re.compile(rf"(?:[{_FREE}]*[^{_FREE}]){{0,30}}")
_FWD = re.compile(rf"(?:[{_FREE}]*[^{_FREE}]){{0,56}}")
_RUNS = {"price": re.compile(r"\d\d+"), "age": re.compile(r"(?<!\d)\d\d(?!\d)")}
# Non-ASCII characters that IGNORECASE matches against ASCII letters (or that lower() widens).
_CASE_TRAPS = ("İ", "ı", "ſ", "K")


@lru_cache(maxsize=64)
def digit_windows(text: str, kind: str = "price") -> tuple[tuple[int, int], ...]:
    """Disjoint spans of ``text`` that hold every price (or age) match.

    A price starts its number at the start of a run of two or more digits, an
    age is a run of exactly two digits, and both have a bounded count of
    non-separator characters around the number; the windows are those
    neighbourhoods, merged where they overlap.

    Examples
    --------
    >>> t = "x" * 200 + " 150 euro " + "y" * 200
    >>> digit_windows(t)
    ((170, 259),)
    >>> digit_windows("no digits here, 1 2 3"), digit_windows("Lisa 150 euro", "age")
    ((), ())
    """
    out: list[list[int]] = []
    rev: str | None = None
    n = len(text)
    for m in _RUNS[kind].finditer(text):
        rs = m.start()
        end = _FWD.match(text, rs).end()  # type: ignore[union-attr]
        if out and rs <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
            continue
        if rev is None:
            rev = text[::-1]
        start = n - _BACK.match(rev, n - rs).end()  # type: ignore[union-attr]
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((a, b) for a, b in out)


def back_limits(text: str, positions: list[int]) -> list[int]:
    """For each position, how far back a price or age match that has its number there can start."""
    rev = text[::-1]
    n = len(text)
    back = _BACK.match
    return [n - back(rev, n - p).end() for p in positions]  # type: ignore[union-attr]


def keyword_starts(low: str, keywords: Iterable[str]) -> list[int]:
    """Every position where one of ``keywords`` occurs in ``low`` (overlaps included)."""
    out: list[int] = []
    for word in keywords:
        i = low.find(word)
        while i != -1:
            out.append(i)
            i = low.find(word, i + 1)
    return out


def finditer_in(
    pattern: re.Pattern[str], text: str, windows: Iterable[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` where every match lies inside one of the disjoint ``windows``.

    Lookbehinds and ``\\b`` still see the text before a window; the caller
    guarantees that no match nor lookahead reaches a window's end.
    """
    for a, b in windows:
        yield from pattern.finditer(text, a, b)


def finditer_at(
    pattern: re.Pattern[str], text: str, starts: Iterable[int]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern that never matches empty, given a
    sorted superset ``starts`` of the positions where a match can begin."""
    end = 0
    for p in starts:
        if p < end:
            continue
        m = pattern.match(text, p)
        if m is not None:
            yield m
            end = m.end()


@lru_cache(maxsize=32)
def lowered(text: str) -> str:
    """``text.lower()``, remembered for the last few texts."""
    return text.lower()


def ascii_fold_safe(text: str) -> bool:
    """Whether ``lowered(text)`` has the same length as ``text`` and finding a lower-case
    ASCII keyword in it finds exactly what an IGNORECASE regex for it would find."""
    return text.isascii() or not any(c in text for c in _CASE_TRAPS)
