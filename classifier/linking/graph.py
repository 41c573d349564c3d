"""The link graph's parts: a link with its reason, a union-find, and ad field access."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: Kinds of links, strongest first.
LINK_KINDS = ("phone", "email", "handle", "image", "image_near", "text")


@dataclass(slots=True, frozen=True)
class Link:
    """Evidence that two ads belong together.

    ``key`` is the shared identifier (phone, e-mail, handle, image SHA-256,
    perceptual hash or normalised-text digest); ``reason`` says it in words.
    """

    a: str
    b: str
    kind: str
    key: str
    reason: str
    score: float = 1.0

    @property
    def weight(self) -> float:
        return self.score

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True, frozen=True)
class RejectedKey:
    """A key too common to be evidence (reception phone, stock photo)."""

    kind: str
    key: str
    count: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class UnionFind:
    """Disjoint sets over ``0..n-1`` with union by size and path halving."""

    def __init__(self, n: int = 0) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def add(self) -> int:
        self.parent.append(len(self.parent))
        self.size.append(1)
        return len(self.parent) - 1

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, x: int, y: int) -> bool:
        rx, ry = self.find(x), self.find(y)
        if rx == ry:
            return False
        if self.size[rx] < self.size[ry]:
            rx, ry = ry, rx
        self.parent[ry] = rx
        self.size[rx] += self.size[ry]
        return True


def as_list(value: Any) -> list[str]:
    """A field that may be missing, one string or a list, as a list of strings."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [v for v in value if v]


def names_of(values: Any) -> list[str]:
    """Names or places from extraction output: strings or dicts with a text value."""
    out = []
    for v in as_list(values) if not isinstance(values, Mapping) else []:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, Mapping):
            text = v.get("value") or v.get("text") or v.get("name")
            if isinstance(text, str):
                out.append(text)
    return out


def ad_names(ad: Mapping[str, Any]) -> list[str]:
    if ad.get("names"):
        return names_of(ad["names"])
    extracted = ad.get("extracted") or {}
    return names_of(extracted.get("names")) if isinstance(extracted, Mapping) else []


def ad_places(ad: Mapping[str, Any]) -> list[str]:
    places = names_of(ad.get("places"))
    if not places:
        extracted = ad.get("extracted") or {}
        if isinstance(extracted, Mapping):
            places = names_of(extracted.get("places"))
    if ad.get("city") and isinstance(ad["city"], str):
        places.append(ad["city"])
    return places


def ad_identifiers(ad: Mapping[str, Any]) -> dict[str, list[str]]:
    """Exact identifiers of an ad by link kind (store documents and plain dicts)."""
    sha = as_list(ad.get("image_sha256"))
    phashes = as_list(ad.get("image_phash"))
    for image in ad.get("images") or ():
        if isinstance(image, Mapping):
            if image.get("sha256") and not ad.get("image_sha256"):
                sha.append(image["sha256"])
            if image.get("phash") and not ad.get("image_phash"):
                phashes.append(image["phash"])
    return {
        "phone": _unique(as_list(ad.get("phones"))),
        "email": _unique(e.lower() for e in as_list(ad.get("emails"))),
        "handle": _unique(h.lower() for h in as_list(ad.get("handles"))),
        "image": _unique(sha),
        "image_phash": _unique(p.lower() for p in phashes),
    }


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


IDENTIFIER_REASON = {
    "phone": "same phone {key}",
    "email": "same e-mail {key}",
    "handle": "same handle {key}",
    "image": "same photo (SHA-256 {short})",
}


def identifier_reason(kind: str, key: str) -> str:
    return IDENTIFIER_REASON[kind].format(key=key, short=key[:12])
