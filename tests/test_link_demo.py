"""The demo market's planted networks are recovered by the batch linker."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from functools import lru_cache

import imagehash
import pytest
from PIL import Image, UnidentifiedImageError

from benchmarks.bench_link import pairwise_scores
from classifier.link import IdentifierLinker
from crawler.demo import DemoMarket


@lru_cache(maxsize=2)  # shared by the incremental tests; nobody mutates the ads
def market_ads(seed: int = 7, n_ads: int = 600) -> tuple[list[dict], list[int], int, dict]:
    """Ads as the processing stage sees them, their planted network (-1: none), unreadable photos."""
    market = DemoMarket(seed=seed, n_ads=n_ads)
    truth = market.ground_truth()
    network_of = {
        tuple(member): i for i, net in enumerate(truth["networks"]) for member in net["members"]
    }
    ads, labels, unreadable = [], [], 0
    for ad in market.ads:
        shas, phashes = [], []
        for spec in ad.photos:
            data = market.photo_bytes(spec)
            shas.append(hashlib.sha256(data).hexdigest())
            try:
                phashes.append(str(imagehash.phash(Image.open(io.BytesIO(data)))))
            except (UnidentifiedImageError, OSError):
                unreadable += 1
        ads.append(
            {
                "ad_id": f"{ad.source}/{ad.site_ad_id}",
                "text": f"{ad.title}\n{ad.text}",
                "phones": [ad.phone_e164],
                "image_sha256": shas,
                "image_phash": phashes,
                "city": ad.city,
                "source": ad.source,
            }
        )
        labels.append(network_of.get(ad.key, -1))
    return ads, labels, unreadable, truth


@pytest.fixture(scope="module")
def demo():
    return market_ads()


def test_planted_networks_recovered_with_pairwise_precision_and_recall(demo):
    ads, truth, unreadable, _ = demo
    linker = IdentifierLinker().fit(ads)
    precision, recall = pairwise_scores(linker.labels_.tolist(), truth)
    assert precision >= 0.95, precision
    assert recall >= 0.95, recall
    assert unreadable == 1  # the planted corrupt image
    kinds = Counter(link.kind for link in linker.links_)
    assert kinds["phone"] and kinds["text"] and kinds["image_near"] and kinds["image"]


def test_agency_reception_phones_are_rejected(demo):
    ads, _, _, ground_truth = demo
    agency_phones = {a["phone"] for a in ground_truth["agencies"]}
    assert agency_phones
    linker = IdentifierLinker().fit(ads)
    rejected = {r.key for r in linker.rejected_ if r.kind == "phone"}
    assert agency_phones <= rejected
    assert not any(link.key in agency_phones for link in linker.links_)


def test_without_the_phone_cap_agencies_would_glue_ads(demo):
    """The cap is what keeps precision: a cap above the agency size merges strangers."""
    ads, truth, _, _ = demo
    precision, _ = pairwise_scores(IdentifierLinker(phone_cap=100).fit(ads).labels_.tolist(), truth)
    assert precision < 0.95
