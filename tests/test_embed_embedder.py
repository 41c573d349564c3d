"""SentenceEmbedder: estimator contract, text-hash cache, backends, model resolution."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classifier.embed import (
    EmbeddingCache,
    EmbeddingModelError,
    SentenceEmbedder,
    resolve_model_path,
    text_key,
)

TEXTS = [
    "We are hiring drivers and warehouse staff, weekly pay, apply today",
    "Now hiring cleaners, housing provided, start immediately",
    "Relaxing full body massage by a licensed therapist, hot stones",
    "Deep tissue massage and reflexology in a quiet spa",
]


class CountingEmbedder(SentenceEmbedder):
    """Counts the texts that really reach the network."""

    def _encode(self, texts):
        self.encoded_texts_ = getattr(self, "encoded_texts_", []) + list(texts)
        return super()._encode(texts)


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder(backend="torch").fit()


def test_transform_shape_dtype_and_normalised(embedder):
    X = embedder.transform(TEXTS)
    assert X.shape == (4, 384) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    # Similar ads are closer than dissimilar ones.
    sim = X @ X.T
    assert sim[0, 1] > sim[0, 2] and sim[2, 3] > sim[1, 3]


def test_estimator_contract_clone_set_params_pipeline(embedder):
    est = SentenceEmbedder(batch_size=8, backend="torch")
    assert est.get_params()["batch_size"] == 8
    cloned = clone(est).set_params(batch_size=16)
    assert cloned.batch_size == 16 and est.batch_size == 8
    assert not hasattr(cloned, "model_path_")  # __init__ only stores parameters
    pipe = Pipeline(
        [
            ("embed", SentenceEmbedder(backend="torch", cache=embedder.cache_)),
            ("clf", LogisticRegression()),
        ]
    )
    pipe.set_params(clf__C=5.0)
    pipe.fit(TEXTS, ["job", "job", "massage", "massage"])
    assert pipe.predict(["Hiring forklift drivers, good pay"]) == ["job"]
    assert pipe.predict(["Swedish massage, relax your muscles"]) == ["massage"]


def test_second_transform_of_same_text_does_not_reach_the_model():
    cache = EmbeddingCache()
    emb = CountingEmbedder(backend="torch", cache=cache).fit()
    first = emb.transform(TEXTS[:2])
    # Same texts again, one with different spacing (same normalised text), one new.
    second = emb.transform([TEXTS[0], "  " + TEXTS[1].replace(" ", "   ") + "\n", TEXTS[2]])
    assert emb.encoded_texts_ == [TEXTS[0], TEXTS[1], TEXTS[2]]
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert cache.hits == 2


def test_on_disk_cache_is_shared_between_processes_runs(tmp_path):
    path = tmp_path / "emb.sqlite3"
    a = CountingEmbedder(backend="torch", cache=EmbeddingCache(path)).fit()
    va = a.transform(TEXTS[:3])
    b = CountingEmbedder(backend="torch", cache=EmbeddingCache(path)).fit()
    vb = b.transform(TEXTS[:3])
    assert not hasattr(b, "encoded_texts_")  # everything came from the file
    assert np.array_equal(va, vb)
    assert len(EmbeddingCache(path)) == 3


def test_cache_is_namespaced_by_backend(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    SentenceEmbedder(backend="torch", cache=cache).fit().transform(TEXTS[:1])
    other = CountingEmbedder(backend="torch", cache=cache, max_seq_length=16).fit()
    other.transform(TEXTS[:1])
    assert other.encoded_texts_ == TEXTS[:1]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx")


@pytest.mark.parametrize(("backend", "min_cosine"), [("onnx", 0.9999), ("onnx-int8", 0.97)])
def test_onnx_backends_keep_quality(embedder, export_dir, backend, min_cosine):
    ref = embedder.transform(TEXTS)
    got = SentenceEmbedder(backend=backend, export_dir=export_dir).fit().transform(TEXTS)
    assert got.shape == ref.shape and got.dtype == np.float32
    assert ((got * ref).sum(axis=1) > min_cosine).all()
    assert any(export_dir.glob("*/model*.onnx"))  # exported locally, nothing downloaded


def test_text_key_ignores_whitespace_only():
    assert text_key("Hello  world") == text_key(" Hello world\n")
    assert text_key("Hello world") != text_key("hello world")


def test_wrong_model_name_is_one_clear_sentence():
    with pytest.raises(
        EmbeddingModelError, match="not a local sentence-transformers model directory"
    ):
        resolve_model_path("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    with pytest.raises(EmbeddingModelError, match="unknown"):
        SentenceEmbedder(backend="tensorrt").fit()


def test_model_argument_wins_over_setting(tmp_path):
    default = resolve_model_path(None, None)
    assert resolve_model_path(str(default), "/nonexistent") == default
    assert resolve_model_path(None, str(default)) == default


def test_empty_input(embedder):
    assert embedder.transform([]).shape == (0, 384)
