"""The scoring models: ad type (escort / massage / job / other) and the explainable risk score.

``load_ad_type_model()`` and ``load_risk_model()`` return the shipped defaults
from ``classifier/artefacts/`` (or the file passed as ``path``).

What the processing stage passes, one entry per ad, all optional but the texts::

    emb = embedder.transform(texts)                    # SentenceEmbedder, default backend
    types = ad_type.predict(texts, embeddings=emb)
    scores = risk.score(texts, extractions=[extract_all(t) ...], indicator_hits=[match(t) ...],
                        ad_types=types, embeddings=emb,
                        city_norms=norms, cities=[ad["city"] ...])   # norms: fitted CityPriceNorms

Without ``city_norms`` the price-under-the-local-norm feature stays off.
"""

from __future__ import annotations

from pathlib import Path

from .ad_type import AdTypeModel, clean_ad_text
from .artefact import ARTEFACT_DIR, ModelArtefactError, load_artefact, save_artefact
from .risk import CityPriceNorms, RiskModel, RiskScore, build_risk_features

__all__ = [
    "ARTEFACT_DIR",
    "AdTypeModel",
    "CityPriceNorms",
    "ModelArtefactError",
    "RiskModel",
    "RiskScore",
    "build_risk_features",
    "clean_ad_text",
    "load_ad_type_model",
    "load_risk_model",
    "save_artefact",
]


def load_ad_type_model(path: str | Path | None = None) -> AdTypeModel:
    """The fitted ad-type model stored at ``path`` (default: the shipped artefact).

    Raises
    ------
    ModelArtefactError
        When the file is missing or was trained with other library versions;
        the message says to run ``adscan train ad-type``.
    """
    return load_artefact(Path(path) if path else ARTEFACT_DIR / "ad_type.joblib", "ad_type")


def load_risk_model(path: str | Path | None = None) -> RiskModel:
    """The fitted risk model stored at ``path`` (default: the shipped artefact).

    Raises
    ------
    ModelArtefactError
        When the file is missing or was trained with other library versions;
        the message says to run ``adscan train risk``.
    """
    return load_artefact(Path(path) if path else ARTEFACT_DIR / "risk.joblib", "risk")
