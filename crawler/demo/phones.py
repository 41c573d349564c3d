"""Synthetic phone numbers for the demo market and the many ways ads write them.

Numbers are drawn at random in valid mobile ranges and checked with
``phonenumbers``; the styles imitate how real advertisers dodge scrapers
(number words, emoji separators, keycap digits, full-width digits, a letter O).
"""

from __future__ import annotations

import random

import phonenumbers

# (region, country code, national mobile prefixes, digits after the prefix)
_FOREIGN = {
    "BE": (
        "32",
        [
            "470",
            "471",
            "472",
            "473",
            "475",
            "476",
            "477",
            "478",
            "479",
            "484",
            "485",
            "486",
            "487",
            "488",
            "489",
            "491",
            "492",
            "493",
            "494",
            "495",
            "496",
            "497",
            "498",
            "499",
        ],
        6,
    ),
    "DE": (
        "49",
        [
            "151",
            "152",
            "157",
            "160",
            "162",
            "163",
            "170",
            "171",
            "172",
            "173",
            "174",
            "175",
            "176",
            "177",
            "178",
            "179",
        ],
        7,
    ),
    "RO": (
        "40",
        [
            "721",
            "722",
            "723",
            "724",
            "726",
            "727",
            "728",
            "730",
            "731",
            "732",
            "740",
            "741",
            "742",
            "744",
            "745",
            "746",
            "747",
            "748",
            "749",
        ],
        6,
    ),
    "HU": ("36", ["20", "30", "31", "70"], 7),
}

NL_STYLES = (
    "plain",
    "spaced",
    "dashed",
    "intl",
    "intl-0031",
    "letter-o",
    "words-nl",
    "mixed-nl",
    "words-en",
    "emoji-sep",
    "keycap",
    "fullwidth",
)
FOREIGN_STYLES = ("intl", "intl-0031", "intl-compact")
# Styles that keep template texts near-identical: a few tokens, no number words.
COMPACT_STYLES = ("plain", "spaced", "dashed", "intl")

_NL_WORDS = ["nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
_NL_TEENS = [
    "tien",
    "elf",
    "twaalf",
    "dertien",
    "veertien",
    "vijftien",
    "zestien",
    "zeventien",
    "achttien",
    "negentien",
]
_NL_TENS = [
    "",
    "",
    "twintig",
    "dertig",
    "veertig",
    "vijftig",
    "zestig",
    "zeventig",
    "tachtig",
    "negentig",
]
_EN_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_EMOJI_SEPARATORS = ["📞", "✨", "💋", "🌹", "❤️", "🔥", "💕", "⭐"]


def random_nl_mobile(rng: random.Random) -> str:
    """A valid Dutch mobile number in E.164 (``+316xxxxxxxx``)."""
    while True:
        e164 = "+316" + str(rng.randint(1, 5)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        if phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            return e164


def random_foreign_mobile(rng: random.Random, region: str | None = None) -> str:
    """A valid Belgian, German, Romanian or Hungarian mobile number in E.164."""
    region = region or rng.choice(sorted(_FOREIGN))
    cc, prefixes, n = _FOREIGN[region]
    while True:
        e164 = "+" + cc + rng.choice(prefixes) + "".join(str(rng.randint(0, 9)) for _ in range(n))
        if phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            return e164


def _nl_two_digits(pair: str) -> str:
    """Dutch words for a two-digit group (``34`` -> ``vierendertig``); ``05`` stays digits."""
    value = int(pair)
    if pair[0] == "0":
        return pair
    if value < 10:
        return _NL_WORDS[value]
    if value < 20:
        return _NL_TEENS[value - 10]
    tens, units = divmod(value, 10)
    if units == 0:
        return _NL_TENS[tens]
    unit = _NL_WORDS[units]
    # "tweeëntwintig", "drieëndertig": a diaeresis where two e's would meet.
    joiner = "ën" if unit.endswith("e") else "en"
    return unit + joiner + _NL_TENS[tens]


def render_phone(e164: str, style: str, rng: random.Random) -> str:
    """Write ``e164`` the way an ad in ``style`` would (see ``NL_STYLES``)."""
    num = phonenumbers.parse(e164)
    national = str(num.national_number)
    cc = str(num.country_code)
    if cc != "31":
        groups = [national[i : i + 3] for i in range(0, len(national), 3)]
        if style == "intl-0031":
            return "00" + cc + " " + " ".join(groups)
        if style == "intl-compact":
            return "+" + cc + national
        return "+" + cc + " " + " ".join(groups)
    local = "0" + national  # 06xxxxxxxx
    pairs = [local[i : i + 2] for i in range(0, 10, 2)]
    if style == "plain":
        return local
    if style == "spaced":
        return " ".join(pairs)
    if style == "dashed":
        return (
            local[:2] + "-" + local[2:6] + "-" + local[6:]
            if rng.random() < 0.5
            else local[:2] + "-" + local[2:]
        )
    if style == "intl":
        return "+31 6 " + national[1:5] + " " + national[5:]
    if style == "intl-0031":
        return "0031 6" + national[1:]
    if style == "letter-o":
        return "O6-" + local[2:6] + " " + local[6:]
    if style == "words-nl":
        return " ".join(_NL_WORDS[int(d)] for d in local)
    if style == "mixed-nl":
        words = [pairs[0]] + [
            _nl_two_digits(p) if i in (1, 2) else p for i, p in enumerate(pairs) if i > 0
        ]
        return " ".join(words)
    if style == "words-en":
        return " ".join(_EN_WORDS[int(d)] for d in local)
    if style == "emoji-sep":
        seps = [rng.choice(_EMOJI_SEPARATORS), " ", rng.choice(_EMOJI_SEPARATORS), " "]
        return (
            pairs[0]
            + seps[0]
            + pairs[1]
            + seps[1]
            + pairs[2]
            + seps[2]
            + pairs[3]
            + seps[3]
            + pairs[4]
        )
    if style == "keycap":
        return "".join(d + "\ufe0f\u20e3" for d in local)
    if style == "fullwidth":
        return "".join(chr(0xFF10 + int(d)) for d in local)
    raise ValueError(f"Unknown phone style {style!r}; expected one of {NL_STYLES + FOREIGN_STYLES}")
