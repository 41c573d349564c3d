"""The synthetic ad market: who advertises where, with which phone, photos and text.

``DemoMarket(seed)`` builds every ad of both epochs up front (fast: texts and
plans only); photo bytes are rendered lazily and cached. The same seed always
gives the same market, byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from . import text as T
from .phones import (
    COMPACT_STYLES,
    FOREIGN_STYLES,
    NL_STYLES,
    random_foreign_mobile,
    random_nl_mobile,
    render_phone,
)
from .photos import VARIANTS, PhotoSpec, render

SITE_NAMES = ("demo-velvet", "demo-rozenhof", "demo-lantern")
PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"
# Epoch 0 is "now" for the demo: fixed, so that the same seed gives the same bytes.
ANCHOR = datetime(2025, 6, 2, 12, 0)
BAD_KINDS = {  # which site carries which broken thing
    "500": "demo-velvet",
    "redirect-loop": "demo-velvet",
    "404": "demo-rozenhof",
    "corrupt-image": "demo-rozenhof",
    "malformed": "demo-lantern",
}
_STYLE_WEIGHTS = {
    "plain": 18, "spaced": 14, "dashed": 9, "intl": 9, "intl-0031": 5, "letter-o": 5,
    "words-nl": 8, "mixed-nl": 7, "words-en": 5, "emoji-sep": 7, "keycap": 5, "fullwidth": 4,
}  # fmt: skip
_NETWORK_KINDS = [
    ("phone",),
    ("photo",),
    ("template",),
    ("phone", "photo"),
    ("photo", "template"),
    ("phone", "template"),
    ("phone", "photo"),
]
_UPDATE_NL = [
    "Update: nu ook op zondag open.",
    "Update: nieuwe foto's toegevoegd.",
    "Update: tarief aangepast.",
]
_UPDATE_EN = [
    "Update: now also open on Sundays.",
    "Update: new pictures added.",
    "Update: new rates.",
]


@dataclass
class DemoAd:
    """One ad as one site shows it in one epoch."""

    source: str
    site_ad_id: str
    url_path: str
    ad_type: str  # escort | massage | job
    lang: str
    persona: str
    age: int | None
    city: str
    price: str
    title: str
    text: str
    phone_e164: str
    phone_style: str
    phone_text: str
    posted: datetime
    updated: datetime
    photos: list[PhotoSpec] = field(default_factory=list)
    photo_paths: list[str] = field(default_factory=list)
    network_id: str | None = None
    agency: bool = False
    indicators: list[str] = field(default_factory=list)
    hostile: str | None = None
    bad: str | None = None
    status: str = "unchanged"  # in epoch 1: unchanged | changed | new

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.site_ad_id)


@dataclass
class DemoNetwork:
    """A planted network: ads linked by one phone, one photo and/or one template text."""

    network_id: str
    kinds: tuple[str, ...]
    members: list[tuple[str, str]] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    photo_seeds: list[int] = field(default_factory=list)
    template: int | None = None


class DemoMarket:
    """A deterministic synthetic ad market over three demo sites, in two epochs.

    Parameters
    ----------
    seed : the random seed; the same seed gives the same market, byte for byte.
    n_ads : number of ads in epoch 0 over all sites.
    hostile : plant about 5 ads with XSS payloads in title and text.
    bad_pages : plant a 500, a 404, a malformed page, a corrupt image and a redirect loop.
    """

    def __init__(
        self, seed: int = 7, n_ads: int = 600, hostile: bool = True, bad_pages: bool = True
    ):
        if n_ads < 30:
            raise ValueError(f"n_ads={n_ads} is too small for a demo market; use at least 30")
        self.seed = seed
        self.n_ads = n_ads
        self.hostile = hostile
        self.bad_pages = bad_pages
        self.epoch = 0
        self._photo_cache: dict[PhotoSpec, bytes] = {}
        self._photo_lock = threading.Lock()
        self._rng = random.Random(f"market:{seed}")
        self._used_phones: set[str] = set()
        self._used_ids: set[tuple[str, str]] = set()
        self._photo_counter = 0
        self._ordinary_shingles: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._ordinary_sizes: list[int] = []
        self._style_queue: list[str] = []
        self.networks: list[DemoNetwork] = []
        ads = self._build_epoch0()
        self._epochs: dict[int, list[DemoAd]] = {0: ads}
        self._epochs[1], self.changes = self._build_epoch1(ads)
        self._index: dict[int, dict[tuple[str, str], DemoAd]] = {
            e: {(a.source, a.url_path): a for a in lst} for e, lst in self._epochs.items()
        }
        self._photo_index: dict[tuple[str, str], PhotoSpec] = {}
        for lst in self._epochs.values():
            for ad in lst:
                for path, spec in zip(ad.photo_paths, ad.photos, strict=True):
                    self._photo_index[(ad.source, path)] = spec

    # --- public API ---------------------------------------------------------------------
    @property
    def ads(self) -> list[DemoAd]:
        """The ads of the current epoch (all sites)."""
        return self._epochs[self.epoch]

    def set_epoch(self, epoch: int) -> None:
        """Switch the market to ``epoch`` (0: initial, 1: some ads changed, removed, added)."""
        if epoch not in self._epochs:
            raise ValueError(f"Epoch {epoch!r} does not exist; use 0 or 1")
        self.epoch = epoch

    @staticmethod
    def profile_path(source: str) -> Path:
        """The site profile YAML of demo site ``source``."""
        return PROFILE_DIR / f"{source}.yaml"

    def site_ads(self, source: str, epoch: int | None = None) -> list[DemoAd]:
        """The ads of one site, newest update first (the order its listing shows)."""
        ads = [
            a for a in self._epochs[self.epoch if epoch is None else epoch] if a.source == source
        ]
        return sorted(ads, key=lambda a: (a.updated, a.site_ad_id), reverse=True)

    def ad_at(self, source: str, url_path: str) -> DemoAd | None:
        """The ad of ``source`` whose page is ``url_path`` in the current epoch."""
        return self._index[self.epoch].get((source, url_path))

    def removed_at(self, source: str, url_path: str) -> bool:
        """True when the ad at ``url_path`` existed in epoch 0 but is gone now."""
        return (
            self.epoch > 0
            and (source, url_path) in self._index[0]
            and (source, url_path) not in self._index[self.epoch]
        )

    def photo_at(self, source: str, path: str) -> bytes | None:
        """JPEG bytes of the photo that ``source`` serves at ``path``."""
        spec = self._photo_index.get((source, path))
        return None if spec is None else self.photo_bytes(spec)

    def photo_bytes(self, spec: PhotoSpec) -> bytes:
        """JPEG bytes of ``spec``, rendered once and cached."""
        data = self._photo_cache.get(spec)
        if data is None:
            data = render(spec)
            with self._photo_lock:
                self._photo_cache[spec] = data
        return data

    def ground_truth(self, ports: dict[str, int] | None = None, host: str = "127.0.0.1") -> dict:
        """What was planted in the current epoch, as a JSON-able dict.

        Keys: ``seed``, ``n_ads``, ``epoch``, ``sites`` (name, profile, port, base_url),
        ``ads`` (one entry per ad: source, site_ad_id, url_path, network_id, agency,
        persona, city, phone_e164, phone_style, indicators_planted, photos as
        SHA-256, hostile, bad, epoch_status, ...), ``networks`` (network_id, kinds,
        members as [source, site_ad_id], phones, photos), ``agencies``, ``changes``
        (epoch 1: changed/removed/new keys) and ``indicators`` (every planted phrase).
        """
        ports = ports or {}
        ads = []
        for ad in sorted(self.ads, key=lambda a: (a.source, a.site_ad_id)):
            ads.append(
                {
                    "source": ad.source,
                    "site_ad_id": ad.site_ad_id,
                    "url_path": ad.url_path,
                    "ad_type": ad.ad_type,
                    "lang": ad.lang,
                    "network_id": ad.network_id,
                    "agency": ad.agency,
                    "persona": ad.persona,
                    "age": ad.age,
                    "city": ad.city,
                    "price": ad.price,
                    "title": ad.title,
                    "phone_e164": ad.phone_e164,
                    "phone_style": ad.phone_style,
                    "phone_text": ad.phone_text,
                    "indicators_planted": list(ad.indicators),
                    "photos": [hashlib.sha256(self.photo_bytes(s)).hexdigest() for s in ad.photos],
                    "photo_paths": list(ad.photo_paths),
                    "hostile": ad.hostile is not None,
                    "hostile_payload": ad.hostile,
                    "bad": ad.bad,
                    "posted": ad.posted.isoformat(),
                    "updated": ad.updated.isoformat(),
                    "epoch_status": ad.status,
                }
            )
        networks = []
        for net in self.networks:
            shared = sorted(
                {
                    hashlib.sha256(self.photo_bytes(s)).hexdigest()
                    for a in self._epochs[0]
                    if a.network_id == net.network_id
                    for s in a.photos
                    if s.seed in net.photo_seeds
                }
            )
            cities = sorted({a.city for a in self._epochs[0] if a.network_id == net.network_id})
            networks.append(
                {
                    "network_id": net.network_id,
                    "kinds": list(net.kinds),
                    "members": [list(m) for m in net.members],
                    "phones": list(net.phones),
                    "photos": shared,
                    "cities": cities,
                    "template": net.template,
                }
            )
        agencies = defaultdict(list)
        for ad in self.ads:
            if ad.agency:
                agencies[ad.phone_e164].append([ad.source, ad.site_ad_id])
        return {
            "seed": self.seed,
            "n_ads": self.n_ads,
            "epoch": self.epoch,
            "sites": [
                {
                    "name": name,
                    "profile": f"crawler/profiles/{name}.yaml",
                    "port": ports.get(name),
                    "base_url": f"http://{host}:{ports[name]}" if name in ports else None,
                }
                for name in SITE_NAMES
            ],
            "ads": ads,
            "networks": networks,
            "agencies": [{"phone": p, "members": m} for p, m in sorted(agencies.items())],
            "changes": self.changes
            if self.epoch > 0
            else {"changed": [], "removed": [], "new": []},
            "indicators": list(T.INDICATORS),
        }

    def write_ground_truth(
        self, path: str | Path, ports: dict[str, int] | None = None, host: str = "127.0.0.1"
    ) -> Path:
        """Write ``ground_truth()`` as pretty JSON to ``path``."""
        path = Path(path)
        path.write_text(
            json.dumps(self.ground_truth(ports, host), ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        return path

    # --- building -----------------------------------------------------------------------
    def _new_id(self, source: str, rng: random.Random) -> tuple[str, str]:
        while True:
            if source == "demo-velvet":
                sid = str(rng.randint(100000, 999999))
                path = f"/ad/{sid}"
            elif source == "demo-rozenhof":
                sid = f"v-{rng.randint(10000, 99999)}"
                path = f"/advertentie/{sid}.html"
            else:
                sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                path = f"/listing/{sid}"
            if (source, sid) not in self._used_ids:
                self._used_ids.add((source, sid))
                return sid, path

    def _new_phone(self, rng: random.Random, foreign_share: float = 0.12) -> str:
        while True:
            e164 = (
                random_foreign_mobile(rng)
                if rng.random() < foreign_share
                else random_nl_mobile(rng)
            )
            if e164 not in self._used_phones:
                self._used_phones.add(e164)
                return e164

    def _style(self, e164: str, rng: random.Random) -> str:
        if not e164.startswith("+31"):
            return rng.choice(FOREIGN_STYLES)
        if not self._style_queue:
            # Every style shows up at least once per round; weighted draws fill the rest.
            names = list(_STYLE_WEIGHTS)
            self._style_queue = list(NL_STYLES) + rng.choices(
                names, weights=[_STYLE_WEIGHTS[n] for n in names], k=36
            )
            rng.shuffle(self._style_queue)
        return self._style_queue.pop()

    def _new_photo_seed(self) -> int:
        self._photo_counter += 1
        return self.seed * 1_000_003 + self._photo_counter

    def _photo_path(self, source: str, sid: str, i: int, rng: random.Random) -> str:
        if source == "demo-velvet":
            return f"/img/{rng.getrandbits(48):012x}.jpg"
        if source == "demo-rozenhof":
            return f"/media/{sid}/{i + 1}.jpg"
        return f"/p/{rng.getrandbits(64):016x}.jpg"

    def _dates(self, rng: random.Random) -> tuple[datetime, datetime]:
        posted = ANCHOR - timedelta(minutes=rng.randint(60, 30 * 24 * 60))
        span = int((ANCHOR - posted).total_seconds() // 60)
        updated = posted + timedelta(minutes=rng.randint(0, span) if rng.random() < 0.4 else 0)
        return posted, updated

    def _plan_networks(self, rng: random.Random) -> list[tuple[tuple[str, ...], int]]:
        target = round(self.n_ads * 0.2)
        small = self.n_ads < 200
        plans: list[tuple[tuple[str, ...], int]] = []
        total = 0
        i = 0
        while (total < target or len(plans) < 2) and len(plans) < 15:
            kinds = _NETWORK_KINDS[i % len(_NETWORK_KINDS)]
            lo, hi = (3, 5) if small else ((3, 8) if len(kinds) == 1 else (5, 12))
            # Past the default size, networks grow rather than multiply (there are only
            # so many template texts), so they still cover about a fifth of the market.
            grow = max(1.0, self.n_ads / 600)
            lo, hi = round(lo * grow), round(hi * grow)
            size = rng.randint(lo, hi)
            plans.append((kinds, size))
            total += size
            i += 1
        return plans

    def _build_epoch0(self) -> list[DemoAd]:
        rng = self._rng
        ads: list[DemoAd] = []
        # Networks first, so their indicator-heavy ads are spread over all sites.
        for n, (kinds, size) in enumerate(self._plan_networks(rng)):
            ads.extend(self._build_network(f"net-{n + 1:02d}", kinds, size, rng))
        # Agencies: one reception phone behind many ordinary-looking ads.
        n_agencies = 2 if self.n_ads >= 200 else 1
        agency_size = max(3, min(10, self.n_ads // 60))
        for _ in range(n_agencies):
            phone = self._new_phone(rng, foreign_share=0.0)
            for _ in range(agency_size):
                ad = self._ordinary_ad(rng, rng.choice(SITE_NAMES), ad_type="escort", phone=phone)
                ad.agency = True
                ads.append(ad)
        # Ordinary ads fill the rest; a share are massage salons and job ads.
        while len(ads) < self.n_ads:
            roll = rng.random()
            ad_type = "massage" if roll < 0.1 else ("job" if roll < 0.16 else "escort")
            ads.append(self._ordinary_ad(rng, SITE_NAMES[len(ads) % 3], ad_type=ad_type))
        ordinary = [
            a for a in ads if a.network_id is None and not a.agency and a.ad_type == "escort"
        ]
        if self.hostile:
            for ad, payload in zip(
                rng.sample(ordinary, min(5, len(ordinary) // 4)), T.HOSTILE_PAYLOADS, strict=False
            ):
                self._make_hostile(ad, payload, rng)
        if self.bad_pages:
            for kind, source in BAD_KINDS.items():
                pool = [
                    a
                    for a in ordinary
                    if a.source == source and a.hostile is None and a.bad is None
                ]
                rng.choice(pool).bad = kind
            for ad in ads:
                if ad.bad == "corrupt-image":
                    ad.photos[-1] = replace(ad.photos[-1], corrupt=True)
        return ads

    def _build_network(
        self, net_id: str, kinds: tuple[str, ...], size: int, rng: random.Random
    ) -> list[DemoAd]:
        net = DemoNetwork(net_id, kinds)
        self.networks.append(net)
        cities = rng.sample(T.CITIES, min(size, len(T.CITIES)))
        personas = rng.sample(T.PERSONAS, size)
        shared_phone = self._new_phone(rng, foreign_share=0.35) if "phone" in kinds else None
        if "photo" in kinds:
            net.photo_seeds = [self._stable_photo_seed() for _ in range(rng.randint(1, 2))]
        template = None
        if "template" in kinds:
            net.template = sum(1 for n in self.networks if n.template is not None) % len(
                T.TEMPLATES
            )
            template = T.TEMPLATES[net.template]
        indicator_pool = rng.sample(T.STRONG_INDICATORS, 3) + rng.sample(T.MILD_INDICATORS, 1)
        # A template network keeps its price and the way it writes the phone: one operator.
        net_price = T.price_text(rng, template["lang"])[1] if template else None
        net_style = rng.choice(COMPACT_STYLES)
        variants = list(VARIANTS)
        rng.shuffle(variants)
        variants.remove("orig")
        variants.insert(0, "orig")
        out = []
        sites = list(SITE_NAMES)
        rng.shuffle(sites)
        for i in range(size):
            source = sites[i % 3]
            lang = template["lang"] if template else ("nl" if rng.random() < 0.7 else "en")
            phone = shared_phone or self._new_phone(rng)
            if template is not None:
                style = net_style if phone.startswith("+31") else "intl"
            else:
                style = self._style(phone, rng)
            phone_text = render_phone(phone, style, rng)
            age = rng.randint(19, 27)
            price = net_price or T.price_text(rng, lang)[1]
            if template is not None:
                title, text = T.template_text(
                    template, name=personas[i], age=age, city=cities[i % len(cities)], price=price,
                    phone=phone_text if source == "demo-velvet" else "",
                )  # fmt: skip
                text = text.rstrip()
                indicators = list(template["indicators"])
            else:
                indicators = rng.sample(indicator_pool, rng.randint(2, 3))
                extra = [T.indicator_sentence(p, rng) for p in indicators]
                text = T.ordinary_text(
                    rng, lang=lang, name=personas[i], age=age, city=cities[i % len(cities)], price=price,
                    phone=phone_text if source == "demo-velvet" else None, extra_sentences=extra,
                )  # fmt: skip
                title = T.ordinary_title(
                    rng, lang=lang, name=personas[i], age=age, city=cities[i % len(cities)]
                )
            sid, path = self._new_id(source, rng)
            photos: list[PhotoSpec] = []
            for seed in net.photo_seeds:
                photos.append(PhotoSpec(seed, variants[(i + len(photos)) % len(variants)]))
            photos.extend(
                PhotoSpec(self._new_photo_seed())
                for _ in range(rng.randint(0 if photos else 1, 4 - len(photos) if photos else 3))
            )
            posted, updated = self._dates(rng)
            ad = DemoAd(
                source=source, site_ad_id=sid, url_path=path, ad_type="escort", lang=lang,
                persona=personas[i], age=age, city=cities[i % len(cities)], price=price, title=title,
                text=text, phone_e164=phone, phone_style=style, phone_text=phone_text, posted=posted,
                updated=updated, photos=photos,
                photo_paths=[self._photo_path(source, sid, j, rng) for j in range(len(photos))],
                network_id=net_id, indicators=indicators,
            )  # fmt: skip
            net.members.append(ad.key)
            if phone not in net.phones and shared_phone:
                net.phones.append(phone)
            out.append(ad)
        if not shared_phone:
            net.phones = []
        return out

    def _stable_photo_seed(self) -> int:
        """A photo seed whose variants all stay within a small perceptual-hash distance."""
        import imagehash
        from PIL import Image

        while True:
            seed = self._new_photo_seed()
            hashes = [
                imagehash.phash(Image.open(io.BytesIO(self.photo_bytes(PhotoSpec(seed, v)))))
                for v in VARIANTS
            ]
            if max(a - b for a in hashes for b in hashes) <= 8:
                return seed

    def _ordinary_ad(
        self, rng: random.Random, source: str, *, ad_type: str, phone: str | None = None
    ) -> DemoAd:
        lang = "nl" if (ad_type != "escort" or rng.random() < 0.75) else "en"
        phone = phone or self._new_phone(rng)
        style = self._style(phone, rng)
        phone_text = render_phone(phone, style, rng)
        in_text = phone_text if source == "demo-velvet" else None
        city = rng.choice(T.CITIES)
        _, price = T.price_text(rng, lang)
        persona = rng.choice(T.PERSONAS)
        age: int | None = rng.randint(21, 45)
        indicators: list[str] = []
        for _attempt in range(30):
            indicators = []
            if ad_type == "massage":
                persona = "Massagesalon " + rng.choice(T.SALON_NAMES)
                title = f"{persona} – {city}"
                text = T.salon_text(
                    rng, salon=persona.split(" ", 1)[1], city=city, price=price, phone=in_text
                )
                age = None
            elif ad_type == "job":
                title, text = T.job_text(rng, city=city, phone=in_text)
                persona, age, price = "", None, ""
            else:
                extra = []
                if rng.random() < 0.12:
                    phrase = rng.choice(T.MILD_INDICATORS)
                    indicators = [phrase]
                    extra = [T.indicator_sentence(phrase, rng)]
                text = T.ordinary_text(
                    rng, lang=lang, name=persona, age=age or 25, city=city, price=price, phone=in_text,
                    extra_sentences=extra,
                )  # fmt: skip
                title = T.ordinary_title(rng, lang=lang, name=persona, age=age or 25, city=city)
            if self._accept_ordinary(text):
                break
        sid, path = self._new_id(source, rng)
        photos = [
            PhotoSpec(self._new_photo_seed())
            for _ in range(1 if ad_type == "job" else rng.randint(1, 4))
        ]
        posted, updated = self._dates(rng)
        return DemoAd(
            source=source, site_ad_id=sid, url_path=path, ad_type=ad_type, lang=lang, persona=persona,
            age=age, city=city, price=price, title=title, text=text, phone_e164=phone,
            phone_style=style, phone_text=phone_text, posted=posted, updated=updated, photos=photos,
            photo_paths=[self._photo_path(source, sid, j, rng) for j in range(len(photos))],
            indicators=indicators,
        )  # fmt: skip

    def _accept_ordinary(self, text: str, limit: float = 0.25) -> bool:
        """Keep ordinary texts apart: reject one too close (3-shingle Jaccard) to an earlier one."""
        sh = T.shingles(text)
        overlap: dict[int, int] = defaultdict(int)
        for s in sh:
            for j in self._ordinary_shingles.get(s, ()):
                overlap[j] += 1
        for j, inter in overlap.items():
            if inter / (len(sh) + self._ordinary_sizes[j] - inter) >= limit:
                return False
        idx = len(self._ordinary_sizes)
        self._ordinary_sizes.append(len(sh))
        for s in sh:
            self._ordinary_shingles[s].append(idx)
        return True

    def _make_hostile(self, ad: DemoAd, payload: str, rng: random.Random) -> None:
        ad.hostile = payload
        if len(payload) < 40:
            ad.title = f"{ad.title} {payload}"
        paragraphs = ad.text.split("\n\n")
        paragraphs.insert(1, f"Kijk ook hier: {payload} en nog meer.")
        ad.text = "\n\n".join(paragraphs)

    def _build_epoch1(self, ads: list[DemoAd]) -> tuple[list[DemoAd], dict]:
        rng = random.Random(f"epoch1:{self.seed}")
        anchor1 = ANCHOR + timedelta(days=1)
        stable = [
            a
            for a in ads
            if a.network_id is None and not a.agency and a.bad is None and a.hostile is None
        ]
        k = max(2, round(self.n_ads * 0.05))
        picked = rng.sample(stable, 2 * k)
        changed, removed = picked[:k], picked[k:]
        removed_keys = {a.key for a in removed}
        changed_keys = {a.key for a in changed}
        out: list[DemoAd] = []
        for ad in ads:
            if ad.key in removed_keys:
                continue
            if ad.key in changed_keys:
                _, new_price = T.price_text(rng, ad.lang)
                text = ad.text.replace(ad.price, new_price) if ad.price else ad.text
                update = rng.choice(_UPDATE_NL if ad.lang == "nl" else _UPDATE_EN)
                paragraphs = text.split("\n\n")
                paragraphs.insert(max(len(paragraphs) - 1, 1), update)
                ad = replace(
                    ad, text="\n\n".join(paragraphs), price=new_price if ad.price else "",
                    updated=anchor1 - timedelta(minutes=rng.randint(10, 600)), status="changed",
                    photos=list(ad.photos), photo_paths=list(ad.photo_paths), indicators=list(ad.indicators),
                )  # fmt: skip
            out.append(ad)
        new = []
        for i in range(k):
            ad = self._ordinary_ad(rng, SITE_NAMES[i % 3], ad_type="escort")
            ad.posted = ad.updated = anchor1 - timedelta(minutes=rng.randint(10, 1200))
            ad.status = "new"
            new.append(ad)
        out.extend(new)
        changes = {
            "changed": sorted([list(a.key) for a in changed]),
            "removed": sorted([list(a.key) for a in removed]),
            "new": sorted([list(a.key) for a in new]),
        }
        return out, changes
