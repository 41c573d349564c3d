"""The ad-type model: escort, massage, job (recruitment) or other.

Word and character n-grams (TF-IDF) side by side with the sentence embedding,
one class-balanced logistic regression over both.

Optionally a cascade: a fast model on cheap (static) embeddings decides the
ads it is sure of, and the ads it is unsure of (top probability below
``escalate_below``) go to a careful twin on the full network's embeddings.
Out of the training collections, the fast model is unsure exactly where it
errs, so the cascade keeps the careful model's quality there at a fraction of
its cost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ClassifierError

__all__ = ["AdTypeModel", "clean_ad_text"]

# Site chrome that says nothing about the ad. Most job pages in the DIG corpus
# are "ad could not be found" pages listing other job ads: left in, the phrase
# itself would become the job signal.
_BOILERPLATE = re.compile(
    r"the requested ad could not be found\.?"
    r"|this (?:ad|posting) has been (?:deleted|removed|flagged)[^.\n]*\.?"
    r"|\bbackpage\.com\b|\bcraigslist\b|\bposting id: ?\d+"
    r"|do not contact (?:me|this poster) with unsolicited services or offers",
    re.I,
)


def clean_ad_text(text: str) -> str:
    """The ad text without site boilerplate, whitespace collapsed.

    Examples
    --------
    >>> clean_ad_text("Seattle - backpage.com  The requested ad could not be found.  Drivers wanted")
    'Seattle - Drivers wanted'
    """
    return " ".join(_BOILERPLATE.sub(" ", text or "").split())


def _clean_all(texts) -> list[str]:
    return [clean_ad_text(t if isinstance(t, str) else "") for t in texts]


class AdTypeModel(ClassifierMixin, BaseEstimator):
    """Tell what kind of ad a text is: ``escort``, ``massage``, ``job`` or ``other``.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    use_embeddings : bool
        Add the sentence embedding to the n-gram features.
    embedding_weight : float
        Scale of the embedding block relative to the TF-IDF blocks.
    n_features : int
        Hash buckets of each n-gram block (keeps the artefact small).
    embedder_params : dict, optional
        Parameters of the :class:`~classifier.embed.SentenceEmbedder` used when
        ``predict`` gets no precomputed embeddings.
    escalate_below : float
        Cascade threshold: texts whose top probability is below it are decided
        by a careful twin model (same settings, ``careful_embedder_params``).
        0 turns the cascade off.
    careful_embedder_params : dict, optional
        Embedder of the careful twin (default: the onnx network).

    Examples
    --------
    >>> texts = ["Hiring drivers, weekly pay, apply now", "Relaxing full body massage, spa",
    ...          "Sexy new girl in town, incall outcall", "Selling my old bike, good price"] * 3
    >>> labels = ["job", "massage", "escort", "other"] * 3
    >>> m = AdTypeModel(use_embeddings=False).fit(texts, labels)
    >>> m.predict(["We are hiring warehouse workers, apply today"])
    ['job']
    """

    def __init__(
        self,
        C: float = 10.0,
        use_embeddings: bool = True,
        embedding_weight: float = 1.0,
        n_features: int = 2**15,
        embedder_params: dict | None = None,
        escalate_below: float = 0.0,
        careful_embedder_params: dict | None = None,
    ):
        self.C = C
        self.use_embeddings = use_embeddings
        self.embedding_weight = embedding_weight
        self.n_features = n_features
        self.embedder_params = embedder_params
        self.escalate_below = escalate_below
        self.careful_embedder_params = careful_embedder_params

    def _vectorizer(self) -> FeatureUnion:
        # Hashed n-grams: the artefact keeps no vocabulary, so no word, name
        # or number from the (real, personal) training ads ends up in the repo.
        def block(**kw):
            return make_pipeline(
                HashingVectorizer(
                    n_features=self.n_features,
                    alternate_sign=False,
                    norm=None,
                    dtype=np.float32,
                    **kw,
                ),
                TfidfTransformer(sublinear_tf=True),
            )

        return FeatureUnion(
            [
                ("words", block(ngram_range=(1, 2))),
                ("chars", block(analyzer="char_wb", ngram_range=(2, 5))),
            ]
        )

    def fit(
        self,
        X: Sequence[str] | np.ndarray,
        y: Sequence[str] | np.ndarray,
        embeddings: np.ndarray | None = None,
        careful_embeddings: np.ndarray | None = None,
    ):
        """Learn from ad texts ``X`` and their types ``y``; returns self.

        ``careful_embeddings`` are the careful twin's (cascade only); computed
        when not given.
        """
        texts = list(X)
        labels = np.asarray(y, dtype=object)
        self.vectorizer_ = self._vectorizer()
        features = self.vectorizer_.fit_transform(_clean_all(texts))
        if self.use_embeddings:
            emb = self._embeddings(texts, embeddings, fitting=True)
            self.embedding_dim_ = emb.shape[1]
            features = sparse.hstack([features, sparse.csr_matrix(emb * self.embedding_weight)])
        self.classifier_ = LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced").fit(
            features.tocsr(), labels
        )
        self.classes_ = self.classifier_.classes_
        if self.escalate_below > 0:
            if not self.use_embeddings:
                raise ClassifierError(
                    "A cascade (escalate_below > 0) needs use_embeddings=True; "
                    "without embeddings the careful twin would be the same model."
                )
            self.careful_ = AdTypeModel(
                C=self.C,
                embedding_weight=self.embedding_weight,
                n_features=self.n_features,
                embedder_params=self.careful_embedder_params or {"backend": "onnx"},
            ).fit(texts, labels, embeddings=careful_embeddings)
        else:
            self.careful_ = None
        self.n_predicted_ = self.n_escalated_ = 0
        return self

    def _embeddings(self, texts, embeddings, fitting=False) -> np.ndarray:
        if embeddings is None:
            if not hasattr(self, "embedder_") or fitting:
                from ..embed import SentenceEmbedder

                self.embedder_ = SentenceEmbedder(**(self.embedder_params or {})).fit()
            embeddings = self.embedder_.transform(texts)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape[0] != len(texts):
            raise ClassifierError(
                f"Got {embeddings.shape[0]} embeddings for {len(texts)} texts; pass one embedding per text."
            )
        dim = getattr(self, "embedding_dim_", None)
        if dim is not None and embeddings.shape[1] != dim:
            raise ClassifierError(
                f"The ad-type model was trained on {dim}-dimensional embeddings but got "
                f"{embeddings.shape[1]}-dimensional ones (another ADSCAN_EMBEDDING_MODEL?); "
                "run `adscan train ad-type` with this embedding model."
            )
        return embeddings

    def _features(self, texts, embeddings):
        check_is_fitted(self, "classifier_")
        texts = list(texts)
        features = self.vectorizer_.transform(_clean_all(texts))
        if self.use_embeddings:
            emb = self._embeddings(texts, embeddings)
            features = sparse.hstack([features, sparse.csr_matrix(emb * self.embedding_weight)])
        return features.tocsr()

    def predict_proba(
        self,
        X: Sequence[str] | np.ndarray,
        embeddings: np.ndarray | None = None,
        careful_embeddings: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probability of each type in ``classes_`` order, one row per text.

        In a cascade, rows the fast model is unsure of come from the careful
        twin, which embeds only those texts (or reads ``careful_embeddings``).
        """
        if len(X) == 0:
            check_is_fitted(self, "classifier_")
            return np.zeros((0, len(self.classes_)))
        proba = self.classifier_.predict_proba(self._features(X, embeddings))
        careful = getattr(self, "careful_", None)
        if careful is not None:
            unsure = np.flatnonzero(proba.max(axis=1) < self.escalate_below)
            if len(unsure):
                texts = list(X)
                proba[unsure] = careful.predict_proba(
                    [texts[i] for i in unsure],
                    None if careful_embeddings is None else np.asarray(careful_embeddings)[unsure],
                )
            self.n_escalated_ = getattr(self, "n_escalated_", 0) + len(unsure)
        self.n_predicted_ = getattr(self, "n_predicted_", 0) + len(proba)
        return proba

    def predict(
        self,
        X: Sequence[str] | np.ndarray,
        embeddings: np.ndarray | None = None,
        careful_embeddings: np.ndarray | None = None,
    ) -> list[str]:
        """The most likely type of each text."""
        proba = self.predict_proba(X, embeddings, careful_embeddings)
        return [str(self.classes_[i]) for i in proba.argmax(axis=1)]

    def use_cache(self, cache) -> AdTypeModel:
        """Embed through ``cache`` (an :class:`~classifier.embed.EmbeddingCache`)
        when this model or its careful twin embeds texts itself; returns self."""
        from ..embed import SentenceEmbedder

        for model in (self, getattr(self, "careful_", None)):
            if model is not None and model.use_embeddings:
                model.embedder_ = SentenceEmbedder(
                    **(model.embedder_params or {}), cache=cache
                ).fit()
        return self

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("embedder_", None)  # rebuilt on demand; never pickle a network or a cache
        return state

    def __setstate__(self, state):
        # Models saved before the cascade existed are single models.
        state.setdefault("escalate_below", 0.0)
        state.setdefault("careful_embedder_params", None)
        state.setdefault("careful_", None)
        self.__dict__.update(state)
