"""adscan's analysis library: extraction of identifiers and attributes
(:mod:`classifier.extract`), the trafficking-indicator taxonomy
(:mod:`classifier.indicators`), the sentence embedder (:mod:`classifier.embed`),
the ad-type and risk models (:mod:`classifier.models`) and network linking
(:mod:`classifier.link`).

A pure library: no storage, no web. Components follow scikit-learn's estimator
contract so they compose in a ``Pipeline``.
"""

__all__ = ["embed", "extract", "indicators", "link", "models"]
