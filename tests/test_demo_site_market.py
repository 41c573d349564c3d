"""The demo market generator: determinism, planted networks, phones, photos, texts, epochs."""

from __future__ import annotations

import io
import itertools
import json
import statistics
from collections import Counter

import imagehash
import phonenumbers
import pytest
from PIL import Image

from crawler.demo import DemoMarket, jaccard, shingles
from crawler.demo.phones import NL_STYLES, render_phone
from crawler.demo.photos import PhotoSpec
from crawler.demo.sites import SITES
from crawler.demo.text import INDICATORS, MILD_INDICATORS


@pytest.fixture(scope="module")
def market() -> DemoMarket:
    return DemoMarket(seed=7)


@pytest.fixture(scope="module")
def truth(market) -> dict:
    return market.ground_truth()


def _phash(data: bytes) -> imagehash.ImageHash:
    return imagehash.phash(Image.open(io.BytesIO(data)))


def test_same_seed_gives_same_ground_truth_and_bytes():
    a, b = DemoMarket(seed=11, n_ads=90), DemoMarket(seed=11, n_ads=90)
    assert json.dumps(a.ground_truth()) == json.dumps(b.ground_truth())
    for ad_a, ad_b in zip(a.ads, b.ads, strict=True):
        assert SITES[ad_a.source].render_ad(ad_a) == SITES[ad_b.source].render_ad(ad_b)
    other = DemoMarket(seed=12, n_ads=90).ground_truth()
    assert [x["phone_e164"] for x in other["ads"]] != [
        x["phone_e164"] for x in a.ground_truth()["ads"]
    ]


def test_default_market_has_600_ads_over_three_sites(truth):
    assert len(truth["ads"]) == 600
    per_site = Counter(a["source"] for a in truth["ads"])
    assert set(per_site) == {"demo-velvet", "demo-rozenhof", "demo-lantern"}
    assert min(per_site.values()) >= 150
    assert len({(a["source"], a["site_ad_id"]) for a in truth["ads"]}) == 600
    langs = Counter(a["lang"] for a in truth["ads"])
    assert langs["nl"] > langs["en"] > 50
    types = Counter(a["ad_type"] for a in truth["ads"])
    assert types["massage"] >= 20 and types["job"] >= 15


def test_site_id_schemes_differ(truth):
    ids = {s: [a["site_ad_id"] for a in truth["ads"] if a["source"] == s] for s in SITES}
    assert all(i.isdigit() for i in ids["demo-velvet"])
    assert all(i.startswith("v-") and i[2:].isdigit() for i in ids["demo-rozenhof"])
    assert all(len(i) == 36 and i.count("-") == 4 for i in ids["demo-lantern"])


def test_networks_are_planted_as_described(truth):
    nets = truth["networks"]
    assert 10 <= len(nets) <= 15
    in_networks = sum(len(n["members"]) for n in nets)
    assert 0.15 * len(truth["ads"]) <= in_networks <= 0.25 * len(truth["ads"])
    kinds = Counter(tuple(n["kinds"]) for n in nets)
    assert {("phone",), ("photo",), ("template",)} <= set(kinds)
    assert any(len(k) == 2 for k in kinds)
    by_key = {(a["source"], a["site_ad_id"]): a for a in truth["ads"]}
    for net in nets:
        members = [by_key[tuple(m)] for m in net["members"]]
        assert len(members) >= 3, net["network_id"]
        assert len({m["city"] for m in members}) >= 2, net["network_id"]
        assert len({m["persona"] for m in members}) == len(members)
        assert all(m["network_id"] == net["network_id"] for m in members)
        if "phone" in net["kinds"]:
            assert len(net["phones"]) == 1 and {m["phone_e164"] for m in members} == set(
                net["phones"]
            )
            assert len({m["source"] for m in members}) >= 2
        else:
            assert len({m["phone_e164"] for m in members}) == len(members)
        if "photo" in net["kinds"]:
            assert net["photos"] and all(set(m["photos"]) & set(net["photos"]) for m in members)


def test_template_network_texts_are_near_identical(market):
    checked = 0
    for net in market.networks:
        if net.template is None:
            continue
        texts = [shingles(a.text) for a in market.ads if a.network_id == net.network_id]
        assert min(jaccard(a, b) for a, b in itertools.combinations(texts, 2)) > 0.6
        checked += 1
    assert checked >= 3


def test_ordinary_ads_have_unique_phones_and_distinct_texts(market):
    ordinary = [a for a in market.ads if a.network_id is None and not a.agency]
    assert len(ordinary) >= 400
    assert len({a.phone_e164 for a in ordinary}) == len(ordinary)
    network_phones = {a.phone_e164 for a in market.ads if a.network_id}
    assert not network_phones & {a.phone_e164 for a in ordinary}
    sets = [shingles(a.text) for a in ordinary]
    worst = max(jaccard(a, b) for a, b in itertools.combinations(sets, 2))
    assert worst < 0.3


def test_agencies_share_a_phone_but_are_no_network(truth):
    assert truth["agencies"]
    for agency in truth["agencies"]:
        assert len(agency["members"]) >= 3
        ads = [a for a in truth["ads"] if [a["source"], a["site_ad_id"]] in agency["members"]]
        assert {a["phone_e164"] for a in ads} == {agency["phone"]}
        assert all(a["agency"] and a["network_id"] is None for a in ads)


def test_phones_are_valid_and_written_in_every_style(market):
    for ad in market.ads:
        assert phonenumbers.is_valid_number(phonenumbers.parse(ad.phone_e164)), ad.phone_e164
    styles = Counter(a.phone_style for a in market.ads)
    assert set(NL_STYLES) <= set(styles)
    foreign = {a.phone_e164[:3] for a in market.ads if not a.phone_e164.startswith("+31")}
    assert {"+32", "+49", "+40", "+36"} & foreign and len(foreign) >= 3
    for ad in market.ads:
        if ad.source == "demo-velvet":  # this site has the phone only in the text
            assert ad.phone_text in ad.text


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("plain", "0612345678"),
        ("spaced", "06 12 34 56 78"),
        ("intl", "+31 6 1234 5678"),
        ("intl-0031", "0031 612345678"),
        ("letter-o", "O6-1234 5678"),
        ("words-nl", "nul zes een twee drie vier vijf zes zeven acht"),
        ("mixed-nl", "06 twaalf vierendertig 56 78"),
        ("words-en", "zero six one two three four five six seven eight"),
        ("keycap", "0️⃣6️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣"),
        ("fullwidth", "０６１２３４５６７８"),
    ],
)
def test_render_phone_styles(style, expected):
    import random

    assert render_phone("+31612345678", style, random.Random(0)) == expected


def test_emoji_and_dashed_styles_keep_the_digits():
    import random

    for style in ("emoji-sep", "dashed"):
        text = render_phone("+31612345678", style, random.Random(3))
        assert "".join(c for c in text if c.isdigit()) == "0612345678"
        assert text != "0612345678"


def test_photo_networks_reuse_a_near_identical_photo(market):
    checked = 0
    for net in market.networks:
        for seed in net.photo_seeds:
            specs = {
                s
                for a in market.ads
                if a.network_id == net.network_id
                for s in a.photos
                if s.seed == seed
            }
            assert len({s.variant for s in specs}) >= 3
            hashes = [_phash(market.photo_bytes(s)) for s in specs]
            assert max(a - b for a, b in itertools.combinations(hashes, 2)) <= 10
            checked += 1
    assert checked >= 3
    # Different photos are far apart.
    ordinary = [a.photos[0] for a in market.ads if a.network_id is None][:40]
    distances = [
        a - b
        for a, b in itertools.combinations([_phash(market.photo_bytes(s)) for s in ordinary], 2)
    ]
    assert statistics.median(distances) > 20
    assert min(distances) > 10


def test_photos_are_small_jpegs_and_exact_duplicates_only_within_networks(market, truth):
    img = Image.open(io.BytesIO(market.photo_bytes(market.ads[-1].photos[0])))
    assert img.format == "JPEG" and img.size == (320, 240)
    owners: dict[str, list] = {}
    for ad in truth["ads"]:
        assert 1 <= len(ad["photos"]) <= 4
        for sha in set(ad["photos"]):
            owners.setdefault(sha, []).append(ad["network_id"])
    shared = [nets for nets in owners.values() if len(nets) > 1]
    assert shared
    assert all(len(set(nets)) == 1 and None not in nets for nets in shared)


def test_photo_variants_differ_in_bytes_but_not_in_content():
    base = PhotoSpec(5)
    from crawler.demo.photos import render

    sizes = {
        v: Image.open(io.BytesIO(render(PhotoSpec(5, v))))
        for v in ("orig", "resize", "crop", "gray")
    }
    assert sizes["resize"].size != sizes["orig"].size
    assert sizes["crop"].size[0] >= 0.95 * 320 and sizes["crop"].size != (320, 240)
    assert sizes["gray"].mode == "L"
    assert render(base) == render(PhotoSpec(5)) != render(PhotoSpec(5, "quality"))


def test_indicators_are_concentrated_in_networks(market):
    for ad in market.ads:
        for phrase in ad.indicators:
            assert phrase.lower() in (ad.title + " " + ad.text).lower()
    network = [a for a in market.ads if a.network_id]
    ordinary = [a for a in market.ads if not a.network_id]
    assert statistics.mean(len(a.indicators) for a in network) >= 2
    assert all(
        len(a.indicators) <= 1 and set(a.indicators) <= set(MILD_INDICATORS) for a in ordinary
    )
    # No indicator phrase slips into an ordinary text without being recorded.
    for ad in ordinary:
        found = {p for p in INDICATORS if p.lower() in ad.text.lower()}
        assert found <= set(ad.indicators), (ad.site_ad_id, found)


def test_small_market_has_two_networks_for_the_smoke_test():
    truth = DemoMarket(seed=7, n_ads=60).ground_truth()
    assert len(truth["ads"]) == 60
    assert sum(1 for n in truth["networks"] if len(n["members"]) >= 3) >= 2


def test_hostile_and_bad_ads_are_listed(truth):
    hostile = [a for a in truth["ads"] if a["hostile"]]
    assert len(hostile) == 5
    assert any("<script>" in a["hostile_payload"] for a in hostile)
    bad = Counter(a["bad"] for a in truth["ads"] if a["bad"])
    assert set(bad) == {"500", "404", "malformed", "corrupt-image", "redirect-loop"}
    quiet = DemoMarket(seed=7, n_ads=60, hostile=False, bad_pages=False).ground_truth()
    assert not any(a["hostile"] or a["bad"] for a in quiet["ads"])


def test_epoch_one_changes_removes_and_adds_ads(market):
    before = {
        a.key: a
        for a in market.site_ads("demo-velvet", 0)
        + market.site_ads("demo-rozenhof", 0)
        + market.site_ads("demo-lantern", 0)
    }
    market.set_epoch(1)
    try:
        truth = market.ground_truth()
        after = {a.key: a for a in market.ads}
    finally:
        market.set_epoch(0)
    changes = truth["changes"]
    for kind in ("changed", "removed", "new"):
        assert 20 <= len(changes[kind]) <= 40, kind
    for key in map(tuple, changes["changed"]):
        assert after[key].text != before[key].text
        assert after[key].updated > before[key].updated
    assert not set(map(tuple, changes["removed"])) & set(after)
    assert all(tuple(k) in after and tuple(k) not in before for k in changes["new"])
    unchanged = set(before) & set(after) - set(map(tuple, changes["changed"]))
    assert all(
        after[k].updated == before[k].updated and after[k].text == before[k].text for k in unchanged
    )
    # Networks survive the epoch intact.
    assert {n["network_id"]: n["members"] for n in truth["networks"]} == {
        n["network_id"]: n["members"] for n in market.ground_truth()["networks"]
    }
    with pytest.raises(ValueError, match="Epoch 2"):
        market.set_epoch(2)
