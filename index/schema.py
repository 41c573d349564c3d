"""The document schema of ads and clusters, shared by every store backend."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

#: Fields a crawl observation carries into :meth:`AdStore.upsert_observations`.
OBSERVATION_FIELDS: dict[str, str] = {
    "ad_id": "str; make_ad_id(source, site_ad_id or url) (computed when absent)",
    "source": "str; source name, e.g. 'demo-velvet'",
    "site_ad_id": "str | None; the site's own ad id",
    "url": "str; canonical URL of the ad page",
    "title": "str",
    "text": "str; the ad body as plain text",
    "city": "str | None; the place the site states",
    "posted_at": "str | None; ISO date or datetime the site states",
    "price_text": "str | None",
    "phone_region": "str; ISO region for phone parsing, e.g. 'NL'",
    "images": "list[{'sha256','phash','path','width','height'}]; stored images",
    "content_hash": "str; sha256 over title, text and image hashes",
    "observed_at": "str; ISO UTC time of the fetch",
    "evidence": "{'warc_file','warc_record_id'} | None",
    "crawl_run": "str | None",
}

#: Fields the store maintains itself.
STORE_FIELDS: dict[str, str] = {
    "version": "int; 1 for the first text, +1 for every change",
    "first_seen": "str; ISO UTC",
    "last_seen": "str; ISO UTC",
    "crawl_status": "'active' | 'gone'",
    "processing": "'pending' | 'done'",
    "review_status": "'open' | 'needs_info' | 'dismissed' | 'escalated'",
    "changed_since_review": "bool",
    "image_sha256": "list[str]; derived from images",
    "cluster_id": "str | None",
    "cluster_size": "int; 1 when alone",
}

#: Fields the processing stage writes with :meth:`AdStore.write_enrichments`.
ENRICHMENT_FIELDS: dict[str, str] = {
    "phones": "list[str]; E.164",
    "emails": "list[str]; lower case",
    "handles": "list[str]; 'platform:name', lower case",
    "extracted": "dict; the full extract_all() output (prices, ages, places, spans)",
    "indicators": "list[{'id','category','start','end','text'}]",
    "indicator_categories": "list[str]",
    "ad_type": "str | None; 'escort' | 'massage' | 'job' | 'other'",
    "risk": "float in [0, 1]",
    "risk_band": "'low' | 'medium' | 'high'",
    "risk_explanation": "list[{'feature','weight','text'}]",
    "flagged": "bool",
    "phash_chunks": "list[str]; multi-index keys of image perceptual hashes",
    "text_bands": "list[str]; MinHash LSH band keys",
    "cluster_id": "str | None",
    "processed_at": "str; ISO UTC",
}

#: Fields of a cluster document.
CLUSTER_FIELDS: dict[str, str] = {
    "cluster_id": "str; stable id (the id it was created with; merges keep the larger's)",
    "size": "int",
    "ad_ids": "list[str]",
    "phones": "list[str]",
    "emails": "list[str]",
    "handles": "list[str]",
    "personas": "list[str]; names the ads use",
    "cities": "list[str]",
    "n_cities": "int",
    "sources": "list[str]",
    "first_seen": "str",
    "last_seen": "str",
    "ads_per_week": "float",
    "growth": "int; ads first seen in the last 7 days",
    "risk_max": "float",
    "risk_mean": "float",
    "links": "list[{'a','b','kind','key','reason'}]; the evidence",
    "updated_at": "str",
}


def make_ad_id(source: str, site_ad_id: str | None, url: str | None = None) -> str:
    """Stable id of an ad: a hash of its source and the site's own id (or URL).

    >>> make_ad_id("demo", "42") == make_ad_id("demo", "42")
    True
    >>> len(make_ad_id("demo", None, "http://x/ad/1"))
    20
    """
    key = site_ad_id if site_ad_id else (url or "")
    if not key:
        raise ValueError("An ad needs a site ad id or a URL to get a stable id.")
    digest = hashlib.sha256(f"{source}\x1f{key}".encode()).hexdigest()
    return digest[:20]


def content_hash(title: str, text: str, image_sha256: list[str] | tuple[str, ...] = ()) -> str:
    """Hash of what an officer would call 'the content' of an ad version."""
    norm = " ".join((title or "").split()) + "\x1f" + " ".join((text or "").split())
    norm += "\x1f" + ",".join(sorted(image_sha256))
    return hashlib.sha256(norm.encode()).hexdigest()


def risk_band(risk: float | None) -> str:
    if risk is None:
        return "unknown"
    if risk >= 0.7:
        return "high"
    if risk >= 0.4:
        return "medium"
    return "low"


#: Multi-valued fields kept in a key table for exact lookups and filters, with
#: the kind each one is stored under (lookup kinds first, then filter-only kinds).
KEY_FIELDS: dict[str, str] = {
    "phone": "phones",
    "email": "emails",
    "handle": "handles",
    "image_sha256": "image_sha256",
    "phash_chunk": "phash_chunks",
    "text_band": "text_bands",
    "indicator": "indicator_ids",
    "indicator_category": "indicator_categories",
}

#: Fields left out of search hits (bulky internals; ``get_ad`` has them all).
HIT_EXCLUDED_FIELDS = ("extracted", "phash_chunks", "text_bands", "evidence")


def now_iso() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime(ISO_FORMAT)


def utc_iso(value: object, *, end_of_day: bool = False) -> str:
    """Normalise an ISO date/datetime (or ``datetime``) to ``YYYY-MM-DDTHH:MM:SSZ`` in UTC.

    Naive times count as UTC. A bare date means its start, or with
    ``end_of_day`` its last second (so ``date_to="2024-05-01"`` includes that day).

    >>> utc_iso("2024-05-01T12:00:00+02:00")
    '2024-05-01T10:00:00Z'
    >>> utc_iso("2024-05-01", end_of_day=True)
    '2024-05-01T23:59:59Z'
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
        if end_of_day:
            dt = dt.replace(hour=23, minute=59, second=59)
    else:
        text = str(value).strip()
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"Time {value!r} is not an ISO date or datetime such as 2024-05-01T12:00:00Z"
            ) from None
        if end_of_day and len(text) == 10:
            dt = dt.replace(hour=23, minute=59, second=59)
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.strftime(ISO_FORMAT)


def prepare_observation(obs: dict[str, Any]) -> dict[str, Any]:
    """Validate one crawl observation and fill its derived fields.

    Returns a new dict with ``ad_id``, ``image_sha256``, ``content_hash`` and a
    normalised ``observed_at``; raises ``ValueError`` with the reason when the
    observation cannot be stored.
    """
    if not isinstance(obs, dict):
        raise ValueError(f"an observation must be a dict, not {type(obs).__name__}")
    doc: dict[str, Any] = {name: obs.get(name) for name in OBSERVATION_FIELDS}
    if not doc["source"]:
        raise ValueError("observation has no source")
    if not doc["ad_id"]:
        doc["ad_id"] = make_ad_id(str(doc["source"]), doc["site_ad_id"], doc["url"])
    doc["ad_id"] = str(doc["ad_id"])
    doc["title"] = str(doc["title"] or "")
    doc["text"] = str(doc["text"] or "")
    images = doc["images"] or []
    if not isinstance(images, list) or not all(isinstance(i, dict) for i in images):
        raise ValueError("images must be a list of dicts with a sha256")
    doc["images"] = images
    doc["image_sha256"] = sorted({str(i["sha256"]) for i in images if i.get("sha256")})
    if not doc["content_hash"]:
        doc["content_hash"] = content_hash(doc["title"], doc["text"], doc["image_sha256"])
    doc["observed_at"] = utc_iso(doc["observed_at"]) if doc["observed_at"] else now_iso()
    return doc


def prepare_enrichment(item: dict[str, Any]) -> dict[str, Any]:
    """Validate one enrichment and derive ``risk_band`` / ``indicator_ids``."""
    if not isinstance(item, dict) or not item.get("ad_id"):
        raise ValueError("an enrichment needs an ad_id")
    unknown = set(item) - set(ENRICHMENT_FIELDS) - {"ad_id", "version"}
    if unknown:
        raise ValueError(
            f"enrichment of {item['ad_id']!r} has unknown fields {sorted(unknown)}; "
            f"known: {sorted(ENRICHMENT_FIELDS)}"
        )
    out = dict(item)
    if "risk" in out and "risk_band" not in out:
        out["risk_band"] = risk_band(out["risk"])
    if "indicators" in out and "indicator_categories" not in out:
        out["indicator_categories"] = sorted(
            {str(i.get("category")) for i in out["indicators"] or [] if i.get("category")}
        )
    if "flagged" in out:
        out["flagged"] = bool(out["flagged"])
    out.setdefault("processed_at", now_iso())
    return out


def indicator_ids(doc: dict[str, Any]) -> list[str]:
    """Distinct indicator ids of an ad document."""
    return sorted({str(i.get("id")) for i in doc.get("indicators") or [] if i.get("id")})
