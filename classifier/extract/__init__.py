"""Identifier and attribute extraction from ad text: phones (obfuscated ones too),
e-mail, messenger and social handles, URLs, prices, ages, places, languages,
origins and persona names, each with its span in the original text."""

from classifier.extract.attributes import (
    AgeMatch,
    NameMatch,
    PriceMatch,
    find_ages,
    find_names,
    find_prices,
)
from classifier.extract.contacts import ContactMatch, find_emails, find_handles, find_urls
from classifier.extract.core import FIELDS, Extraction, extract_all
from classifier.extract.gazetteer import LexiconMatch, find_languages, find_origins, find_places
from classifier.extract.phones import PhoneMatch, find_phones, unique_e164

__all__ = [
    "FIELDS",
    "AgeMatch",
    "ContactMatch",
    "Extraction",
    "LexiconMatch",
    "NameMatch",
    "PhoneMatch",
    "PriceMatch",
    "extract_all",
    "find_ages",
    "find_emails",
    "find_handles",
    "find_languages",
    "find_names",
    "find_origins",
    "find_phones",
    "find_places",
    "find_prices",
    "find_urls",
    "unique_e164",
]
