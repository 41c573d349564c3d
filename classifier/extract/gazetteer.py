"""Places, spoken languages and nationality or origin mentions, from word lexicons.

The place gazetteer (Dutch municipalities with their main towns, and the main
foreign cities) lives in ``data/*.txt``; languages and origins are below.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from classifier.text import Folded, PhraseIndex, Word, as_folded, fold_word, folded

__all__ = ["LexiconMatch", "find_languages", "find_origins", "find_places"]

_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class LexiconMatch:
    """A place, language or origin: canonical value, country where known, span.

    Attributes
    ----------
    value : str
        Canonical name (``Den Haag``, ``English``, ``Romania``).
    country : str or None
        ISO 3166 country of a place; None for languages and regions.
    start, end : int
        Span of the words in the original text.
    """

    value: str
    country: str | None
    start: int
    end: int

    def to_dict(self) -> dict:
        """The match as a JSON-serialisable dict."""
        return asdict(self)


@cache
def _places() -> tuple[PhraseIndex, frozenset[str]]:
    entries: list[tuple[str, tuple[str, str]]] = []
    ambiguous: set[str] = set()
    for line in (_DATA / "places_nl.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("!"):
            line = line[1:]
            ambiguous.add(line.split("|")[0])
        names = line.split("|")
        entries += [(name, (names[0], "NL")) for name in names]
    for line in (_DATA / "places_world.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        canonical, country, *rest = line.split("\t")
        aliases = rest[0].split("|") if rest and rest[0] else []
        entries += [(name, (canonical, country)) for name in [canonical, *aliases]]
    return PhraseIndex(entries), frozenset(ambiguous)


_LANGUAGES = {
    "Dutch": "nederlands hollands dutch niederländisch vlaams flemish",
    "English": "engels english englisch anglais inglés ingles",
    "German": "duits german deutsch allemand alemán",
    "French": "frans french französisch français francais",
    "Spanish": "spaans spanish spanisch español espanol castellano",
    "Italian": "italiaans italian italiano",
    "Portuguese": "portugees portuguese português portugues",
    "Polish": "pools polish polski polnisch",
    "Romanian": "roemeens romanian română romana rumänisch",
    "Bulgarian": "bulgaars bulgarian",
    "Hungarian": "hongaars hungarian magyar",
    "Russian": "russisch russian русский",
    "Ukrainian": "oekraïens oekraiens ukrainian",
    "Czech": "tsjechisch czech",
    "Slovak": "slowaaks slovak",
    "Lithuanian": "litouws lithuanian",
    "Latvian": "lets latvian",
    "Thai": "thais thai",
    "Chinese": "chinees chinese mandarin cantonese kantonees",
    "Japanese": "japans japanese",
    "Arabic": "arabisch arabic",
    "Turkish": "turks turkish",
    "Greek": "grieks greek",
    "Albanian": "albanees albanian",
    "Serbian": "servisch serbian",
    "Croatian": "kroatisch croatian",
    "Papiamento": "papiaments papiamento",
    "Tagalog": "tagalog filipino",
    "Vietnamese": "vietnamees vietnamese",
    "Korean": "koreaans korean",
}
_CUE_TEXT = (
    "spreek spreken spreekt speak speaks speaking spoken talen taal languages language "
    "sprache sprachen spreche parle parlo hablo habla talk sprekend"
)
_LANGUAGE_CUES = PhraseIndex((cue, True) for cue in _CUE_TEXT.split())
_CUE_WORDS = frozenset(fold_word(c) for c in _CUE_TEXT.split())


_SENTENCE_END = re.compile(r"[.!?\n]")


def _index(starts: tuple[int, ...], start: int) -> int:
    """Index of the word that starts at ``start`` (phrases always start at a word)."""
    i = bisect_left(starts, start)
    return i if i < len(starts) and starts[i] == start else -1


_ORIGINS = {
    "Netherlands": "nederlandse hollandse dutch girl nederlands meisje uit nederland",
    "Belgium": "belgische belgian belgie belgië",
    "Germany": "duitse german girl duitsland",
    "France": "franse french girl frankrijk",
    "Spain": "spaanse spaans meisje spain spanje",
    "Italy": "italiaanse italian girl italie italië italy",
    "Portugal": "portugese portugal",
    "Poland": "poolse polish polen poland",
    "Romania": "roemeense romanian roemenie roemenië romania",
    "Bulgaria": "bulgaarse bulgarian bulgarije bulgaria",
    "Hungary": "hongaarse hungarian hongarije hungary",
    "Ukraine": "oekraiense oekraïense ukrainian oekraine oekraïne ukraine",
    "Russia": "russische russian rusland russia",
    "Moldova": "moldavische moldovan moldavie moldova",
    "Lithuania": "litouwse lithuanian litouwen lithuania",
    "Latvia": "letse latvian letland latvia",
    "Czechia": "tsjechische czech tsjechie tsjechië czechia",
    "Slovakia": "slowaakse slovak slowakije slovakia",
    "Albania": "albanese albanian albanie albanië albania",
    "Serbia": "servische serbian servie servië serbia",
    "Croatia": "kroatische croatian kroatie kroatië croatia",
    "Greece": "griekse greek griekenland greece",
    "Turkey": "turkse turkish turkije turkey",
    "Brazil": "braziliaanse brazilian brazilie brazilië brazil brasileira",
    "Colombia": "colombiaanse colombian colombia",
    "Venezuela": "venezolaanse venezuelan venezuela",
    "Dominican Republic": "dominicaanse dominican dominicaanse republiek",
    "Cuba": "cubaanse cuban cuba",
    "Mexico": "mexicaanse mexican mexico",
    "Argentina": "argentijnse argentinian argentina",
    "Suriname": "surinaamse surinamese suriname",
    "Curaçao": "antilliaanse antillean curacaose curaçao curacao",
    "Thailand": "thaise thai girl thailand",
    "China": "chinese girl chinese dame chinees meisje china",
    "Japan": "japanse japanese girl japan",
    "Korea": "koreaanse korean girl korea",
    "Philippines": "filipijnse filipina filippijnen philippines",
    "Vietnam": "vietnamese vietnamese girl vietnam",
    "India": "indiase indian girl india",
    "Nigeria": "nigeriaanse nigerian nigeria",
    "Ghana": "ghanese ghanaian ghana",
    "Kenya": "keniaanse kenyan kenia kenya",
    "Morocco": "marokkaanse moroccan marokko morocco",
    "Eastern Europe": "oost-europese oost europese eastern european east european oost-europa",
    "Latin America": "latina latin latijns-amerikaanse zuid-amerikaanse south american",
    "Asia": "aziatische asian aziatisch azie azië asia oriental oosterse",
    "Africa": "afrikaanse african afrika africa",
    "Caribbean": "caribische caribbean",
    "Scandinavia": "scandinavische scandinavian",
}
_MULTIWORD_ORIGINS = {
    "dutch girl", "nederlands meisje", "uit nederland", "german girl", "french girl",
    "spaans meisje", "italian girl", "thai girl", "chinese girl", "chinese dame",
    "chinees meisje", "japanese girl", "korean girl", "vietnamese girl", "indian girl",
    "dominicaanse republiek", "oost europese", "eastern european", "east european",
    "south american",
}  # fmt: skip


def _entries(table: dict[str, str], multiword: set[str]) -> list[tuple[str, str]]:
    out = []
    for canonical, names in table.items():
        rest = names
        for phrase in multiword:
            if phrase in rest:
                out.append((phrase, canonical))
                rest = rest.replace(phrase, " ")
        out += [(name, canonical) for name in rest.split()]
    return out


_LANGUAGE_INDEX = PhraseIndex(_entries(_LANGUAGES, set()))
_ORIGIN_INDEX = PhraseIndex(_entries(_ORIGINS, _MULTIWORD_ORIGINS))


def find_places(
    text: str, ws: list[Word] | tuple[Word, ...] | Folded | None = None
) -> list[LexiconMatch]:
    """Dutch municipalities (and their main towns) and main foreign cities.

    Names that are also ordinary words (``Best``, ``Goes``, ``Putten``) only
    count when capitalised. Towns are reported as their municipality.

    Parameters
    ----------
    text : str
        The ad text.
    ws : list of Word, optional
        ``words(text)`` or ``folded(text)`` when the caller already has them.

    Examples
    --------
    >>> [(p.value, p.country) for p in find_places("Nieuw in Den Bosch, ook in scheveningen en Antwerpen")]
    [("'s-Hertogenbosch", 'NL'), ('Den Haag', 'NL'), ('Antwerp', 'BE')]
    >>> find_places("this goes best")
    []
    """
    index, ambiguous = _places()
    out = []
    for start, end, (canonical, country) in index.find(folded(text) if ws is None else ws):
        if canonical in ambiguous and not text[start].isupper():
            continue
        out.append(LexiconMatch(canonical, country, start, end))
    return out


def find_languages(
    text: str, ws: list[Word] | tuple[Word, ...] | Folded | None = None
) -> list[LexiconMatch]:
    """Languages the ad says are spoken (``ik spreek Engels en Duits``, ``I speak English``).

    A language name counts only near a cue word (speak, spreek, talen, languages).

    Examples
    --------
    >>> [m.value for m in find_languages("Ik spreek Engels, Duits en een beetje Nederlands. Thai massage")]
    ['English', 'German', 'Dutch']
    """
    f = folded(text) if ws is None else as_folded(ws)
    if _CUE_WORDS.isdisjoint(f.norms):
        return []
    cues = _LANGUAGE_CUES.find(f)
    if not cues:
        return []
    starts = f.starts
    cue_spans = [(_index(starts, s), s, e) for s, e, _ in cues]
    out = []
    for start, end, lang in _LANGUAGE_INDEX.find(f):
        i = _index(starts, start)
        for c, cs, ce in cue_spans:
            lo, hi = (ce, start) if c < i else (end, cs)
            if -2 <= i - c <= 8 and not _SENTENCE_END.search(text, lo, hi):
                out.append(LexiconMatch(lang, None, start, end))
                break
    return out


def find_origins(
    text: str, ws: list[Word] | tuple[Word, ...] | Folded | None = None
) -> list[LexiconMatch]:
    """Nationality or origin mentions (``Roemeense dame``, ``from Brazil``, ``latina``).

    Examples
    --------
    >>> [m.value for m in find_origins("Nieuwe Roemeense dame, sexy latina from Brazil")]
    ['Romania', 'Latin America', 'Brazil']
    """
    return [
        LexiconMatch(origin, None, start, end)
        for start, end, origin in _ORIGIN_INDEX.find(folded(text) if ws is None else ws)
    ]
