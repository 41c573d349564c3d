"""Batch linking: keys, reasons, caps against weak links, clusters and their documents."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from benchmarks.bench_link import pairwise_scores, synthetic_ads
from classifier.link import (
    IdentifierLinker,
    hamming,
    jaccard,
    normalize_for_template,
    phash_chunks,
    shingles,
    text_signature,
)

TEMPLATE = (
    "Hello gentlemen, my name is {name} and I am new in {city}. I am a sweet and friendly girl "
    "who loves to spend time with a real gentleman. I only do hotel visits in and around {city}, "
    "you arrange the room and I come within the hour. My price is {price} for one hour. "
    "Send me a message with your name and the hotel and I answer quickly. Kisses, {name}"
)


def template_ad(name: str, city: str, price: str, **extra) -> dict:
    return {"text": TEMPLATE.format(name=name, city=city, price=price), **extra}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nieuw in Zwolle!! 😍 Bel 06-12 34 56 78", "nieuw in zwolle bel"),
        ("Only 150€ / 200 EUR per hour", "only per hour"),
        ("mail me: anna.x@example.com or www.example.com/anna", "mail me or"),
        ("ＦＵＬＬＷＩＤＴＨ text", "fullwidth text"),
        ("", ""),
    ],
)
def test_normalize_for_template_strips_slots_that_change(raw, expected):
    assert normalize_for_template(raw) == expected


def test_names_and_places_become_slot_tokens():
    a = normalize_for_template("I am Anna from Utrecht", names=["Anna"], places=["Utrecht"])
    b = normalize_for_template("I am Bella from Zwolle", names=["Bella"], places=["Zwolle"])
    assert a == b == "i am xname from xplace"


def test_phash_chunks_and_hamming():
    assert phash_chunks("0123456789abcdef") == ["0:0123", "1:4567", "2:89ab", "3:cdef"]
    assert phash_chunks("0123456789abcdef", n_chunks=8)[0] == "0:01"
    assert hamming("ffffffffffffffff", "0000000000000000") == 64
    with pytest.raises(ValueError, match="'xyz' is not 16 hex digits"):
        phash_chunks("xyz")


def test_text_signature_bands_shared_by_a_reworded_template():
    a = text_signature(TEMPLATE.format(name="Anna", city="Utrecht", price="150 euro"))
    b = text_signature(TEMPLATE.format(name="Bella", city="Zwolle", price="200 euro"))
    c = text_signature(
        "A completely unrelated massage salon text about opening hours and parking nearby"
    )
    assert len(a.bands) == 42 and a.minhash.shape == (128,)
    assert set(a.bands) & set(b.bands)
    assert not set(a.bands) & set(c.bands)
    # With the names and places known, the template is the same text.
    a2 = text_signature(
        TEMPLATE.format(name="Anna", city="Utrecht", price="1"), ["Anna"], ["Utrecht"]
    )
    b2 = text_signature(
        TEMPLATE.format(name="Bella", city="Zwolle", price="2"), ["Bella"], ["Zwolle"]
    )
    assert a2.bands == b2.bands
    assert text_signature("call me").bands == []  # too short to be evidence


def test_jaccard_on_texts_and_sets():
    assert jaccard("one two three four", "one two three four") == 1.0
    assert jaccard(shingles("one two three four"), shingles("one two three five")) == pytest.approx(
        1 / 3
    )


def test_fit_links_every_kind_with_a_reason():
    ads = [
        {"ad_id": "p1", "phones": ["+31612345678"]},
        {"ad_id": "p2", "phones": ["+31612345678"]},
        {"ad_id": "e1", "emails": ["Anna@Example.com"]},
        {"ad_id": "e2", "emails": ["anna@example.com"]},
        {"ad_id": "h1", "handles": ["telegram:anna"]},
        {"ad_id": "h2", "handles": ["telegram:anna"]},
        {"ad_id": "i1", "image_sha256": ["ab" * 32]},
        {"ad_id": "i2", "image_sha256": ["ab" * 32]},
        {"ad_id": "n1", "image_phash": ["c3a58e0f12345678"]},
        {"ad_id": "n2", "image_phash": ["c3a58e0f1234567f"]},  # 3 bits apart
        template_ad("Anna", "Utrecht", "150 euro", ad_id="t1"),
        template_ad("Bella", "Zwolle", "200 euro", ad_id="t2"),
        {"ad_id": "x", "text": "nothing in common with anyone", "phones": ["+31699999999"]},
    ]
    linker = IdentifierLinker().fit(ads)
    labels = linker.labels_
    for a, b in [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11)]:
        assert labels[a] == labels[b]
    assert len(set(labels.tolist())) == 7
    reasons = {link.kind: link.reason for link in linker.links_}
    assert reasons["phone"] == "same phone +31612345678"
    assert reasons["email"] == "same e-mail anna@example.com"
    assert reasons["image_near"] == "near-identical photo (Hamming 3)"
    assert reasons["text"].startswith("near-identical text (Jaccard 0.")
    assert float(reasons["text"][-5:-1]) >= 0.4
    assert linker.cluster_ids_[10] == linker.cluster_ids_[11] == "t1"


def test_ad_index_is_the_id_when_absent_and_singletons_have_their_own_label():
    linker = IdentifierLinker().fit([{"phones": ["+1"]}, {}, {"phones": ["+1"]}, {}])
    assert linker.labels_.tolist() == [0, 1, 0, 2]
    assert linker.ad_ids_ == ["0", "1", "2", "3"]


def test_common_phone_and_stock_photo_are_rejected_not_linked():
    reception = [{"phones": ["+31201234567"], "text": f"salon ad number {i}"} for i in range(30)]
    stock = [{"image_sha256": ["cd" * 32]} for _ in range(30)]
    near_stock = [{"image_phash": [f"{0xF0F0F0F0F0F0F0F0 ^ (1 << i):016x}"]} for i in range(30)]
    linker = IdentifierLinker(phone_cap=25, image_cap=25).fit(reception + stock + near_stock)
    assert len(set(linker.labels_.tolist())) == 90
    assert linker.links_ == []
    kinds = {(r.kind, r.count) for r in linker.rejected_}
    assert ("phone", 30) in kinds and ("image", 30) in kinds
    assert any(r.kind == "image_near" for r in linker.rejected_)
    reason = next(r.reason for r in linker.rejected_ if r.kind == "phone")
    assert reason == "phone +31201234567 is shared by 30 ads (cap 25): too common to link"
    # Under the cap the same phone is a link.
    assert len(set(IdentifierLinker(phone_cap=30).fit(reception).labels_.tolist())) == 1


def test_photo_beyond_the_distance_is_not_linked():
    ads = [{"image_phash": ["0000000000000000"]}, {"image_phash": ["00000000000003ff"]}]  # 10 bits
    assert IdentifierLinker(phash_distance=8).fit(ads).labels_.tolist() == [0, 1]


def test_estimator_contract():
    linker = IdentifierLinker(phone_cap=5)
    assert clone(linker).get_params()["phone_cap"] == 5
    assert linker.set_params(text_threshold=0.7).text_threshold == 0.7
    with pytest.raises(NotFittedError):
        linker.cluster_documents([])
    with pytest.raises(ValueError, match="text_threshold=1.5"):
        IdentifierLinker(text_threshold=1.5).fit([])
    assert IdentifierLinker().fit_predict([{"phones": ["+1"]}, {"phones": ["+1"]}]).tolist() == [
        0,
        0,
    ]


def test_cluster_documents_carry_members_identifiers_and_evidence():
    ads = [
        {
            **template_ad("Anna", "Utrecht", "150"),
            "ad_id": "a1",
            "phones": ["+31611111111"],
            "names": ["Anna"],
            "city": "Utrecht",
            "source": "site-a",
            "risk": 0.9,
            "first_seen": "2024-03-01T10:00:00Z",
            "last_seen": "2024-03-02T10:00:00Z",
        },
        {
            **template_ad("Bella", "Zwolle", "200"),
            "ad_id": "a2",
            "phones": ["+31622222222"],
            "names": ["Bella"],
            "city": "Zwolle",
            "source": "site-b",
            "risk": 0.3,
            "first_seen": "2024-03-10T10:00:00Z",
            "last_seen": "2024-03-15T10:00:00Z",
        },
        {
            "ad_id": "a3",
            "phones": ["+31622222222"],
            "city": "zwolle",
            "source": "site-b",
            "first_seen": "2024-03-14T10:00:00Z",
            "last_seen": "2024-03-15T10:00:00Z",
        },
        {"ad_id": "a0", "text": "alone"},
    ]
    linker = IdentifierLinker().fit(ads)
    docs = linker.cluster_documents(ads, now=datetime(2024, 3, 15, 12, tzinfo=UTC))
    assert len(docs) == 1  # the singleton gets none
    doc = docs[0]
    assert doc["cluster_id"] == "a1" and doc["size"] == 3
    assert doc["ad_ids"] == ["a1", "a2", "a3"]
    assert doc["phones"] == ["+31611111111", "+31622222222"]
    assert doc["personas"] == ["Anna", "Bella"]
    assert doc["cities"] == ["Utrecht", "Zwolle"] and doc["n_cities"] == 2
    assert doc["sources"] == ["site-a", "site-b"]
    assert (
        doc["first_seen"] == "2024-03-01T10:00:00Z" and doc["last_seen"] == "2024-03-15T10:00:00Z"
    )
    assert doc["ads_per_week"] == pytest.approx(3 / 2, abs=0.01)
    assert doc["growth"] == 2
    assert doc["risk_max"] == 0.9 and doc["risk_mean"] == pytest.approx(0.6)
    kinds = sorted((link["kind"], link["a"], link["b"]) for link in doc["links"])
    assert kinds == [("phone", "a2", "a3"), ("text", "a1", "a2")]
    assert all(link["reason"] for link in doc["links"])


def test_planted_networks_in_synthetic_ads_are_recovered():
    pairs = list(synthetic_ads(4000, seed=3))
    ads = [a for a, _ in pairs]
    truth = [t for _, t in pairs]
    linker = IdentifierLinker().fit(ads)
    precision, recall = pairwise_scores(linker.labels_.tolist(), truth)
    assert precision >= 0.99 and recall >= 0.99
    assert {r.kind for r in linker.rejected_} >= {"phone", "image"}
    assert isinstance(linker.labels_, np.ndarray) and len(linker.labels_) == 4000
