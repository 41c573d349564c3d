"""The processing stage: pending ads in, extraction, indicators, embedding,
scores, links and clusters out (``adscan process``).

Each batch is claimed from the store with a lease, so a crashed batch is simply
claimed again; every write is an idempotent upsert.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index import AdStore, risk_band

log = logging.getLogger(__name__)


def ad_document_text(ad: dict[str, Any]) -> str:
    """The string every span of an ad (indicators, extracted values) points into.

    The review UI highlights evidence by slicing exactly this string.
    """
    return f"{ad.get('title') or ''}\n{ad.get('text') or ''}"


class PriceObservations:
    """Recent hourly prices per city, the basis of the local price norm.

    Kept in a small JSON file next to the embedding cache so the norm carries
    over from run to run; each city keeps its last ``per_city`` prices.
    """

    def __init__(self, path: Path | None = None, per_city: int = 500):
        self.path = path
        self.per_city = per_city
        self.by_city: dict[str, list[float]] = {}
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.by_city = {str(k): [float(v) for v in vs] for k, vs in data.items()}
            except (ValueError, TypeError, AttributeError):
                log.warning("Ignoring unreadable price norms file %s; it will be rebuilt.", path)

    def add(self, city: str | None, hourly: float | None) -> None:
        if not city or not hourly or hourly <= 0:
            return
        prices = self.by_city.setdefault(city.strip().lower(), [])
        prices.append(round(float(hourly), 2))
        del prices[: -self.per_city]

    def norms(self, min_ads: int = 5):
        from classifier.models.risk import CityPriceNorms

        cities = [c for c, vs in self.by_city.items() for _ in vs]
        prices = [v for vs in self.by_city.values() for v in vs]
        return CityPriceNorms(min_ads=min_ads).fit(cities, prices)

    def save(self) -> None:
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.by_city), encoding="utf-8")
            tmp.replace(self.path)


def _hourly(extraction: Any) -> float | None:
    for price in extraction.prices:
        value = price.per_hour
        if value:
            return float(value)
    return None


@dataclass
class Scorer:
    """The models of the processing stage, loaded once per process."""

    embedding_model: str | None = None
    embedding_cache_dir: Path | None = None
    flag_threshold: float = 0.5
    #: Model files (default: the shipped artefacts in ``classifier/artefacts/``).
    ad_type_path: Path | None = None
    risk_path: Path | None = None
    _embedder: Any = field(default=None, init=False, repr=False)
    _ad_type: Any = field(default=None, init=False, repr=False)
    _risk: Any = field(default=None, init=False, repr=False)
    _prices: Any = field(default=None, init=False, repr=False)

    def load(self) -> Scorer:
        """Load the embedder and the models; a missing or stale model raises
        :class:`classifier.exceptions.ClassifierError` with what to run."""
        from classifier.embed import EmbeddingCache, SentenceEmbedder
        from classifier.models import load_ad_type_model, load_risk_model

        cache = None
        if self.embedding_cache_dir is not None:
            self.embedding_cache_dir.mkdir(parents=True, exist_ok=True)
            cache = EmbeddingCache(self.embedding_cache_dir / "embeddings.sqlite3")
        self._prices = PriceObservations(
            self.embedding_cache_dir / "price_norms.json" if self.embedding_cache_dir else None
        )
        self._ad_type = load_ad_type_model(self.ad_type_path)
        self._risk = load_risk_model(self.risk_path)
        # The models were trained on one embedding backend; the stage embeds with
        # the same one (recorded in the ad-type model), whatever the default is.
        params = dict(self._ad_type.get_params().get("embedder_params") or {})
        params.pop("cache", None)
        if self.embedding_model:
            params["model"] = self.embedding_model
        self._embedder = SentenceEmbedder(**params, cache=cache).fit([])
        if cache is not None:
            self._ad_type.use_cache(cache)  # the careful twin of a cascade embeds on its own
        return self

    def score(self, ads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Enrichment fields for each ad (without linking)."""
        from classifier.extract import extract_all
        from classifier.indicators import match

        texts = [ad_document_text(ad) for ad in ads]
        extractions = [
            extract_all(t, default_region=ad.get("phone_region") or "NL")
            for t, ad in zip(texts, ads, strict=True)
        ]
        # The local price norm includes this batch, so the first run has one too.
        cities = [ad.get("city") for ad in ads]
        for city, ext in zip(cities, extractions, strict=True):
            self._prices.add(city, _hourly(ext))
        norms = self._prices.norms()
        self._prices.save()
        hits = [match(t, hourly_norm=norms.norm(c)) for t, c in zip(texts, cities, strict=True)]
        embeddings = self._embedder.transform(texts)
        ad_types = self._ad_type.predict(texts, embeddings=embeddings)
        risks = self._risk.score(
            texts,
            extractions=extractions,
            indicator_hits=hits,
            ad_types=ad_types,
            embeddings=embeddings,
            city_norms=norms,
            cities=cities,
        )
        out = []
        for ad, ext, ad_hits, ad_type, risk in zip(
            ads, extractions, hits, ad_types, risks, strict=True
        ):
            indicators: list[dict[str, Any]] = [
                {"id": h.id, "category": h.category, "start": h.start, "end": h.end, "text": h.text}
                for h in ad_hits
            ]
            value = float(risk.risk)
            extracted = ext.to_dict()
            out.append(
                {
                    "ad_id": ad["ad_id"],
                    "version": ad["version"],
                    "phones": ext.phones_e164,
                    "emails": ext.emails_list,
                    "handles": ext.handles_list,
                    "extracted": extracted,
                    "indicators": indicators,
                    "indicator_categories": sorted({h["category"] for h in indicators}),
                    "ad_type": str(ad_type),
                    "risk": round(value, 4),
                    "risk_band": risk_band(value),
                    "risk_explanation": list(risk.explanation),
                    "flagged": value >= self.flag_threshold,
                    "_names": [n["name"] for n in extracted["names"]],
                    "_places": [p["value"] for p in extracted["places"]],
                }
            )
        return out


def _link_input(ad: dict[str, Any], enrichment: dict[str, Any]) -> dict[str, Any]:
    images = ad.get("images") or []
    return {
        "ad_id": ad["ad_id"],
        "text": ad_document_text(ad),
        "phones": enrichment["phones"],
        "emails": enrichment["emails"],
        "handles": enrichment["handles"],
        "image_sha256": [img["sha256"] for img in images if img.get("sha256")],
        "image_phash": [img["phash"] for img in images if img.get("phash")],
        "names": enrichment.pop("_names", []),
        "places": enrichment.pop("_places", []),
        "source": ad.get("source"),
        "city": ad.get("city"),
        "first_seen": ad.get("first_seen"),
        "last_seen": ad.get("last_seen"),
        "risk": enrichment["risk"],
    }


def process_pending(
    store: AdStore,
    scorer: Scorer,
    *,
    batch_size: int = 64,
    limit: int | None = None,
    worker: str = "process",
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Process pending ads until none are left (or ``limit`` is reached).

    Returns a summary: ads processed, flagged, batches, seconds, ads per second.
    """
    from classifier.link import IncrementalLinker

    linker = IncrementalLinker(store)
    started = time.perf_counter()
    summary: dict[str, Any] = {"processed": 0, "flagged": 0, "batches": 0, "merged_clusters": 0}
    while limit is None or summary["processed"] < limit:
        size = batch_size if limit is None else min(batch_size, limit - summary["processed"])
        ads = store.claim_pending(size, worker=worker)
        if not ads:
            break
        enrichments = scorer.score(ads)
        link_inputs = [_link_input(ad, e) for ad, e in zip(ads, enrichments, strict=True)]
        result = linker.link_batch(link_inputs)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for e in enrichments:
            keys = result.keys.get(e["ad_id"], {})
            e["phash_chunks"] = keys.get("phash_chunks", [])
            e["text_bands"] = keys.get("text_bands", [])
            e["cluster_id"] = result.assignments.get(e["ad_id"])
            e["processed_at"] = now
        # Order matters for crash safety (see classifier.linking.incremental):
        # merges first, then the batch ads with their keys and cluster ids, then
        # the cluster documents; each step can be redone after a crash.
        linker.apply_merges(result)
        store.write_enrichments(enrichments)
        linker.apply(result)
        summary["processed"] += len(ads)
        summary["flagged"] += sum(1 for e in enrichments if e["flagged"])
        summary["batches"] += 1
        summary["merged_clusters"] += len(result.merged)
        if progress is not None:
            progress(dict(summary))
    seconds = time.perf_counter() - started
    summary["seconds"] = round(seconds, 2)
    summary["ads_per_second"] = round(summary["processed"] / seconds, 1) if seconds > 0 else None
    return summary
