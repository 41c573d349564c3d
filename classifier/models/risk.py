"""The explainable risk score: a logistic regression over named features.

Features come from the indicator hits (per category), extracted attributes
(age, hourly price against the city's norm, several persons, several places),
the ad type and how much the text resembles high-risk ads (an embedding
sub-model). Each score lists its top contributing features with their evidence
spans, which is what the review UI highlights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ClassifierError

__all__ = ["CityPriceNorms", "RiskModel", "RiskScore", "build_risk_features", "compute_inputs"]

TEXT_FEATURE = "text:resembles_high_risk"
AD_TYPES = ("escort", "massage", "job", "other")


@dataclass
class RiskScore:
    """A risk in [0, 1] and the contributions that explain it, strongest first.

    Each explanation item is ``{"feature", "weight", "text", "start", "end"}``:
    ``feature`` is an indicator id (``youth.young_age``) or a feature name
    (``price:below_norm``), ``weight`` its share of the log-odds, ``text`` the
    matched phrase (None for features without a span).
    """

    risk: float
    explanation: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"risk": self.risk, "explanation": list(self.explanation)}


class CityPriceNorms(BaseEstimator):
    """Median hourly price per city, learned from a corpus of ads.

    Parameters
    ----------
    min_ads : int
        A city needs this many priced ads to get its own norm; others use the
        overall median.

    Examples
    --------
    >>> norms = CityPriceNorms(min_ads=2).fit(["Utrecht", "utrecht", "Gouda"], [150.0, 170.0, 90.0])
    >>> norms.norm("UTRECHT"), norms.norm("Elsewhere")
    (160.0, 150.0)
    """

    def __init__(self, min_ads: int = 5):
        self.min_ads = min_ads

    def fit(self, cities: Sequence[str | None], hourly_prices: Sequence[float | None]):
        by_city: dict[str, list[float]] = {}
        everything: list[float] = []
        for city, price in zip(cities, hourly_prices, strict=True):
            if price is None or not math.isfinite(price) or price <= 0:
                continue
            everything.append(float(price))
            if city:
                by_city.setdefault(str(city).strip().lower(), []).append(float(price))
        self.medians_ = {
            c: float(np.median(v)) for c, v in by_city.items() if len(v) >= self.min_ads
        }
        self.global_median_ = float(np.median(everything)) if everything else None
        self.n_prices_ = len(everything)
        return self

    def fit_extractions(self, cities: Sequence[str | None], extractions: Sequence[Any]):
        """Fit from ``extract_all`` results (their first hourly price per ad)."""
        return self.fit(cities, [_hourly_price(e) for e in extractions])

    def norm(self, city: str | None) -> float | None:
        """The hourly norm for ``city`` (the overall median when the city is unknown)."""
        check_is_fitted(self, "medians_")
        if city:
            found = self.medians_.get(str(city).strip().lower())
            if found is not None:
                return found
        return self.global_median_


def _items(extraction: Any, name: str) -> list[Any]:
    if extraction is None:
        return []
    if isinstance(extraction, dict):
        return list(extraction.get(name) or [])
    return list(getattr(extraction, name, None) or [])


def _get(item: Any, key: str, default=None):
    if isinstance(item, dict):
        return item.get(key, default)
    return getattr(item, key, default)


def _per_hour(price: Any) -> float | None:
    minutes = _get(price, "minutes")
    amount = _get(price, "amount")
    if not minutes or amount is None:
        return None
    return float(amount) * 60.0 / float(minutes)


def _hourly_price(extraction: Any) -> float | None:
    for price in _items(extraction, "prices"):
        value = _per_hour(price)
        if value:
            return value
    return None


def compute_inputs(text: str, default_region: str = "NL", hourly_norm: float | None = None):
    """Extraction and indicator hits for one text (the only place that imports them)."""
    from classifier.extract import extract_all
    from classifier.indicators import match

    return extract_all(text, default_region=default_region), match(text, hourly_norm=hourly_norm)


def build_risk_features(
    extraction: Any = None,
    hits: Sequence[Any] = (),
    ad_type: str | None = None,
    hourly_norm: float | None = None,
    text: str | None = None,
) -> tuple[dict[str, float], dict[str, list[dict[str, Any]]]]:
    """Named features of one ad and the evidence spans behind each.

    Parameters
    ----------
    extraction : Extraction or dict, optional
        ``classifier.extract.extract_all`` output (object or ``to_dict()``).
    hits : list of IndicatorHit or dict
        ``classifier.indicators.match`` output.
    ad_type : str, optional
        The ad-type model's prediction.
    hourly_norm : float, optional
        The usual hourly price in the ad's city (see :class:`CityPriceNorms`).
    text : str, optional
        The ad text the spans point into (fills in the evidence phrases).

    Returns
    -------
    features : dict
        Feature name -> value (absent means 0).
    evidence : dict
        Feature name -> list of ``{"feature", "text", "start", "end", "strength"}``.

    Examples
    --------
    >>> hit = {"id": "youth.young_age", "category": "youth", "start": 0, "end": 6,
    ...        "text": "19 yo", "weight": 0.6}
    >>> f, ev = build_risk_features(None, [hit], "escort")
    >>> f["indicator:youth"], f["ad_type:escort"], ev["indicator:youth"][0]["feature"]
    (0.6, 1.0, 'youth.young_age')
    """
    features: dict[str, float] = {}
    evidence: dict[str, list[dict[str, Any]]] = {}
    best: dict[str, dict[str, Any]] = {}
    for hit in hits or ():
        hid = str(_get(hit, "id"))
        weight = float(_get(hit, "weight", 0.5) or 0.0)
        evidence.setdefault(f"indicator:{_get(hit, 'category')}", []).append(
            {
                "feature": hid,
                "text": _get(hit, "text"),
                "start": _get(hit, "start"),
                "end": _get(hit, "end"),
                "strength": weight,
            }
        )
        if hid not in best or weight > best[hid]["strength"]:
            best[hid] = {"category": _get(hit, "category"), "strength": weight}
    for info in best.values():
        key = f"indicator:{info['category']}"
        features[key] = min(2.0, features.get(key, 0.0) + info["strength"])
    if best:
        features["indicators:distinct"] = min(len(best), 10) / 10.0

    ages = [a for a in _items(extraction, "ages") if _get(a, "age") is not None]
    minor = [a for a in ages if int(_get(a, "age")) < 18]
    young = [a for a in ages if 18 <= int(_get(a, "age")) <= 20]
    for name, found in (("age:minor", minor), ("age:18_to_20", young)):
        if found:
            features[name] = 1.0
            evidence[name] = [_span(name, a, text) for a in found]

    if hourly_norm:
        lows = []
        for price in _items(extraction, "prices"):
            per_hour = _per_hour(price)
            if per_hour:
                lows.append((max(0.0, 1.0 - per_hour / hourly_norm), price))
        if lows:
            gap, price = max(lows, key=lambda t: t[0])
            if gap > 0:
                features["price:below_norm"] = round(gap, 4)
                evidence["price:below_norm"] = [_span("price:below_norm", price, text)]

    names = _items(extraction, "names")
    distinct_names = {str(_get(n, "name") or _get(n, "value") or "").lower() for n in names}
    if len(distinct_names) >= 2:
        features["persons:several_names"] = 1.0
        evidence["persons:several_names"] = [_span("persons:several_names", n, text) for n in names]
    places = _items(extraction, "places")
    distinct_places = {str(_get(p, "value") or _get(p, "name") or "").lower() for p in places}
    if len(distinct_places) >= 2:
        features["movement:several_places"] = 1.0
        evidence["movement:several_places"] = [
            _span("movement:several_places", p, text) for p in places
        ]
    if _items(extraction, "origins"):
        features["origin:stated"] = 1.0
        evidence["origin:stated"] = [
            _span("origin:stated", o, text) for o in _items(extraction, "origins")
        ]
    if ad_type:
        features[f"ad_type:{ad_type}"] = 1.0
    return features, evidence


def _span(feature: str, item: Any, text: str | None = None) -> dict[str, Any]:
    start, end = _get(item, "start"), _get(item, "end")
    phrase = _get(item, "text")
    if phrase is None and text is not None and start is not None and end is not None:
        phrase = text[start:end]
    return {
        "feature": feature,
        "text": phrase,
        "start": _get(item, "start"),
        "end": _get(item, "end"),
        "strength": 1.0,
    }


class RiskModel(BaseEstimator):
    """Risk in [0, 1] from named features, with per-feature explanations.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    use_embeddings : bool
        Add a feature for how much the text resembles high-risk ads, from a
        logistic regression on the sentence embedding (fitted out of fold).
    max_explanations : int
        Most explanation items per ad.

    Examples
    --------
    >>> feats = [{"indicator:youth": 1.0}, {}, {"indicator:third_party": 1.0}, {"ad_type:other": 1.0}] * 5
    >>> model = RiskModel(use_embeddings=False).fit(feats, [1, 0, 1, 0] * 5)
    >>> hit = {"id": "youth.minor_age", "category": "youth", "start": 0, "end": 2, "text": "16", "weight": 1.0}
    >>> s = model.score(["16"], indicator_hits=[[hit]], extractions=[None])[0]
    >>> s.risk > 0.5, s.explanation[0]["feature"], s.explanation[0]["text"]
    (True, 'youth.minor_age', '16')
    """

    def __init__(self, C: float = 1.0, use_embeddings: bool = True, max_explanations: int = 8):
        self.C = C
        self.use_embeddings = use_embeddings
        self.max_explanations = max_explanations

    def fit(
        self,
        features: Sequence[dict[str, float]],
        y: Sequence[int] | np.ndarray,
        embeddings=None,
        sample_weight=None,
    ):
        """Learn from feature dicts (see :func:`build_risk_features`) and 0/1 labels."""
        labels = np.asarray(y, dtype=int)
        if len(set(labels.tolist())) < 2:
            raise ClassifierError(
                "The risk model needs examples of both classes (high and low risk); got only one."
            )
        rows = [dict(f) for f in features]
        if self.use_embeddings:
            if embeddings is None:
                raise ClassifierError(
                    "RiskModel(use_embeddings=True).fit needs the embeddings of the ads."
                )
            emb = np.asarray(embeddings, dtype=np.float32)
            self.text_model_ = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
            folds = max(2, min(5, int(np.bincount(labels).min())))
            oof = cross_val_predict(
                self.text_model_, emb, labels, cv=folds, method="predict_proba"
            )[:, 1]
            self.text_model_.fit(emb, labels)
            self.embedding_dim_ = emb.shape[1]
            for row, value in zip(rows, oof, strict=True):
                row[TEXT_FEATURE] = float(value)
        self.vectorizer_ = DictVectorizer(sparse=False)
        X = self.vectorizer_.fit_transform(rows)
        self.classifier_ = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")
        self.classifier_.fit(X, labels, sample_weight=sample_weight)
        self.feature_names_ = list(self.vectorizer_.get_feature_names_out())
        self.coef_ = dict(zip(self.feature_names_, self.classifier_.coef_[0].tolist(), strict=True))
        return self

    def predict_proba_features(
        self, features: Sequence[dict[str, float]], embeddings=None
    ) -> np.ndarray:
        """Risk for ready-made feature dicts (used in evaluation)."""
        rows = self._with_text(features, embeddings)
        return self.classifier_.predict_proba(self.vectorizer_.transform(rows))[:, 1]

    def _with_text(self, features, embeddings):
        check_is_fitted(self, "classifier_")
        rows = [dict(f) for f in features]
        if self.use_embeddings and rows:
            if embeddings is None:
                raise ClassifierError(
                    "This risk model uses embeddings; pass embeddings= to score()."
                )
            emb = np.asarray(embeddings, dtype=np.float32)
            if emb.shape[1] != self.embedding_dim_:
                raise ClassifierError(
                    f"The risk model was trained on {self.embedding_dim_}-dimensional embeddings but got "
                    f"{emb.shape[1]}-dimensional ones; run `adscan train risk` with this embedding model."
                )
            for row, value in zip(rows, self.text_model_.predict_proba(emb)[:, 1], strict=True):
                row[TEXT_FEATURE] = float(value)
        return rows

    def score(
        self,
        texts: Sequence[str],
        extractions: Sequence[Any] | None = None,
        indicator_hits: Sequence[Sequence[Any]] | None = None,
        ad_types: Sequence[str] | None = None,
        embeddings: np.ndarray | None = None,
        city_norms: Sequence[float | None] | CityPriceNorms | None = None,
        cities: Sequence[str | None] | None = None,
    ) -> list[RiskScore]:
        """Score ads; every argument is one entry per text (see the module docstring).

        ``extractions`` and ``indicator_hits`` are computed here when None.
        ``city_norms`` is either one hourly norm per ad or a fitted
        :class:`CityPriceNorms` (with ``cities``, one city per ad).
        ``embeddings`` are required when the model uses them.
        """
        check_is_fitted(self, "classifier_")
        texts = list(texts)
        n = len(texts)
        norms = _norms_per_ad(city_norms, cities, n)
        if extractions is None or indicator_hits is None:
            computed = [compute_inputs(t, hourly_norm=norms[i]) for i, t in enumerate(texts)]
            extractions = extractions if extractions is not None else [c[0] for c in computed]
            indicator_hits = (
                indicator_hits if indicator_hits is not None else [c[1] for c in computed]
            )
        built = [
            build_risk_features(
                extractions[i],
                indicator_hits[i],
                ad_types[i] if ad_types is not None else None,
                norms[i],
                texts[i],
            )
            for i in range(n)
        ]
        rows = self._with_text([b[0] for b in built], embeddings)
        if not rows:
            return []
        X = self.vectorizer_.transform(rows)
        risks = self.classifier_.predict_proba(X)[:, 1]
        coef = self.classifier_.coef_[0]
        out = []
        for i in range(n):
            contrib = X[i] * coef
            out.append(RiskScore(float(risks[i]), self._explain(contrib, built[i][1])))
        return out

    def _explain(
        self, contrib: np.ndarray, evidence: dict[str, list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for j in np.argsort(-contrib):
            if contrib[j] <= 0 or len(items) >= self.max_explanations:
                break
            name = self.feature_names_[j]
            spans = evidence.get(name) or []
            if not spans:
                items.append(
                    {
                        "feature": name,
                        "weight": round(float(contrib[j]), 4),
                        "text": None,
                        "start": None,
                        "end": None,
                    }
                )
                continue
            total = sum(s["strength"] for s in spans) or 1.0
            for s in sorted(spans, key=lambda s: -s["strength"]):
                items.append(
                    {
                        "feature": s["feature"],
                        "weight": round(float(contrib[j]) * s["strength"] / total, 4),
                        "text": s["text"],
                        "start": s["start"],
                        "end": s["end"],
                    }
                )
        items.sort(key=lambda it: -it["weight"])
        return items[: self.max_explanations]


def _norms_per_ad(city_norms, cities, n) -> list[float | None]:
    if city_norms is None:
        return [None] * n
    if isinstance(city_norms, CityPriceNorms):
        cities = list(cities) if cities is not None else [None] * n
        return [city_norms.norm(c) for c in cities]
    norms = list(city_norms)
    if len(norms) != n:
        raise ClassifierError(
            f"Got {len(norms)} city norms for {n} texts; pass one per text (or None)."
        )
    return norms
