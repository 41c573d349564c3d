"""The cut network: SentenceEmbedder(layers=k) runs only the first k transformer layers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classifier.embed import (
    EmbeddingCache,
    EmbeddingModelError,
    SentenceEmbedder,
    _export_dir,
    _layers_export_dir,
)
from classifier.models import AdTypeModel, save_artefact

# Invented ads (no real data).
TEXTS = [
    "Sweet new girl in town, incall and outcall, call me tonight",
    "Relaxing full body massage with hot oil, open daily",
    "Hiring waitresses for a busy bar, housing provided, weekly pay",
    "Nieuw meisje in de stad, ontvangst en escort, bel nu",
]
LABELS = ["escort", "massage", "job", "escort"]


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


@pytest.fixture(scope="module")
def vectors():
    return {
        "full": SentenceEmbedder(backend="torch").fit().transform(TEXTS),
        "onnx2": SentenceEmbedder(layers=2).fit().transform(TEXTS),
        "torch2": SentenceEmbedder(backend="torch", layers=2).fit().transform(TEXTS),
    }


def test_cut_network_gives_its_own_vectors_of_the_models_dimension(vectors):
    got = vectors["onnx2"]
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # Two of six layers read the text differently from the whole network.
    assert _cos(got, vectors["full"]).max() < 0.9


def test_onnx_cut_equals_torch_cut(vectors):
    assert _cos(vectors["onnx2"], vectors["torch2"]).min() > 0.9999


def test_cut_export_lives_in_its_own_folder_beside_the_full_one(tmp_path):
    cut = SentenceEmbedder(layers=1, export_dir=tmp_path).fit()
    full = SentenceEmbedder(export_dir=tmp_path).fit()
    assert _layers_export_dir(cut) != _export_dir(full) == _layers_export_dir(full)
    assert _layers_export_dir(cut).parent == _export_dir(full).parent
    one = cut.transform(TEXTS[:1])
    assert (_layers_export_dir(cut) / "model.opt.onnx").is_file()
    assert not any(_export_dir(full).glob("model*.onnx"))  # only the cut one was exported
    # One layer differs from two: each k is its own network.
    two = SentenceEmbedder(layers=2).fit().transform(TEXTS[:1])
    assert _cos(one, two)[0] < 0.99


def test_cache_namespace_keeps_cut_and_full_vectors_apart(tmp_path, vectors):
    path = tmp_path / "emb.sqlite3"
    full = SentenceEmbedder(cache=EmbeddingCache(path)).fit()
    cut = SentenceEmbedder(layers=2, cache=EmbeddingCache(path)).fit()
    assert full.namespace_ != cut.namespace_ and "layers=2" in cut.namespace_
    assert "layers" not in full.namespace_  # vectors cached before layers existed stay valid
    full.transform(TEXTS)
    got = cut.transform(TEXTS)  # same texts, same file: must not read the full vectors
    assert cut.n_encoded_ == len(TEXTS)
    np.testing.assert_allclose(got, vectors["onnx2"], atol=1e-5)
    assert len(EmbeddingCache(path)) == 2 * len(TEXTS)
    again = SentenceEmbedder(layers=2, cache=EmbeddingCache(path)).fit()
    np.testing.assert_allclose(again.transform(TEXTS), got)
    assert again.n_encoded_ == 0


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"layers": 0}, ["layers=0", "from 1 to 6"]),
        ({"layers": 7}, ["layers=7", "6 transformer layers"]),
        ({"layers": 2.5}, ["layers=2.5", "whole number"]),
        ({"layers": 2, "backend": "static"}, ["'static'", "leave layers unset"]),
    ],
)
def test_bad_layers_is_one_clear_sentence(params, words):
    with pytest.raises(EmbeddingModelError) as err:
        SentenceEmbedder(**params).fit()
    message = str(err.value)
    assert message.count(". ") == 0 and message.endswith(".")
    for word in words:
        assert word in message


def test_scorer_embeds_with_the_layers_the_ad_type_model_was_trained_with(tmp_path, vectors):
    from review_ui.operations.processing import Scorer

    model = AdTypeModel(embedder_params={"backend": "onnx", "layers": 2}, n_features=2**10)
    model.fit(TEXTS, LABELS, embeddings=vectors["onnx2"])
    path = tmp_path / "ad_type.joblib"
    save_artefact(model, path, "ad_type", {"title": "test"})
    scorer = Scorer(ad_type_path=path, embedding_cache_dir=tmp_path / "cache").load()
    assert scorer._embedder.layers == 2 and scorer._embedder.backend == "onnx"
    ads = [
        {"ad_id": f"a{i}", "version": 1, "title": "", "text": t, "phone_region": "NL"}
        for i, t in enumerate(TEXTS)
    ]
    out = scorer.score(ads)
    assert scorer._embedder.n_encoded_ == len(TEXTS)
    stage_vectors = scorer._embedder.transform([f"\n{t}" for t in TEXTS])
    assert _cos(stage_vectors, vectors["onnx2"]).min() > 0.9999
    assert [o["ad_type"] for o in out] == model.predict(TEXTS, embeddings=vectors["onnx2"])
    card = json.loads((tmp_path / "ad_type.model-card.json").read_text())
    assert card["kind"] == "ad_type"


def test_train_command_refuses_bad_layers_in_one_sentence(tmp_path):
    from django.core.management import CommandError, call_command

    out = str(tmp_path / "m.joblib")
    with pytest.raises(CommandError, match=r"layers=9 .* from 1 to 6"):
        call_command("train", "ad-type", "--embedding-layers", "9", "--out", out)
    with pytest.raises(CommandError, match="'static'"):
        call_command("train", "ad-type", "--embedding-backend", "static", "--embedding-layers", "2")
    with pytest.raises(CommandError, match="ad-type` only"):
        call_command("train", "risk", "--embedding-layers", "2", "--out", out)
    with pytest.raises(CommandError, match="--embedding-max-tokens has value 0"):
        call_command("train", "ad-type", "--embedding-max-tokens", "0", "--out", out)
    assert not (tmp_path / "m.joblib").exists()
