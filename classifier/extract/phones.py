"""Phone numbers in ad text, including the obfuscations ads use to dodge filters.

Numbers are read from digits of any script, keycap and circled digits, number
words in English and Dutch (``2ONE6``, ``vierendertig``, ``nul6``) and letter
look-alikes inside number-like runs; pieces are joined across separators and
every candidate is validated and normalised to E.164 by ``phonenumbers``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import compress

import phonenumbers

from classifier.exceptions import ExtractionInputError
from classifier.extract._numbering import UNDECIDED, fast_e164
from classifier.text import alnum_tokens, folded

__all__ = ["PhoneMatch", "find_phones", "unique_e164"]


@dataclass(frozen=True, slots=True)
class PhoneMatch:
    """One phone number found in a text.

    Attributes
    ----------
    e164 : str
        The number in E.164 form, e.g. ``+31612345678``.
    start, end : int
        Span of the number as written, in the original text.
    raw : str
        ``text[start:end]``.
    """

    e164: str
    start: int
    end: int
    raw: str

    def to_dict(self) -> dict:
        """The match as a JSON-serialisable dict."""
        return asdict(self)


# --- number words --------------------------------------------------------------------------

_UNITS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9",
    "nul": "0", "een": "1", "één": "1", "eén": "1", "twee": "2", "drie": "3", "vier": "4",
    "vijf": "5", "zes": "6", "zeven": "7", "acht": "8", "negen": "9",
}  # fmt: skip
_TEENS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
    "tien": "10", "elf": "11", "twaalf": "12", "dertien": "13", "veertien": "14",
    "vijftien": "15", "zestien": "16", "zeventien": "17", "achttien": "18", "negentien": "19",
}  # fmt: skip
_TENS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fourty": "4", "fifty": "5", "sixty": "6",
    "seventy": "7", "eighty": "8", "ninety": "9",
    "twintig": "2", "dertig": "3", "veertig": "4", "vijftig": "5", "zestig": "6",
    "zeventig": "7", "tachtig": "8", "negentig": "9",
}  # fmt: skip
_MULT = {"hundred": "00", "thousand": "000", "th0usand": "000", "honderd": "00", "duizend": "000"}
_WEAK = {"oh": "0"}  # "oh" is a word too; it only counts next to real digits
_NL_UNITS = ["een", "één", "eén", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
_NL_TENS = ["twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "negentig"]

_WORDS: dict[str, str] = {**_UNITS, **_TEENS, **_TENS, **_MULT, **_WEAK}
_LEET_FOLD = str.maketrans("1l!|íïó0é3ë", "iiiiiiooeee")


# Letters that IGNORECASE matches against ASCII ones but lower() maps elsewhere ("NUİ" is "nul").
_CASE_TRAPS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _word_key(word: str) -> str:
    return word.translate(_CASE_TRAPS).lower().translate(_LEET_FOLD)


_WORD_VALUES = {_word_key(k): v for k, v in _WORDS.items()}
_TENS_KEYS = {_word_key(k) for k in _TENS}
_UNIT_KEYS = {_word_key(k) for k, v in _UNITS.items() if v != "0"}
_WEAK_KEYS = {_word_key(k) for k in _WEAK}
_LEET_CLASS = {"i": "[il1!|íï]", "l": "[il1!|íï]", "o": "[o0ó]", "e": "[e3éë]"}


def _leet_pattern(word: str) -> str:
    """Regex for a number word that also reads leetspeak (``S1X``, ``SlX``, ``z3r0``)."""
    if len(word) < 3:
        return re.escape(word)
    return "".join(_LEET_CLASS.get(c, re.escape(c)) for c in word)


# Digits that are not \d: circled, dingbat and the keycap-ten emoji.
_EXTRA_DIGITS = "\u2460-\u2468\u24ea\u2776-\u277e\u2780-\u2788\u278a-\u2792\U0001f51f"
_DIG = rf"[\d{_EXTRA_DIGITS}]"
_COMPOUND = rf"(?:{'|'.join(_NL_UNITS)})(?:en|ën)(?:{'|'.join(_NL_TENS)})"
_WORD_ALT = "|".join(_leet_pattern(w) for w in sorted(_WORDS, key=len, reverse=True))
# Look-alike letters are case-sensitive: O/o for 0, I/l for 1 (not i or L).


def _plain_digit() -> str:
    """An ASCII digit that starts no number word here (leetspeak reads 0 as o in "0ne").

    Tried before the long word alternation, which could only have matched it as a digit.
    """
    alts = []
    for d in "0123456789":
        rests = []
        for w in _WORDS:
            chars = [_LEET_CLASS.get(c, re.escape(c)) if len(w) >= 3 else re.escape(c) for c in w]
            if re.fullmatch(chars[0], d, re.IGNORECASE):
                rests.append("".join(chars[1:]))
        alts.append(d + (f"(?!{'|'.join(rests)})" if rests else ""))
    return "(?:" + "|".join(alts) + ")"


_PLAIN_DIGIT = _plain_digit()
_ATOM = rf"(?>{_PLAIN_DIGIT}|{_COMPOUND}|{_WORD_ALT}|{_DIG}|(?-i:[OoIl]))"
_LETTER = r"[^\W\d_]"
# A numeric token: a word made of atoms only, or digits glued after letters ("Rachel567").
# Possessive, and the "no letter after it" rule is checked in Python: the scan stays linear.
_TOKEN = re.compile(rf"(?:(?<={_LETTER})(?={_DIG})|(?<!{_LETTER})){_ATOM}++", re.IGNORECASE)
_FULL = re.compile(rf"{_ATOM}++", re.IGNORECASE)
# Alphanumeric words; numeric tokens are looked for inside them only (a fast first pass).
_ALNUM = re.compile(r"[^\W_]+|\U0001f51f")
_ATOM_RE = re.compile(
    rf"(?P<plain>{_PLAIN_DIGIT})|(?P<compound>{_COMPOUND})|(?P<word>{_WORD_ALT})"
    rf"|(?P<dig>{_DIG})|(?P<look>(?-i:[OoIl]))",
    re.IGNORECASE,
)
_LETTER_RE = re.compile(_LETTER)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}[ ]?[A-Z]{4}(?:[ ]?\d){6,26}\b", re.IGNORECASE)
# An IBAN has two letters, two digits and four letters (IGNORECASE also reads "ſ" and the Kelvin sign).
# (Written from its first digit, so that the regex engine can skip to the digits.)
_IBAN_HINT = re.compile(
    r"\d(?<=[A-Za-z\u0130\u0131\u017f\u212a]{2}\d)\d ?[A-Za-z\u0130\u0131\u017f\u212a]{4}"
)
_DATE = re.compile(r"\d{1,2}\s?[-/.]\s?\d{1,2}\s?[-/.]\s?(?:19|20)\d\d(?!\d)")
_GROUP = re.Match.group
_MAX_GAP = 16
_MAX_DIGITS = 15


@dataclass(slots=True)
class _Group:
    """A numeric token with the digits it stands for."""

    digits: str
    start: int
    end: int
    weak: bool  # only look-alike letters / "oh": needs real digits around it
    ends_tens: bool  # ends in a tens word ("twenty"), so a unit word may follow
    starts_unit: bool  # starts with a unit word ("six")
    plus: bool = False  # a "+" right before it
    gap_before: str = ""  # the separator text between the previous group and this one
    core: tuple[str, int] | None = None  # digits and end without trailing look-alikes


def _digit_value(ch: str) -> str:
    if ch == "\U0001f51f":
        return "10"
    return str(unicodedata.digit(ch))


_KINDS = {"plain": "dig", "compound": "compound", "word": "word", "dig": "dig", "look": "look"}


def _atoms(tok: str) -> list[tuple[str, str, int]]:
    """(kind, text, end offset) of each atom of a numeric token."""
    # Every alternative of _ATOM_RE is a named group, so lastgroup is never None.
    return [(_KINDS[m.lastgroup or "dig"], m.group(), m.end()) for m in _ATOM_RE.finditer(tok)]


def _read_atoms(atoms: list[tuple[str, str, int]]) -> tuple[str, bool, bool, bool]:
    """Digits of a list of atoms, plus (weak, ends_tens, starts_unit)."""
    out: list[str] = []
    weak = True
    pending_tens = False
    starts_unit = False
    for i, (kind, text, _) in enumerate(atoms):
        is_unit = False
        key = _word_key(text)
        if kind == "compound":
            low = text.lower()
            tens = next(_TENS[t] for t in _NL_TENS if low.endswith(t))
            unit = next(_UNITS[u] for u in _NL_UNITS if low.startswith(u))
            value, weak = tens + unit, False
        elif kind == "word":
            value = _WORD_VALUES[key]
            if key not in _WEAK_KEYS:
                weak = False
            if key in _UNIT_KEYS:
                is_unit = True
                if pending_tens:
                    out[-1] = out[-1][:-1]  # "twentysix" is 26, not 206
        elif kind == "dig":
            value, weak = _digit_value(text), False
        else:
            value = "0" if text in "Oo" else "1"
        if i == 0:
            starts_unit = is_unit
        pending_tens = kind == "word" and key in _TENS_KEYS
        if pending_tens:
            value += "0"
        out.append(value)
    return "".join(out), weak, pending_tens, starts_unit


def _group(text: str, start: int, end: int) -> _Group | None:
    """Read the numeric token ``text[start:end]``; None if it is not one after all."""
    tok = text[start:end]
    if tok.isascii() and tok.isdigit():
        return _Group(tok, start, end, False, False, False)
    atoms = _atoms(tok)
    if _LETTER_RE.match(text, end):
        # Glued to a following word: only digits may touch letters ("8367IM" -> 8367).
        while atoms and atoms[-1][0] != "dig":
            atoms.pop()
        if not atoms:
            return None
        end = start + atoms[-1][2]
    digits, weak, ends_tens, starts_unit = _read_atoms(atoms)
    group = _Group(digits, start, end, weak, ends_tens, starts_unit)
    if atoms[-1][0] == "look" and not weak:
        core = list(atoms)
        while core and core[-1][0] == "look":
            core.pop()
        if core:
            group.core = (_read_atoms(core)[0], start + core[-1][2])
    return group


def _prefixes() -> frozenset[str]:
    """Lower-case first two letters any letters-only numeric token can start with."""
    alt = {"i": "ilíï", "l": "ilíï", "o": "oó", "e": "eéë"}
    firsts: set[str] = set()
    for w in [*_WORDS, *_NL_UNITS]:
        w = w.lower()
        for a in alt.get(w[0], w[0]):
            firsts.update(a + b for b in alt.get(w[1], w[1]))
    single = {c for pair in firsts for c in pair[0]} | {"o", "i", "l"}
    firsts.update(a + b for a in "oil" for b in single)
    return frozenset(firsts)


_PREFIX2 = _prefixes()


def _word_tokens(word: str) -> list[tuple[int, int]]:
    """Spans of the numeric tokens inside one alphanumeric word (see ``_TOKEN``)."""
    if word.isalpha():
        # A token inside a letters-only word must be the whole word.
        if len(word) == 1:
            return [(0, 1)] if word in "OoIl" or word == "\U0001f51f" else []
        if word[:2].lower() in _PREFIX2 and _FULL.fullmatch(word):
            return [(0, len(word))]
        return []
    if word.isascii() and word.isdigit():
        return [(0, len(word))]
    return [t.span() for t in _TOKEN.finditer(word)]


# A group template: (start, end, digits, weak, ends_tens, starts_unit, core), offsets in the word.
_Template = tuple[int, int, str, bool, bool, bool, "tuple[str, int] | None"]


def _word_groups(word: str) -> tuple[_Template, ...]:
    """The numeric groups of one alphanumeric word, as offsets in the word."""
    out: list[_Template] = []
    for start, end in _word_tokens(word):
        g = _group(word, start, end)
        if g is not None:
            out.append((g.start, g.end, g.digits, g.weak, g.ends_tens, g.starts_unit, g.core))
    return tuple(out)


class _WordGroups(dict[str, tuple[_Template, ...]]):
    """``_word_groups`` of every word seen, computed on first use.

    A word's groups do not depend on the text around it: the character before
    a word is never a letter, nor the one after it, so ads share this cache.
    (A dict rather than lru_cache: a hit is a plain C lookup.)
    """

    max_size = 100_000

    def __missing__(self, word: str) -> tuple[_Template, ...]:
        if len(self) >= self.max_size:
            self.clear()
        value = self[word] = _word_groups(word)
        return value


_WORD_GROUPS = _WordGroups()


def _clusters(per_word: list[tuple[_Template, ...]]) -> list[list[int]]:
    """Indices of the words with groups, in runs of neighbours holding 7 digits or more.

    Only neighbouring words can share a run of groups: a word between two
    words with groups has none itself, so it holds a letter (a character of
    ``\\w`` that is not a digit), and a letter ends a run.
    """
    out: list[list[int]] = []
    cluster: list[int] = []
    digits = 0
    for i in compress(range(len(per_word)), per_word):
        if cluster and i != cluster[-1] + 1:
            if digits >= 7:
                out.append(cluster)
            cluster, digits = [], 0
        cluster.append(i)
        for t in per_word[i]:
            digits += len(t[2])
    if digits >= 7:
        out.append(cluster)
    return out


def _alnum_words(text: str) -> tuple[Sequence[str], Sequence[int]]:
    """The ``_ALNUM`` words of ``text`` and their offsets.

    They are the text's folded-word tokens (cached, the lexicons need them
    too) whenever every token is alphanumeric: then each token is a maximal
    run of letters and digits, as ``_ALNUM`` finds.
    """
    f = folded(text)
    toks = alnum_tokens(f)
    if toks is not None and "\U0001f51f" not in text:
        return toks, f.starts
    ms = list(_ALNUM.finditer(text))
    return list(map(_GROUP, ms)), list(map(re.Match.start, ms))


def _groups(text: str) -> list[list[_Group]]:
    """Numeric tokens of ``text``, split into runs joined only by separators."""
    words, starts = _alnum_words(text)
    per_word = list(map(_WORD_GROUPS.__getitem__, words))
    clusters = _clusters(per_word)
    masked: list[tuple[int, int]] = []
    if clusters and _IBAN_HINT.search(text) and re.search(r"[A-Za-z]{2}\d\d", text):
        masked = [m.span() for m in _IBAN.finditer(text)]
    # Runs are built from plain tuples (start, end, digits, weak, ends_tens, starts_unit, core,
    # gap_before); only the few runs long enough for a phone number become _Group objects.
    runs: list[list[tuple]] = []
    for cluster in clusters:
        run: list[tuple] = []
        for i in cluster:
            offset = starts[i]
            for rs, re_, digits, weak, ends_tens, starts_unit, core in per_word[i]:
                start = offset + rs
                if masked and any(a <= start < b for a, b in masked):
                    continue
                if len(digits) > _MAX_DIGITS:
                    # A long digit string (account, tracking or ad id) is never a phone,
                    # nor part of one.
                    if run:
                        runs.append(run)
                        run = []
                    continue
                gap = ""
                if run:
                    prev = run[-1]
                    if start - prev[1] > _MAX_GAP:
                        runs.append(run)
                        run = []
                    else:
                        gap = text[prev[1] : start]
                        if (
                            gap.count("\n") > 1
                            or _LETTER_RE.search(gap)
                            or (":" in gap and len(prev[2]) <= 2 and len(digits) == 2)  # a time
                        ):
                            runs.append(run)
                            run = []
                            gap = ""
                if core is not None:
                    core = (core[0], offset + core[1])
                run.append((start, offset + re_, digits, weak, ends_tens, starts_unit, core, gap))
        if run:
            runs.append(run)
    out = []
    has_plus = "+" in text
    for r in runs:
        while r and r[0][3]:
            r = r[1:]
        while r and r[-1][3]:
            r = r[:-1]
        if r and sum(len(g[2]) for g in r) >= 7:
            groups = []
            for start, end, digits, weak, ends_tens, starts_unit, core, gap in r:
                g = _Group(
                    digits, start, end, weak, ends_tens, starts_unit, gap_before=gap, core=core
                )
                g.plus = has_plus and text[max(0, start - 3) : start].rstrip().endswith("+")
                groups.append(g)
            out.append(groups)
    return out


@lru_cache(maxsize=64)
def _region_info(region: str) -> tuple[str, bool, frozenset[int]]:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ExtractionInputError(
            f"Region {region!r} is not a region phonenumbers knows; use an ISO 3166 code such as 'NL' or 'US'"
        )
    desc = meta.general_desc
    lengths = frozenset((desc.possible_length if desc else None) or range(4, 16))
    return str(meta.country_code), meta.national_prefix == "0", lengths


def _possible(number: str, region: str) -> bool:
    """Cheap length test before the costly ``phonenumbers`` validation."""
    if number.startswith(("+", "00")):
        return 8 <= len(number.lstrip("+")) - (2 if number.startswith("00") else 0) <= 15
    cc, prefix_required, lengths = _region_info(region)
    if prefix_required:
        if number.startswith("0"):
            return len(number) - 1 in lengths
        if not (number.startswith(cc) and len(number) >= 10):
            return False  # _validate takes it only with its country code
    if number.startswith(cc) and len(number) - len(cc) in lengths:
        return True
    return len(number) in lengths


@lru_cache(maxsize=65_536)
def _validate(number: str, region: str) -> str | None:
    """E.164 form of ``number`` (digits, maybe with a leading +), or None if invalid."""
    cc, prefix_required, _ = _region_info(region)
    if not _possible(number, region):
        return None
    if not number.startswith("+"):
        if number.startswith("00"):
            number = "+" + number[2:]
        elif prefix_required and not number.startswith("0"):
            # "150250300" is a valid Dutch number on paper, but people write 015-...;
            # without the trunk 0 it has to start with the country code instead.
            if not (number.startswith(cc) and len(number) >= 10):
                return None
            number = "+" + number
    e164 = fast_e164(number, region)
    if e164 is UNDECIDED:
        return _parsed_e164(number, region)
    return e164


def _parsed_e164(number: str, region: str) -> str | None:
    """``_validate`` by ``phonenumbers`` itself: the E.164 form of a valid number, else None."""
    cc = _region_info(region)[0]
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    # The one-region check is much cheaper than is_valid_number for shared codes such as +1.
    if not (
        (str(parsed.country_code) == cc and phonenumbers.is_valid_number_for_region(parsed, region))
        or phonenumbers.is_valid_number(parsed)
    ):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _join(groups: list[_Group]) -> str:
    parts: list[str] = []
    prev: _Group | None = None
    for g in groups:
        if prev is not None and prev.ends_tens and g.starts_unit and parts:
            parts[-1] = parts[-1][:-1]  # "twenty six" is 26
        parts.append(g.digits)
        prev = g
    return "".join(parts)


def find_phones(text: str, default_region: str = "NL") -> list[PhoneMatch]:
    """Find the phone numbers in ``text``, obfuscated or not.

    Parameters
    ----------
    text : str
        The ad text (title and body).
    default_region : str, default "NL"
        ISO 3166 region of the source; numbers written without a country code
        are read as numbers of this region.

    Returns
    -------
    list of PhoneMatch
        One match per occurrence, in text order. Use :func:`unique_e164` for
        the distinct numbers.

    Raises
    ------
    ExtractionInputError
        If ``default_region`` is not a region ``phonenumbers`` knows.

    Examples
    --------
    >>> [m.e164 for m in find_phones("Bel me: nul6-12 34 56 78 of +32 470 12 34 56")]
    ['+31612345678', '+32470123456']
    >>> find_phones("2ONE6-SIX2TWO-5NINE5FOUR", default_region="US")[0].e164
    '+12166225954'
    >>> find_phones("€150 per uur, 19 jaar, 1.65m, 12-03-2024")
    []
    """
    if not isinstance(text, str):
        raise ExtractionInputError(f"find_phones expects a str, got {type(text).__name__}")
    region = default_region.upper()
    _region_info(region)
    found: list[PhoneMatch] = []
    for run in _groups(text):
        i, n = 0, len(run)
        while i < n:
            best = _best_from(text, run, i, region)
            if best is None:
                i += 1
                continue
            j, start, end, e164 = best
            found.append(PhoneMatch(e164, start, end, text[start:end]))
            i = j + 1
    return found


def _best_from(
    text: str, run: list[_Group], i: int, region: str
) -> tuple[int, int, int, str] | None:
    """The longest valid number that starts at group ``i``: (last group, start, end, e164)."""
    candidates: list[tuple[int, str, int]] = []
    joined = ""
    prev: _Group | None = None
    for j in range(i, len(run)):
        g = run[j]
        if prev is not None and prev.ends_tens and g.starts_unit and joined:
            joined = joined[:-1]  # "twenty six" is 26
        joined += g.digits
        prev = g
        if len(joined) > _MAX_DIGITS:
            break
        if g.weak:
            continue
        if len(joined) >= 7 and _possible(("+" if run[i].plus else "") + joined, region):
            candidates.append((j, joined, g.end))
        core = g.core
        if core is not None:
            trimmed = joined[: len(joined) - len(g.digits)] + core[0]
            if len(trimmed) >= 7:
                candidates.append((j, trimmed, core[1]))
    start = run[i].start
    for j, joined, end in reversed(candidates):
        if _DATE.match(text, start, end):
            continue
        if j > i and (
            "/" == run[i].gap_before.strip()
            or (j + 1 < len(run) and run[j + 1].gap_before.strip() == "/")
        ):
            # "100/30 150/60": price/duration pairs, not a number split by slashes
            continue
        e164 = None
        if run[i].plus:
            e164 = _validate("+" + joined, region)
        if e164 is not None:
            start = text.rindex("+", max(0, start - 3), start)
        else:
            e164 = _validate(joined, region)
        if e164:
            return j, start, end, e164
    return None


def unique_e164(matches: list[PhoneMatch]) -> list[str]:
    """The distinct E.164 numbers of ``matches``, in order of first appearance.

    Examples
    --------
    >>> unique_e164(find_phones("06-12345678 of 0612345678, of 06 87654321"))
    ['+31612345678', '+31687654321']
    """
    return list(dict.fromkeys(m.e164 for m in matches))
