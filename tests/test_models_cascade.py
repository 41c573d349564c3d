"""The ad-type cascade: a fast model on static embeddings, a careful twin for unsure ads."""

from __future__ import annotations

import joblib
import numpy as np
import pytest

from classifier.exceptions import ClassifierError
from classifier.models import AdTypeModel

# Invented ads, a few per type (no real data).
TRAIN = [
    ("Sexy new girl in town, incall and outcall, call me", "escort"),
    ("Sweet young lady visiting this week, hotel visits only", "escort"),
    ("Hot blonde available tonight, your place or mine", "escort"),
    ("Nieuw meisje in de stad, ontvangst en escort", "escort"),
    ("Relaxing full body massage with hot oil in a quiet salon", "massage"),
    ("Professional Thai massage, open daily, walk-ins welcome", "massage"),
    ("Deep tissue and foot massage by a licensed therapist", "massage"),
    ("Ontspannende massage in onze salon, maak een afspraak", "massage"),
    ("Hiring waitresses for a busy bar, housing provided, good pay", "job"),
    ("We are looking for cleaners, start immediately, weekly pay", "job"),
    ("Job offer: hostesses wanted abroad, travel paid, no experience", "job"),
    ("Vacature: schoonmakers gezocht, woonruimte aanwezig", "job"),
    ("Selling my old bike, good condition, pick up only", "other"),
    ("Lost cat near the park, grey with white paws", "other"),
    ("Looking for a tennis partner on weekends", "other"),
    ("Te koop: bank en tafel, ophalen in het centrum", "other"),
]
TEXTS = [t for t, _ in TRAIN]
LABELS = [lab for _, lab in TRAIN]
NEW = [
    "New sweet girl visiting, call for incall",
    "Thai oil massage in our salon",
    "Bar staff wanted, room included, good wage",
    "Old sofa for sale",
]


def _cascade(escalate_below: float) -> AdTypeModel:
    return AdTypeModel(
        embedder_params={"backend": "static"},
        escalate_below=escalate_below,
        careful_embedder_params={"backend": "onnx"},
        n_features=2**10,
    ).fit(TEXTS, LABELS)


@pytest.fixture(scope="module")
def models():
    return {tau: _cascade(tau) for tau in (0.0001, 0.999)}


def test_a_sure_fast_model_decides_alone(models):
    model = models[0.0001]
    fast = model.classifier_.predict_proba(model._features(NEW, None))
    before = model.careful_.embedder_.n_encoded_  # the training texts
    got = model.predict_proba(NEW)
    np.testing.assert_allclose(got, fast)
    assert model.n_escalated_ == 0 and model.n_predicted_ == len(NEW)
    assert model.careful_.embedder_.n_encoded_ == before  # the network never ran


def test_unsure_ads_go_to_the_careful_twin_which_embeds_only_them(models):
    model = models[0.999]  # every probability is below 0.999: all escalate
    before = model.careful_.embedder_.n_encoded_
    got = model.predict_proba(NEW)
    np.testing.assert_allclose(got, model.careful_.predict_proba(NEW))
    assert model.n_escalated_ == len(NEW)
    assert model.careful_.embedder_.n_encoded_ - before == len(NEW)
    assert model.careful_.embedder_.backend == "onnx"
    assert model.predict(NEW) == model.careful_.predict(NEW)


def test_a_mixed_batch_keeps_each_row_in_its_place(models):
    model = models[0.999]
    fast_model = _cascade(0.0001)
    fast = fast_model.classifier_.predict_proba(fast_model._features(NEW, None))
    tau = float(np.median(fast.max(axis=1))) + 1e-9
    model.set_params(escalate_below=tau)
    unsure = fast.max(axis=1) < tau
    assert 0 < unsure.sum() < len(NEW)
    got = model.predict_proba(NEW)
    careful = model.careful_.predict_proba(NEW)
    np.testing.assert_allclose(got[unsure], careful[unsure])
    np.testing.assert_allclose(got[~unsure], fast[~unsure])


def test_cascade_survives_pickling_and_old_models_load(models, tmp_path):
    model = models[0.999]
    path = tmp_path / "m.joblib"
    joblib.dump(model, path)
    back = joblib.load(path)
    assert back.predict(NEW) == model.predict(NEW)
    old = AdTypeModel(use_embeddings=False, n_features=2**10).fit(TEXTS, LABELS)
    state = old.__getstate__()
    for key in ("escalate_below", "careful_embedder_params", "careful_"):
        state.pop(key, None)  # as saved before the cascade existed
    revived = AdTypeModel.__new__(AdTypeModel)
    revived.__setstate__(state)
    assert revived.get_params()["escalate_below"] == 0.0
    assert revived.predict(NEW) == old.predict(NEW)


def test_cascade_needs_embeddings():
    with pytest.raises(ClassifierError, match="use_embeddings=True"):
        AdTypeModel(use_embeddings=False, escalate_below=0.5).fit(TEXTS, LABELS)
