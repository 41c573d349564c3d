"""Prices, ages, names, e-mails, handles, places, languages, origins; extract_all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchmarks.bench_extract import evaluate_cmu_attributes, evaluate_etk
from classifier.extract import (
    FIELDS,
    extract_all,
    find_ages,
    find_emails,
    find_handles,
    find_languages,
    find_names,
    find_origins,
    find_places,
    find_prices,
    find_urls,
)

TABLE = yaml.safe_load(
    (Path(__file__).parent / "data" / "extract" / "nl_attributes.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(("text", "expected"), TABLE["prices"])
def test_prices(text, expected):
    got = [[p.amount, p.currency, p.unit] for p in find_prices(text)]
    assert got == [[float(a), c, u] for a, c, u in expected]


@pytest.mark.parametrize(("text", "expected"), TABLE["ages"])
def test_ages(text, expected):
    assert [a.age for a in find_ages(text)] == expected


@pytest.mark.parametrize(("text", "expected"), TABLE["names"])
def test_names(text, expected):
    assert [n.name for n in find_names(text)] == expected


@pytest.mark.parametrize(("text", "expected"), TABLE["emails"])
def test_emails(text, expected):
    assert [e.value for e in find_emails(text)] == expected


@pytest.mark.parametrize(("text", "expected"), TABLE["handles"])
def test_handles(text, expected):
    assert [h.value for h in find_handles(text)] == expected


@pytest.mark.parametrize(("text", "expected"), TABLE["places"])
def test_places(text, expected):
    assert [p.value for p in find_places(text)] == expected


@pytest.mark.parametrize(("text", "expected"), TABLE["languages"])
def test_languages(text, expected):
    assert [x.value for x in find_languages(text)] == expected


@pytest.mark.parametrize(("text", "expected"), TABLE["origins"])
def test_origins(text, expected):
    assert [x.value for x in find_origins(text)] == expected


def test_urls_exclude_emails_and_trailing_punctuation():
    ex = extract_all("Site: www.lisa-escort.nl/agenda. Mail: lisa@lisa-escort.nl")
    assert [u.value for u in ex.urls] == ["www.lisa-escort.nl/agenda"]
    assert ex.emails_list == ["lisa@lisa-escort.nl"]
    assert [u.value for u in find_urls("zie https://example.com/x?y=1!")] == [
        "https://example.com/x?y=1"
    ]


def test_extract_all_spans_and_json_round_trip():
    text = (
        "Ik ben Lisa (21), nieuw in Utrecht! Bel 06-12345678 of Telegram: @lisa_nl. "
        "€150/u. Ik spreek Engels. Roemeense dame. Mail lisa (at) voorbeeld (punt) nl"
    )
    ex = extract_all(text)
    assert ex.phones_e164 == ["+31612345678"]
    assert ex.handles_list == ["telegram:lisa_nl"]
    assert ex.emails_list == ["lisa@voorbeeld.nl"]
    assert [(p.amount, p.currency, p.unit) for p in ex.prices] == [(150.0, "EUR", "hour")]
    assert [a.age for a in ex.ages] == [21]
    assert [p.value for p in ex.places] == ["Utrecht"]
    assert [x.value for x in ex.languages] == ["English"]
    assert [x.value for x in ex.origins] == ["Romania"]
    assert [n.name for n in ex.names] == ["Lisa"]
    data = json.loads(json.dumps(ex.to_dict()))
    assert set(data) == set(FIELDS)
    for items in data.values():
        for item in items:
            assert 0 <= item["start"] < item["end"] <= len(text)
    assert text[data["phones"][0]["start"] : data["phones"][0]["end"]] == "06-12345678"


@pytest.mark.realdata
def test_etk_gold_attributes(shared_data):
    scores = evaluate_etk(shared_data)
    for name, s in scores.items():
        print(f"{name}: P={s.precision:.3f} R={s.recall:.3f} F1={s.f1:.3f}")
    assert scores["etk age (gold)"].f1 >= 0.9
    assert scores["etk price amount+minutes (gold)"].f1 >= 0.85
    assert scores["etk social handles (gold)"].f1 >= 0.9
    assert scores["etk email (gold)"].f1 == 1.0


@pytest.mark.realdata
def test_cmu_silver_attributes(shared_data):
    scores = evaluate_cmu_attributes(shared_data)
    for name, s in scores.items():
        print(f"{name}: P={s.precision:.3f} R={s.recall:.3f} F1={s.f1:.3f}")
    assert scores["cmu age (silver)"].recall >= 0.95
    assert scores["cmu price amount (silver)"].precision >= 0.85
