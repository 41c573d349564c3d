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
from itertools import compress
from typing import Any, NamedTuple

__all__ = [
    "Folded",
    "alnum_tokens",
    "PhraseIndex",
    "Word",
    "as_folded",
    "fold_phrase",
    "fold_word",
    "folded",
    "words",
    "words_cached",
]

# A word: letters/digits, allowing leet symbols inside it (``b@rely``, ``fr3$h``).
# (Possessive: \w and the leet symbols are disjoint, so nothing is given back anyway.)
_WORD = re.compile(r"\w++(?:[@$!|]++\w++)*+")
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
    return _FOLDS[word]


def _fold(word: str) -> str:
    w = word.lower()
    if not w.isascii():
        w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
    if w.isdigit():
        return w
    return _REPEAT.sub(r"\1", w.translate(_LEET))


class _Folds(dict[str, str]):
    """:func:`fold_word` of every word seen, computed on first use.

    (A dict rather than lru_cache: a hit, the usual case, is a plain C lookup.)
    """

    max_size = 200_000

    def __missing__(self, word: str) -> str:
        if len(self) >= self.max_size:
            self.clear()
        value = self[word] = _fold(word)
        return value


_FOLDS = _Folds()


def fold_phrase(phrase: str) -> tuple[str, ...]:
    """Fold a lexicon phrase into the tuple of folded words it must match.

    Examples
    --------
    >>> fold_phrase("Nieuw in de stad")
    ('nieuw', 'in', 'de', 'stad')
    """
    return tuple(fold_word(m.group()) for m in _WORD.finditer(phrase))


class Folded(NamedTuple):
    """The words of a text as parallel tuples: folded forms, start and end offsets.

    ``tokens`` holds the words as written when each is one token of the text
    (no spaced-out letters were joined), else None.
    """

    norms: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    tokens: tuple[str, ...] | None = None


_START = re.Match.start
_END = re.Match.end
_GROUP = re.Match.group


@lru_cache(maxsize=32)
def folded(text: str) -> Folded:
    """:func:`words` as parallel tuples, remembered for the last few texts.

    ``extract_all`` and ``indicators.match`` run on the same ad one after the
    other; this lets the second call reuse the first one's words.

    Examples
    --------
    >>> folded("Nieuw in de STAD")
    Folded(norms=('nieuw', 'in', 'de', 'stad'), starts=(0, 6, 9, 12), ends=(5, 8, 11, 16), tokens=('Nieuw', 'in', 'de', 'STAD'))
    """
    ms = list(_WORD.finditer(text))
    toks = list(map(_GROUP, ms))
    if _has_spaced_letters(toks):
        ws = _words_slow(ms)
        return Folded(
            tuple(w.norm for w in ws), tuple(w.start for w in ws), tuple(w.end for w in ws)
        )
    return Folded(
        tuple(map(_FOLDS.__getitem__, toks)),
        tuple(map(_START, ms)),
        tuple(map(_END, ms)),
        tuple(toks),
    )


_last_alnum: tuple[tuple[str, ...] | None, bool] = (None, False)


def alnum_tokens(f: Folded) -> tuple[str, ...] | None:
    """``f.tokens`` when each is a run of letters and digits, else None.

    Then the tokens are exactly the text's maximal runs of letters and digits
    (every word boundary starts one). Remembered for the last tokens asked about.

    Examples
    --------
    >>> alnum_tokens(folded("Bel 06-1234")), alnum_tokens(folded("b@rely"))
    (('Bel', '06', '1234'), None)
    """
    global _last_alnum
    toks = f.tokens
    if toks is None:
        return None
    last = _last_alnum
    if last[0] is not toks:
        last = _last_alnum = (toks, all(map(str.isalnum, toks)))
    return toks if last[1] else None


def _has_spaced_letters(toks: list[str]) -> bool:
    """Whether three one-letter words follow each other (which :func:`words` may join)."""
    run = 0
    for t in toks:
        if len(t) == 1 and t.isalpha():
            run += 1
            if run >= 3:
                return True
        else:
            run = 0
    return False


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
    f = folded(text)
    return list(map(Word, f.norms, f.starts, f.ends))


def _words_slow(ms: list[re.Match[str]]) -> list[Word]:
    out: list[Word] = []
    single: list[tuple[str, int, int]] = []

    def flush() -> None:
        if len(single) >= 3:
            out.append(Word(fold_word("".join(s[0] for s in single)), single[0][1], single[-1][2]))
        else:
            out.extend(Word(fold_word(s[0]), s[1], s[2]) for s in single)
        single.clear()

    for m in ms:
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
    """:func:`words`, remembered for the last few texts."""
    return tuple(words(text))


def as_folded(ws: list[Word] | tuple[Word, ...] | Folded) -> Folded:
    """``ws`` as a :class:`Folded` (words from :func:`words`, or already folded)."""
    if isinstance(ws, Folded):
        return ws
    return Folded(tuple(w.norm for w in ws), tuple(w.start for w in ws), tuple(w.end for w in ws))


class _Distinct(NamedTuple):
    """The distinct words of a text, as a set and as one string, a word a line."""

    words: frozenset[str]
    lines: str


_last_distinct: tuple[tuple[str, ...], _Distinct] | None = None


def _distinct(norms: tuple[str, ...]) -> _Distinct:
    """The distinct words of ``norms``, remembered for the last words asked about.

    The lexicons ask one after the other about the same ``folded(text).norms``
    (the same object), so the check is by identity: a tuple's hash is not kept.
    """
    global _last_distinct
    last = _last_distinct
    if last is not None and last[0] is norms:
        return last[1]
    words = frozenset(norms)
    value = _Distinct(words, "\n" + "\n".join(words) + "\n")
    _last_distinct = (norms, value)
    return value


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
        # The same options split by their first two words, and the first one-word option.
        self._by_two: dict[tuple[str, ...], list[tuple[tuple[str, ...], Any]]] = {}
        self._single: dict[str, Any] = {}
        for options in self._first.values():
            for key, payload in options:
                if len(key) == 1:
                    self._single.setdefault(key[0], payload)
                else:
                    self._by_two.setdefault(key[:2], []).append((key, payload))
        self._firsts = frozenset(self._single) | {key[0] for key in self._by_two}
        self._prefixes = prefixes
        self._prefix_tuple = tuple(sorted(prefixes, key=len, reverse=True))
        # A word (one per line) that starts with a prefix, read whole.
        alternation = "|".join(map(re.escape, self._prefix_tuple))
        self._prefixed = re.compile(f"^(?:{alternation}).*", re.MULTILINE)
        self._line_prefixes = tuple("\n" + p for p in self._prefix_tuple)

    def find(self, ws: list[Word] | tuple[Word, ...] | Folded) -> list[tuple[int, int, Any]]:
        """(start, end, payload) of every phrase found in the words ``ws``."""
        f = as_folded(ws)
        norms, starts, ends = f.norms, f.starts, f.ends
        by_two, single, prefixes = self._by_two, self._single, self._prefix_tuple
        # Words where something can start: a phrase's first word or a prefix's word. (The
        # text's distinct words are shared by every index; most texts start nothing here.)
        present = _distinct(norms)
        firsts = self._firsts & present.words
        if prefixes and any(p in present.lines for p in self._line_prefixes):
            firsts |= set(self._prefixed.findall(present.lines))
        if not firsts:
            return []
        out: list[tuple[int, int, Any]] = []
        i = 0
        for c in compress(range(len(norms)), map(firsts.__contains__, norms)):
            if c < i:
                continue
            i = c
            for key, payload in by_two.get(norms[i : i + 2], ()):
                k = len(key)
                if norms[i : i + k] == key:
                    out.append((starts[i], ends[i + k - 1], payload))
                    i += k
                    break
            else:
                norm = norms[i]
                if norm in single:
                    out.append((starts[i], ends[i], single[norm]))
                elif prefixes and norm.startswith(prefixes):
                    p = next(p for p in prefixes if norm.startswith(p))
                    out.append((starts[i], ends[i], self._prefixes[p]))
                i += 1
        return out
