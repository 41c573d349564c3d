"""Run costly regexes only on the parts of a text where they can match.

The extractors call ``pattern.match`` only at candidate start positions that
provably include every position where ``pattern.finditer(text)`` would find a
match (:func:`finditer_at`), so they stay fast without changing their results.
"""

from __future__ import annotations

import re
import re._constants as _c
import re._parser as _parser
from collections.abc import Iterable, Iterator
from functools import lru_cache

__all__ = [
    "ascii_fold_safe",
    "back_limits",
    "digit_runs",
    "finditer_at",
    "keyword_starts",
    "lowered",
    "start_finder",
]

# Characters that unbounded quantifiers of the price and age patterns may repeat
# (whitespace and the separators of "1h --> 150", "150/u"); all others are counted.
_FREE = r"\s:=\-–>/"
# A price or age match holds at most 25 counted characters before its number (longest
# duration + currency); the budget leaves a margin.
_BACK = re.compile(rf"(?:[{_FREE}]*[^{_FREE}]){{0,30}}")
# Non-ASCII characters that IGNORECASE matches against ASCII letters (or that lower() widens).
_CASE_TRAPS = ("\u0130", "\u0131", "\u017f", "\u212a")  # İ ı ſ and the Kelvin sign


def back_limits(text: str, positions: list[int], counted: int = 30) -> list[int]:
    """For each position, how far back a price or age match that has its number there can start.

    That is the start of the ``counted`` characters before it, not counting
    whitespace and the separators price and age patterns repeat freely.
    """
    rev = text[::-1]
    n = len(text)
    back = (_BACK if counted == 30 else _back(counted)).match
    return [n - back(rev, n - p).end() for p in positions]  # type: ignore[union-attr]


@lru_cache(maxsize=8)
def _back(counted: int) -> re.Pattern[str]:
    return re.compile(rf"(?:[{_FREE}]*[^{_FREE}]){{0,{counted}}}")


def keyword_starts(low: str, keywords: Iterable[str]) -> list[int]:
    """Every position where one of ``keywords`` occurs in ``low`` (overlaps included)."""
    out: list[int] = []
    for word in keywords:
        i = low.find(word)
        while i != -1:
            out.append(i)
            i = low.find(word, i + 1)
    return out


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


_DIGIT_RUN = re.compile(r"\d\d+")


@lru_cache(maxsize=32)
def digit_runs(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the runs of two digits or more in ``text``, remembered for the last few texts.

    Examples
    --------
    >>> digit_runs("Bel 06-12345678, 1 uur")
    ((4, 6), (7, 15))
    """
    return tuple(map(re.Match.span, _DIGIT_RUN.finditer(text)))


@lru_cache(maxsize=32)
def lowered(text: str) -> str:
    """``text.lower()``, remembered for the last few texts."""
    return text.lower()


def ascii_fold_safe(text: str) -> bool:
    """Whether ``lowered(text)`` has the same length as ``text`` and finding a lower-case
    ASCII keyword in it finds exactly what an IGNORECASE regex for it would find."""
    return text.isascii() or not any(c in text for c in _CASE_TRAPS)


def start_finder(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A fast regex that finds every position where ``pattern`` can start a match.

    Built from the characters a match can begin with (and a word boundary in
    front of them when every alternative asks for one); None when the pattern
    is too general for that (it can match empty, or start with ``.`` or ``\\d``).
    Use with :func:`finditer_at`.

    Examples
    --------
    >>> finder = start_finder(re.compile(r"\\bnew|\\b24/7", re.I))
    >>> [m.start() for m in finder.finditer("New, renew, 24/7 and 124")]
    [0, 12]
    >>> start_finder(re.compile(r"\\d+")) is None
    True
    """
    if pattern.flags & re.ASCII:
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        found = _first(list(parsed), pattern.flags)
    except (_BeyondUs, re.error):
        return None
    chars, nullable, bounded = found
    if nullable or not chars:
        return None
    cls = "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"
    if bounded and all(_WORDCHAR.fullmatch(c) for c in chars):
        # \b before a word character: the character before it is not one.
        cls += r"(?<!\w.)"
    return re.compile(cls)


_WORDCHAR = re.compile(r"\w")


class _BeyondUs(Exception):
    """A pattern construct the start analysis does not handle."""


def _variants(ch: str, flags: int) -> set[str]:
    if not flags & re.IGNORECASE or ch.lower() == ch.upper():
        return {ch}
    if not ch.isascii():
        raise _BeyondUs(ch)
    out = {ch.lower(), ch.upper()}
    out.update(c for c in _CASE_TRAPS if re.fullmatch(re.escape(ch), c, re.IGNORECASE))
    return out


def _first(items: list, flags: int) -> tuple[set[str], bool, bool]:
    """(characters a match of ``items`` can start with, can it match empty, do all starts follow \\b)."""
    chars: set[str] = set()
    bounded_here = False
    bounded_all = True
    for op, av in items:
        if op is _c.AT:
            bounded_here = bounded_here or av is _c.AT_BOUNDARY
            continue
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            continue
        if op is _c.LITERAL:
            sub, nullable, sub_bounded = _variants(chr(av), flags), False, False
        elif op is _c.IN:
            sub, nullable, sub_bounded = _in_chars(av, flags), False, False
        elif op is _c.SUBPATTERN:
            _, add, remove, body = av
            sub, nullable, sub_bounded = _first(list(body), (flags | add) & ~remove)
        elif op is _c.BRANCH:
            sub, nullable, sub_bounded = set(), False, True
            for alt in av[1]:
                s, n, b = _first(list(alt), flags)
                sub |= s
                nullable = nullable or n
                sub_bounded = sub_bounded and (b or not s)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            lo, _, body = av
            sub, nullable, sub_bounded = _first(list(body), flags)
            nullable = nullable or lo == 0
        elif op is _c.ATOMIC_GROUP:
            sub, nullable, sub_bounded = _first(list(av), flags)
        else:
            raise _BeyondUs(op)
        chars |= sub
        bounded_all = bounded_all and (bounded_here or sub_bounded or not sub)
        if not nullable:
            return chars, False, bounded_all
    return chars, True, bounded_all


def _in_chars(items: list, flags: int) -> set[str]:
    out: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            out |= _variants(chr(av), flags)
        elif op is _c.RANGE and av[1] - av[0] <= 256:
            for code in range(av[0], av[1] + 1):
                out |= _variants(chr(code), flags)
        else:
            raise _BeyondUs(op)
    return out
