"""Indicator taxonomy and matcher."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from classifier.exceptions import ExtractionInputError
from classifier.extract import find_prices
from classifier.indicators import (
    CATEGORIES,
    SOURCES,
    TAXONOMY,
    IndicatorMatcher,
    match,
    price_anomaly,
)

TABLE = yaml.safe_load(
    (Path(__file__).parent / "data" / "extract" / "nl_indicators.yaml").read_text(encoding="utf-8")
)


def test_taxonomy_is_documented_and_covers_the_required_categories():
    required = {"youth", "movement", "third_party", "restricted", "unsafe_services", "price",
                "multiple_persons", "foreign_origin", "recruitment"}  # fmt: skip
    assert required <= set(CATEGORIES)
    ids = [ind.id for ind in TAXONOMY]
    assert len(ids) == len(set(ids))
    for ind in TAXONOMY:
        assert ind.category in CATEGORIES and ind.id.startswith(ind.category + ".")
        assert ind.description and "\n" not in ind.description
        assert ind.sources and set(ind.sources) <= set(SOURCES)
        assert 0 < ind.weight <= 1
    assert {c for ind in TAXONOMY for c in [ind.category]} >= required
    assert sum(bool(ind.nl) for ind in TAXONOMY) >= 15
    assert sum(bool(ind.en) for ind in TAXONOMY) >= 15


@pytest.mark.parametrize(("text", "expected"), TABLE["cases"])
def test_indicator_table(text, expected):
    hits = match(text)
    assert set(expected) <= {h.id for h in hits}
    for h in hits:
        assert text[h.start : h.end] == h.text


@pytest.mark.parametrize(("text", "expected"), TABLE["absent"])
def test_innocent_text_has_no_hits(text, expected):
    assert [h.id for h in match(text)] == expected


def test_evidence_span_is_exactly_the_trigger_words():
    text = "Hallo heren, ik ben NIEUW in de stad en b4rely l3gal."
    hits = {h.id: h for h in match(text)}
    assert hits["movement.new_in_town"].text == "NIEUW in de stad"
    assert hits["youth.just_legal"].text == "b4rely l3gal"
    assert hits["youth.just_legal"].category == "youth"


def test_lang_selects_the_lexicon():
    assert [h.id for h in match("new in town", lang="nl")] == []
    assert [h.id for h in match("new in town", lang="en")] == ["movement.new_in_town"]
    with pytest.raises(ExtractionInputError, match="'fr'"):
        match("x", lang="fr")


def test_price_anomaly_needs_a_norm():
    text = "Half uur 40 euro, 1 uur 150 euro, 200 roses"
    assert "price.below_norm" not in {h.id for h in match(text)}
    hits = [h for h in match(text, hourly_norm=150) if h.id == "price.below_norm"]
    assert [h.text for h in hits] == ["Half uur 40 euro"]
    assert [h.text for h in price_anomaly(find_prices(text), 150, text=text)] == [
        "Half uur 40 euro"
    ]
    with pytest.raises(ExtractionInputError):
        price_anomaly([], 0)


def test_custom_taxonomy():
    from classifier.indicators import Indicator

    ind = Indicator("youth.custom", "youth", "test", ("politie",), 0.5, nl=("piepjong",))
    assert [h.id for h in IndicatorMatcher([ind]).match("Piepjong!")] == ["youth.custom"]
