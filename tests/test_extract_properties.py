"""Property-based and adversarial tests: no crash, spans inside the text, no catastrophic backtracking."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.extract import extract_all, find_phones
from classifier.indicators import match

ALPHABET = st.sampled_from(
    list("0123456789 -./()+*~_[]{}:@#$€!?\nOoIlSsexnvtwrfuhiz")
    + ["één", "nul", "zes", "twenty", "0️⃣", "６", "💋", "①"]
)
adlike = st.lists(ALPHABET, max_size=200).map("".join)


def _check_spans(text: str) -> None:
    ex = extract_all(text)
    for items in ex.to_dict().values():
        for item in items:
            assert 0 <= item["start"] <= item["end"] <= len(text)
    for m in ex.phones:
        assert text[m.start : m.end] == m.raw and m.e164.startswith("+")
    for h in match(text, hourly_norm=150):
        assert 0 <= h.start <= h.end <= len(text)
        assert 0 < h.weight <= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_unicode_never_crashes(text):
    _check_spans(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(adlike)
def test_number_like_noise_never_crashes(text):
    _check_spans(text)
    for m in find_phones(text, "US"):
        assert text[m.start : m.end] == m.raw


MB = 1_000_000
# Patterns that would blow up a backtracking regex. The cheap ones run at 1 MB; the others at
# 200 kB so the module stays fast on shared CI cores (super-linear behaviour shows at that size too).
ADVERSARIAL = [
    "6o" * (MB // 2),
    "1" * MB,
    "one" * (MB // 3) + "x",
    "achttien" * (MB // 8) + "x",
    "0-" * 100_000,
    "€1 " * 70_000,
    "o" * 200_000,
    "a." * 100_000,
    "(at) " * 40_000,
    "www." * 50_000,
    "Ik ben " * 30_000,
    "j o n g " * 25_000,
    "06 12 " * 35_000,
    # The scans that try only candidate starts: one per "@", per written-out "at", per label,
    # and a duration word a megabyte of spaces before its price.
    "a@" * (MB // 2),
    "lisa at " * (MB // 8),
    "telegram: a " * (MB // 12),
    "half" + " " * MB + "uur 150",
]


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:8]))
def test_one_megabyte_adversarial_inputs_finish(text):
    # pytest-timeout fails the test on catastrophic (super-linear) regex backtracking.
    ex = extract_all(text)
    hits = match(text)
    for items in ex.to_dict().values():
        assert all(0 <= i["start"] <= i["end"] <= len(text) for i in items)
    assert all(0 <= h.start <= h.end <= len(text) for h in hits)
