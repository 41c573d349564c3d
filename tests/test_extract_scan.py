"""The fast scans of classifier.extract find exactly what a plain ``finditer`` finds.

Each extractor tries its costly regex only where a match can start (or only
near digits, or behind a cheap gate); these tests compare every such scan
with the plain scan on random ad-like text, including the characters that
IGNORECASE treats specially (İ ı ſ and the Kelvin sign).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier import text as text_module
from classifier.extract import _scan, attributes, contacts, gazetteer, phones
from classifier.indicators.matcher import IndicatorMatcher
from classifier.text import PhraseIndex, folded

PIECES = [
    *"0123456789 -./()+*:=@#$€£½!?'\n\t\xa0,;<>[]{}_|–",
    *"aAeEhHiIkKlLmMnNoOpPrRsStTuUwWxXzZ",
    "\u0130", "\u0131", "\u017f", "\u212a", "é", "â", "ł",
    "uur", "u", "h", "half", "min", "minuten", "nacht", "hele", "qv", "kwartier", "hour",
    "€", "euro", "euro's", "eur", "roses", "rozen", "usd", "dollars", "zł", "kisses", "per", "p/",
    "150", "80", "1", "06", "12345678", "2024", "0612345678",
    "ik ben", "I am", "i'm", "age", "leeftijd", "jaar", "yo", "Lisa", "ANNA", "my name is",
    "call me", "(21)", " - ",
    "at", "(at)", " at ", "[at]", "(punt)", " dot ", ".nl", ".com", "www.", "http://", "t.me/",
    "wa.me/", "snap", "Telegram", "whatsapp", "WA", "of", "insta", "kik",
    "nieuw in ", "new to ", "Utrecht", "24/7", "24 uur", "3 meiden", "2 girls",
]  # fmt: skip
ad_text = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
# Prices written unit first, from each part a duration and a price can have.
price_phrase = st.tuples(
    st.sampled_from(
        [
            "",
            "half",
            "HALF",
            "1/2",
            "½",
            "hele",
            "full",
            "all",
            "1",
            "een",
            "één",
            "one",
            "an",
            "a",
            "12,5",
            "1.5",
            "120",
            "30",
            "x",
        ]
    ),
    st.sampled_from(["", " ", "  ", "\n"]),
    st.sampled_from(
        [
            "uur",
            "u",
            "h",
            "hr",
            "hour",
            "hours",
            "uurtje",
            "uren",
            "hrs",
            "hh",
            "hhr",
            "halfuur",
            "qv",
            "kwartier",
            "quarter",
            "fh",
            "nacht",
            "night",
            "overnight",
            "overnachting",
            "min",
            "min.",
            "minuten",
            "minutes",
            "mins",
            "m",
            "Uur",
        ]
    ),
    st.sampled_from(["", " ", ": ", " - ", "=", " –> ", "/", ". "]),
    st.sampled_from(["", "€", "€ ", "euro ", "eur", "roses ", "$", "zł", "dollars "]),
    st.sampled_from(["80", "150", "1000", "12345", "80,-", "99.50", "5"]),
).map("".join)
# ... and amount first: "150 euro per uur", "80,-/u", "100/30", "99.50 rozen".
amount_phrase = st.tuples(
    st.sampled_from(["80", "150", "99.50", "80,-", "1000", "12,5", "06"]),
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["euro", "€", "eur ", "/", "/ ", "per ", "p/", "rozen", "$", "-", ",", ""]),
    st.sampled_from(["u", "uur", "30", "hour", "", "half uur", " 12345678"]),
).map("".join)
price_text = st.lists(st.sampled_from(PIECES) | price_phrase | amount_phrase, max_size=12).map(
    "".join
)
# Persona names after every cue the name pattern knows, between words and separators.
name_phrase = st.tuples(
    st.sampled_from(
        [
            "ik ben",
            "Ik heet",
            "mijn naam is",
            "my name is",
            "My name's",
            "name:",
            "naam :",
            "i am",
            "I'm",
            "im",
            "call me",
            "noem me",
            "this is",
            "it's",
            "its",
            "je suis",
            "je m'appelle",
            "soy",
            "sono",
            "IK  BEN",
        ]
    ),
    st.sampled_from([" ", "  ", "\n"]),
    st.sampled_from(["Lisa", "ANNA", "mia", "Sweet", "Émilie"]),
).map("".join)
name_text = st.lists(
    name_phrase | st.sampled_from([" ", ", ", ". ", "(21)", "Mia (22)"]), max_size=10
).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(fast, plain) -> None:
    fast, plain = list(fast), list(plain)
    assert [(m.span(), m.groupdict()) for m in fast] == [(m.span(), m.groupdict()) for m in plain]


@SETTINGS
@given(ad_text | price_text)
def test_price_and_age_scans_equal_plain_finditer(text):
    _same(attributes._prices(text), attributes._PRICE.finditer(text))
    _same(attributes._age_matches(text), attributes._AGE.finditer(text))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(price_text)
def test_price_phrase_scan_equals_plain_finditer(text):
    _same(attributes._prices(text), attributes._PRICE.finditer(text))


@SETTINGS
@given(ad_text | name_text)
def test_name_label_and_email_scans_equal_plain_finditer(text):
    _same(attributes._names(text), attributes._NAME.finditer(text))
    _same(contacts._labels(text), contacts._LABEL.finditer(text))
    _same(contacts._plain_emails(text), contacts._EMAIL.finditer(text))
    _same(
        contacts._obfuscated_emails(text, contacts._at_words(text)),
        contacts._EMAIL_OBF.finditer(text),
    )


AT_PIECES = [" ", "  ", "\n", "(", "[", "{", "<", ")", "]", "at", "AT", "@", "apenstaartje",
             "apen\u017ftaartje", "dat", "a", "t", "x", "( at )", "[  @ ]", "{\nAt}"]  # fmt: skip
at_text = st.lists(st.sampled_from(AT_PIECES), max_size=20).map("".join)


@SETTINGS
@given(ad_text | at_text)
def test_written_out_at_words_are_every_at_find_match(text):
    plain, m = [], contacts._AT_FIND.search(text)
    while m is not None:
        plain.append(m.start())
        m = contacts._AT_FIND.search(text, m.start() + 1)
    assert contacts._at_words(text) == plain


@SETTINGS
@given(ad_text)
def test_gates_never_hide_a_match(text):
    if contacts._URL.search(text):
        assert contacts._URL_GATE.search(text)
    assert contacts._url_gate(text) == bool(contacts._URL_GATE.search(text))
    if contacts._LINK_HANDLE.search(text):
        assert contacts._LINK_GATE.search(text)
    if contacts._EMAIL_OBF.search(text):
        assert contacts._at_words(text)


@SETTINGS
@given(ad_text)
def test_indicator_regex_scan_equals_plain_finditer(text):
    m = IndicatorMatcher()
    starts = [s.start() for s in m._regex_starts.finditer(text)]
    _same(_scan.finditer_at(m._regex, text, starts), m._regex.finditer(text))


@pytest.mark.parametrize(
    ("pattern", "text", "starts"),
    [
        (r"\bnew|\b24/7", "New, renew, 24/7 and 124", [0, 12]),
        (r"(?:a)?\bx", "ax x", [0, 1, 3]),  # no \b before every start: no boundary filter
        (r"kik", "KIK \u212aik", [0, 2, 4, 6]),  # IGNORECASE reads the Kelvin sign as k
    ],
)
def test_start_finder_finds_every_possible_start(pattern, text, starts):
    finder = _scan.start_finder(re.compile(pattern, re.IGNORECASE))
    assert [m.start() for m in finder.finditer(text)] == starts


@pytest.mark.parametrize("pattern", [r"\d+", r".x", r"a*", r"(?=a)"])
def test_start_finder_gives_up_on_general_patterns(pattern):
    assert _scan.start_finder(re.compile(pattern)) is None


def test_a_long_space_run_does_not_hide_a_price_or_an_age():
    text = "half" + " " * 5000 + "uur: " + " " * 5000 + "€ 150, Lisa" + " " * 3000 + "(21)"
    assert [(p.amount, p.unit) for p in attributes.find_prices(text)] == [(150.0, "half_hour")]
    assert [a.age for a in attributes.find_ages(text)] == [21]


def _plain_phrase_find(index: PhraseIndex, text: str) -> list[tuple[int, int, object]]:
    """PhraseIndex.find tried at every word: longest phrase first, then a one-word phrase or a prefix."""
    f = folded(text)
    norms, out, i = f.norms, [], 0
    while i < len(norms):
        for key, payload in index._by_two.get(norms[i : i + 2], ()):
            if norms[i : i + len(key)] == key:
                out.append((f.starts[i], f.ends[i + len(key) - 1], payload))
                i += len(key)
                break
        else:
            prefix = next((p for p in index._prefix_tuple if norms[i].startswith(p)), None)
            if norms[i] in index._single:
                out.append((f.starts[i], f.ends[i], index._single[norms[i]]))
            elif prefix is not None:
                out.append((f.starts[i], f.ends[i], index._prefixes[prefix]))
            i += 1
    return out


_INDICATORS = IndicatorMatcher()
_PHRASE_WORDS = sorted(
    {w for ind in _INDICATORS.taxonomy for p in (*ind.nl, *ind.en) for w in p.split()}
)
phrase_text = st.lists(
    st.sampled_from(_PHRASE_WORDS) | st.sampled_from(["en", "in", "de", "Utrecht", "Den", "Haag",
        "Bosch", "spreek", "Engels", "tienermeisje", "FUCKING", "x", "!", "\n", "06"]),
    max_size=40,
).map(" ".join)  # fmt: skip


@SETTINGS
@given(phrase_text)
def test_phrase_index_equals_a_scan_of_every_word(text):
    for index in (*_INDICATORS._index.values(), gazetteer._places()[0], gazetteer._ORIGIN_INDEX):
        assert index.find(folded(text)) == _plain_phrase_find(index, text)


@SETTINGS
@given(
    st.lists(
        st.sampled_from(["a", "Z", "1", "_", "@", "$", "!", "|", " ", "é", "\u0663", "-", "x!y"]),
        max_size=30,
    ).map("".join)
)
def test_possessive_word_pattern_splits_like_the_plain_one(text):
    plain = re.compile(r"\w+(?:[@$!|]+\w+)*")
    assert [m.span() for m in text_module._WORD.finditer(text)] == [
        m.span() for m in plain.finditer(text)
    ]


_SLOW_ATOM = rf"(?>{phones._COMPOUND}|{phones._WORD_ALT}|{phones._DIG}|(?-i:[OoIl]))"
_SLOW_TOKEN = re.compile(
    rf"(?:(?<={phones._LETTER})(?={phones._DIG})|(?<!{phones._LETTER})){_SLOW_ATOM}++", re.I
)
NUMBER_PIECES = [*"0123456789", "0ne", "0NE", "3ight", "3én", "3leven", "3lf", "elf", "z3r0",
                 "S1X", "oh", "O", "l", "twenty", "vierendertig", "nul", "lisa", "x", "n3"]  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(NUMBER_PIECES), min_size=1, max_size=8).map("".join))
def test_plain_digit_shortcut_reads_numeric_tokens_as_before(word):
    assert [m.group() for m in phones._TOKEN.finditer(word)] == [
        m.group() for m in _SLOW_TOKEN.finditer(word)
    ]
