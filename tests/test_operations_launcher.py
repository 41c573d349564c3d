"""Crawl subprocesses that succeed, crash or hang, each recorded as a CrawlRun."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from review_ui.operations import launcher
from review_ui.operations.choices import RunState, RunTrigger
from review_ui.operations.models import CrawlRun, Source

DATA = Path(__file__).parent / "data" / "operations"
FAKE_CRAWL = DATA / "fake_crawl.py"
FAKE_PROCESS = DATA / "fake_process.py"

pytestmark = pytest.mark.django_db


@pytest.fixture
def crawl_env(settings, tmp_path, monkeypatch):
    """Fake crawler and processing commands; calls are logged to ``calls.jsonl``."""
    settings.HOME = tmp_path
    settings.ADSCAN_SCHEDULER_CRAWL_COMMAND = (
        f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_CRAWL))} auto"
    )
    settings.ADSCAN_SCHEDULER_PROCESS_COMMAND = (
        f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_PROCESS))}"
    )
    settings.ADSCAN_SCHEDULER_RETRY_BASE_SECONDS = 60
    settings.ADSCAN_SCHEDULER_KILL_GRACE_SECONDS = 1
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_CRAWL_LOG", str(calls))
    return calls


def make_source(name: str, **kw) -> Source:
    text = (DATA / "fake.yaml").read_text().replace("name: fake", f"name: {name}")
    return Source.objects.create(name=name, profile_yaml=text, **kw)


def test_a_crawl_that_succeeds_is_recorded_with_its_figures_and_processing(crawl_env):
    source = make_source("good-site", download_delay=3.5, base_url="http://127.0.0.1:8401/")
    run = launcher.claim(source, RunTrigger.SCHEDULE)
    run = launcher.execute(run)
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    assert (run.pages, run.new, run.changed, run.unchanged, run.gone, run.errors) == (
        12,
        7,
        3,
        30,
        2,
        1,
    )
    assert run.dropped == {"no_text": 4, "duplicate": 1}
    assert run.summary["run_id"] == run.run_id
    assert run.exit_code == 0 and run.duration_seconds > 0 and run.finished >= run.started
    assert "Spider opened" in run.log_tail
    assert run.processing["state"] == "succeeded"
    assert run.processing["summary"]["processed"] == 10
    # The runner got the documented arguments and the politeness override in its profile.
    call = json.loads(crawl_env.read_text().splitlines()[-1])
    args = call["args"]
    assert args[args.index("--run-id") + 1] == run.run_id
    assert args[args.index("--base-url") + 1] == "http://127.0.0.1:8401/"
    profile = yaml.safe_load(Path(args[args.index("--profile") + 1]).read_text())
    assert profile["politeness"] == {"download_delay": 3.5, "concurrency": 2}
    assert not CrawlRun.objects.filter(state=RunState.QUEUED).exists()  # no retry after success


def test_a_crawl_that_crashes_is_failed_with_its_log_tail_and_retried_with_backoff(crawl_env):
    source = make_source("crash-site", max_retries=2)
    before = timezone.now()
    run = launcher.execute(launcher.claim(source))
    assert run.state == RunState.FAILED
    assert run.exit_code == 1
    assert "exited with code 1" in run.error
    assert "RuntimeError: boom" in run.log_tail
    assert run.processing == {}  # nothing stored, nothing to process
    retry = CrawlRun.objects.get(state=RunState.QUEUED)
    assert (retry.trigger, retry.attempt) == (RunTrigger.RETRY, 2)
    assert 55 <= (retry.not_before - before).total_seconds() <= 65
    # The second failure waits twice as long; the third attempt is the last.
    retry2 = launcher.execute(launcher.claim(source, queued=retry))
    assert retry2.state == RunState.FAILED
    retry3 = CrawlRun.objects.get(state=RunState.QUEUED)
    assert retry3.attempt == 3
    assert 115 <= (retry3.not_before - retry2.finished).total_seconds() <= 125
    launcher.execute(launcher.claim(source, queued=retry3))
    assert not CrawlRun.objects.filter(state=RunState.QUEUED).exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split()[2] != "Z"


def test_a_crawl_that_hangs_is_killed_at_its_limit_with_its_children(crawl_env):
    source = make_source("hang-site", time_limit_seconds=2, max_retries=0)
    started = time.monotonic()
    run = launcher.execute(launcher.claim(source))
    assert time.monotonic() - started < 15
    assert run.state == RunState.TIMED_OUT
    assert run.error == "killed at its time limit of 2 s"
    assert 2 <= run.duration_seconds < 15
    assert "crawling very slowly" in run.log_tail
    crawl_pid = json.loads(crawl_env.read_text().splitlines()[-1])["pid"]
    child_pid = int(Path(str(crawl_env) + ".child").read_text().split()[-1])
    deadline = time.monotonic() + 5
    while (_alive(crawl_pid) or _alive(child_pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(crawl_pid) and not _alive(child_pid)
    assert not CrawlRun.objects.filter(state=RunState.QUEUED).exists()  # max_retries=0


def test_a_crawl_that_reports_it_did_not_finish_is_failed_but_its_ads_are_processed(crawl_env):
    source = make_source("unfinished-site", max_retries=0)
    run = launcher.execute(launcher.claim(source))
    assert run.state == RunState.FAILED
    assert "did not finish" in run.error
    assert run.new == 7
    assert run.processing["state"] == "succeeded"


def test_a_crawl_command_that_cannot_start_is_failed(crawl_env, settings):
    settings.ADSCAN_SCHEDULER_CRAWL_COMMAND = "/nonexistent/crawler-binary"
    run = launcher.execute(launcher.claim(make_source("good-x", max_retries=0)))
    assert run.state == RunState.FAILED
    assert run.error.startswith("the crawl could not start")


def test_the_database_refuses_a_second_running_crawl_of_a_source(crawl_env):
    source = make_source("busy-site")
    first = launcher.claim(source, RunTrigger.SCHEDULE)
    assert first is not None
    assert launcher.claim(source, RunTrigger.SCHEDULE) is None
    skipped = CrawlRun.objects.get(state=RunState.SKIPPED)
    assert "still running" in skipped.error
    queued = launcher.queue_run(source, requested_by="alice")
    assert launcher.claim(source, queued=queued) is None
    queued.refresh_from_db()
    assert queued.state == RunState.QUEUED  # waits for the next sync
    # Another source is not blocked.
    assert launcher.claim(make_source("other-site")) is not None


def test_runs_left_running_by_a_dead_scheduler_are_recovered(crawl_env):
    source = make_source("stale-site", time_limit_seconds=60)
    run = launcher.claim(source)
    # A process that no longer exists on this host.
    dead = launcher.subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    CrawlRun.objects.filter(pk=run.pk).update(pid=dead.pid)
    assert launcher.recover_stale_runs() == 1
    run.refresh_from_db()
    assert run.state == RunState.FAILED and run.error.startswith("abandoned")
    # A live one inside its time limit is left alone.
    live = launcher.claim(source)
    CrawlRun.objects.filter(pk=live.pk).update(pid=os.getpid())
    assert launcher.recover_stale_runs() == 0
    # ... until it is far past its limit.
    later = timezone.now() + timezone.timedelta(seconds=60 + launcher.STALE_AFTER_SECONDS + 5)
    assert launcher.recover_stale_runs(now=later) == 1
