"""Direct lookups: "who else uses this phone / e-mail / handle / photo".

A pasted identifier is normalised the way the processing stage normalised the
ads (E.164 phones, lower-case e-mail, ``platform:name`` handles), so an exact
lookup in the store finds every ad that carries it. A photo is found by its
SHA-256 (the same bytes) and by its perceptual hash (a resized or re-encoded
copy) through the multi-index chunks the linker stored, verified by Hamming
distance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from classifier.extract import find_emails, find_handles, find_phones
from classifier.link import hamming, phash_chunks
from crawler.images import ImageRejected, inspect_image
from index import AdStore
from review_ui.analysis.exceptions import LookupInputError

#: Photos at most this many bits apart count as "near-identical" (the linker's default).
PHASH_DISTANCE = 8
#: Platforms tried for a bare ``@name``.
HANDLE_PLATFORMS = ("telegram", "snapchat", "instagram", "onlyfans", "twitter", "tiktok", "kik")
MAX_LOOKUP_ADS = 500
_HANDLE_RE = re.compile(r"^@?([A-Za-z0-9_.\-]{2,64})$")
_PLATFORM_HANDLE_RE = re.compile(r"^([a-z]+):\s*@?(\S{1,64})$", re.I)


@dataclass
class LookupMatch:
    """One ad that carries what was looked up, and why it matched."""

    ad_id: str
    cluster_id: str | None
    kind: str
    key: str
    reason: str
    distance: int | None = None


@dataclass
class LookupResult:
    """What a lookup understood the input to be and the ads it found."""

    query: str
    keys: list[tuple[str, str]] = field(default_factory=list)  # (kind, normalised key)
    matches: list[LookupMatch] = field(default_factory=list)
    phash: str | None = None
    sha256: str | None = None

    @property
    def ad_ids(self) -> list[str]:
        return list(dict.fromkeys(m.ad_id for m in self.matches))

    @property
    def cluster_ids(self) -> list[str]:
        return sorted({m.cluster_id for m in self.matches if m.cluster_id})

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "understood_as": [{"kind": k, "key": v} for k, v in self.keys],
            "phash": self.phash,
            "sha256": self.sha256,
            "matches": [m.__dict__ for m in self.matches],
            "ad_ids": self.ad_ids,
            "cluster_ids": self.cluster_ids,
        }


def normalise_identifier(text: str, region: str = "NL") -> list[tuple[str, str]]:
    """The lookup keys a pasted phone number, e-mail or handle stands for.

    Phones in any written form (``06-12345678``, ``+31 6 1234 5678``,
    ``0031612345678``, spelled-out digits) become E.164; e-mail is lower-cased;
    handles become ``platform:name`` (a bare ``@name`` is tried on the common
    platforms). Raises :class:`LookupInputError` when nothing is recognised.
    """
    raw = (text or "").strip()
    if not raw:
        raise LookupInputError(_("Enter a phone number, an e-mail address or a handle to look up."))
    if len(raw) > 200:
        raise LookupInputError(
            _("The lookup text is %(n)d characters long; paste one identifier (at most 200).")
            % {"n": len(raw)}
        )
    keys: list[tuple[str, str]] = []
    emails = [m.value for m in find_emails(raw)]
    keys += [("email", e.lower()) for e in emails]
    handles = [m.value for m in find_handles(raw, default_region=region)]
    keys += [("handle", h.lower()) for h in handles]
    if not emails:
        phones = [m.e164 for m in find_phones(raw, default_region=region)]
        digits = re.sub(r"\D", "", raw)
        if not phones and len(digits) == 9 and digits.startswith("6") and raw.strip(" +-") == raw:
            # A Dutch mobile pasted without its leading zero (612345678).
            phones = [m.e164 for m in find_phones("0" + digits, default_region=region)]
        keys += [("phone", p) for p in phones]
    if not keys:
        m = _PLATFORM_HANDLE_RE.match(raw)
        if m:
            keys.append(("handle", f"{m.group(1).lower()}:{m.group(2).lower()}"))
        elif _HANDLE_RE.match(raw) and not raw.isdigit():
            name = _HANDLE_RE.match(raw).group(1).lower()  # type: ignore[union-attr]
            keys += [("handle", f"{p}:{name}") for p in HANDLE_PLATFORMS]
    if not keys:
        raise LookupInputError(
            _(
                "'%(text)s' is not a phone number, e-mail address or handle that adscan "
                "recognises; paste it as written in the ad, e.g. 06-12345678, name@example.com "
                "or telegram:name."
            )
            % {"text": raw}
        )
    return list(dict.fromkeys(keys))


_REASONS = {
    "phone": gettext_noop("same phone number %(key)s"),
    "email": gettext_noop("same e-mail address %(key)s"),
    "handle": gettext_noop("same handle %(key)s"),
    "image_sha256": gettext_noop("same photo (identical bytes)"),
}


def lookup_identifier(store: AdStore, text: str, region: str = "NL") -> LookupResult:
    """Every ad carrying the phone, e-mail or handle in ``text``."""
    result = LookupResult(query=text, keys=normalise_identifier(text, region))
    by_kind: dict[str, list[str]] = {}
    for kind, key in result.keys:
        by_kind.setdefault(kind, []).append(key)
    seen: set[tuple[str, str]] = set()
    for kind, keys in by_kind.items():
        found = store.lookup(kind, keys)
        for key in keys:
            for ad_id, cluster_id in found.get(key) or []:
                if (ad_id, key) in seen or len(result.matches) >= MAX_LOOKUP_ADS:
                    continue
                seen.add((ad_id, key))
                result.matches.append(
                    LookupMatch(ad_id, cluster_id, kind, key, _(_REASONS[kind]) % {"key": key})
                )
    # Found handles narrow the keys shown to the ones that matched.
    if any(k == "handle" for k, _ in result.keys) and len(result.keys) > 1:
        hit = {m.key for m in result.matches}
        result.keys = [(k, v) for k, v in result.keys if k != "handle" or v in hit] or result.keys
    return result


def photo_fingerprint(data: bytes) -> dict[str, Any]:
    """SHA-256 and perceptual hash of uploaded photo bytes (Pillow must read them)."""
    try:
        return inspect_image(data)
    except ImageRejected as exc:
        raise LookupInputError(
            _(
                "The uploaded file could not be read as a photo (%(reason)s); "
                "upload a JPEG, PNG, GIF or WebP image."
            )
            % {"reason": exc.reason}
        ) from None


def lookup_photo(store: AdStore, data: bytes, max_distance: int = PHASH_DISTANCE) -> LookupResult:
    """Ads with the same photo (SHA-256) or a near-identical one (perceptual hash)."""
    info = photo_fingerprint(data)
    sha, phash = info["sha256"], info["phash"]
    result = LookupResult(
        query="photo", keys=[("image_sha256", sha), ("phash", phash)], phash=phash, sha256=sha
    )
    seen: set[str] = set()
    for ad_id, cluster_id in store.lookup("image_sha256", [sha]).get(sha) or []:
        seen.add(ad_id)
        result.matches.append(
            LookupMatch(ad_id, cluster_id, "image_sha256", sha, _(_REASONS["image_sha256"]), 0)
        )
    chunks = phash_chunks(phash)
    candidates: dict[str, str | None] = {}
    for rows in store.lookup("phash_chunk", chunks).values():
        for ad_id, cluster_id in rows:
            if ad_id not in seen:
                candidates[ad_id] = cluster_id
    ads = store.get_ads(list(candidates)[: MAX_LOOKUP_ADS * 4])
    near: list[LookupMatch] = []
    for ad in ads:
        best: tuple[int, str] | None = None
        for image in ad.get("images") or []:
            other = str(image.get("phash") or "")
            try:
                distance = hamming(phash, other)
            except ValueError:
                continue
            if best is None or distance < best[0]:
                best = (distance, str(image.get("sha256") or ""))
        if best is not None and best[0] <= max_distance:
            near.append(
                LookupMatch(
                    ad["ad_id"],
                    candidates[ad["ad_id"]],
                    "image_near",
                    best[1],
                    _("near-identical photo (%(n)d of 64 bits differ)") % {"n": best[0]},
                    best[0],
                )
            )
    near.sort(key=lambda m: (m.distance, m.ad_id))
    result.matches += near[: max(0, MAX_LOOKUP_ADS - len(result.matches))]
    return result
