"""``extract_all``: every identifier and attribute of one ad in one structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from classifier.exceptions import ExtractionInputError
from classifier.extract.attributes import (
    AgeMatch,
    NameMatch,
    PriceMatch,
    find_ages,
    find_names,
    find_prices,
)
from classifier.extract.contacts import ContactMatch, find_emails, find_handles, find_urls
from classifier.extract.gazetteer import LexiconMatch, find_languages, find_origins, find_places
from classifier.extract.phones import PhoneMatch, find_phones, unique_e164
from classifier.text import folded

__all__ = ["FIELDS", "Extraction", "extract_all"]

FIELDS = (
    "phones",
    "emails",
    "handles",
    "urls",
    "prices",
    "ages",
    "places",
    "languages",
    "origins",
    "names",
)


@dataclass(slots=True)
class Extraction:
    """Everything extracted from one ad; each item keeps its span in the text.

    Attributes
    ----------
    phones : list of PhoneMatch
    emails, handles, urls : list of ContactMatch
        ``value`` is the lower-case address, ``platform:name`` handle or URL.
    prices : list of PriceMatch
    ages : list of AgeMatch
    places, languages, origins : list of LexiconMatch
    names : list of NameMatch
    """

    phones: list[PhoneMatch] = field(default_factory=list)
    emails: list[ContactMatch] = field(default_factory=list)
    handles: list[ContactMatch] = field(default_factory=list)
    urls: list[ContactMatch] = field(default_factory=list)
    prices: list[PriceMatch] = field(default_factory=list)
    ages: list[AgeMatch] = field(default_factory=list)
    places: list[LexiconMatch] = field(default_factory=list)
    languages: list[LexiconMatch] = field(default_factory=list)
    origins: list[LexiconMatch] = field(default_factory=list)
    names: list[NameMatch] = field(default_factory=list)

    @property
    def phones_e164(self) -> list[str]:
        """Distinct phone numbers in E.164, in order of first appearance."""
        return unique_e164(self.phones)

    @property
    def emails_list(self) -> list[str]:
        """Distinct e-mail addresses, lower case."""
        return list(dict.fromkeys(m.value for m in self.emails))

    @property
    def handles_list(self) -> list[str]:
        """Distinct handles as ``platform:name``."""
        return list(dict.fromkeys(m.value for m in self.handles))

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """A JSON-serialisable dict with one list of item dicts per field."""
        return {name: [item.to_dict() for item in getattr(self, name)] for name in FIELDS}


def extract_all(text: str, default_region: str = "NL") -> Extraction:
    """Extract phones, e-mails, handles, URLs, prices, ages, places, languages, origins and names.

    Parameters
    ----------
    text : str
        The ad text (title + "\\n" + body).
    default_region : str, default "NL"
        Region of the source, used for phone numbers without a country code.

    Returns
    -------
    Extraction

    Examples
    --------
    >>> ex = extract_all("Ik ben Lisa (21), nieuw in Utrecht! Bel 06-12345678, €150/u. Ik spreek Engels.")
    >>> ex.phones_e164, [a.age for a in ex.ages], [p.value for p in ex.places]
    (['+31612345678'], [21], ['Utrecht'])
    >>> [(p.amount, p.unit) for p in ex.prices], [n.name for n in ex.names], [x.value for x in ex.languages]
    ([(150.0, 'hour')], ['Lisa'], ['English'])
    >>> sorted(ex.to_dict())[:3]
    ['ages', 'emails', 'handles']
    """
    if not isinstance(text, str):
        raise ExtractionInputError(f"extract_all expects a str, got {type(text).__name__}")
    ws = folded(text)
    phones = find_phones(text, default_region)
    emails = find_emails(text)
    urls = [u for u in find_urls(text) if not any(e.start <= u.start < e.end for e in emails)]
    return Extraction(
        phones=phones,
        emails=emails,
        handles=find_handles(text, default_region),
        urls=urls,
        prices=find_prices(text),
        ages=find_ages(text),
        places=find_places(text, ws),
        languages=find_languages(text, ws),
        origins=find_origins(text, ws),
        names=find_names(text),
    )
