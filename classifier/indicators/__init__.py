"""Trafficking indicators: a documented taxonomy (categories, sources, Dutch and
English patterns) and a matcher that returns evidence spans for highlighting.

``match(text, lang=None, *, hourly_norm=None)`` returns ``IndicatorHit`` items;
price anomalies need the local hourly norm, passed as ``hourly_norm`` or via
``price_anomaly(prices, hourly_norm)``."""

from classifier.indicators.matcher import IndicatorHit, IndicatorMatcher, match, price_anomaly
from classifier.indicators.taxonomy import CATEGORIES, SOURCES, TAXONOMY, Indicator

__all__ = [
    "CATEGORIES",
    "SOURCES",
    "TAXONOMY",
    "Indicator",
    "IndicatorHit",
    "IndicatorMatcher",
    "match",
    "price_anomaly",
]
