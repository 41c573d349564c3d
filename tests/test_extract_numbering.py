"""The metadata fast path of phone validation gives what phonenumbers gives."""

from __future__ import annotations

from functools import cache

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.extract._numbering import UNDECIDED, fast_e164
from classifier.extract.phones import _parsed_e164

# NL and its neighbours, regions with other prefixes (HU "06", none for IT/ES/PL) or
# local-only lengths (DE, AT, BG), and regions the fast path leaves alone (shared codes).
REGIONS = ["NL", "BE", "DE", "FR", "GB", "US", "IT", "ES", "PL", "RO", "BG", "HU", "AT", "CH", "AR"]
_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip", "uan")


@cache
def _examples(region: str) -> list[str]:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    descs = [getattr(meta, t) for t in _TYPES]
    return [d.example_number for d in descs if d is not None and d.example_number]


ALL_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
_DIGITS = st.text("0123456789", min_size=0, max_size=4)


@st.composite
def numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(number, region): example numbers with digits changed, added or cut, in every form."""
    region = draw(st.sampled_from(REGIONS) | st.sampled_from(ALL_REGIONS))
    examples = _examples(region)
    if not examples or draw(st.booleans()):
        body = draw(st.text("0123456789", min_size=1, max_size=16))
    else:
        ex = draw(st.sampled_from(examples))
        cut = draw(st.integers(0, len(ex)))
        keep = draw(st.integers(cut, len(ex)))
        body = ex[:cut] + draw(_DIGITS) + ex[keep:]
    cc = str(phonenumbers.country_code_for_region(region))
    prefix = draw(st.sampled_from(["", "0", "06", "+", "+" + cc, "+" + cc + "0", cc, "00"]))
    return prefix + body, region


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(numbers())
def test_fast_path_agrees_with_phonenumbers(case: tuple[str, str]) -> None:
    number, region = case
    if number == "+":
        return
    fast = fast_e164(number, region)
    if fast is not UNDECIDED:
        assert fast == _parsed_e164(number, region)


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        ("0612345678", "NL", "+31612345678"),
        ("0201234567", "NL", "+31201234567"),
        ("06123456789", "NL", None),  # one digit too many
        ("0512345678", "NL", "+31512345678"),
        ("0991234567", "NL", None),  # no such area code
        ("+31612345678", "NL", "+31612345678"),
        ("+310612345678", "NL", "+31612345678"),  # "+31 (0)6 ..."
        ("+32470123456", "NL", "+32470123456"),
        ("+4915123456789", "NL", "+4915123456789"),
        ("0470123456", "BE", "+32470123456"),
        ("0612345678", "FR", "+33612345678"),
        ("06301234567", "HU", "+36301234567"),  # national prefix "06"
        ("0630123456", "HU", None),
        # Lithuania's national prefix is 0 or 8; an 8 that the number needs stays in it.
        ("80812347", "LT", "+37080812347"),
        ("880812347", "LT", "+37080812347"),
    ],
)
def test_fast_path_decides_common_numbers(number: str, region: str, expected: str | None) -> None:
    assert fast_e164(number, region) == expected
    assert _parsed_e164(number, region) == expected


@pytest.mark.parametrize(
    ("number", "region"),
    [
        ("+12125551234", "NL"),  # +1 is shared by 25 regions
        ("+447911123456", "NL"),  # +44 with Jersey, Guernsey, the Isle of Man
        ("2125551234", "US"),
        ("0012125551234", "NL"),  # an international prefix in the national form
        ("31612345678", "NL"),  # may be read as starting with the country code
        ("+0612345678", "NL"),  # phonenumbers rereads it without the "+"
    ],
)
def test_fast_path_leaves_the_hard_cases_to_phonenumbers(number: str, region: str) -> None:
    assert fast_e164(number, region) is UNDECIDED
