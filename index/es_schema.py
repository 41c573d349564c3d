"""Elasticsearch schema as deployable code: index templates, versioned indices
behind aliases, an idempotent ``setup`` and a ``migrate`` that reindexes and
flips the alias."""

from __future__ import annotations

import copy
import re
from typing import Any

from elasticsearch import ApiError, Elasticsearch

#: Bump when a mapping changes; ``adscan index migrate`` moves data to the new index.
TEMPLATE_VERSION = 1

KEYWORD = {"type": "keyword", "ignore_above": 1024}
OPAQUE = {"type": "object", "enabled": False}
DATE = {"type": "date"}

AD_KEYWORDS = (
    "ad_id source site_ad_id city posted_at phone_region content_hash crawl_run crawl_status"
    " processing review_status cluster_id ad_type risk_band claimed_by phones emails handles"
    " image_sha256 phash_chunks text_bands indicator_categories indicator_ids"
).split()

#: Analysis with Dutch and English stemming (Elasticsearch, OpenSearch).
FULL_ANALYSIS: dict[str, Any] = {
    "filter": {"adscan_dutch_stemmer": {"type": "stemmer", "language": "dutch"}},
    "analyzer": {
        "adscan_text": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding"],
        },
        "adscan_nl": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "adscan_dutch_stemmer"],
        },
        "adscan_en": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "porter_stem"],
        },
    },
}


def _text_field() -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": "adscan_text",
        "fields": {
            "nl": {"type": "text", "analyzer": "adscan_nl"},
            "en": {"type": "text", "analyzer": "adscan_en"},
        },
    }


AD_MAPPINGS: dict[str, Any] = {
    # Strict: a document with a field we did not plan for is refused and
    # reported, never silently half-indexed (the classic Memex failure).
    "dynamic": "strict",
    "properties": {
        **{name: dict(KEYWORD) for name in AD_KEYWORDS},
        "url": {"type": "keyword", "index": False, "doc_values": False},
        "price_text": {"type": "keyword", "index": False, "doc_values": False},
        "title": _text_field(),
        "text": _text_field(),
        "observed_at": DATE,
        "first_seen": DATE,
        "last_seen": DATE,
        "processed_at": DATE,
        "version": {"type": "integer"},
        "cluster_size": {"type": "integer"},
        "risk": {"type": "float"},
        "flagged": {"type": "boolean"},
        "changed_since_review": {"type": "boolean"},
        "claimed_until": {"type": "double"},
        # Free-form structures are kept in _source only, so their shape can
        # never cause a mapping conflict.
        "images": OPAQUE,
        "evidence": OPAQUE,
        "extracted": OPAQUE,
        "indicators": OPAQUE,
        "risk_explanation": OPAQUE,
    },
}

VERSION_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "ad_id": KEYWORD,
        "version": {"type": "integer"},
        "content_hash": KEYWORD,
        "observed_at": DATE,
    },
}

CLUSTER_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "cluster_id": KEYWORD,
        "size": {"type": "integer"},
        "risk_max": {"type": "float"},
        "n_cities": {"type": "integer"},
        "last_seen": DATE,
        "growth": {"type": "integer"},
        "phones": KEYWORD,
        "updated_at": DATE,
    },
}

KINDS = ("ads", "versions", "clusters")


def _dutch_supported(client: Elasticsearch) -> bool:
    """osmem-server (and some OpenSearch builds) lack the Dutch stemmer."""
    try:
        client.indices.analyze(
            tokenizer="standard", filter=[{"type": "stemmer", "language": "dutch"}], text="meisjes"
        )
    except ApiError:
        return False
    return True


def analysis(client: Elasticsearch) -> tuple[dict[str, Any], list[str]]:
    """The analysis settings this server supports, and notes on what was left out."""
    settings = copy.deepcopy(FULL_ANALYSIS)
    notes = []
    if not _dutch_supported(client):
        del settings["filter"]["adscan_dutch_stemmer"]
        settings["analyzer"]["adscan_nl"]["filter"].remove("adscan_dutch_stemmer")
        notes.append("the server has no Dutch stemmer: Dutch text is folded, not stemmed")
    return settings, notes


def templates(prefix: str, client: Elasticsearch) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The composable index template of each kind, keyed by kind."""
    settings, notes = analysis(client)
    meta = {"adscan_template_version": TEMPLATE_VERSION, "notes": notes}
    out = {}
    for kind, mappings in (
        ("ads", AD_MAPPINGS),
        ("versions", VERSION_MAPPINGS),
        ("clusters", CLUSTER_MAPPINGS),
    ):
        index_settings: dict[str, Any] = {"number_of_shards": 1, "refresh_interval": "1s"}
        if kind == "ads":
            index_settings["analysis"] = settings
        out[kind] = {
            "index_patterns": [f"{prefix}-{kind}-v*"],
            "priority": 200,
            "version": TEMPLATE_VERSION,
            "_meta": meta,
            "template": {"settings": index_settings, "mappings": mappings},
        }
    return out, notes


def alias_name(prefix: str, kind: str) -> str:
    return f"{prefix}-{kind}"


def current_index(client: Elasticsearch, alias: str) -> str | None:
    """The index behind ``alias``, or ``None`` when the alias does not exist."""
    if not client.indices.exists_alias(name=alias):
        return None
    names = sorted(client.indices.get_alias(name=alias).body, key=_generation)
    return names[-1] if names else None


def _generation(index: str) -> int:
    match = re.search(r"-v(\d+)$", index)
    return int(match.group(1)) if match else 0


def setup(client: Elasticsearch, prefix: str) -> dict[str, Any]:
    """Put the templates and create ``<prefix>-<kind>-v1`` behind each alias when
    missing. Idempotent: safe on every deploy."""
    tmpl, notes = templates(prefix, client)
    created = []
    for kind in KINDS:
        client.indices.put_index_template(name=f"{prefix}-{kind}", **tmpl[kind])
        alias = alias_name(prefix, kind)
        if current_index(client, alias) is None:
            index = f"{alias}-v1"
            if not client.indices.exists(index=index):
                client.indices.create(index=index)
            client.indices.put_alias(index=index, name=alias)
            created.append(index)
    return {"created": created, "notes": notes}


def migrate(client: Elasticsearch, prefix: str, *, delete_old: bool = False) -> dict[str, Any]:
    """Create the next index generation of each kind from the current template,
    reindex into it, then flip the alias atomically."""
    setup(client, prefix)
    moves = []
    for kind in KINDS:
        alias = alias_name(prefix, kind)
        old = current_index(client, alias)
        assert old is not None  # setup made it
        new = f"{alias}-v{_generation(old) + 1}"
        if client.indices.exists(index=new):
            client.indices.delete(index=new)  # a half-done earlier migration
        client.indices.create(index=new)
        result = client.reindex(
            source={"index": old}, dest={"index": new}, refresh=True, wait_for_completion=True
        )
        failures = result.get("failures") or []
        if failures:
            client.indices.delete(index=new)
            raise RuntimeError(
                f"Reindexing {old} into {new} failed for {len(failures)} documents, "
                f"first: {failures[0]}; the alias still points to {old}."
            )
        client.indices.update_aliases(
            actions=[
                {"remove": {"index": old, "alias": alias}},
                {"add": {"index": new, "alias": alias}},
            ]
        )
        if delete_old:
            client.indices.delete(index=old)
        moves.append({"alias": alias, "from": old, "to": new, "documents": result.get("total", 0)})
    return {"moves": moves}
