"""Synthetic ad texts: personas, cities, prices, indicator phrases and templates.

Every word here was written for the demo; nothing comes from a real ad.
Ordinary texts are composed sentence by sentence from slotted pools so two of
them rarely share a 3-word shingle; network templates are long fixed texts in
which only the name, city, age and price change.
"""

from __future__ import annotations

import random
import re
from typing import Any

CITIES = [
    "Amsterdam",
    "Rotterdam",
    "Den Haag",
    "Utrecht",
    "Haarlem",
    "Harderwijk",
    "Eindhoven",
    "Groningen",
    "Tilburg",
    "Almere",
    "Breda",
    "Nijmegen",
    "Arnhem",
    "Zwolle",
    "Leeuwarden",
    "Maastricht",
    "Amersfoort",
    "Apeldoorn",
    "Enschede",
    "Leiden",
    "Delft",
    "Den Bosch",
    "Alkmaar",
    "Deventer",
]

PERSONAS = [
    "Lisa", "Sophie", "Emma", "Mila", "Naomi", "Bianca", "Roxy", "Jade", "Angel", "Candy",
    "Nikita", "Daisy", "Vera", "Noor", "Sara", "Eva", "Lotte", "Fleur", "Yara", "Isa",
    "Tess", "Luna", "Zoë", "Kim", "Nina", "Ilse", "Romy", "Demi", "Chantal", "Esmee",
    "Monique", "Anouk", "Sanne", "Femke", "Maud", "Lieke", "Iris", "Jasmijn", "Bo", "Fenna",
    "Amber", "Liv", "Mara", "Jolie", "Kiki", "Selena", "Bella", "Ruby", "Stella", "Gina",
    "Paula", "Ioana", "Andreea", "Bianka", "Dora", "Réka", "Anca", "Elena", "Maria", "Diana",
    "Lara", "Nadia", "Yasmin", "Layla", "Amira", "Carmen", "Lola", "Valentina", "Olivia", "Chloe",
    "Mandy", "Tamara", "Sabrina", "Patty", "Wendy", "Jessy", "Cindy", "Priscilla", "Lexi", "Nova",
]  # fmt: skip

SALON_NAMES = [
    "Lotus", "Bamboo", "Orchidee", "Zen Garden", "Jasmijn", "Sakura", "Oase", "Lavendel",
    "Harmonie", "Blue Lagoon", "Golden Hands", "Balans", "Serenity", "Ylang", "Kokos", "Amber",
]  # fmt: skip

# Indicator phrases as they appear literally in the text (lower case on purpose).
STRONG_INDICATORS = [
    "jong en fris",
    "my girls",
    "bel mijn manager",
    "alleen hotel",
    "no condom",
    "geen Nederlands",
    "werk aangeboden, woning geregeld",
    "several girls available",
    "2 meiden",
    "alleen deze week",
]
MILD_INDICATORS = ["nieuw in de stad", "new in town", "24/7", "altijd beschikbaar"]
INDICATORS = MILD_INDICATORS + STRONG_INDICATORS

# One short sentence around each phrase, the phrase kept verbatim.
_INDICATOR_FRAMES = {
    "nieuw in de stad": ["Echt nieuw in de stad!", "Ik ben nieuw in de stad, kom kennismaken."],
    "new in town": ["Just new in town!", "I am new in town, come and say hi."],
    "24/7": ["Bereikbaar 24/7.", "Call me 24/7."],
    "altijd beschikbaar": ["Ik ben altijd beschikbaar.", "Dag en nacht: altijd beschikbaar."],
    "jong en fris": ["Super jong en fris.", "Heel jong en fris meisje."],
    "my girls": ["Ask for my girls.", "Come meet my girls tonight."],
    "bel mijn manager": ["Afspraken: bel mijn manager.", "Voor info bel mijn manager."],
    "alleen hotel": ["Bezoek alleen hotel.", "Ik ontvang niet, alleen hotel."],
    "no condom": ["Extra: no condom.", "Option no condom for extra."],
    "geen Nederlands": ["Spreek geen Nederlands, only English.", "Ik spreek geen Nederlands."],
    "werk aangeboden, woning geregeld": [
        "Meiden gezocht: werk aangeboden, woning geregeld.",
        "Werk aangeboden, woning geregeld, reis betaald.",
    ],
    "several girls available": [
        "There are several girls available.",
        "Several girls available, choose.",
    ],
    "2 meiden": ["Nu 2 meiden tegelijk.", "Wij zijn 2 meiden op één adres."],
    "alleen deze week": ["Ik ben hier alleen deze week.", "Alleen deze week in de buurt."],
}


def indicator_sentence(phrase: str, rng: random.Random) -> str:
    """A short sentence that contains ``phrase`` verbatim."""
    return rng.choice(_INDICATOR_FRAMES[phrase])


def price_text(rng: random.Random, lang: str) -> tuple[int, str]:
    """A price per hour and how the ad writes it (``€150/u``, ``150 rozen``, ``1h 150``...)."""
    amount = rng.choice([80, 100, 120, 130, 150, 160, 170, 180, 200, 220, 250, 300])
    half = int(amount * 0.6) // 10 * 10
    styles_nl = [
        f"€{amount}/u",
        f"{amount} rozen",
        f"1h {amount}",
        f"half uur {half}",
        f"€ {amount},- per uur",
        f"{amount} euro p/u",
    ]
    styles_en = [
        f"€{amount}/h",
        f"1h {amount}",
        f"{amount} roses",
        f"30 min {half}",
        f"{amount} EUR per hour",
    ]
    return amount, rng.choice(styles_nl if lang == "nl" else styles_en)


# --- ordinary texts -------------------------------------------------------------------------
# Each pool is a list of sentence patterns; {a}, {b}, {c} pick from the word lists of the pool.

_NL_ADJ = [
    "lieve", "spontane", "sportieve", "rustige", "vrolijke", "stijlvolle", "slanke", "gezellige",
    "charmante", "ondeugende", "zachte", "zelfverzekerde", "nieuwsgierige", "warme", "speelse",
    "elegante", "eerlijke", "verzorgde", "goedlachse", "sensuele", "attente", "natuurlijke",
]  # fmt: skip
_NL_LOOK = [
    "donkerblond haar", "lange benen", "groene ogen", "een mooie glimlach", "krullend haar",
    "een getinte huid", "sproetjes", "bruine ogen", "kort zwart haar", "een slank figuur",
    "rondingen op de juiste plek", "lang rood haar", "blauwe ogen", "een paar tattoos",
    "zijdezachte huid", "een sportief lijf", "natuurlijke borsten", "lange wimpers",
]  # fmt: skip
_NL_HOBBY = [
    "wandelen langs het water", "koken voor vrienden", "dansen op zaterdag", "yoga in de ochtend",
    "oude films kijken", "lezen op het balkon", "fietsen door de polder", "reizen naar de zon",
    "tuinieren", "salsa", "schilderen", "lange gesprekken bij een glas wijn", "zwemmen",
    "muziek maken", "fotografie", "koffie drinken in de binnenstad", "mode en shoppen",
]  # fmt: skip
_NL_PLACE = [
    "een discreet appartement", "een rustige woning met eigen ingang", "een sfeervolle studio",
    "een nette flat vlak bij het station", "een privé kamer met douche", "een gezellig huis",
    "een moderne suite met parkeerplaats", "een kleine maar schone werkkamer",
]  # fmt: skip
_NL_TIME = [
    "maandag tot en met vrijdag", "in het weekend", "vanaf de middag", "na zeven uur 's avonds",
    "op dinsdag en donderdag", "overdag tussen tien en vier", "alleen op afspraak",
    "meestal in de avond", "op woensdag en zaterdag", "de meeste doordeweekse dagen",
]  # fmt: skip
_NL_WISH = [
    "respectvolle heren", "mannen met goede manieren", "nette en verzorgde gasten",
    "heren die van rust houden", "mannen die tijd nemen", "gentlemen met humor",
    "beginners en ervaren heren", "zakenmannen op doorreis", "oudere heren",
]  # fmt: skip

_NL_SENTENCES = {
    "intro": [
        "Hoi, ik ben {name}, een {a} vrouw van {age} jaar uit {city}.",
        "Hallo heren! Mijn naam is {name} en ik woon al jaren in {city}.",
        "Welkom op mijn pagina, ik ben {name} ({age}), een {a} en {a2} meid.",
        "Ben jij op zoek naar een {a} dame in {city}? Dan ben je bij {name} aan het juiste adres.",
        "{name} hier, {age} jaar jong, een {a} meid met een eigen willetje.",
        "Even voorstellen: {name}, {a} {age}-jarige uit de omgeving van {city}.",
    ],
    "look": [
        "Ik heb {look} en {look2}.",
        "Mensen zeggen dat ik {look} heb, maar let vooral op {look2}.",
        "Wat je ziet: {look}, {look2} en een {a} uitstraling.",
        "Mijn vriendinnen benijden mijn {look_bare}.",
        "Je herkent me aan {look}.",
    ],
    "character": [
        "In mijn vrije tijd hou ik van {hobby} en {hobby2}.",
        "Naast dit werk geniet ik van {hobby}.",
        "Ik ben een {a} meid en hou van een goed gesprek over {hobby}.",
        "Vrienden noemen mij een {a} en {a2} vrouw.",
        "Als ik niet werk, ben ik vaak bezig met {hobby}.",
        "Mijn grote passie is {hobby}, vraag er gerust naar.",
    ],
    "place": [
        "Ik ontvang in {place} in {city}.",
        "Je bent welkom in {place}, koffie of thee staat klaar.",
        "Mijn plek is {place}, schoon en discreet.",
        "Ik werk vanuit {place} en kom soms ook bij jou thuis.",
        "Parkeren is makkelijk bij {place}.",
    ],
    "time": [
        "Je kunt bij mij terecht {time}.",
        "Afspraken maak ik graag {time}.",
        "Ik werk {time}, liefst met een afspraak een uur van tevoren.",
        "Mijn agenda is open {time}.",
    ],
    "wish": [
        "Ik zoek {wish} die weten wat ze willen.",
        "Graag ontmoet ik {wish}.",
        "Ik ben er voor {wish}, hygiëne vind ik belangrijk.",
        "Welkom zijn {wish}; geen haast en geen stress.",
    ],
    "price": [
        "Mijn tarief: {price}.",
        "Prijs {price}, langer kan ook.",
        "Tarieven vanaf {price}.",
    ],
}

_EN_ADJ = [
    "sweet", "playful", "classy", "sporty", "cheerful", "elegant", "curious", "warm", "relaxed",
    "confident", "gentle", "naughty", "witty", "friendly", "stylish", "easygoing", "natural",
]  # fmt: skip
_EN_LOOK = [
    "long dark hair", "green eyes", "a lovely smile", "curly hair", "freckles", "brown eyes",
    "long legs", "a slim body", "soft skin", "a few tattoos", "red hair", "blue eyes",
    "natural curves", "short blonde hair",
]  # fmt: skip
_EN_HOBBY = [
    "long walks by the canals", "cooking", "dancing", "yoga", "old movies", "reading",
    "cycling", "travelling", "painting", "swimming", "live music", "photography", "fashion",
]  # fmt: skip
_EN_PLACE = [
    "a discreet apartment", "a cosy studio", "a quiet flat near the station",
    "a private room with shower", "a modern suite with parking", "a small but clean room",
]  # fmt: skip
_EN_TIME = [
    "Monday to Friday", "at weekends", "from the afternoon", "after seven in the evening",
    "on Tuesdays and Thursdays", "during the day", "by appointment only", "most evenings",
]  # fmt: skip
_EN_WISH = [
    "respectful gentlemen", "men with good manners", "clean and polite guests",
    "gentlemen who like to take their time", "business travellers", "shy beginners",
]  # fmt: skip

_EN_SENTENCES = {
    "intro": [
        "Hi, I am {name}, a {a} woman of {age} living in {city}.",
        "Hello gentlemen! My name is {name} and I have been in {city} for years.",
        "Welcome to my page, I am {name} ({age}), {a} and {a2}.",
        "Looking for a {a} lady in {city}? Then meet {name}.",
        "{name} here, {age} years young and {a} by nature.",
    ],
    "look": [
        "I have {look} and {look2}.",
        "People notice {look} first, but wait until you see {look2}.",
        "What you get: {look}, {look2} and a {a} attitude.",
        "You will recognise me by {look}.",
    ],
    "character": [
        "In my free time I enjoy {hobby} and {hobby2}.",
        "Besides this work I love {hobby}.",
        "I am {a} and like a good talk about {hobby}.",
        "Friends describe me as {a} and {a2}.",
        "My big passion is {hobby}, just ask me about it.",
    ],
    "place": [
        "I receive in {place} in {city}.",
        "You are welcome in {place}, coffee or tea is ready.",
        "My place is {place}, clean and discreet.",
    ],
    "time": [
        "You can visit me {time}.",
        "I prefer appointments {time}.",
        "I work {time}, please book an hour ahead.",
    ],
    "wish": [
        "I like to meet {wish}.",
        "I am here for {wish}; hygiene is important to me.",
        "Welcome are {wish}, no rush and no stress.",
    ],
    "price": ["My rate: {price}.", "Price {price}, longer is possible.", "Rates from {price}."],
}

_NL_CONTACT = [
    "Bel of app me op {phone}.",
    "Mijn nummer: {phone}.",
    "Bellen of WhatsApp: {phone}.",
    "Bereikbaar via {phone} (geen anoniem nummer).",
    "Stuur een berichtje naar {phone}.",
]
_EN_CONTACT = [
    "Call or text me on {phone}.",
    "My number: {phone}.",
    "WhatsApp {phone}, no hidden numbers.",
    "Text {phone} for an appointment.",
]

# Massage salons and job ads: their own vocabulary, still composed.
_SALON_SENTENCES = [  # one category per entry; each ad takes at most one pattern of each
    [
        "Massagesalon {salon} in {city} heet u van harte welkom.",
        "Welkom bij {salon}, de {staff} massagesalon van {city}.",
        "Al {years} jaar is {salon} in {city} een begrip voor wie wil ontspannen.",
        "Zoekt u rust in {city}? Kom naar {salon}.",
    ],
    [
        "Bij {salon} kunt u terecht voor een {massage} van {minutes} minuten.",
        "Probeer eens onze {massage}, {minutes} minuten helemaal los van alles.",
        "Populair deze maand: de {massage} en de {massage2}.",
    ],
    [
        "Onze {staff} masseuses werken met {oil}.",
        "Wij gebruiken uitsluitend {oil} en {oil2}.",
        "Het team bestaat uit {staff} therapeuten met jaren ervaring.",
    ],
    [
        "Wij zijn geopend {time}.",
        "Openingstijden: {time}.",
        "U kunt langskomen {time}, bellen mag altijd.",
    ],
    [
        "De salon ligt op loopafstand van {landmark}.",
        "U vindt ons vlak achter {landmark}.",
        "Vanaf {landmark} bent u in vijf minuten bij ons.",
    ],
    [
        "Nieuw: een {massage} in combinatie met {extra}.",
        "Na afloop krijgt u een {extra} van het huis.",
        "Vraag naar onze combinatie van {massage} en {extra}.",
    ],
    [
        "Cadeaubonnen van {salon} zijn verkrijgbaar aan de balie.",
        "Geef eens een bon van {salon} cadeau.",
        "Vaste klanten krijgen bij de tiende behandeling {discount} korting.",
    ],
    [
        "Een {massage} kost bij ons {price}.",
        "Prijsvoorbeeld: {massage} voor {price}.",
        "Tarieven vanaf {price}.",
    ],
    [
        "Gratis parkeren achter het pand.",
        "Met het openbaar vervoer stapt u uit bij halte {landmark}.",
        "Het pand is rolstoeltoegankelijk en heeft een lift.",
    ],
]
_SALON_WORDS = {
    "massage": ["ontspanningsmassage", "voetreflexmassage", "hot stone massage", "sportmassage",
                "Thaise massage", "hoofdmassage", "rugmassage", "aromamassage", "bamboemassage"],
    "minutes": ["30", "45", "60", "90", "120"],
    "staff": ["ervaren", "gediplomeerde", "vriendelijke", "vakkundige", "professionele"],
    "oil": ["warme amandelolie", "biologische kokosolie", "lavendelolie", "arganolie",
            "hete stenen", "bamboestokken", "kruidenstempels"],
    "landmark": ["het centraal station", "de markt", "het stadspark", "de grote kerk",
                 "het winkelcentrum", "de haven", "de bibliotheek"],
    "extra": ["kop kruidenthee", "gezichtsmasker", "voetbad", "warme handdoek", "stoombad",
              "glas verse jus", "schouderpakking", "handmassage"],
    "years": ["vijf", "acht", "tien", "twaalf", "vijftien", "twintig"],
    "discount": ["tien procent", "vijftien procent", "een halve behandeling", "twintig euro"],
}  # fmt: skip

_JOB_SENTENCES = [  # first entry opens the ad; the rest are categories of alternatives
    [
        "{role} gezocht voor onze vestiging in {city}.",
        "Voor ons kantoor in {city} zijn wij op zoek naar een {role2}.",
        "Vacature {city}: {role2} ({hours} uur).",
        "Kom jij ons team in {city} versterken als {role2}?",
    ],
    [
        "Wij zoeken per direct een {role2} voor {hours} uur per week.",
        "Het gaat om {hours} uur per week, verdeeld over {days} dagen.",
        "De functie is voor {hours} uur, parttime kan in overleg.",
    ],
    [
        "Je werkt in een {team} team en begint op {start}.",
        "Onze collega's zijn {team} en {team2}, startdatum {start}.",
        "Je komt terecht in een {team} bedrijf met {size} medewerkers.",
    ],
    [
        "Wij bieden {perk} en een marktconform salaris.",
        "Naast salaris krijg je {perk} en {perk2}.",
        "Arbeidsvoorwaarden: {perk}, vakantiegeld en {perk2}.",
    ],
    [
        "Ervaring met {skill} is een pré maar geen must.",
        "Je kunt goed overweg met {skill} en {skill2}.",
        "Kennis van {skill} strekt tot aanbeveling.",
    ],
    [
        "Solliciteer met een korte motivatie en je cv.",
        "Stuur je cv en een paar regels over jezelf voor {deadline}.",
        "Reageren kan tot {deadline}, gesprekken volgen snel daarna.",
    ],
    [
        "Vragen over de vacature? Bel {contact} op werkdagen.",
        "Meer weten? Neem contact op via {contact}.",
        "Onze afdeling personeelszaken is bereikbaar via {contact}.",
    ],
    [
        "Het werk bestaat uit {task} en {task2}.",
        "Taken: {task}, {task2} en af en toe invallen.",
        "Je dag begint met {task}, daarna {task2}.",
    ],
    [
        "Een verklaring omtrent het gedrag is verplicht.",
        "Een rijbewijs B is handig.",
        "Je spreekt goed Nederlands en Engels.",
    ],
]
_JOB_WORDS = {
    "role": ["Receptionist", "Schoonmaker", "Chauffeur", "Administratief medewerker",
             "Gastvrouw", "Telefonist", "Boekhouder", "Beveiliger", "Webredacteur"],
    "team": ["klein", "hecht", "jong", "internationaal", "gezellig", "gedreven"],
    "hours": ["16", "24", "32", "36", "38", "40"],
    "start": ["maandag", "de eerste van de maand", "korte termijn", "in overleg"],
    "perk": ["reiskostenvergoeding", "flexibele werktijden", "een vaste aanstelling",
             "opleidingsbudget", "een goede pensioenregeling", "een leaseauto"],
    "skill": ["Excel", "klantcontact", "planningssoftware", "boekhoudpakketten",
              "het rijden met een bestelbus", "sociale media", "kassasystemen"],
    "task": ["de telefoon aannemen", "afspraken inplannen", "gasten ontvangen",
             "de administratie bijhouden", "ritten rijden", "ruimtes schoonmaken",
             "bestellingen verwerken", "facturen controleren"],
    "days": ["drie", "vier", "vijf"],
    "size": ["twaalf", "twintig", "veertig", "ruim honderd", "vijftig"],
    "deadline": ["het einde van de maand", "vrijdag", "de vijftiende", "1 juli"],
}  # fmt: skip

_TITLE_NL = [
    "{name} ({age}) in {city}",
    "{a_cap} {name} uit {city}",
    "{name}, {age} – {city}",
    "Nieuwe foto's van {name} in {city}",
    "{name} ontvangt in {city}",
    "{a_cap} dame in {city}: {name}",
]
_TITLE_EN = [
    "{name} ({age}) in {city}",
    "{a_cap} {name} from {city}",
    "{name}, {age} – {city}",
    "Meet {name} in {city}",
]


def _fill(
    pattern: str, rng: random.Random, slots: dict[str, str], words: dict[str, list[str]]
) -> str:
    values = dict(slots)
    for key, pool in words.items():
        if "{" + key + "}" in pattern or "{" + key + "2}" in pattern:
            first, second = rng.sample(pool, 2)
            values[key] = first
            values[key + "2"] = second
    if "{look_bare}" in pattern:
        values["look_bare"] = re.sub(
            r"^(een|a) ", "", values.get("look", rng.choice(words["look"]))
        )
    return pattern.format(**values)


def ordinary_text(
    rng: random.Random,
    *,
    lang: str,
    name: str,
    age: int,
    city: str,
    price: str,
    phone: str | None,
    extra_sentences: list[str],
) -> str:
    """A unique escort/private ad text, composed from the pools; ``phone`` ends it."""
    if lang == "nl":
        table, words = _NL_SENTENCES, {
            "a": _NL_ADJ, "look": _NL_LOOK, "hobby": _NL_HOBBY, "place": _NL_PLACE,
            "time": _NL_TIME, "wish": _NL_WISH,
        }  # fmt: skip
        contact = _NL_CONTACT
    else:
        table, words = _EN_SENTENCES, {
            "a": _EN_ADJ, "look": _EN_LOOK, "hobby": _EN_HOBBY, "place": _EN_PLACE,
            "time": _EN_TIME, "wish": _EN_WISH,
        }  # fmt: skip
        contact = _EN_CONTACT
    slots = {"name": name, "age": str(age), "city": city, "price": price}
    cats = ["look", "character", "place", "time", "wish", "price"]
    chosen = rng.sample(cats, rng.randint(3, 5))
    sentences = [_fill(rng.choice(table["intro"]), rng, slots, words)]
    body = [_fill(rng.choice(table[c]), rng, slots, words) for c in chosen]
    body.extend(extra_sentences)
    rng.shuffle(body)
    sentences.extend(body)
    if lang == "en":
        sentences = [re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", s) for s in sentences]
    paragraphs = _paragraphs(sentences, rng)
    if phone is not None:
        paragraphs.append(rng.choice(contact).format(phone=phone))
    return "\n\n".join(paragraphs)


def _compose(rng: random.Random, table: list[list[str]], slots: dict, words: dict) -> list[str]:
    first = _fill(rng.choice(table[0]), rng, slots, words)
    cats = rng.sample(table[1:], rng.randint(3, min(6, len(table) - 1)))
    return [first] + [_fill(rng.choice(c), rng, slots, words) for c in cats]


def salon_text(rng: random.Random, *, salon: str, city: str, price: str, phone: str | None) -> str:
    """A massage-salon ad text."""
    slots = {"salon": salon, "city": city, "price": price, "time": rng.choice(_NL_TIME)}
    paragraphs = _paragraphs(_compose(rng, _SALON_SENTENCES, slots, _SALON_WORDS), rng)
    if phone is not None:
        paragraphs.append(
            rng.choice(
                ["Reserveren: {p}.", "Bel {p} voor een afspraak.", "Boeken via {p}."]
            ).format(p=phone)
        )
    return "\n\n".join(paragraphs)


def job_text(rng: random.Random, *, city: str, phone: str | None) -> tuple[str, str]:
    """An unrelated recruitment ad (``"receptionist gezocht"``); returns (title, text)."""
    role = rng.choice(_JOB_WORDS["role"])
    slots = {"city": city, "role": role, "role2": role.lower(), "contact": phone or "ons kantoor"}
    words = {k: v for k, v in _JOB_WORDS.items() if k != "role"}
    sentences = _compose(rng, _JOB_SENTENCES, slots, words)
    if phone is not None and not any(phone in s for s in sentences):
        sentences.append(f"Bel {phone} voor meer informatie.")
    return f"{role} gezocht in {city}", "\n\n".join(_paragraphs(sentences, rng))


def ordinary_title(rng: random.Random, *, lang: str, name: str, age: int, city: str) -> str:
    adj = rng.choice(_NL_ADJ if lang == "nl" else _EN_ADJ)
    pattern = rng.choice(_TITLE_NL if lang == "nl" else _TITLE_EN)
    return pattern.format(name=name, age=age, city=city, a_cap=adj.capitalize())


def _paragraphs(sentences: list[str], rng: random.Random) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(sentences):
        n = rng.randint(1, 3)
        out.append(" ".join(sentences[i : i + n]))
        i += n
    return out


# --- network templates ----------------------------------------------------------------------
# Long fixed texts shared by a template network; only the slots differ between members.

TEMPLATES: list[dict[str, Any]] = [
    {
        "lang": "nl",
        "indicators": ["nieuw in de stad", "jong en fris", "alleen hotel"],
        "title": "{name} ({age}) nieuw in {city}",
        "text": (
            "Hallo lieve heren, mijn naam is {name} en ik ben {age} jaar. Ik ben nieuw in de stad "
            "en heel jong en fris, met een zachte huid en een lieve lach die je niet snel vergeet. "
            "Ik kom uit het buitenland en blijf maar een paar dagen in {city}, dus wacht niet te lang "
            "met bellen.\n\nIk doe alleen hotel bezoeken in en rond {city}, de kamer regel jij en ik "
            "kom binnen het uur. Mijn prijs is {price}, voor een hele nacht maken we een afspraak.\n\n"
            "Ik ben discreet, schoon en altijd vrolijk. Stuur een bericht met je naam, het hotel en "
            "het kamernummer en ik laat snel iets weten. Kusjes van {name}. {phone}"
        ),
    },
    {
        "lang": "en",
        "indicators": ["new in town", "my girls", "several girls available", "24/7"],
        "title": "New girls in {city} – ask for {name}",
        "text": (
            "Hello gentlemen, we are new in town and there are several girls available for you every "
            "day of the week. Tonight you can meet {name}, {age} years old, a sweet girl who arrived "
            "in {city} this week and stays only a short time.\n\nAll my girls are young, clean and "
            "friendly, they speak a little English and they do what you ask. Open 24/7, outcall to "
            "your hotel or home in {city} and the area around it.\n\nRates for {name}: {price}. "
            "Send a message with the time and the address and the driver brings her to you. "
            "Discretion guaranteed. {phone}"
        ),
    },
    {
        "lang": "nl",
        "indicators": ["2 meiden", "alleen deze week", "bel mijn manager", "geen Nederlands"],
        "title": "{name} en vriendin – alleen deze week in {city}",
        "text": (
            "Nieuw op deze site: {name} ({age}) en haar vriendin, samen 2 meiden die graag verwennen. "
            "Wij zijn alleen deze week in {city} en ontvangen in een rustig appartement dicht bij het "
            "centrum.\n\n{name} spreekt geen Nederlands en een beetje Engels, maar jullie begrijpen "
            "elkaar zeker. Afspraken en vragen: bel mijn manager, hij regelt het adres en de tijd.\n\n"
            "Prijs per meisje {price}, samen is het voordeliger. Kom snel, na zondag zijn wij weer "
            "vertrokken naar een andere stad. Tot ziens! {phone}"
        ),
    },
    {
        "lang": "en",
        "indicators": ["new in town", "no condom", "altijd beschikbaar"],
        "title": "{name} {age} – just arrived in {city}",
        "text": (
            "Hi darling, I am {name}, {age}, and I am new in town. I came to {city} a few days ago "
            "and I am looking for generous gentlemen who want to have a good time without stress. "
            "Altijd beschikbaar, day and night, you can call me when you want.\n\nI offer a lot "
            "of extras, also no condom for a small extra, ask me on the phone. My rate is {price} "
            "and I prefer cash.\n\nI do not answer hidden numbers and I do not like long chats "
            "before we meet. Just tell me the time, I tell you the address in {city}. See you "
            "soon, {name}. {phone}"
        ),
    },
    {
        "lang": "nl",
        "indicators": ["werk aangeboden, woning geregeld", "jong en fris"],
        "title": "Meiden gezocht in {city} – vraag naar {name}",
        "text": (
            "Voor ons bedrijf in {city} zoeken wij nog een paar meiden die jong en fris zijn en snel "
            "willen verdienen. Werk aangeboden, woning geregeld, reis wordt voorgeschoten en je kunt "
            "direct beginnen.\n\nJe hoeft geen ervaring te hebben en geen Engels te spreken, wij "
            "leren je alles. Je verdient minstens {price} per klant en wij houden de administratie "
            "bij.\n\nStuur een foto en je leeftijd naar {name} ({age}), zij beantwoordt alle vragen "
            "en haalt je op van het station van {city}. {phone}"
        ),
    },
    {
        "lang": "en",
        "indicators": ["bel mijn manager", "alleen deze week", "24/7"],
        "title": "Exotic {name} ({age}) visiting {city}",
        "text": (
            "Beautiful {name} is visiting {city} and the surroundings, she is {age} years and this "
            "is her first tour in the Netherlands. She stays alleen deze week, so book early to be "
            "sure of your time with her.\n\nShe is available 24/7 for incall and outcall, the "
            "apartment is clean and close to the highway. Appointments only by phone, bel mijn "
            "manager and he arranges everything for you, also the taxi if you need one.\n\nPrice "
            "{price}, payment in cash at the start of the meeting. No messages with pictures "
            "please, only serious callers. {phone}"
        ),
    },
    {
        "lang": "nl",
        "indicators": ["nieuw in de stad", "altijd beschikbaar", "geen Nederlands"],
        "title": "Sexy {name} {age} jaar – {city} centrum",
        "text": (
            "Hoi schat, ik ben {name} en sinds kort nieuw in de stad {city}. Ik ben {age} jaar, "
            "klein en tenger, met lang donker haar en een zachte stem. Ik spreek geen Nederlands "
            "maar wel een beetje Engels en Duits.\n\nJe vindt mij in een privé appartement in het "
            "centrum van {city}, dichtbij het station en de parkeergarage. Ik ben altijd "
            "beschikbaar, ook 's nachts en in het weekend, bel gerust op elk moment.\n\nMijn "
            "tarief is {price}, extra's in overleg aan de telefoon. Ik ontvang alleen heren die "
            "vriendelijk en schoon zijn. Tot snel, {name}. {phone}"
        ),
    },
]


def template_text(
    template: dict, *, name: str, age: int, city: str, price: str, phone: str
) -> tuple[str, str]:
    """Fill one of ``TEMPLATES``; returns (title, text)."""
    slots = {"name": name, "age": age, "city": city, "price": price, "phone": phone}
    return template["title"].format(**slots), template["text"].format(**slots)


# --- hostile payloads -----------------------------------------------------------------------
HOSTILE_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">klik hier</a>',
    "<svg onload=alert(1)>",
    '</div></article><div class="body"><b>broken <i>markup',
    "\u202eetius ,leton\u202c ‮bel me‬",
]


WORD_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, k: int = 3) -> set[tuple[str, ...]]:
    """Word ``k``-shingles of ``text`` (lower case, ``\\w+`` tokens)."""
    words = WORD_RE.findall(text.lower())
    return {tuple(words[i : i + k]) for i in range(max(len(words) - k + 1, 0))}


def jaccard(a: set, b: set) -> float:
    """Jaccard similarity of two sets (0.0 when both are empty)."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)
