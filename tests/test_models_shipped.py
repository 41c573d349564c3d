"""The shipped ad-type and risk artefacts: load, predict, explain, refuse stale versions."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from classifier.models import (
    ARTEFACT_DIR,
    CityPriceNorms,
    ModelArtefactError,
    RiskScore,
    load_ad_type_model,
    load_risk_model,
)

# Written for these tests (no real ad text).
JOB_AD = (
    "Now hiring: warehouse associates and forklift drivers for our distribution centre. "
    "Full time, weekly pay, benefits after 90 days. Apply online with your resume or call HR."
)
MASSAGE_AD = (
    "Relaxing massage spa: Swedish, deep tissue, hot stone and foot reflexology by experienced "
    "therapists. Clean private rooms, shower available. Open daily 10am-10pm, walk-ins welcome."
)
ESCORT_AD = "Sweet sexy girl available for incall and outcall, discreet fun with upscale gentlemen, call me baby"
RISKY_AD = (
    "New in town, only this week! Barely legal 18 yo sweet girl, always available day and night, "
    "no limits, bbbj, my manager books for me, hotel only, cheap"
)
PLAIN_AD = (
    "Independent mature companion, 35, offering dinner dates in my own apartment. Rates on request."
)


@pytest.fixture(scope="module")
def ad_type():
    return load_ad_type_model()


@pytest.fixture(scope="module")
def risk():
    return load_risk_model()


@pytest.fixture(scope="module")
def embeddings(ad_type):
    from classifier.embed import SentenceEmbedder

    emb = SentenceEmbedder(**(ad_type.get_params()["embedder_params"] or {})).fit()
    texts = [JOB_AD, MASSAGE_AD, ESCORT_AD, RISKY_AD, PLAIN_AD]
    return dict(zip(texts, emb.transform(texts), strict=True))


def test_ad_type_predicts_job_massage_escort(ad_type, embeddings):
    texts = [JOB_AD, MASSAGE_AD, ESCORT_AD]
    assert set(ad_type.classes_) == {"escort", "massage", "job", "other"}
    E = np.stack([embeddings[t] for t in texts])
    assert ad_type.predict(texts, embeddings=E) == ["job", "massage", "escort"]
    # Without precomputed embeddings the model embeds itself, with the same answer.
    assert ad_type.predict(texts) == ["job", "massage", "escort"]
    proba = ad_type.predict_proba(texts, embeddings=E)
    assert proba.shape == (3, 4) and np.allclose(proba.sum(axis=1), 1.0)


def test_ad_type_refuses_embeddings_of_another_size(ad_type):
    with pytest.raises(Exception, match="adscan train ad-type"):
        ad_type.predict([JOB_AD], embeddings=np.zeros((1, 768), dtype=np.float32))


def test_risk_ranks_many_strong_indicators_above_a_plain_ad(risk, ad_type, embeddings):
    texts = [RISKY_AD, PLAIN_AD]
    E = np.stack([embeddings[t] for t in texts])
    types = ad_type.predict(texts, embeddings=E)
    scores = risk.score(texts, ad_types=types, embeddings=E)
    assert all(isinstance(s, RiskScore) and 0.0 <= s.risk <= 1.0 for s in scores)
    high, low = scores
    assert high.risk > 0.5 > low.risk
    named = [item["feature"] for item in high.explanation]
    assert {"youth.just_legal", "unsafe_services.no_condom"} & set(named), named
    weights = [item["weight"] for item in high.explanation]
    assert weights == sorted(weights, reverse=True)
    for item in high.explanation:
        if item["start"] is not None:
            assert RISKY_AD[item["start"] : item["end"]] == item["text"]


def test_risk_uses_city_price_norms(risk, embeddings):
    from classifier.extract import extract_all
    from classifier.indicators import match

    text = "Sweet girl, incall, 1 hour 60 euro"
    ext, hits = extract_all(text), match(text)
    norms = CityPriceNorms(min_ads=1).fit(["Utrecht"], [200.0])
    E = np.stack([embeddings[ESCORT_AD]])
    with_norm = risk.score([text], [ext], [hits], ["escort"], E, norms, cities=["Utrecht"])[0]
    without = risk.score([text], [ext], [hits], ["escort"], E)[0]
    assert with_norm.risk > without.risk
    assert any(i["feature"] == "price:below_norm" for i in with_norm.explanation)


def test_model_cards_sit_next_to_the_artefacts():
    for name in ("ad_type", "risk"):
        card = json.loads((ARTEFACT_DIR / f"{name}.model-card.json").read_text())
        assert card["versions"]["scikit-learn"]
        assert all(len(d["sha256"]) == 64 for d in card["data"])
        assert (ARTEFACT_DIR / f"{name}.model-card.md").read_text().startswith("# Model card")
        assert (ARTEFACT_DIR / f"{name}.joblib").stat().st_size < 5 * 1024 * 1024
    assert (
        "WEAK SUPERVISION"
        in json.loads((ARTEFACT_DIR / "risk.model-card.json").read_text())["supervision"]
    )


def test_other_library_versions_are_refused_with_a_remedy(tmp_path):
    for name in ("ad_type.joblib", "ad_type.model-card.json"):
        shutil.copy(ARTEFACT_DIR / name, tmp_path / name)
    card_path = tmp_path / "ad_type.model-card.json"
    card = json.loads(card_path.read_text())
    card["versions"]["scikit-learn"] = "0.24.2"
    card_path.write_text(json.dumps(card))
    with pytest.raises(
        ModelArtefactError, match=r"scikit-learn 0\.24\.2 .*run `adscan train ad-type`"
    ):
        load_ad_type_model(tmp_path / "ad_type.joblib")


def test_missing_artefact_says_how_to_create_it(tmp_path):
    with pytest.raises(ModelArtefactError, match="adscan train risk"):
        load_risk_model(tmp_path / "nope.joblib")
