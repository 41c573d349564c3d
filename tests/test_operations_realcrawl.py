"""An operator adds a demo source in the UI, runs it, and sees the run's figures:
the real crawler and the real processing stage, as subprocesses, against the
synthetic demo market served on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.urls import reverse

from crawler.demo import DemoMarket, DemoServer
from index import open_store
from review_ui.accounts.models import AuditEntry
from review_ui.operations import launcher
from review_ui.operations.choices import RunState
from review_ui.operations.models import CrawlRun, Source
from tests.fixtures.review import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_site():
    market = DemoMarket(seed=7, n_ads=60)
    with DemoServer(market) as server:
        yield market, server


def test_operator_adds_a_source_runs_it_and_sees_the_figures(
    client, role_users, settings, tmp_path, monkeypatch, demo_site
):
    market, server = demo_site
    store_url = f"sqlite:///{tmp_path / 'ads.db'}"
    # The web process and the subprocesses it starts read the same settings.
    for name, value in {
        "ADSCAN_HOME": tmp_path,
        "ADSCAN_INDEX_URL": store_url,
        "ADSCAN_ARCHIVE_DIR": tmp_path / "archive",
        "ADSCAN_IMAGE_DIR": tmp_path / "images",
    }.items():
        monkeypatch.setenv(name, str(value))
        setattr(settings, name.removeprefix("ADSCAN_") if name == "ADSCAN_HOME" else name, value)

    # The processing subprocess has its own relational database (the test's is
    # in memory); it needs the schema like any deployment does.
    subprocess.run(
        [sys.executable, "-m", "review_ui.manage", "migrate", "--verbosity", "0"],
        check=True,
        timeout=300,
    )

    client.login(username="operator1", password=PASSWORD)
    response = client.post(
        reverse("operations:source_add"),
        {
            "profile_path": str(DemoMarket.profile_path("demo-velvet")),
            "base_url": server.base_urls["demo-velvet"],
            "schedule_kind": "cron",
            "cron": "0 3 * * *",
            "timezone": "Europe/Amsterdam",
            "enabled": "on",
            "time_limit_seconds": 300,
            "max_retries": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Source.objects.get(name="demo-velvet")

    page = client.get(reverse("operations:sources"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "demo-velvet" in page and "every day at 03:00" in page

    client.post(reverse("operations:source_run", args=[source.name]))
    queued = CrawlRun.objects.get(source=source, state=RunState.QUEUED)
    run = launcher.claim(source, queued=queued)
    assert run is not None
    run = launcher.execute(run, retry=False, process=True)

    truth = [a for a in market.ground_truth()["ads"] if a["source"] == "demo-velvet"]
    expected = [a for a in truth if not a.get("bad")]
    assert run.state == RunState.SUCCEEDED, run.error + run.log_tail
    assert run.new == len(expected)
    assert run.pages > run.new
    assert sum(run.dropped.values()) == len(truth) - len(expected)
    assert run.processing["state"] == RunState.SUCCEEDED, run.processing.get("log_tail")
    assert run.processing["summary"]["processed"] == run.new

    with open_store(store_url) as store:
        stats = store.stats()
    assert stats["ads"] == run.new and stats["pending"] == 0

    detail = client.get(run.get_absolute_url()).content.decode()
    assert run.run_id in detail and str(run.new) in detail
    assert AuditEntry.objects.filter(action="source.create", target_id="demo-velvet").exists()
    assert AuditEntry.objects.filter(action="source.run", target_id="demo-velvet").exists()
