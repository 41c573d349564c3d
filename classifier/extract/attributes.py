"""Prices, stated ages and persona names in ad text (Dutch and English)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import compress

from classifier.extract._scan import (
    ascii_fold_safe,
    back_limits,
    digit_runs,
    finditer_at,
    keyword_starts,
    lowered,
)
from classifier.text import alnum_tokens, fold_word, folded

__all__ = ["AgeMatch", "NameMatch", "PriceMatch", "find_ages", "find_names", "find_prices"]


@dataclass(frozen=True, slots=True)
class PriceMatch:
    """A price with its currency and the time it buys.

    Attributes
    ----------
    amount : float
        The amount as written (``150``).
    currency : str or None
        ``EUR``, ``USD``, ``GBP``, ``roses`` (the euphemism) or None when unstated.
    unit : str or None
        ``quarter_hour``, ``half_hour``, ``hour``, ``night``, ``<n>_min`` or None.
    minutes : int or None
        Duration in minutes when known (a night counts as 480).
    start, end : int
        Span in the original text.
    """

    amount: float
    currency: str | None
    unit: str | None
    minutes: int | None
    start: int
    end: int

    @property
    def per_hour(self) -> float | None:
        """The hourly rate this price implies, or None without a duration."""
        if not self.minutes:
            return None
        return self.amount * 60.0 / self.minutes

    def to_dict(self) -> dict:
        """The match as a JSON-serialisable dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AgeMatch:
    """A stated age (``19 jaar``, ``19yo``, ``age: 19``) and its span."""

    age: int
    start: int
    end: int

    def to_dict(self) -> dict:
        """The match as a JSON-serialisable dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A persona name the ad uses (``Ik ben Lisa``) and its span."""

    name: str
    start: int
    end: int

    def to_dict(self) -> dict:
        """The match as a JSON-serialisable dict."""
        return asdict(self)


_CUR = (
    r"(?P<{g}>€|eur(?:o'?s|os?)?\b|\$|usd\b|dollars?\b|£|gbp\b|roses?\b|rozen\b|rosas\b|"
    r"donations?\b|bloemen\b|flowers?\b|kisses\b|zł|pln\b)"
)
_AMOUNT = r"(?P<{g}>\d{{2,4}}(?:[.,]\d{{2}})?)(?:,-)?"
_DUR = (
    r"(?:(?P<{g}half>half\s*(?:uur|uurtje|hour|hr|h)\b|1/2\s*(?:u|uur|h|hr|hour)\b|½\s*(?:u|uur|h|hr|hour)\b|hh\b|hhr\b|halfuur\b)"
    r"|(?P<{g}qv>qv\b|kwartier\b|quarter\b)|(?P<{g}fh>fh\b)"
    r"|(?P<{g}night>(?:hele\s*|full\s*|all\s*|1\s*|een\s*|one\s*)?(?:nacht|night|overnight|overnachting)\b)"
    r"|(?P<{g}mins>\d{{1,3}})\s*(?:min(?:uten|utes|s|\.)?|m)\b"
    r"|(?:(?P<{g}hours>[1-9]\d?(?:[.,]5)?|een|één|one|an?)\s*)?(?:u|uur|uurtje|uren|h|hr|hrs|hour|hours)\b)"
)


def _f(pattern: str, **groups: str) -> str:
    return pattern.format(**groups)


_SEP_AFTER = r"\s*(?:/|per\b|p/|p\.|pro\b|an?\b|each\b|=|for\b|voor\b|-)\s*"
_CUR_PLAIN = _CUR.replace("(?P<{g}>", "(?:")


def _after(g: str) -> str:
    """A duration after a price: "/u", "per uur", "= 15 min", or after a space if no price follows."""
    return (
        rf"(?:{_SEP_AFTER}{_f(_DUR, g=g)}|\s+{_f(_DUR, g=g + '2')}"
        rf"(?!\s*[:=\-–>]+\s*(?:{_CUR_PLAIN}\s*)?\d))?"
    )


_PRICE = re.compile(
    # unit first: "1h 150", "30 min - 200 roses", "half uur: €80"
    r"(?<![\w/])" + _f(_DUR, g="b") + r"\s*[:=\-–>]*\s*(?:" + _f(_CUR, g="bcur1") + r"\s*)?"
    + _f(_AMOUNT, g="bamt") + r"(?:\s*" + _f(_CUR, g="bcur2") + r")?(?![\d:.])"
    # currency first: "€150/u", "$ 200 per hour"
    + r"|" + _f(_CUR, g="ccur") + r"\s*" + _f(_AMOUNT, g="camt") + _after("c")
    # amount first: "150 rozen", "150 euro per uur", "150€/u", "50 roses 20 mins"
    + r"|(?<![\w.])" + _f(_AMOUNT, g="aamt") + r"\s*" + _f(_CUR, g="acur") + _after("a")
    # amount/duration without currency: "150/u", "100/30", "275/hh"
    + r"|(?<![\w.,/])" + _f(_AMOUNT, g="damt") + r"(?:\s*(?:/+|per\b|p/)\s*|(?=[a-z]))"
    + r"(?:(?P<dmin>15|20|30|45|60|90|120)(?![\d/:.])|" + _f(_DUR, g="d") + r")",
    re.IGNORECASE,
)  # fmt: skip
_CURRENCIES = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "euro's": "EUR", "euros'": "EUR",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "£": "GBP", "gbp": "GBP",
    "pound": "GBP", "pounds": "GBP", "zł": "PLN", "pln": "PLN",
}  # fmt: skip
_ROSES = ("rose", "roze", "rosa", "donat", "bloem", "flower", "kisses")


def _currency(raw: str | None) -> str | None:
    if not raw:
        return None
    low = raw.lower()
    if low.startswith(_ROSES):
        return "roses"
    return _CURRENCIES.get(low, low.upper())


def _unit_for(minutes: int) -> str:
    return {15: "quarter_hour", 30: "half_hour", 60: "hour", 480: "night"}.get(
        minutes, f"{minutes}_min"
    )


def _amount(raw: str) -> float:
    return float(raw.replace(",", "."))


def find_prices(text: str) -> list[PriceMatch]:
    """Prices with currency and duration (``€150/u``, ``150 rozen``, ``1h 150``, ``100/30``).

    Examples
    --------
    >>> [(p.amount, p.currency, p.unit) for p in find_prices("Half uur €80, 1 uur 150 rozen, nacht 1000")]
    [(80.0, 'EUR', 'half_hour'), (150.0, 'roses', 'hour'), (1000.0, None, 'night')]
    >>> [(p.amount, p.unit) for p in find_prices("€150/u of 100/30")]
    [(150.0, 'hour'), (100.0, 'half_hour')]
    >>> find_prices("Ik ben 19 jaar en 1.65 lang, bel 0612345678")
    []
    """
    out: list[PriceMatch] = []
    unit_first_end = -1
    for m in _prices(text):
        if m["bamt"] is not None:
            amount, cur = m["bamt"], m["bcur1"] or m["bcur2"]
            unit, minutes = _dur_of(m, "b", m.start(), m.start("bamt"))
        elif m["camt"] is not None:
            amount, cur = m["camt"], m["ccur"]
            unit, minutes = _dur_of(m, "c", m.end("camt"), m.end())
        elif m["aamt"] is not None:
            amount, cur = m["aamt"], m["acur"]
            unit, minutes = _dur_of(m, "a", m.end("acur"), m.end())
        else:
            amount, cur = m["damt"], None
            if m["dmin"]:
                minutes = int(m["dmin"])
                unit = _unit_for(minutes)
            else:
                unit, minutes = _dur_of(m, "d", m.end("damt"), m.end())
            if unit is None or _amount(amount) < 30:
                continue
        value = _amount(amount)
        if value <= 0:
            continue
        if (
            unit is None
            and out
            and out[-1].end == unit_first_end
            and _SHARED_UNIT_GAP.fullmatch(text, out[-1].end, m.start())
        ):
            # "1h - 300 roses 350 roses": incall and outcall prices share the duration before them
            unit, minutes = out[-1].unit, out[-1].minutes
        out.append(PriceMatch(value, _currency(cur), unit, minutes, m.start(), m.end()))
        if m["bamt"] is not None:
            unit_first_end = m.end()
    return out


_SHARED_UNIT_GAP = re.compile(r"[\s/|,;]{1,4}")
# Where a _PRICE match can start: the amount (a run of 2+ digits), a currency, or a duration
# word shortly before an amount (its first letters, case-insensitively, at a word start).
_CURRENCY_STARTS = (
    "€", "$", "£", "eur", "usd", "dollar", "gbp", "rose", "rozen", "rosas", "donation",
    "bloemen", "flower", "kisses", "zł", "pln",
)  # fmt: skip
# (The class comes first so that the regex engine can skip to it; the lookbehind then
# checks the character before it, as (?<![\w/]) would.)
_DURATION_START = re.compile(r"[hqkfaeonuéHQKFAEONUÉ\u212a\d½](?<![\w/].)")
_START = re.Match.start


def _reversed_alternation(words: str) -> str:
    return "|".join(re.escape(w[::-1]) for w in sorted(words.split(), key=len, reverse=True))


# What follows the digits where a match starts with them: a currency, "/" or "per" and a
# duration, or a unit word ("150 euro", "150/u", "30 min", "1.5 uur", "1/2 uur").
_AFTER_DIGITS = re.compile(r"\d+(?:[.,]\d+)?(?:,-)?\s*(?:[^\W\d_]|[/€$£])")
# Read backwards from an amount: spaces, maybe a currency, separators, then the last word of
# a duration (every _DUR alternative ends in one of these units, "min." with its dot).
_UNIT_BEFORE = re.compile(
    r"\s*(?:(?:"
    + _reversed_alternation(
        "€ $ £ zł eur euro euros euro's usd dollar dollars gbp rose roses rozen rosas "
        "donation donations bloemen flower flowers kisses pln"
    )
    + r")\s*)?[\s:=\-–>]*\.?(?:"
    + _reversed_alternation(
        "u uur uurtje uren h hr hrs hour hours hh hhr halfuur qv kwartier quarter fh nacht "
        "night overnight overnachting min minuten minutes mins m"
    )
    + ")"
)
# The most a duration holds before its unit word, counted as back_limits counts: "half",
# "hele", "12,5", "één", "120" (and a margin).
_DURATION_LEAD = 6
# Word starts, for names written before "(dd)".
_WORD_START = re.compile(r"\w(?<!\w.)")


def _prices(text: str) -> Iterable[re.Match[str]]:
    """``_PRICE.finditer(text)``, trying only where a price can start."""
    spans = digit_runs(text)
    if not spans:
        return ()  # every price has an amount of two digits or more
    if not ascii_fold_safe(text):
        return _PRICE.finditer(text)
    # Only a currency may come before an amount of five digits or more ("€123456" reads
    # "€1234"); every other alternative needs an amount of two to four digits.
    runs = [a for a, b in spans if b - a <= 4]
    low = lowered(text)
    starts = [a for a in runs if _AFTER_DIGITS.match(text, a)]
    starts += keyword_starts(low, _CURRENCY_STARTS)
    # A duration before the amount ends in a unit word just before it (a currency aside),
    # and starts at most _DURATION_LEAD counted characters before that word.
    rev, n = low[::-1], len(low)
    units = []  # where that unit word starts (reading back, the longest unit word there)
    for rs in runs:
        m = _UNIT_BEFORE.match(rev, n - rs)
        if m is not None:
            units.append(n - m.end())
    for a, u in zip(back_limits(text, units, _DURATION_LEAD), units, strict=True):
        starts.extend(map(_START, _DURATION_START.finditer(text, a, u + 1)))
    return finditer_at(_PRICE, text, sorted(set(starts)))


def _dur_of(m: re.Match, g: str, a: int, b: int) -> tuple[str | None, int | None]:
    """Duration named by groups ``g*`` of ``m``, if the text between a and b names one."""
    if g + "2half" in m.re.groupindex and not any(
        m[g + k] for k in ("half", "qv", "fh", "night", "mins", "hours")
    ):
        if any(m[g + "2" + k] for k in ("half", "qv", "fh", "night", "mins", "hours")) or (
            m.start(g + "2mins") == -1 and _HOUR_WORD.search(m.string, a, b)
        ):
            g = g + "2"
    if m[g + "qv"]:
        return "quarter_hour", 15
    if m[g + "fh"]:
        return "hour", 60
    if m[g + "half"]:
        return "half_hour", 30
    if m[g + "night"]:
        return "night", 480
    if m[g + "mins"]:
        minutes = int(m[g + "mins"])
        return _unit_for(minutes), minutes
    between = m.string[a:b]
    if not _HOUR_WORD.search(between):
        return None, None
    hours = m[g + "hours"]
    n = 1.0
    if hours and hours[0].isdigit():
        n = float(hours.replace(",", "."))
    minutes = int(n * 60)
    return _unit_for(minutes), minutes


_HOUR_WORD = re.compile(r"(?<![a-z])(?:u|uur|uurtje|uren|h|hr|hrs|hour|hours)\b", re.I)

_AGE = re.compile(
    r"(?<![\d.,/€$])(?P<a1>\d{2})\s*(?:-\s*)?(?:jaar\b|jr\b\.?|jarige\b|yo\b|y/o\b|y\.o\.?|yrs?\b|years?\s+(?:old|young)\b|ans\b|años\b|anos\b|lat\b)"
    r"|\b(?:age|leeftijd|alter|edad|âge)\s*[:=\-]?\s*(?P<a2>\d{2})\b"
    r"|\b(?:ik\s+ben|i\s+am|i'?m|im)\s+(?:a\s+|een\s+|only\s+|pas\s+|net\s+|just\s+)?(?P<a3>\d{2})\b(?!\s*(?:cm|kg|min|euro|eur|€|%|\$|/|[.,]\d|'|\"))"
    r"|\b[A-Z][a-z]{2,15}\s*\((?P<a4>\d{2})\)"
    r"|\s-\s(?P<a5>\d{2})\s*(?:\n|$)",
    re.IGNORECASE,
)  # fmt: skip


# Where an _AGE match can start: its two digits (a run of exactly two), " - " before them,
# a cue word shortly before them (lower-cased text), or a name before "(dd)".
# (No cue can start inside another one, so non-overlapping matches find them all.)
_AGE_CUE = re.compile(
    r"a(?<!\w.)(?:ge|lter)|l(?<!\w.)eeftijd|e(?<!\w.)dad|â(?<!\w.)ge|i(?<!\w.)(?:k\s|\s|'?m)"
)

# The first letter of an age unit after the digits, and the " - " before them.
_UNIT_AFTER = re.compile(r"\d\d\s*(?:-\s*)?[jyalJYAL]")
_DASH_BEFORE = re.compile(r"\s-\s")


def _age_matches(text: str) -> Iterable[re.Match[str]]:
    """``_AGE.finditer(text)``, trying only where an age can start."""
    runs = [a for a, b in digit_runs(text) if b - a == 2]
    if not runs:
        return ()  # every age is a run of exactly two digits
    if not ascii_fold_safe(text):
        return _AGE.finditer(text)
    low = lowered(text)
    # At its digits only the "19 jaar" alternative can start (the others start with a
    # letter or a space); three characters before them only " - 19" can.
    starts = [rs for rs in runs if _UNIT_AFTER.match(text, rs)]
    starts += [rs - 3 for rs in runs if rs >= 3 and _DASH_BEFORE.match(text, rs - 3)]
    for a, rs in zip(back_limits(text, runs), runs, strict=True):
        starts.extend(map(_START, _AGE_CUE.finditer(low, a, rs)))
        if rs and text[rs - 1] == "(":
            q = rs - 1
            while q > 0 and text[q - 1].isspace():
                q -= 1
            starts.extend(map(_START, _WORD_START.finditer(text, max(0, q - 16), max(0, q - 2))))
    return finditer_at(_AGE, text, sorted(set(starts)))


def find_ages(text: str) -> list[AgeMatch]:
    """Stated ages: ``19 jaar``, ``19yo``, ``age: 19``, ``ik ben 19``, ``Lisa (19)``.

    Ages outside 12-80 are ignored (they are sizes, prices or years).

    Examples
    --------
    >>> [a.age for a in find_ages("Lisa (23), age: 24, ik ben 25 en 26yo, 27 jaar oud")]
    [23, 24, 25, 26, 27]
    >>> find_ages("€50 per 15 min, 1.65 m")
    []
    """
    return list(_ages(text))


@lru_cache(maxsize=32)
def _ages(text: str) -> tuple[AgeMatch, ...]:
    # Remembered: extract_all and indicators.match both ask for the ages of the same ad.
    out = []
    for m in _age_matches(text):
        g = m.lastgroup or ""
        age = int(m[g])
        if 12 <= age <= 80:
            out.append(AgeMatch(age, m.start(g), m.end(g)))
    return tuple(out)


_NAME = re.compile(
    r"\b(?i:ik\s+ben|ik\s+heet|mijn\s+naam\s+is|my\s+name\s+is|my\s+name'?s|name\s*:|naam\s*:|"
    r"i\s+am|i'?m|call\s+me|noem\s+me|this\s+is|it'?s|je\s+suis|je\s+m'appelle|soy|sono)\s+"
    r"(?P<n1>[A-Z][a-zà-ÿ]{2,15}|[A-Z]{3,12}\b)"
    r"|\b(?P<n2>[A-Z][a-zà-ÿ]{2,15})\s*\(\d{2}\)"
)
# Where a _NAME match can start: a cue word (lower-cased text) or a name before "(dd)".
# Each cue is written as its first letter, "(?<!\w.)" (a word boundary before that letter:
# the engine can skip to the letter and checks the boundary after it), then the rest.
_NAME_CUE = re.compile(
    r"i(?<!\w.)(?:k\s|\s|'?m|t'?s)|m(?<!\w.)(?:ijn\s|y\s)|n(?<!\w.)(?:ame|aam|oem\s)"
    r"|c(?<!\w.)all\s|t(?<!\w.)his\s|j(?<!\w.)e\s|s(?<!\w.)o(?:y|no)\s"
)
_NAME_CUE_WORDS = frozenset(
    map(fold_word, "ik mijn my name naam i im call noem this it its je soy sono".split())
)

_AGE_PAREN = re.compile(r"\(\d{2}\)")


def _names(text: str) -> Iterable[re.Match[str]]:
    """``_NAME.finditer(text)``, trying only where a match can start."""
    if not ascii_fold_safe(text):
        return _NAME.finditer(text)
    f = folded(text)
    if alnum_tokens(f) is not None:
        # The words are the text's runs of letters and digits, and the first word of
        # every cue is one of them, followed by a space, "'" or ":".
        starts = list(compress(f.starts, map(_NAME_CUE_WORDS.__contains__, f.norms)))
    else:
        starts = [m.start() for m in _NAME_CUE.finditer(lowered(text))]
    if "(" in text:
        for m in _AGE_PAREN.finditer(text):
            q = m.start()
            while q > 0 and text[q - 1].isspace():
                q -= 1
            starts.extend(map(_START, _WORD_START.finditer(text, max(0, q - 16), max(0, q - 2))))
        starts.sort()
    return finditer_at(_NAME, text, starts)


_NOT_A_NAME = {
    "new", "nieuw", "ready", "here", "hier", "back", "terug", "available", "beschikbaar",
    "sweet", "sexy", "hot", "young", "jong", "the", "een", "very", "real", "your", "just",
    "not", "from", "uit", "and", "only", "also", "ook", "waiting",
    "looking", "open", "free", "vrij", "sorry", "live", "located", "visiting", "petite",
    "student", "blonde", "brunette", "latina", "asian", "ebony", "european", "busty",
    "curvy", "slim", "tall", "independent", "discreet", "discrete", "clean", "safe", "gentle",
    "dutch", "nederlandse", "english", "engels", "incall", "outcall", "today", "vandaag",
    "tonight", "vanavond", "sure", "still", "nog", "always", "altijd", "happy", "blij",
    "eager", "all", "alle", "what", "wat", "hello", "hallo", "hi", "hey", "hoi", "bij",
    "with", "met", "good", "goed", "fun", "naughty", "down", "into", "going", "gonna",
    "currently", "now", "nu", "heel", "erg", "super", "mooi", "lief", "lieve", "mature",
    "girl", "meisje", "lady", "dame", "vrouw", "woman", "escort", "model", "massage",
}  # fmt: skip


def find_names(text: str) -> list[NameMatch]:
    """Persona names the ad uses (best effort): ``Ik ben Lisa``, ``my name is Anna``, ``Lisa (23)``.

    Examples
    --------
    >>> [n.name for n in find_names("Hoi! Ik ben Lisa. My name is ANNA, call me Sweet. Mia (21)")]
    ['Lisa', 'Anna', 'Mia']
    """
    out = []
    for m in _names(text):
        g = m.lastgroup or ""
        raw = m[g]
        if raw.lower() in _NOT_A_NAME:
            continue
        out.append(NameMatch(raw.capitalize(), m.start(g), m.end(g)))
    return out
