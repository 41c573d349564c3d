"""Training on real data (tiny models, seconds), weak labels, retraining on reviews, commands, plots."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from sklearn.metrics import f1_score, roc_auc_score

from classifier.models import AdTypeModel, RiskModel
from classifier.training.data import AD_TYPES, load_ad_type_corpus, near_duplicate_groups
from classifier.training.risk import compare_on_reviews, weak_labels


@pytest.mark.realdata
def test_tiny_ad_type_model_on_real_ads(shared_data):
    ads, files = load_ad_type_corpus(shared_data)
    assert {a.label for a in ads} == set(AD_TYPES) and len(files) >= 2
    groups = np.array(near_duplicate_groups([a.text for a in ads]))
    rng = np.random.default_rng(0)
    train_groups = set(
        rng.choice(np.unique(groups), size=len(np.unique(groups)) // 2, replace=False).tolist()
    )
    train = [a for a, g in zip(ads, groups, strict=True) if g in train_groups]
    test = [a for a, g in zip(ads, groups, strict=True) if g not in train_groups]
    model = AdTypeModel(use_embeddings=False, n_features=2**12).fit(
        [a.text for a in train], [a.label for a in train]
    )
    pred = model.predict([a.text for a in test])
    assert f1_score([a.label for a in test], pred, average="macro") > 0.8
    # The job class, small in the real world, is recognised on unseen real ads.
    assert f1_score([a.label for a in test], pred, labels=["job"], average="macro") > 0.8


@pytest.mark.realdata
def test_weak_labels_and_tiny_risk_model_on_real_ads(shared_data):
    from classifier.training.data import load_unlabelled_corpus
    from classifier.training.risk import prepare_inputs

    ads, _ = load_unlabelled_corpus(shared_data)
    texts = [a.text for a in ads[::25]][:250]
    prep = prepare_inputs(texts, progress=False)
    y = weak_labels(prep["hits"])
    assert (y == 1).sum() >= 10 and (y == 0).sum() >= 10 and (y == -1).sum() >= 10
    keep = np.where(y >= 0)[0]
    half = len(keep) // 2
    model = RiskModel(use_embeddings=False).fit(
        [prep["features"][i] for i in keep[:half]], y[keep[:half]]
    )
    scores = model.predict_proba_features([prep["features"][i] for i in keep[half:]])
    assert roc_auc_score(y[keep[half:]], scores) > 0.8


def test_retraining_on_reviews_reports_a_ranking_gain():
    rng = np.random.default_rng(0)
    # The current model believes "indicator:movement" matters; reviewers escalate on youth.
    base = RiskModel(use_embeddings=False).fit([{"indicator:movement": 1.0}, {}] * 10, [1, 0] * 10)
    feats, labels = [], []
    for _ in range(120):
        youth, movement = rng.random() < 0.4, rng.random() < 0.5
        feats.append({"indicator:youth": float(youth), "indicator:movement": float(movement)})
        labels.append(int(youth))
    model, report = compare_on_reviews(base, feats, labels)
    assert report["improved"] is True
    assert report["retrained_average_precision"] > 0.95 > report["current_average_precision"]
    assert model.coef_["indicator:youth"] > model.coef_["indicator:movement"]


def test_retraining_needs_both_decisions():
    base = RiskModel(use_embeddings=False).fit([{"a": 1.0}, {}] * 3, [1, 0] * 3)
    with pytest.raises(Exception, match="3 escalated and 3 dismissed"):
        compare_on_reviews(base, [{"a": 1.0}] * 12, [1] * 12)


def test_train_command_with_missing_data_is_one_sentence(tmp_path):
    with pytest.raises(CommandError, match="--data-dir"):
        call_command(
            "train", "ad-type", "--data-dir", str(tmp_path), "--out", str(tmp_path / "m.joblib")
        )
    with pytest.raises(CommandError, match=".joblib"):
        call_command("train", "risk", "--out", str(tmp_path / "m.pkl"))


@pytest.mark.realdata
@pytest.mark.slow
def test_train_command_quick_writes_a_working_model_and_card(shared_data, tmp_path):
    from classifier.models import load_ad_type_model

    out = tmp_path / "ad_type.joblib"
    call_command(
        "train",
        "ad-type",
        "--quick",
        "--no-progress",
        "--data-dir",
        str(shared_data),
        "--out",
        str(out),
    )
    assert (tmp_path / "ad_type.model-card.json").is_file() and (
        tmp_path / "ad_type.model-card.md"
    ).is_file()
    model = load_ad_type_model(out)
    assert model.predict(["We are hiring drivers and cleaners, weekly pay, apply now"]) == ["job"]


def test_plots_are_png_files(tmp_path):
    from classifier.training.plots import plot_calibration, plot_confusion, plot_precision_recall

    y = np.array(["a", "b", "a", "b", "a", "b"] * 5)
    scores = np.tile(
        np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2], [0.4, 0.6]]), (5, 1)
    )
    for fn, args in (
        (plot_confusion, (y, np.where(scores[:, 0] > 0.5, "a", "b"), ["a", "b"])),
        (plot_precision_recall, (y, scores, ["a", "b"])),
        (plot_calibration, (y, scores, ["a", "b"])),
    ):
        path = fn(*args, tmp_path / f"{fn.__name__}.png", "t")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_options_keep_the_shipped_word_piece_limit_unless_told():
    from classifier.training.ad_type import DEFAULT_EMBEDDER
    from review_ui.operations.management.commands.train import ad_type_embedder

    shipped = DEFAULT_EMBEDDER["max_seq_length"]
    assert ad_type_embedder(None, None, None) is None  # train_ad_type's default
    assert ad_type_embedder("torch", None, None) == {"backend": "torch", "max_seq_length": shipped}
    assert ad_type_embedder(None, 2, None) == {
        "backend": "onnx",
        "layers": 2,
        "max_seq_length": shipped,
    }
    assert ad_type_embedder(None, None, 256) == {"backend": "onnx", "max_seq_length": 256}
    # The static backend reads far past the network's limit (its cost is linear).
    assert ad_type_embedder("static", None, None) == {"backend": "static"}
    with pytest.raises(CommandError, match="--embedding-max-tokens has value 0"):
        ad_type_embedder(None, None, 0)
