"""Why a search hit matched: the words found (as a marked snippet) and the filters it met."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

_TERM = re.compile(r'"([^"]+)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)
RISK_BANDS = (
    gettext_noop("high"),
    gettext_noop("medium"),
    gettext_noop("low"),
)  # for the catalogue
SNIPPET_CHARS = 90


@dataclass
class Piece:
    """A run of snippet text; ``mark`` is True where a search word was found."""

    text: str
    mark: bool = False


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )


def query_terms(q: str | None) -> list[str]:
    """The words of a search text (operators dropped), folded for comparison."""
    terms: list[str] = []
    for phrase, word in _TERM.findall(q or ""):
        for w in _WORD.findall(phrase or word):
            if w in ("OR", "AND", "NOT") or len(w) < 2:
                continue
            terms.append(_fold(w))
    return list(dict.fromkeys(terms))


def _stem(term: str) -> str:
    # The store stems words (Porter); a shared beginning is close enough to show the hit.
    return term if len(term) <= 4 else term[: max(4, len(term) - 2)]


def found_words(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans of the words in ``text`` that a search term matches."""
    stems = [_stem(t) for t in terms]
    spans = []
    for m in _WORD.finditer(text or ""):
        word = _fold(m.group(0))
        if any(word.startswith(s) for s in stems):
            spans.append((m.start(), m.end()))
    return spans


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> list[Piece]:
    """A window of ``text`` around the first found word, cut into marked pieces."""
    text = text or ""
    spans = found_words(text, terms)
    if not spans:
        short = text[: width * 2]
        return [Piece(short + ("…" if len(text) > len(short) else ""))] if short else []
    start = max(0, spans[0][0] - width)
    end = min(len(text), spans[0][1] + width)
    pieces: list[Piece] = []
    if start > 0:
        pieces.append(Piece("…"))
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        if s > pos:
            pieces.append(Piece(text[pos:s]))
        pieces.append(Piece(text[s:e], True))
        pos = e
    if pos < end:
        pieces.append(Piece(text[pos:end]))
    if end < len(text):
        pieces.append(Piece("…"))
    return pieces


def why_matched(hit: dict[str, Any], terms: list[str], filters: dict[str, Any]) -> list[str]:
    """Short reasons: which words were found where, and which filters the ad meets."""
    reasons: list[str] = []
    title_words = {
        _fold(hit.get("title", "")[s:e]) for s, e in found_words(hit.get("title", ""), terms)
    }
    text_words = {
        _fold(hit.get("text", "")[s:e]) for s, e in found_words(hit.get("text", ""), terms)
    }
    if title_words:
        reasons.append(
            _("title contains %(words)s") % {"words": ", ".join(sorted(title_words)[:5])}
        )
    if text_words:
        reasons.append(_("text contains %(words)s") % {"words": ", ".join(sorted(text_words)[:5])})
    if terms and not (title_words or text_words):
        reasons.append(_("matched the search words in another form (stemmed)"))
    labels = {
        "source": gettext_noop("source"),
        "city": gettext_noop("city"),
        "ad_type": gettext_noop("ad type"),
        "indicator_category": gettext_noop("indicator category"),
        "review_status": gettext_noop("review status"),
    }
    for name, label in labels.items():
        if name in filters:
            field = "indicator_categories" if name == "indicator_category" else name
            value = hit.get(field)
            have = value if isinstance(value, list) else [value]
            shown = [str(v) for v in have if v in filters[name]]
            if shown:
                reasons.append(f"{_(label)}: {', '.join(shown)}")
    if "risk_min" in filters or "risk_max" in filters:
        band = hit.get("risk_band") or "?"
        reasons.append(
            _("risk %(band)s (%(risk).2f)") % {"band": _(band), "risk": hit.get("risk") or 0}
        )
    return reasons
