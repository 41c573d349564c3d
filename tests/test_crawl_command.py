"""The ``adscan crawl`` command: runs a crawl subprocess, prints the summary, fails in one sentence."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

import index
from tests.test_crawl_support import TinyMarket, TinySite, write_profile


@pytest.fixture
def paths(settings, tmp_path):
    settings.ADSCAN_INDEX_URL = f"sqlite:///{tmp_path / 'ads.db'}"
    settings.ADSCAN_ARCHIVE_DIR = tmp_path / "archive"
    settings.ADSCAN_IMAGE_DIR = tmp_path / "images"
    return settings


def test_crawl_profile_file_prints_summary(paths, tmp_path):
    site = TinySite(TinyMarket(n_ads=8)).start()
    try:
        profile = write_profile(tmp_path, "http://127.0.0.1:1")
        out = StringIO()
        call_command(
            "crawl", "--profile", str(profile), "--base-url", site.base_url, "--json", stdout=out
        )
    finally:
        site.stop()
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["source"] == "tiny" and summary["new"] == 8 and summary["finished_ok"]
    store = index.open_store(paths.ADSCAN_INDEX_URL)
    assert store.count(source=["tiny"]) == 8
    store.close()


def test_bad_profile_is_one_sentence(paths, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nbase_url: nowhere\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad.yaml: key 'base_url' has value 'nowhere'"):
        call_command("crawl", "--profile", str(bad))
    with pytest.raises(CommandError, match=r"No profile for source 'no-such-site'"):
        call_command("crawl", "no-such-site")
    with pytest.raises(CommandError, match=r"exactly one"):
        call_command("crawl")
