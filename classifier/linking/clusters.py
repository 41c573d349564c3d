"""Cluster documents: what an analyst sees of a network and why its ads belong together."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from classifier.linking.graph import ad_identifiers, ad_names, as_list

#: Link evidence kept per cluster document; a huge network keeps the first ones.
MAX_LINKS = 2000


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


def _sorted_unique(values: Iterable[str]) -> list[str]:
    return sorted({v for v in values if v})


def merge_links(
    *groups: Iterable[Mapping[str, Any]], limit: int = MAX_LINKS
) -> list[dict[str, Any]]:
    """Link dicts from several sources without repeats (same a, b, kind, key)."""
    seen: set[tuple[str, str, str, str]] = set()
    out: list[dict[str, Any]] = []
    for group in groups:
        for link in group:
            a, b = sorted((str(link["a"]), str(link["b"])))
            ident = (a, b, str(link["kind"]), str(link["key"]))
            if ident in seen:
                continue
            seen.add(ident)
            out.append(
                {k: link[k] for k in ("a", "b", "kind", "key", "reason") if k in link}
                | ({"score": link["score"]} if "score" in link else {})
            )
            if len(out) >= limit:
                return out
    return out


def build_cluster_document(
    cluster_id: str,
    ads: Sequence[Mapping[str, Any]],
    links: Iterable[Mapping[str, Any]] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """A cluster document (``index.schema.CLUSTER_FIELDS``) from its member ads.

    Examples
    --------
    >>> doc = build_cluster_document("a1", [
    ...     {"ad_id": "a1", "phones": ["+31612345678"], "city": "Utrecht", "risk": 0.8,
    ...      "first_seen": "2024-01-01T00:00:00Z", "last_seen": "2024-01-08T00:00:00Z"},
    ...     {"ad_id": "a2", "phones": ["+31612345678"], "city": "Zwolle", "risk": 0.4,
    ...      "first_seen": "2024-01-03T00:00:00Z", "last_seen": "2024-01-15T00:00:00Z"}],
    ...     [{"a": "a1", "b": "a2", "kind": "phone", "key": "+31612345678",
    ...       "reason": "same phone +31612345678"}],
    ...     now=datetime(2024, 1, 15, tzinfo=UTC))
    >>> doc["size"], doc["n_cities"], doc["risk_max"], round(doc["risk_mean"], 2), doc["ads_per_week"]
    (2, 2, 0.8, 0.6, 1.0)
    """
    now = now or datetime.now(UTC)
    phones, emails, handles, personas, cities, sources = [], [], [], [], [], []
    firsts, lasts, risks = [], [], []
    for ad in ads:
        ident = ad_identifiers(ad)
        phones += ident["phone"]
        emails += ident["email"]
        handles += ident["handle"]
        personas += ad_names(ad)
        cities += as_list(ad.get("city"))
        sources += as_list(ad.get("source"))
        first = _parse_time(ad.get("first_seen") or ad.get("posted_at") or ad.get("observed_at"))
        last = _parse_time(ad.get("last_seen") or ad.get("observed_at")) or first
        if first:
            firsts.append(first)
        if last:
            lasts.append(last)
        if isinstance(ad.get("risk"), int | float):
            risks.append(float(ad["risk"]))
    first_seen = min(firsts) if firsts else None
    last_seen = max(lasts) if lasts else None
    span_weeks = (last_seen - first_seen) / timedelta(weeks=1) if first_seen and last_seen else 0.0
    ad_ids = sorted(str(ad["ad_id"]) for ad in ads)
    city_set = _sorted_unique(c.strip().title() for c in cities)
    return {
        "cluster_id": cluster_id,
        "size": len(ad_ids),
        "ad_ids": ad_ids,
        "phones": _sorted_unique(phones),
        "emails": _sorted_unique(emails),
        "handles": _sorted_unique(handles),
        "personas": _sorted_unique(p.strip().title() for p in personas),
        "cities": city_set,
        "n_cities": len(city_set),
        "sources": _sorted_unique(sources),
        "first_seen": _iso(first_seen),
        "last_seen": _iso(last_seen),
        # A cluster seen within one week counts its ads as that week's.
        "ads_per_week": round(len(ad_ids) / max(1.0, span_weeks), 3),
        "growth": sum(1 for f in firsts if f >= now - timedelta(days=7)),
        "risk_max": max(risks) if risks else None,
        "risk_mean": sum(risks) / len(risks) if risks else None,
        "links": merge_links(links),
        "updated_at": _iso(now),
    }
