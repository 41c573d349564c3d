"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.stores", "tests.fixtures.review", "tests.fixtures.browser"]

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _clean_adscan_env(monkeypatch):
    """A developer's shell must not change results: drop every ADSCAN_* variable."""
    for name in list(os.environ):
        if name.startswith("ADSCAN_") and name != "ADSCAN_TEST_ES_URL":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real third-party data in ../shared/data; skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            "../shared/data is absent (a fresh clone has no shared data); real-data tests skipped"
        )
    return SHARED_DATA
