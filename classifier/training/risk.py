"""Weakly supervised training of the risk model, evaluation, and retraining on reviewer decisions.

No public data is labelled for trafficking. The indicator taxonomy serves as
labelling functions over real unlabelled ads: an ad with strong indicators in
two or more categories is a weak positive, an ad without any is a weak
negative, everything between abstains.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

from ..models.artefact import ARTEFACT_DIR, save_artefact
from ..models.risk import CityPriceNorms, RiskModel, build_risk_features, compute_inputs
from .ad_type import DEFAULT_CACHE, _display, embed_texts
from .data import file_sha256, load_unlabelled_corpus

__all__ = [
    "LF_CATEGORY_STRENGTH",
    "compare_on_reviews",
    "evaluate_risk",
    "prepare_inputs",
    "retrain_from_reviews",
    "train_risk",
    "weak_labels",
]

#: How much each indicator category counts as a labelling function. Categories
#: that name control, youth or coercion count fully; those that also describe
#: plenty of independent sex workers (touring, origin, price) count half.
LF_CATEGORY_STRENGTH = {
    "youth": 1.0,
    "third_party": 1.0,
    "restricted": 1.0,
    "unsafe_services": 1.0,
    "recruitment": 1.0,
    "multiple_persons": 0.75,
    "coarse_language": 0.5,
    "movement": 0.5,
    "price": 0.5,
    "foreign_origin": 0.5,
}


def weak_labels(hits_per_ad: Sequence[Sequence[Any]], threshold: float = 1.0) -> np.ndarray:
    """1 (weak positive), 0 (weak negative) or -1 (abstain) per ad from its indicator hits.

    Examples
    --------
    >>> h = lambda cat, w: {"id": cat + ".x", "category": cat, "weight": w}
    >>> weak_labels([[h("youth", 1.0), h("third_party", 0.8)], [], [h("movement", 0.6)]]).tolist()
    [1, 0, -1]
    """
    out = []
    for hits in hits_per_ad:
        best: dict[str, float] = {}
        for hit in hits:
            cat = hit["category"] if isinstance(hit, dict) else hit.category
            weight = hit["weight"] if isinstance(hit, dict) else hit.weight
            best[cat] = max(best.get(cat, 0.0), float(weight))
        if not best:
            out.append(0)
            continue
        vote = sum(LF_CATEGORY_STRENGTH.get(c, 0.5) * w for c, w in best.items())
        out.append(1 if vote >= threshold and len(best) >= 2 else -1)
    return np.asarray(out, dtype=int)


def prepare_inputs(
    texts: Sequence[str], ad_type_model=None, embeddings=None, norms=None, progress=True
):
    """Extractions, hits, ad types and feature dicts for ``texts`` (what ``RiskModel.score`` builds)."""
    from tqdm.auto import tqdm

    inputs = [compute_inputs(t) for t in tqdm(texts, desc="indicators", disable=not progress)]
    extractions = [i[0] for i in inputs]
    if norms is None:
        norms = CityPriceNorms(min_ads=5).fit_extractions([None] * len(texts), extractions)
    hourly = norms.norm(None)
    # Re-match with the price norm so price anomalies count as indicators too.
    hits = (
        [compute_inputs(t, hourly_norm=hourly)[1] for t in texts]
        if hourly
        else [i[1] for i in inputs]
    )
    ad_types = (
        ad_type_model.predict(texts, embeddings=embeddings)
        if ad_type_model is not None
        else [None] * len(texts)
    )
    features = [
        build_risk_features(e, h, a, hourly, t)[0]
        for e, h, a, t in zip(extractions, hits, ad_types, texts, strict=True)
    ]
    return {
        "extractions": extractions,
        "hits": hits,
        "ad_types": ad_types,
        "features": features,
        "norms": norms,
    }


def train_risk(
    data_dir: Path,
    out: Path | None = None,
    *,
    quick: bool = False,
    limit: int = 1500,
    cache_path: Path | None = DEFAULT_CACHE,
    progress: bool = True,
    seed: int = 0,
    ad_type_path: Path | None = None,
) -> tuple[RiskModel, dict[str, Any]]:
    """Train the risk model by weak supervision on the real unlabelled corpora; write it with its card.

    The ad-type model at ``ad_type_path`` (default: the shipped one) provides
    the ad-type feature and decides which embedding backend the risk model uses.
    """
    from ..models import load_ad_type_model

    out = Path(out) if out else ARTEFACT_DIR / "risk.joblib"
    ads, files = load_unlabelled_corpus(Path(data_dir))
    rng = np.random.default_rng(seed)
    n = min(len(ads), 200 if quick else limit)
    chosen = sorted(rng.choice(len(ads), size=n, replace=False).tolist())
    texts = [ads[i].text for i in chosen]
    ad_type_model = load_ad_type_model(ad_type_path)
    embedder_params = ad_type_model.get_params().get("embedder_params") or {}
    emb = embed_texts(texts, embedder_params, cache_path, progress)
    prep = prepare_inputs(texts, ad_type_model, emb, progress=progress)
    y = weak_labels(prep["hits"])
    keep = np.where(y >= 0)[0]
    feats = [prep["features"][i] for i in keep]
    tr, te = train_test_split(keep, test_size=0.25, random_state=seed, stratify=y[keep])
    pos = {int(i): k for k, i in enumerate(keep)}
    held = RiskModel().fit([feats[pos[i]] for i in tr], y[tr], embeddings=emb[tr])
    scores = held.predict_proba_features([feats[pos[i]] for i in te], embeddings=emb[te])
    # How well the text alone (no indicator features) recovers the weak labels:
    # the part of the model that can generalise past the lexicon.
    text_only = held.text_model_.predict_proba(emb[te])[:, 1]
    metrics = {
        "weak_labels": {
            "ads": int(len(y)),
            "positive": int((y == 1).sum()),
            "negative": int((y == 0).sum()),
            "abstain": int((y == -1).sum()),
        },
        "held_out_weak_labels": {
            "note": "25% of weakly labelled ads held out; measured against the same weak labels, so optimistic by construction",
            "average_precision": round(float(average_precision_score(y[te], scores)), 4),
            "roc_auc": round(float(roc_auc_score(y[te], scores)), 4),
            "text_only_roc_auc": round(float(roc_auc_score(y[te], text_only)), 4),
        },
    }
    flags = _student_flags_agreement(Path(data_dir), ads, chosen, held, prep["features"], emb)
    if flags:
        metrics["agreement_with_student_red_flags"] = flags
    model = RiskModel().fit(feats, y[keep], embeddings=emb[keep])
    model.price_norms_ = prep["norms"]
    top = sorted(model.coef_.items(), key=lambda kv: -kv[1])
    card = {
        "title": "risk score (weakly supervised)",
        "summary": (
            "Logistic regression over named features: indicator categories (summed indicator weights), "
            "age 18-20 / under 18, hourly price under the local norm, several names, several places, "
            "stated origin, ad type, and a text-resemblance feature (a logistic regression on the "
            "sentence embedding, fitted out of fold). The explanation of a score is each feature's "
            "contribution to the log-odds, split over the phrases that triggered it."
        ),
        "supervision": (
            "WEAK SUPERVISION, NOT GROUND TRUTH. No public data is labelled for trafficking. Labels come "
            "from the indicator taxonomy used as labelling functions on real unlabelled Backpage ads "
            "(2013-2018): an ad with indicators in two or more categories whose weighted vote reaches "
            f"1.0 is a weak positive, an ad with none a weak negative, the rest abstain "
            f"({metrics['weak_labels']}). The model therefore learns what the taxonomy says, smoothed "
            "and extended to similar wording by the embedding; it has never seen a confirmed case. "
            "Once reviewers decide, `adscan train risk --from-reviews` retrains on escalated vs "
            "dismissed decisions and reports whether ranking improved on held-back decisions."
        ),
        "intended_use": (
            "Ordering the review queue and pointing officers at the phrases worth reading. "
            "A high score is a reason to look, never a finding; every decision is a person's."
        ),
        "limits": (
            "US English Backpage ads from 2013-2018 only; Dutch wording is covered only by the "
            "taxonomy's Dutch patterns, not by training data. Scores are not calibrated probabilities "
            "of trafficking. Held-out figures are measured against the same weak labels and are "
            "optimistic by construction; the agreement with the student red-flag counts is the only "
            "independent (and itself weak) check. The price norm learned here is in the corpus's "
            "currency (USD); pass city norms from your own ads."
        ),
        "features": {k: round(v, 4) for k, v in top},
        "training_size": int(len(keep)),
        "sampled_ads": n,
        "data": [{"path": _display(f, data_dir), "sha256": file_sha256(f)} for f in files],
        "metrics": metrics,
        "quick": quick,
        "embedding": {k: v for k, v in embedder_params.items() if k != "cache"},
        "command": "adscan train risk"
        + (f" --ad-type-model {ad_type_path}" if ad_type_path else "")
        + (" --quick" if quick else ""),
    }
    card = save_artefact(model, out, "risk", card)
    return model, card


def _student_flags_agreement(data_dir, ads, chosen, model, features, emb) -> dict[str, Any] | None:
    """Spearman correlation of the risk with the student team's red-flag counts (backpage-ca-2018)."""
    from scipy.stats import spearmanr

    path = data_dir / "backpage-ca-2018-flagged" / "flagged_clusters_by_post.csv"
    posts = data_dir / "backpage-ca-2018-flagged" / "scraped_backpage_postings.csv"
    if not (path.is_file() and posts.is_file()):
        return None
    csv.field_size_limit(sys.maxsize)
    flags: dict[str, float] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if row and row[0].strip().isdigit() and row[-1].strip():
                try:
                    flags[f"bp_{row[0].strip()}"] = float(row[-1])
                except ValueError:
                    continue
    by_text: dict[str, float] = {}
    with open(posts, newline="", encoding="utf-8") as fh:
        for post in csv.DictReader(fh):
            key = " ".join(
                f"{post.get('title') or ''}\n{post.get('body') or ''}".strip().lower().split()
            )
            if post.get("id") in flags:
                by_text[key] = flags[post["id"]]
    idx, values = [], []
    for k, i in enumerate(chosen):
        key = " ".join(ads[i].text.lower().split())
        if key in by_text:
            idx.append(k)
            values.append(by_text[key])
    if len(idx) < 20:
        return None
    risk = model.predict_proba_features([features[k] for k in idx], embeddings=emb[idx])
    rho = spearmanr(risk, values).statistic
    return {
        "note": "backpage-ca-2018 ads in the sample; Flags = student team's red-flag cluster count (weak, independent of our taxonomy)",
        "ads": len(idx),
        "spearman": round(float(rho), 4),
    }


def compare_on_reviews(
    base: RiskModel,
    features: Sequence[dict[str, float]],
    labels: Sequence[int],
    embeddings=None,
    holdout: float = 0.3,
    seed: int = 0,
) -> tuple[RiskModel, dict[str, Any]]:
    """Retrain on reviewer decisions (1 escalated, 0 dismissed) and compare ranking on held-back ones.

    Returns the model retrained on all decisions and a report with the
    average precision of the current and the retrained model on the
    held-back decisions.
    """
    y = np.asarray(labels, dtype=int)
    if len(y) < 10 or min(np.bincount(y, minlength=2)) < 3:
        from ..exceptions import ClassifierError

        raise ClassifierError(
            f"Need at least 10 decisions with 3 escalated and 3 dismissed to retrain; have {len(y)} "
            f"({int((y == 1).sum())} escalated, {int((y == 0).sum())} dismissed)."
        )
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=holdout, random_state=seed, stratify=y)
    emb = None if embeddings is None else np.asarray(embeddings)
    params = base.get_params()
    trial = RiskModel(**params).fit(
        [features[i] for i in tr], y[tr], embeddings=None if emb is None else emb[tr]
    )
    base_scores = base.predict_proba_features(
        [features[i] for i in te], None if emb is None else emb[te]
    )
    new_scores = trial.predict_proba_features(
        [features[i] for i in te], None if emb is None else emb[te]
    )
    report = {
        "decisions": int(len(y)),
        "held_back": int(len(te)),
        "current_average_precision": round(float(average_precision_score(y[te], base_scores)), 4),
        "retrained_average_precision": round(float(average_precision_score(y[te], new_scores)), 4),
    }
    report["improved"] = report["retrained_average_precision"] > report["current_average_precision"]
    final = RiskModel(**params).fit(features, y, embeddings=emb)
    if hasattr(base, "price_norms_"):
        final.price_norms_ = base.price_norms_
    return final, report


def retrain_from_reviews(
    texts: Sequence[str],
    labels: Sequence[int],
    out: Path | None = None,
    *,
    progress: bool = True,
    cache_path: Path | None = DEFAULT_CACHE,
) -> dict[str, Any]:
    """``adscan train risk --from-reviews``: retrain on decisions, report, and save when it helps."""
    from ..models import load_ad_type_model, load_risk_model

    base = load_risk_model()
    ad_type_model = load_ad_type_model()
    emb = embed_texts(
        list(texts), ad_type_model.get_params().get("embedder_params") or {}, cache_path, progress
    )
    prep = prepare_inputs(
        list(texts),
        ad_type_model,
        emb,
        norms=getattr(base, "price_norms_", None),
        progress=progress,
    )
    model, report = compare_on_reviews(base, prep["features"], labels, embeddings=emb)
    out = Path(out) if out else ARTEFACT_DIR / "risk.joblib"
    if report["improved"]:
        card = {
            "title": "risk score (retrained on reviewer decisions)",
            "supervision": "Reviewer decisions: escalated = 1, dismissed = 0 (needs_info left out).",
            "intended_use": "Ordering the review queue; a reason to look, never a finding.",
            "limits": "As good as the decisions it learned from; few decisions mean a noisy model.",
            "metrics": {"reviews": report},
            "data": [],
            "command": "adscan train risk --from-reviews",
        }
        save_artefact(model, out, "risk", card)
        report["saved_to"] = str(out)
    return report


def evaluate_risk(
    data_dir: Path,
    out_dir: Path,
    *,
    model_path: Path | None = None,
    progress=True,
    limit=600,
    seed=1,
):
    """Metrics and PNG plots (precision-recall, calibration, score histogram) against weak labels."""
    from ..models import load_ad_type_model, load_risk_model
    from .plots import _pyplot, plot_calibration, plot_precision_recall

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_risk_model(model_path)
    ad_type_model = load_ad_type_model()
    ads, _ = load_unlabelled_corpus(Path(data_dir))
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(ads), size=min(limit, len(ads)), replace=False).tolist())
    texts = [ads[i].text for i in chosen]
    emb = embed_texts(
        texts, ad_type_model.get_params().get("embedder_params") or {}, DEFAULT_CACHE, progress
    )
    prep = prepare_inputs(
        texts, ad_type_model, emb, norms=getattr(model, "price_norms_", None), progress=progress
    )
    y = weak_labels(prep["hits"])
    risk = model.predict_proba_features(
        prep["features"], embeddings=emb if model.use_embeddings else None
    )
    keep = y >= 0
    metrics: dict[str, Any] = {
        "note": "against weak labels (indicator taxonomy); the sample overlaps the training corpus",
        "ads": len(texts),
        "weak_average_precision": round(float(average_precision_score(y[keep], risk[keep])), 4),
        "weak_roc_auc": round(float(roc_auc_score(y[keep], risk[keep])), 4),
        "mean_risk_abstained": round(float(risk[~keep].mean()), 4) if (~keep).any() else None,
        "share_over_0.5": round(float((risk >= 0.5).mean()), 4),
    }
    flags = _student_flags_agreement(Path(data_dir), ads, chosen, model, prep["features"], emb)
    if flags:
        metrics["agreement_with_student_red_flags"] = flags
    plot_precision_recall(
        y[keep], risk[keep], [1], out_dir / "risk_precision_recall.png", "risk vs weak labels"
    )
    plot_calibration(
        y[keep], risk[keep], [1], out_dir / "risk_calibration.png", "risk calibration (weak labels)"
    )
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.hist(risk, bins=20, range=(0, 1))
    ax.set_xlabel("risk")
    ax.set_ylabel("ads")
    ax.set_title("risk distribution")
    fig.tight_layout()
    fig.savefig(out_dir / "risk_histogram.png", dpi=100)
    plt.close(fig)
    metrics["plots"] = [
        str(out_dir / n)
        for n in ("risk_precision_recall.png", "risk_calibration.png", "risk_histogram.png")
    ]
    return metrics
