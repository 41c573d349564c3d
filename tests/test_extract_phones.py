"""Phone extraction: the project's Dutch table, the real pnmatcher and CMU sets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.bench_extract import evaluate_cmu_phones, evaluate_pnmatcher
from classifier.exceptions import ExtractionInputError
from classifier.extract import PhoneMatch, find_phones, unique_e164

TABLE = yaml.safe_load(
    (Path(__file__).parent / "data" / "extract" / "nl_phones.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(("text", "expected"), TABLE["positives"])
def test_dutch_table_positives(text, expected):
    assert unique_e164(find_phones(text, "NL")) == expected


@pytest.mark.parametrize("text", TABLE["negatives"])
def test_dutch_table_negatives(text):
    assert find_phones(text, "NL") == []


def test_spans_point_at_the_number_as_written():
    text = "Hoi! Bel +31 (0)6-1234 5678 of nul6 12 34 56 78 :)"
    matches = find_phones(text)
    assert [m.e164 for m in matches] == ["+31612345678", "+31612345678"]
    assert [m.raw for m in matches] == ["+31 (0)6-1234 5678", "nul6 12 34 56 78"]
    for m in matches:
        assert text[m.start : m.end] == m.raw
    assert unique_e164(matches) == ["+31612345678"]


def test_obfuscated_us_number_words_and_lookalikes():
    assert unique_e164(find_phones("2ONE6-SIX2TWO-5NINE5FOUR", "US")) == ["+12166225954"]
    assert unique_e164(find_phones("im at 6twentysix-4ohthree-o6oo call me", "US")) == [
        "+16264030600"
    ]


def test_region_default_changes_reading():
    assert unique_e164(find_phones("call 214 784 2976", "US")) == ["+12147842976"]
    assert find_phones("call 214 784 2976", "NL") == []


def test_unknown_region_is_an_actionable_error():
    with pytest.raises(ExtractionInputError, match="'ZZ'"):
        find_phones("06-12345678", "ZZ")


def test_phone_match_is_a_plain_dataclass():
    m = find_phones("06-12345678")[0]
    assert isinstance(m, PhoneMatch)
    assert m.to_dict() == {"e164": "+31612345678", "start": 0, "end": 11, "raw": "06-12345678"}


@pytest.mark.realdata
def test_pnmatcher_snippets_f1(shared_data):
    score = evaluate_pnmatcher(shared_data)
    print(f"pnmatcher phones P={score.precision:.3f} R={score.recall:.3f} F1={score.f1:.3f}")
    assert score.f1 >= 0.99, score.disagreements


@pytest.mark.realdata
def test_cmu_backpage_phones_against_silver(shared_data):
    raw = evaluate_cmu_phones(shared_data)
    adjudicated = evaluate_cmu_phones(shared_data, adjudicated=True)
    print(f"cmu phones vs silver P={raw.precision:.3f} R={raw.recall:.3f} F1={raw.f1:.3f}")
    print(f"cmu phones, silver errors removed F1={adjudicated.f1:.3f}")
    assert raw.f1 >= 0.985, raw.disagreements
    assert adjudicated.f1 >= 0.99, adjudicated.disagreements
