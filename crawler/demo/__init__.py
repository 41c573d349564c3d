"""The synthetic demo ad market: generator, local HTTP server for three demo sites, ground truth.

Entirely synthetic and deterministic from a seed: ``DemoMarket(seed=7, n_ads=600)``
plans the ads (planted phone/photo/template networks, agencies, hostile and broken
pages, two epochs); ``DemoServer(market)`` serves them on 127.0.0.1;
``market.ground_truth()`` says what was planted. ``python -m crawler.demo`` is the CLI.
"""

from .market import SITE_NAMES, DemoAd, DemoMarket, DemoNetwork
from .server import DemoServer
from .text import jaccard, shingles

__all__ = ["SITE_NAMES", "DemoAd", "DemoMarket", "DemoNetwork", "DemoServer", "jaccard", "shingles"]
