"""Phone-number validation read straight from ``phonenumbers``' metadata.

``phonenumbers.parse`` followed by ``is_valid_number`` costs tens of µs a
number. For the common cases (a national number of a region that has its
country code to itself, or ``+`` and such a country code) the same decision
is a few regex tests on tables built once per region from the same metadata;
:func:`fast_e164` answers those and leaves the rest to ``phonenumbers``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Final, Literal

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

__all__ = ["UNDECIDED", "fast_e164"]


class _Undecided(Enum):
    UNDECIDED = "UNDECIDED"

    def __repr__(self) -> str:
        return self.value


#: What :func:`fast_e164` answers when only ``phonenumbers`` can tell.
UNDECIDED: Final = _Undecided.UNDECIDED

# Bounds phonenumbers puts on a national significant number (_MIN/_MAX_LENGTH_FOR_NSN).
_MIN_NSN, _MAX_NSN = 2, 17
# Longest country calling code (_MAX_LENGTH_COUNTRY_CODE).
_MAX_CC = 3


@dataclass(frozen=True, slots=True)
class _Plan:
    """The numbering plan of one region, as the checks ``phonenumbers`` makes on it."""

    cc: str
    general: re.Pattern[str]  # general_desc.national_number_pattern
    lengths: tuple[int, ...]  # general_desc.possible_length, in metadata order
    local_only: tuple[int, ...]
    prefix: re.Pattern[str] | None  # national_prefix_for_parsing
    idd: re.Pattern[str] | None  # international_prefix
    by_length: dict[int, re.Pattern[str]]  # number types whose lengths allow it, one alternation

    def national(self, number: str) -> str:
        """The number with its national prefix stripped, as ``phonenumbers.parse`` decides.

        (``_maybe_strip_national_prefix_carrier_code`` and ``_test_number_length``
        for a plan without a prefix transform rule.)
        """
        if self.prefix is None or not number:
            return number
        m = self.prefix.match(number)
        if m is None:
            return number
        rest = number[m.end() :]
        if self.general.fullmatch(number) and not self.general.fullmatch(rest):
            return number
        n, lengths = len(rest), self.lengths
        if n in self.local_only or n < lengths[0]:
            return number  # IS_POSSIBLE_LOCAL_ONLY, TOO_SHORT
        if n == lengths[0] or n > lengths[-1] or n in lengths[1:]:
            return rest  # IS_POSSIBLE, TOO_LONG
        return number  # INVALID_LENGTH

    def e164(self, nsn: str) -> str | None:
        """E.164 form of a national significant number, or None if it is not valid."""
        n = len(nsn)
        if not _MIN_NSN <= n <= _MAX_NSN or n not in self.lengths:
            return None
        types = self.by_length.get(n)
        if types is None or not self.general.fullmatch(nsn) or not types.fullmatch(nsn):
            return None
        return "+" + self.cc + nsn


_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)


@cache
def _plan(region: str) -> _Plan | None:
    """The plan of ``region``, or None where the fast path does not apply.

    It applies when the region's country code belongs to it alone (so
    ``is_valid_number`` and ``is_valid_number_for_region`` agree), the metadata
    has a general pattern and lengths, and no national prefix transform rule.
    """
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.country_code is None:
        return None
    if COUNTRY_CODE_TO_REGION_CODE.get(meta.country_code) != (region,):
        return None
    general = meta.general_desc
    if (
        general is None
        or not general.national_number_pattern
        or not general.possible_length
        or meta.national_prefix_transform_rule
    ):
        return None
    names = list(_TYPES)
    if not meta.same_mobile_and_fixed_line_pattern:
        names.append("mobile")
    # (lengths or None for "any", pattern) of each number type; _number_type_helper's
    # tests, whose order only decides the type, not whether there is one.
    types = []
    for name in names:
        desc = getattr(meta, name)
        if desc is not None and desc.national_number_pattern:
            types.append((frozenset(desc.possible_length or ()), desc.national_number_pattern))
    by_length = {}
    for n in range(_MIN_NSN, _MAX_NSN + 1):
        alts = [f"(?:{p})" for lengths, p in types if not lengths or n in lengths]
        if alts:
            by_length[n] = re.compile("|".join(alts))
    npp = meta.national_prefix_for_parsing
    return _Plan(
        cc=str(meta.country_code),
        general=re.compile(general.national_number_pattern),
        lengths=tuple(general.possible_length),
        local_only=tuple(general.possible_length_local_only or ()),
        prefix=re.compile(npp) if npp else None,
        idd=re.compile(meta.international_prefix) if meta.international_prefix else None,
        by_length=by_length,
    )


@cache
def _plan_for_code(cc: int) -> _Plan | None:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(cc)
    if regions is None or len(regions) != 1:
        return None
    return _plan(regions[0])


def fast_e164(number: str, region: str) -> str | None | Literal[_Undecided.UNDECIDED]:
    """What ``phonenumbers`` makes of ``number``: its E.164 form if valid, else None.

    ``number`` is ASCII digits, maybe after one ``+``; ``region`` an upper-case
    region ``phonenumbers`` knows. The answer equals
    ``format_number(parse(number, region), E164)`` when the parsed number is
    valid (``is_valid_number``) and None when it is not or does not parse;
    :data:`UNDECIDED` where only ``phonenumbers`` itself can tell.

    Examples
    --------
    >>> fast_e164("0612345678", "NL"), fast_e164("0012345678", "NL")
    ('+31612345678', UNDECIDED)
    >>> fast_e164("+32470123456", "NL"), fast_e164("0699999", "NL")
    ('+32470123456', None)
    """
    if number.startswith("+"):
        digits = number[1:]
        if len(digits) <= _MIN_NSN:
            return None  # TOO_SHORT_AFTER_IDD
        if digits[0] == "0":
            return UNDECIDED  # phonenumbers then reads it without the "+"
        for i in range(1, min(len(digits), _MAX_CC) + 1):
            code = int(digits[:i])
            if code in COUNTRY_CODE_TO_REGION_CODE:
                break
        else:
            return UNDECIDED
        plan = _plan_for_code(code)
        if plan is None:
            return UNDECIDED
        rest = digits[i:]
        if len(rest) < _MIN_NSN:
            return None  # TOO_SHORT_NSN
        return plan.e164(plan.national(rest))
    plan = _plan(region)
    if (
        plan is None
        or len(number) < _MIN_NSN
        or number.startswith(plan.cc)  # may be read as having the country code
        or (plan.idd is not None and plan.idd.match(number))
    ):
        return UNDECIDED
    return plan.e164(plan.national(number))
