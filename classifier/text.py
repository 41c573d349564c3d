"""Text normalisation shared by the extractors and the indicator matcher.

Ad text is folded word by word (lower case, accents stripped, leetspeak read,
repeated letters collapsed) so that lexicons match spelling variants, while
every word keeps its span in the original text for evidence highlighting.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

__all__ = ["Word", "fold_word", "fold_phrase", "words"]

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
