"""The document schema of ads and clusters, shared by every store backend."""

from __future__ import annotations

import hashlib

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
