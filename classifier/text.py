"""Text normalisation shared by the extractors and the indicator matcher.

Ad text is folded word by word (lower case, accents stripped, leetspeak read,
repeated letters collapsed) so that lexicons match spelling variants, while
every word keeps its span in the original text for evidence highlighting.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = ["PhraseIndex", "Word", "fold_phrase", "fold_word", "words", "words_cached"]

# A word: letters/digits, allowing leet symbols inside it (``b@rely``, ``fr3$h``).
_WORD = re.compile(r"\w+(?:[@$!|]+\w+)*")
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "i",
        "l": "i",
        "_": "",
    }
)
_REPEAT = re.compile(r"(.)\1+")


class Word(NamedTuple):
    """One word of a text: its folded form and its span in the original text."""

    norm: str
    start: int
    end: int


@lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """Fold one word to the canonical form the lexicons are written in.

    Lower case, accents removed, leetspeak digits read as letters when the word
    also has letters, ``l`` and ``i`` merged (they are swapped for each other and
    for ``1``), and runs of one letter collapsed.

    Parameters
    ----------
    word : str
        A single word, as found by :func:`words`.

    Returns
    -------
    str
        The folded word; pure numbers are returned unchanged.

    Examples
    --------
    >>> fold_word("Fr3sssh")
    'fresh'
    >>> fold_word("Één")
    'en'
    >>> fold_word("b@rely")
    'bareiy'
    >>> fold_word("247")
    '247'
    """
    w = word.lower()
    if not w.isascii():
        w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
    if w.isdigit():
        return w
    return _REPEAT.sub(r"\1", w.translate(_LEET))


def fold_phrase(phrase: str) -> tuple[str, ...]:
    """Fold a lexicon phrase into the tuple of folded words it must match.

    Examples
    --------
    >>> fold_phrase("Nieuw in de stad")
    ('nieuw', 'in', 'de', 'stad')
    """
    return tuple(fold_word(m.group()) for m in _WORD.finditer(phrase))


def words(text: str) -> list[Word]:
    """Split ``text`` into folded words with spans; spaced-out letters are joined.

    Runs of three or more one-letter words (``j o n g``, ``n.i.e.u.w``) are
    read as one word, since ads space letters out to dodge filters.

    Examples
    --------
    >>> [w.norm for w in words("Nieuw in de STAD, j o n g!")]
    ['nieuw', 'in', 'de', 'stad', 'jong']
    >>> words("hi")[0]
    Word(norm='hi', start=0, end=2)
    """
    out: list[Word] = []
    single: list[tuple[str, int, int]] = []

    def flush() -> None:
        if len(single) >= 3:
            out.append(Word(fold_word("".join(s[0] for s in single)), single[0][1], single[-1][2]))
        else:
            out.extend(Word(fold_word(s[0]), s[1], s[2]) for s in single)
        single.clear()

    for m in _WORD.finditer(text):
        tok = m.group()
        if len(tok) == 1 and tok.isalpha():
            if single and m.start() - single[-1][2] > 3:
                flush()
            single.append((tok, m.start(), m.end()))
            continue
        if single:
            flush()
        out.append(Word(fold_word(tok), m.start(), m.end()))
    if single:
        flush()
    return out


@lru_cache(maxsize=16)
def words_cached(text: str) -> tuple[Word, ...]:
    """:func:`words`, remembered for the last few texts.

    ``extract_all`` and ``indicators.match`` run on the same ad one after the
    other; this lets the second call reuse the first one's words.
    """
    return tuple(words(text))


class PhraseIndex:
    """Finds lexicon phrases in folded words, longest match first, without overlaps.

    Each phrase is folded with :func:`fold_phrase`; its run-together form
    (``newintown``) is indexed too. A single word ending in ``*`` matches as a
    prefix (``tiener*`` finds ``tienermeisje``).

    Parameters
    ----------
    entries : iterable of (str, object)
        Phrase and the payload to report when it is found.

    Examples
    --------
    >>> index = PhraseIndex([("new in town", "move"), ("tiener*", "teen")])
    >>> text = "NEW-IN-TOWN tienermeisje"
    >>> [(text[s:e], p) for s, e, p in index.find(words(text))]
    [('NEW-IN-TOWN', 'move'), ('tienermeisje', 'teen')]
    """

    def __init__(self, entries: Iterable[tuple[str, Any]]) -> None:
        self._first: dict[str, list[tuple[tuple[str, ...], Any]]] = {}
        prefixes: dict[str, Any] = {}
        for phrase, payload in entries:
            if phrase.endswith("*") and " " not in phrase.strip():
                prefixes.setdefault(fold_word(phrase[:-1]), payload)
                continue
            key = fold_phrase(phrase)
            if not key:
                continue
            forms = {key}
            if len(key) > 1:
                forms.add((_REPEAT.sub(r"\1", "".join(key)),))
            for form in forms:
                self._first.setdefault(form[0], []).append((form, payload))
        for options in self._first.values():
            options.sort(key=lambda o: len(o[0]), reverse=True)
        self._prefixes = prefixes
        self._prefix_tuple = tuple(sorted(prefixes, key=len, reverse=True))

    def find(self, ws: list[Word] | tuple[Word, ...]) -> list[tuple[int, int, Any]]:
        """(start, end, payload) of every phrase found in the words ``ws``."""
        out: list[tuple[int, int, Any]] = []
        i, n = 0, len(ws)
        first, prefixes = self._first, self._prefix_tuple
        while i < n:
            norm = ws[i].norm
            options = first.get(norm)
            hit = False
            if options:
                for key, payload in options:
                    k = len(key)
                    if k == 1 or (
                        i + k <= n and all(ws[i + j].norm == key[j] for j in range(1, k))
                    ):
                        out.append((ws[i].start, ws[i + k - 1].end, payload))
                        i += k
                        hit = True
                        break
            if not hit:
                if prefixes and norm.startswith(prefixes):
                    p = next(p for p in prefixes if norm.startswith(p))
                    out.append((ws[i].start, ws[i].end, self._prefixes[p]))
                i += 1
        return out
