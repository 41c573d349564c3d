"""The ``static`` embedding backend: word-piece vectors distilled from the network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer
from transformers import AutoModel

from classifier.embed import STATIC_MAX_PIECES, SentenceEmbedder, distill_static, resolve_model_path

PAIRS = [
    # (query, same meaning in other words, unrelated)
    ("new girl in town, visiting for a few days", "new lady in the city this week", "hiring truck drivers with a licence"),
    ("relaxing body massage with hot oil", "soothing oil massage for your body", "apartment for rent near the station"),
    ("we are hiring waitresses, housing provided", "job offer: bar staff wanted, room included", "sweet young girl, incall only"),
]  # fmt: skip


@pytest.fixture(scope="module")
def static():
    # The default export directory: the distillation (under a minute) is made
    # once per machine and shared with every other user of the backend.
    return SentenceEmbedder(backend="static").fit()


def test_static_vectors_are_the_networks_reading_of_each_piece(static):
    static.transform(["warm"])
    path = distill_static(static.model_path_, _export_dir_of(static))
    matrix = np.load(path)
    model_path = resolve_model_path()
    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    assert matrix.shape == (tok.get_vocab_size(), 384)
    net = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    for piece in ("massage", "##ing", "amsterdam"):
        pid = tok.token_to_id(piece)
        with torch.inference_mode():
            out = net(input_ids=torch.tensor([[cls, pid, sep]])).last_hidden_state[0, 1].numpy()
        np.testing.assert_allclose(matrix[pid], out, atol=1e-4)


def test_text_vector_is_the_normalised_mean_of_its_pieces(static):
    matrix = np.load(distill_static(static.model_path_, _export_dir_of(static)))
    tok = Tokenizer.from_file(str(static.model_path_ / "tokenizer.json"))
    tok.no_padding()
    text = "Sweet new girl in Amsterdam, call me"
    ids = tok.encode(text, add_special_tokens=False).ids
    assert len(ids) >= 8
    want = matrix[ids].mean(axis=0)
    want /= np.linalg.norm(want)
    got = static.transform([text])[0]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_static_keeps_the_networks_sense_of_similar_wording(static):
    for query, same, other in PAIRS:
        q, s, o = static.transform([query, same, other])
        assert q @ s > q @ o + 0.05, (query, float(q @ s), float(q @ o))


def test_empty_and_huge_hostile_texts(static):
    huge = "Ünïcode 💋 " + "x1y2 " * 200_000  # ~1 MB: read up to a bounded number of pieces
    out = static.transform(["", "   ", huge, "ok"])
    assert out.shape == (4, 384)
    assert not out[:2].any()  # nothing to read: a zero vector, not NaN
    assert np.isfinite(out).all()
    np.testing.assert_allclose(np.linalg.norm(out[2:], axis=1), 1.0, atol=1e-5)
    assert STATIC_MAX_PIECES >= 1024


def test_static_vectors_are_cached_by_text_like_the_other_backends(static):
    before = static.n_encoded_
    static.transform(["a text seen twice", "a text seen twice"])
    static.transform(["a text seen twice"])
    assert static.n_encoded_ == before + 1


def _export_dir_of(emb: SentenceEmbedder):
    from classifier.embed import _export_dir

    return _export_dir(emb)
