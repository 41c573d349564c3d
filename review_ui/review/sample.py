"""A small hand-made market of ads for tests and screenshots, with hostile
content (XSS payloads) planted in every field a site controls.

:func:`build_sample_store` writes it into a real ad store through the same
contract the crawler and the processing stage use.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path
from typing import Any

from index import AdStore
from index.schema import make_ad_id

#: Payloads that must never execute when rendered. Each sets ``window.__xss``
#: or calls ``alert`` if it runs.
XSS_PAYLOADS = [
    "<script>window.__xss=1;alert('xss-script')</script>",
    "<img src=x onerror=\"window.__xss=2;alert('xss-img')\">",
    "<svg onload=\"window.__xss=3;alert('xss-svg')\"><script>alert(3)</script></svg>",
    '"><script>window.__xss=4</script><p title="',
    "</textarea></title><script>window.__xss=5</script>",
    '<a href="javascript:window.__xss=6;alert(6)">klik hier</a>',
    '<iframe srcdoc="<script>parent.__xss=7</script>"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=8>",
    "<body onload=window.__xss=9>",
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=10">',
    '<base href="http://evil.invalid/">',
    "<style>body{display:none}</style>",
    "\uff1cscript\uff1ewindow.__xss=11\uff1c/script\uff1e",  # full-width brackets
    "\u202egnp.exe<script>window.__xss=12</script>",  # right-to-left override
    "<scr\u200bipt>window.__xss=13</scr\u200bipt>",  # zero-width space
    "{{ 7|add:7 }}{% debug %}",  # template injection must stay text
    "<details open ontoggle=window.__xss=14>",
    "<input autofocus onfocus=window.__xss=15>",
]
XSS_URL = "javascript:window.__xss=99;alert('xss-url')"

SOURCE = "sample-site"
PHONE = "+31612345678"


def tiny_png(seed: int) -> bytes:
    """A valid 2x2 PNG whose colour depends on ``seed``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rgb = bytes([(seed * 70) % 256, (seed * 130) % 256, (seed * 200) % 256])
    raw = b"".join(b"\x00" + rgb * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def store_image(image_dir: Path, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    path = Path(image_dir) / sha[:2] / sha[2:4] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha


def _span(body: str, needle: str) -> tuple[int, int]:
    start = body.index(needle)
    return start, start + len(needle)


def _indicators(title: str, text: str, found: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    body = title + "\n" + text
    out = []
    for ind_id, category, needle in found:
        start, end = _span(body, needle)
        out.append({"id": ind_id, "category": category, "start": start, "end": end, "text": needle})
    return out


def build_sample_store(
    store: AdStore, image_dir: Path, now: str = "2026-11-20T10:00:00Z"
) -> dict[str, str]:
    """Fill ``store`` with the sample market; returns names -> ad ids.

    Names: ``denhaag`` and ``rotterdam`` (flagged, one network by phone),
    ``hostile`` (flagged, XSS payloads everywhere, same network by photo),
    ``utrecht`` (flagged, two versions), ``old_unflagged`` (never flagged, seen
    long ago, one own photo and one shared with ``denhaag``),
    ``old_other`` (never flagged, old, for escalation tests).
    """
    shared = store_image(image_dir, tiny_png(1))
    own = store_image(image_dir, tiny_png(2))
    hostile_img = store_image(image_dir, tiny_png(3))
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    )
    svg_sha = store_image(image_dir, svg)
    old = "2025-01-05T10:00:00Z"
    payload = " ".join(XSS_PAYLOADS)

    ads: dict[str, dict[str, Any]] = {
        "denhaag": {
            "title": "Nieuw in Den Haag: Lisa",
            "text": "Nieuw meisje, net 18 jaar. Afspraken alleen via mijn manager. Bel 06-12345678. "
            "24/7 beschikbaar, ook escort naar hotel.",
            "city": "Den Haag",
            "images": [
                {"sha256": shared, "phash": "0f0f0f0f0f0f0f0f", "content_type": "image/png"}
            ],
            "found": [
                ("young_age", "age", "net 18 jaar"),
                ("third_party_booking", "control", "alleen via mijn manager"),
                ("always_available", "availability", "24/7 beschikbaar"),
                ("new_in_town", "mobility", "Nieuw in Den Haag"),
            ],
            "risk": 0.93,
            "observed": now,
        },
        "rotterdam": {
            "title": "Lisa nu in Rotterdam",
            "text": "Zelfde meisje, nu in Rotterdam. Manager regelt alles. Bel 06-12345678.",
            "city": "Rotterdam",
            "images": [],
            "found": [("third_party_booking", "control", "Manager regelt alles")],
            "risk": 0.81,
            "observed": now,
        },
        "hostile": {
            "title": "Hostile " + XSS_PAYLOADS[0] + XSS_PAYLOADS[1],
            "text": "Start " + payload + " einde. Alleen via mijn baas.",
            "city": XSS_PAYLOADS[2],
            "url": XSS_URL,
            "images": [
                {"sha256": hostile_img, "phash": "00ff00ff00ff00ff", "content_type": "image/png"},
                {"sha256": svg_sha, "phash": "ffffffffffffffff", "content_type": "image/svg+xml"},
            ],
            "found": [
                ("script_marker", "control", XSS_PAYLOADS[1]),
                ("third_party_booking", "control", "Alleen via mijn baas"),
            ],
            "risk": 0.86,
            "observed": now,
        },
        "utrecht": {
            "title": "Ontspannende massage Utrecht",
            "text": "Massage door jonge dames, nieuw team elke week. Prijs 60 euro.",
            "city": "Utrecht",
            "images": [],
            "found": [("rotating_staff", "mobility", "nieuw team elke week")],
            "risk": 0.58,
            "observed": now,
            "ad_type": "massage",
            "v2_text": "Massage door jonge dames, nieuw team elke week. Prijs 50 euro, ook 's nachts.",
        },
        "old_unflagged": {
            "title": "Gezellige dame in Zwolle",
            "text": "Ervaren en zelfstandig. Bel gerust.",
            "city": "Zwolle",
            "images": [
                {"sha256": own, "phash": "1111111111111111", "content_type": "image/png"},
                {"sha256": shared, "phash": "0f0f0f0f0f0f0f0f", "content_type": "image/png"},
            ],
            "found": [],
            "risk": 0.12,
            "observed": old,
        },
        "old_other": {
            "title": "Zelfstandige masseuse Leiden",
            "text": "Eigen praktijk, op afspraak.",
            "city": "Leiden",
            "images": [],
            "found": [],
            "risk": 0.2,
            "observed": old,
        },
    }
    ids = {name: make_ad_id(SOURCE, name) for name in ads}
    observations = []
    for name, ad in ads.items():
        observations.append(
            {
                "source": SOURCE,
                "site_ad_id": name,
                "url": ad.get("url", f"https://sample-site.invalid/ad/{name}"),
                "title": ad["title"],
                "text": ad["text"],
                "city": ad["city"],
                "posted_at": ad["observed"][:10],
                "phone_region": "NL",
                "images": ad["images"],
                "observed_at": ad["observed"],
            }
        )
    store.upsert_observations(observations)
    second = ads["utrecht"]
    store.upsert_observations(
        [
            {
                "source": SOURCE,
                "site_ad_id": "utrecht",
                "url": "https://sample-site.invalid/ad/utrecht",
                "title": second["title"],
                "text": second["v2_text"],
                "city": second["city"],
                "phone_region": "NL",
                "images": [],
                "observed_at": "2026-11-21T09:00:00Z",
            }
        ]
    )
    second["text"] = second["v2_text"]
    enrichments = []
    for name, ad in ads.items():
        indicators = _indicators(ad["title"], ad["text"], ad["found"])
        doc = store.get_ad(ids[name]) or {}
        enrichments.append(
            {
                "ad_id": ids[name],
                "version": doc.get("version"),
                "phones": [PHONE] if name in ("denhaag", "rotterdam") else [],
                "handles": ["telegram:" + XSS_PAYLOADS[3]] if name == "hostile" else [],
                "emails": [],
                "extracted": {
                    "prices": [{"text": "60 euro", "value": 60, "currency": "EUR"}]
                    if name == "utrecht"
                    else [],
                    "ages": [{"text": "18 jaar", "value": 18}] if name == "denhaag" else [],
                    "places": [{"text": ad["city"]}],
                    "names": [{"text": XSS_PAYLOADS[5]}]
                    if name == "hostile"
                    else [{"text": "Lisa"}],
                },
                "indicators": indicators,
                "ad_type": ad.get("ad_type", "escort"),
                "risk": ad["risk"],
                "risk_explanation": [
                    {"feature": "indicators", "weight": 0.4, "text": "Indicators: " + ad["title"]}
                ],
                "flagged": ad["risk"] >= 0.5,
            }
        )
    store.write_enrichments(enrichments)
    cluster_ids = [ids["denhaag"], ids["rotterdam"], ids["hostile"]]
    store.upsert_clusters(
        [
            {
                "cluster_id": min(cluster_ids),
                "size": 3,
                "ad_ids": cluster_ids,
                "phones": [PHONE],
                "personas": ["Lisa", XSS_PAYLOADS[4]],
                "cities": ["Den Haag", "Rotterdam"],
                "risk_max": 0.93,
                "links": [
                    {
                        "a": ids["denhaag"],
                        "b": ids["rotterdam"],
                        "kind": "phone",
                        "key": PHONE,
                        "reason": f"same phone number {PHONE}",
                    },
                    {
                        "a": ids["hostile"],
                        "b": ids["denhaag"],
                        "kind": "image",
                        "key": "0f0f",
                        "reason": "near-identical photo " + XSS_PAYLOADS[6],
                    },
                ],
            }
        ]
    )
    return ids
