"""The trafficking-indicator taxonomy: ids, categories, sources and NL/EN patterns.

Each indicator is a signal, not proof: it names wording that the literature and
Dutch practice associate with exploitation in sex-work ads. The mapping of each
indicator to its sources is this project's reading of those sources.

Sources (keys of ``SOURCES``):

- ``polaris``: Polaris Project, *The Typology of Modern Slavery* (2017),
  escort-service and online-ad types.
- ``signalenlijst``: Dutch *Signalenlijst mensenhandel* (CoMensha / Nationaal
  Rapporteur / Expertisecentrum Mensenhandel en Mensensmokkel).
- ``comensha``: CoMensha's indicators for sexual exploitation.
- ``ibanez2014``: Ibanez & Suthers (2014), detection of domestic human
  trafficking indicators and movement trends using content in online ads.
- ``giommoni2021``: Giommoni & Ikwu (2021), identifying human trafficking
  indicators in the UK online sex market.
- ``politie``: the Dutch police's published pre-selection criteria for online
  sex ads (coarse language, extreme acts, striking availability, foreign
  origin, young age).

Patterns are phrases matched on folded words (case, accents, leetspeak,
spacing and repeated letters do not matter; ``word*`` is a prefix) or, where
numbers matter, regular expressions on the original text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CATEGORIES", "SOURCES", "TAXONOMY", "Indicator"]

SOURCES = {
    "polaris": "Polaris Project, The Typology of Modern Slavery (2017)",
    "signalenlijst": "Signalenlijst mensenhandel (CoMensha, Nationaal Rapporteur, EMM)",
    "comensha": "CoMensha, indicatoren seksuele uitbuiting",
    "ibanez2014": "Ibanez & Suthers (2014), Detection of domestic human trafficking indicators in online ads",
    "giommoni2021": "Giommoni & Ikwu (2021), Identifying human trafficking indicators in the UK online sex market",
    "politie": "Politie, pre-selectiecriteria online sekswerk-advertenties (grof taalgebruik, extreme handelingen, opvallende beschikbaarheid, buitenlandse herkomst, jonge leeftijd)",
}

CATEGORIES = {
    "youth": "Youth or minor age",
    "movement": "Movement, short stays and touring",
    "third_party": "Third-party control",
    "restricted": "Restricted freedom and extreme availability",
    "unsafe_services": "Unsafe or 'everything' services, extreme acts",
    "coarse_language": "Coarse or degrading language",
    "price": "Price anomalies",
    "multiple_persons": "Several persons in one ad",
    "foreign_origin": "Language barrier and foreign origin",
    "recruitment": "Recruitment: job offers with housing, travel or debt",
}


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator of the taxonomy.

    Attributes
    ----------
    id : str
        Stable id, ``<category>.<name>``; the risk model uses it as a feature name.
    category : str
        A key of ``CATEGORIES``.
    description : str
        One line on what the indicator means.
    sources : tuple of str
        Keys of ``SOURCES``.
    weight : float
        How strong a signal it is, in (0, 1].
    nl, en : tuple of str
        Dutch and English phrases (folded-word matching; ``word*`` is a prefix).
    regex : tuple of str
        Case-insensitive regular expressions on the original text, for patterns with numbers.
    """

    id: str
    category: str
    description: str
    sources: tuple[str, ...]
    weight: float
    nl: tuple[str, ...] = ()
    en: tuple[str, ...] = ()
    regex: tuple[str, ...] = field(default=())

    @property
    def patterns(self) -> dict[str, tuple[str, ...]]:
        """All patterns by language (``nl``, ``en``, ``regex``)."""
        return {"nl": self.nl, "en": self.en, "regex": self.regex}


def _t(s: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in s.split(";") if p.strip())


TAXONOMY: list[Indicator] = [
    # --- youth --------------------------------------------------------------------------------
    Indicator(
        "youth.minor_age", "youth", "A stated age under 18.",
        ("politie", "polaris", "signalenlijst", "ibanez2014"), 1.0,
    ),
    Indicator(
        "youth.young_age", "youth", "A stated age of 18 to 20.",
        ("politie", "ibanez2014", "giommoni2021"), 0.5,
    ),
    Indicator(
        "youth.just_legal", "youth", "Stresses being just of age: barely legal, net 18, just turned 18.",
        ("politie", "ibanez2014", "giommoni2021"), 0.8,
        nl=_t("net 18; pas 18; net achttien; pas achttien; net meerderjarig; net 18 geworden"),
        en=_t("barely legal; just legal; just turned 18; just 18; fresh 18; newly 18; barely 18"),
    ),
    Indicator(
        "youth.young_words", "youth", "Words stressing youth: jong, young, teen, tiener, fresh, little girl.",
        ("politie", "ibanez2014", "giommoni2021"), 0.5,
        nl=_t("jong; jonge; heel jong; jong meisje; jonge meid; tiener*; jong ding; klein meisje; vers; vers vlees; lolita; maagd"),
        en=_t("young; very young; teen; teens; teenie; teeny; fresh; fresh girl; little girl; lolita; virgin; baby girl; youthful"),
    ),
    Indicator(
        "youth.school", "youth", "School references: scholiere, schoolgirl, high school.",
        ("politie", "ibanez2014"), 0.8,
        nl=_t("scholiere; schoolmeisje*; middelbare school; op school; examen"),
        en=_t("schoolgirl; school girl; high school; highschool; cheerleader"),
    ),
    # --- movement -----------------------------------------------------------------------------
    Indicator(
        "movement.new_in_town", "movement", "Just arrived: nieuw in de stad, new in town, net aangekomen.",
        ("polaris", "ibanez2014", "giommoni2021", "signalenlijst"), 0.6,
        nl=_t("nieuw in de stad; nieuw in stad; nieuw in nederland; nieuw in holland; net aangekomen; pas aangekomen; net nieuw; nieuw hier; eerste keer in nederland; eerste keer in holland"),
        en=_t("new in town; new to town; new in the city; just arrived; new arrival; first time in holland; first time in amsterdam; new in holland; new in the netherlands; new here"),
        regex=(r"\b(?:nieuw|new)\s+(?:in|to)\s+(?-i:[A-Z])\w+",),
    ),
    Indicator(
        "movement.short_stay", "movement", "A short stay: only this week, last days, a few days only.",
        ("polaris", "ibanez2014", "giommoni2021"), 0.6,
        nl=_t("alleen deze week; alleen vandaag; maar een paar dagen; paar dagen; korte tijd; laatste dagen; laatste dag; alleen dit weekend; deze week alleen; kort bezoek; voor korte tijd"),
        en=_t("only this week; this week only; only today; today only; few days only; last days; last day; short time only; only for a few days; limited time; for a short time; this weekend only; leaving soon"),
    ),
    Indicator(
        "movement.touring", "movement", "Touring or visiting from elsewhere: on tour, visiting, op doorreis.",
        ("polaris", "ibanez2014", "giommoni2021"), 0.5,
        nl=_t("op tour; op tournee; op doorreis; op bezoek; rondreis; elke week een andere stad; tour"),
        en=_t("on tour; touring; visiting; in town for; passing through; world tour; europe tour; travelling girl; traveling girl"),
    ),
    # --- third-party control ------------------------------------------------------------------
    Indicator(
        "third_party.my_girls", "third_party", "Someone speaks of 'my girls' or offers several girls.",
        ("polaris", "signalenlijst", "comensha", "ibanez2014"), 0.8,
        nl=_t("mijn meiden; mijn meisjes; mijn dames; onze meiden; onze meisjes; onze dames; nieuwe meiden; nieuwe meisjes"),
        en=_t("my girls; our girls; my ladies; our ladies; new girls; girls available; new girls every week"),
    ),
    Indicator(
        "third_party.booker", "third_party", "Someone else books or answers: manager, boyfriend, booking via.",
        ("polaris", "signalenlijst", "comensha", "giommoni2021"), 0.7,
        nl=_t("boeking via; afspraak via; bel mijn vriend; mijn vriend belt; mijn manager; manager; chauffeur; bellen met mijn; afspraken via"),
        en=_t("booking via; book through; call my manager; my manager; manager; driver; my boyfriend answers; my friend answers; bookings through; agent"),
    ),
    Indicator(
        "third_party.we_voice", "third_party", "The ad speaks as 'we' about the worker.",
        ("ibanez2014", "giommoni2021"), 0.3,
        nl=_t("wij bieden; wij hebben; bij ons; wij zijn; onze dame; ons meisje; zij is; ze is"),
        en=_t("we offer; we have; we are; our lady; our girl; she is; she will"),
    ),
    # --- restricted freedom / availability ----------------------------------------------------
    Indicator(
        "restricted.always_available", "restricted", "Striking availability: 24/7, always, day and night.",
        ("politie", "giommoni2021", "ibanez2014", "signalenlijst"), 0.6,
        nl=_t("altijd beschikbaar; altijd bereikbaar; dag en nacht; 7 dagen per week; zeven dagen per week; hele dag; dag en nacht beschikbaar; 24 uur"),
        en=_t("always available; available anytime; anytime; day and night; night and day; all day all night; 7 days a week; around the clock; available 24 hours"),
        regex=(r"\b24\s*(?:/|-|x)\s*7\b", r"\b24\s*(?:h|hrs|uur|hours)\b", r"\b24\s*uur\s*per\s*dag\b"),
    ),
    Indicator(
        "restricted.incall_only", "restricted", "Works only in a hotel or at one address: hotel only, alleen ontvangst.",
        ("polaris", "signalenlijst", "giommoni2021"), 0.4,
        nl=_t("alleen hotel; alleen in hotel; alleen ontvangst; alleen prive ontvangst; geen escort; alleen incall; hotelkamer"),
        en=_t("hotel only; incall only; only incall; hotel room; no outcall; no outcalls; in call only"),
    ),
    Indicator(
        "restricted.no_control", "restricted", "Signs of restricted movement or control: cannot leave, no own phone, no days off.",
        ("signalenlijst", "comensha", "polaris"), 0.9,
        nl=_t("kan niet weg; mag niet weg; geen vrije dag; geen vrije dagen; nooit vrij; woon en werk; woon op werk; geen eigen telefoon; paspoort"),
        en=_t("cannot leave; can't leave; no days off; never off; live where i work; no own phone; passport"),
    ),
    # --- unsafe / everything services ---------------------------------------------------------
    Indicator(
        "unsafe_services.no_condom", "unsafe_services", "Services without a condom.",
        ("politie", "giommoni2021", "signalenlijst"), 0.8,
        nl=_t("zonder condoom; zonder bescherming; onbeschermd; naturel; zonder rubber; nat neuken; nat pijpen"),
        en=_t("without condom; no condom; bareback; bbbj; bbfs; unprotected; raw; natural sex; no protection"),
    ),
    Indicator(
        "unsafe_services.everything", "unsafe_services", "'Everything goes': no limits, no taboos, alles mag.",
        ("politie", "giommoni2021", "ibanez2014"), 0.7,
        nl=_t("alles mag; alles kan; alles is mogelijk; geen taboes; geen taboe; geen grenzen; zonder grenzen; alles bespreekbaar"),
        en=_t("anything goes; everything goes; no limits; no limit; no taboos; no taboo; anything you want; everything you want; all services; full service"),
    ),
    Indicator(
        "unsafe_services.extreme", "unsafe_services", "Extreme or degrading acts.",
        ("politie", "giommoni2021"), 0.7,
        nl=_t("ruig; harde sex; extreem; vernedering; slavin; onderdanig; pijn; gangbang; groepsseks; anaal; sm"),
        en=_t("rough; hardcore; extreme; degradation; humiliation; slave; submissive; pain; gangbang; group sex; anal"),
    ),
    # --- coarse language ----------------------------------------------------------------------
    Indicator(
        "coarse_language.degrading", "coarse_language", "Coarse or degrading self-description.",
        ("politie",), 0.4,
        nl=_t("slet; sletje; hoer; hoertje; geil sletje; vies wijf; kutje; neuk*; pijp*"),
        en=_t("slut; whore; fuck*; dirty slut; cum slut; horny slut"),
    ),
    # --- price ----------------------------------------------------------------------------------
    Indicator(
        "price.cheap_words", "price", "Stresses low prices: goedkoop, cheap, special, discount.",
        ("giommoni2021", "ibanez2014", "politie"), 0.4,
        nl=_t("goedkoop; goedkope; spotgoedkoop; lage prijs; lage prijzen; korting; aanbieding; actie; budget"),
        en=_t("cheap; cheapest; low price; low prices; lowest rates; discount; special; specials; budget; bargain"),
    ),
    Indicator(
        "price.below_norm", "price", "An hourly price far under the local norm (computed from extracted prices).",
        ("giommoni2021", "signalenlijst"), 0.7,
    ),
    # --- several persons ------------------------------------------------------------------------
    Indicator(
        "multiple_persons.several", "multiple_persons", "Several persons offered in one ad: duo, 2 girls, meerdere dames.",
        ("ibanez2014", "giommoni2021", "polaris"), 0.6,
        nl=_t("duo; twee meiden; twee dames; twee meisjes; meerdere dames; meerdere meiden; meerdere meisjes; vriendinnen; drie meiden"),
        en=_t("duo; two girls; 2 girls; three girls; 3 girls; several girls; multiple girls; girlfriends; many girls; 2 ladies; two ladies"),
        regex=(r"\b[2-9]\s*(?:meiden|dames|meisjes|girls|ladies)\b",),
    ),
    # --- language barrier / foreign origin ------------------------------------------------------
    Indicator(
        "foreign_origin.language_barrier", "foreign_origin", "Does not speak the local language or little English.",
        ("signalenlijst", "comensha", "giommoni2021", "politie"), 0.6,
        nl=_t("spreek geen nederlands; geen nederlands; weinig nederlands; weinig engels; beetje engels; een beetje engels; alleen engels; spreekt geen"),
        en=_t("no english; little english; a little english; english not good; no speak english; only english; only sms; text only"),
    ),
    Indicator(
        "foreign_origin.foreign", "foreign_origin", "Stresses foreign or exotic origin.",
        ("politie", "giommoni2021", "ibanez2014"), 0.4,
        nl=_t("buitenlandse; exotisch; exotische; oost europese; oost-europese; aziatische; latina; braziliaanse; roemeense; bulgaarse; hongaarse; thaise; nigeriaanse"),
        en=_t("exotic; foreign; eastern european; asian; latina; oriental; brazilian; romanian; bulgarian; hungarian; thai; nigerian"),
    ),
    # --- recruitment ----------------------------------------------------------------------------
    Indicator(
        "recruitment.job_offer", "recruitment", "Recruits workers: dames gezocht, looking for girls, vacature.",
        ("signalenlijst", "comensha", "polaris", "giommoni2021"), 0.7,
        nl=_t("dames gezocht; meiden gezocht; meisjes gezocht; wij zoeken dames; wij zoeken meiden; we zoeken; vacature; werk aangeboden; kom bij ons werken; werken bij ons; nieuwe collega"),
        en=_t("looking for girls; girls wanted; ladies wanted; hiring; we are hiring; job offer; work with us; looking for ladies; models wanted; now hiring"),
    ),
    Indicator(
        "recruitment.housing_travel", "recruitment", "Housing, travel or visa arranged for the worker.",
        ("signalenlijst", "comensha", "polaris"), 0.8,
        nl=_t("woonruimte; huisvesting; kamer geregeld; reis betaald; reiskosten vergoed; ticket betaald; vliegticket; visum; onderdak; slaapplek"),
        en=_t("housing provided; accommodation provided; free accommodation; room provided; travel paid; tickets paid; ticket paid; flight paid; visa; we pay travel"),
    ),
    Indicator(
        "recruitment.earnings_debt", "recruitment", "Promises of quick money, or debt to be paid off.",
        ("signalenlijst", "comensha", "polaris", "ibanez2014"), 0.6,
        nl=_t("snel geld; veel geld verdienen; hoge verdiensten; goed verdienen; schuld; schulden; afbetalen; terugbetalen"),
        en=_t("fast money; quick money; easy money; earn fast; high earnings; earn big; debt; pay off; pay back"),
    ),
]  # fmt: skip
