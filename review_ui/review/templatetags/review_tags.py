"""Template filters for showing hostile ad text honestly."""

from __future__ import annotations

import re

from django import template

register = template.Library()

# Bidirectional overrides and invisible characters: an ad can use them to make
# text read differently from what it is (e.g. reversed or hidden words).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@register.filter
def visible_controls(value: object) -> str:
    """Replace invisible and direction-changing characters by a visible ``⟨U+202E⟩``."""
    return _INVISIBLE.sub(
        lambda m: f"⟨U+{ord(m.group()):04X}⟩", str(value if value is not None else "")
    )
