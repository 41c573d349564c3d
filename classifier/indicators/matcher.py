"""Match ad text against the indicator taxonomy, with evidence spans."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache

from classifier.exceptions import ExtractionInputError
from classifier.extract._scan import finditer_at, start_finder
from classifier.extract.attributes import PriceMatch, find_ages, find_prices
from classifier.indicators.taxonomy import TAXONOMY, Indicator
from classifier.text import PhraseIndex, folded

__all__ = ["IndicatorHit", "IndicatorMatcher", "match", "price_anomaly"]

_BY_ID = {ind.id: ind for ind in TAXONOMY}
_START = re.Match.start


@dataclass(frozen=True, slots=True)
class IndicatorHit:
    """One piece of evidence for an indicator.

    Attributes
    ----------
    id, category : str
        The indicator's id and category (see ``TAXONOMY``).
    start, end : int
        Span of the evidence in the original text, for highlighting.
    text : str
        ``text[start:end]`` (or a short description for computed hits).
    weight : float
        How strong a signal the indicator is, in (0, 1].
    """

    id: str
    category: str
    start: int
    end: int
    text: str
    weight: float

    def to_dict(self) -> dict:
        """The hit as a JSON-serialisable dict."""
        return asdict(self)


def _hit(ind: Indicator, text: str, start: int, end: int) -> IndicatorHit:
    return IndicatorHit(ind.id, ind.category, start, end, text[start:end], ind.weight)


class IndicatorMatcher:
    """Finds the indicators of a taxonomy in ad text.

    Parameters
    ----------
    taxonomy : iterable of Indicator, optional
        Defaults to ``TAXONOMY``.

    Examples
    --------
    >>> m = IndicatorMatcher()
    >>> [(h.id, h.text) for h in m.match("NIEUW in de stad!! 24/7 beschikbaar")]
    [('movement.new_in_town', 'NIEUW in de stad'), ('restricted.always_available', '24/7')]
    """

    def __init__(self, taxonomy: Iterable[Indicator] | None = None) -> None:
        self.taxonomy = list(TAXONOMY if taxonomy is None else taxonomy)
        self._index = {
            lang: PhraseIndex((p, ind) for ind in self.taxonomy for p in ind.patterns[lang])
            for lang in ("nl", "en")
        }
        self._index[""] = PhraseIndex((p, ind) for ind in self.taxonomy for p in (*ind.nl, *ind.en))
        groups: list[str] = []
        self._group_ind: dict[str, Indicator] = {}
        for ind in self.taxonomy:
            for pattern in ind.regex:
                name = f"r{len(groups)}"
                groups.append(f"(?P<{name}>{pattern})")
                self._group_ind[name] = ind
        self._regex = re.compile("|".join(groups), re.IGNORECASE) if groups else None
        self._regex_starts = start_finder(self._regex) if self._regex is not None else None
        self._ages = {
            i.id: i for i in self.taxonomy if i.id in ("youth.minor_age", "youth.young_age")
        }
        self._below_norm = next((i for i in self.taxonomy if i.id == "price.below_norm"), None)

    def match(
        self,
        text: str,
        lang: str | None = None,
        *,
        hourly_norm: float | None = None,
        ratio: float = 0.6,
    ) -> list[IndicatorHit]:
        """Indicator hits in ``text``, in text order (see :func:`match`)."""
        if not isinstance(text, str):
            raise ExtractionInputError(f"match expects a str, got {type(text).__name__}")
        key = (lang or "").lower()
        if key not in self._index:
            raise ExtractionInputError(
                f"Language {lang!r} is not supported; use 'nl', 'en' or None for both"
            )
        hits = [_hit(ind, text, s, e) for s, e, ind in self._index[key].find(folded(text))]
        if self._regex is not None:
            if self._regex_starts is not None:
                starts = map(_START, self._regex_starts.finditer(text))
                found = finditer_at(self._regex, text, starts)
            else:
                found = self._regex.finditer(text)
            for m in found:
                hits.append(_hit(self._group_ind[m.lastgroup or ""], text, m.start(), m.end()))
        if self._ages:
            for age in find_ages(text):
                ind = None
                if age.age < 18:
                    ind = self._ages.get("youth.minor_age")
                elif age.age <= 20:
                    ind = self._ages.get("youth.young_age")
                if ind is not None:
                    hits.append(_hit(ind, text, age.start, age.end))
        if hourly_norm is not None and self._below_norm is not None:
            hits += price_anomaly(find_prices(text), hourly_norm, ratio, text=text)
        hits.sort(key=lambda h: (h.start, -h.end))
        kept: list[IndicatorHit] = []
        last_end: dict[str, int] = {}
        for h in hits:
            if last_end.get(h.id, -1) > h.start:
                continue  # the same indicator found twice over the same words
            kept.append(h)
            last_end[h.id] = h.end
        return kept


@cache
def _default_matcher() -> IndicatorMatcher:
    return IndicatorMatcher()


def match(
    text: str,
    lang: str | None = None,
    *,
    hourly_norm: float | None = None,
    ratio: float = 0.6,
) -> list[IndicatorHit]:
    """Find the trafficking indicators in ``text``, each with its evidence span.

    Parameters
    ----------
    text : str
        The ad text (title + "\\n" + body).
    lang : {"nl", "en", None}
        Lexicon to use; None uses Dutch and English together.
    hourly_norm : float, optional
        The usual hourly price where the ad is placed (same currency as the
        ad). When given, prices far under it yield ``price.below_norm`` hits.
    ratio : float, default 0.6
        An hourly price under ``ratio * hourly_norm`` counts as an anomaly.

    Returns
    -------
    list of IndicatorHit
        In text order; one hit per piece of evidence.

    Examples
    --------
    >>> [(h.id, h.text) for h in match("Barely l3gal & fr3sh, only this week! Mijn meiden: 50 euro p/u", hourly_norm=150)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('youth.just_legal', 'Barely l3gal'), ('youth.young_words', 'fr3sh'),
     ('movement.short_stay', 'only this week'), ('third_party.my_girls', 'Mijn meiden'),
     ('price.below_norm', '50 euro p/u')]
    """
    return _default_matcher().match(text, lang, hourly_norm=hourly_norm, ratio=ratio)


def price_anomaly(
    prices: Iterable[PriceMatch],
    hourly_norm: float,
    ratio: float = 0.6,
    *,
    text: str | None = None,
) -> list[IndicatorHit]:
    """``price.below_norm`` hits for prices whose hourly rate is under ``ratio * hourly_norm``.

    Prices without a known duration, or in roses (an unknown currency), are
    not judged.

    Parameters
    ----------
    prices : iterable of PriceMatch
        From :func:`classifier.extract.find_prices` or ``extract_all(...).prices``.
    hourly_norm : float
        The usual hourly price in the ad's market, in the same currency.
    ratio : float, default 0.6
    text : str, optional
        The ad text, to quote the evidence; without it the hit's text describes the price.

    Examples
    --------
    >>> from classifier.extract import find_prices
    >>> [h.text for h in price_anomaly(find_prices("half uur 40 euro, 1 uur 150 euro"), 150)]
    ['40.0 per 30 min']
    """
    if hourly_norm <= 0:
        raise ExtractionInputError(
            f"hourly_norm has value {hourly_norm!r}; expected a positive price per hour"
        )
    ind = _BY_ID["price.below_norm"]
    out = []
    for p in prices:
        rate = p.per_hour
        if rate is None or p.currency == "roses" or rate >= ratio * hourly_norm:
            continue
        quote = text[p.start : p.end] if text is not None else f"{p.amount} per {p.minutes} min"
        out.append(IndicatorHit(ind.id, ind.category, p.start, p.end, quote, ind.weight))
    return out
