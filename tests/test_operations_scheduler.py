"""The real ``adscan scheduler`` in a subprocess, on its own SQLite file: changes
reach it without a restart, a restart runs a missed job once, and a failing
source does not stop it."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "operations"

pytestmark = pytest.mark.slow


class Deployment:
    """An adscan home with its own database, driven through the ``adscan`` CLI."""

    def __init__(self, home: Path):
        self.home = home
        self.db = home / "adscan.sqlite3"
        py = shlex.quote(sys.executable)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ADSCAN_")},
            "ADSCAN_HOME": str(home),
            "ADSCAN_SCHEDULER_CRAWL_COMMAND": f"{py} {shlex.quote(str(DATA / 'fake_crawl.py'))} auto",
            "ADSCAN_SCHEDULER_PROCESS_COMMAND": f"{py} {shlex.quote(str(DATA / 'fake_process.py'))}",
            "ADSCAN_SCHEDULER_RETRY_BASE_SECONDS": "3600",
            "ADSCAN_SCHEDULER_KILL_GRACE_SECONDS": "1",
            "FAKE_CRAWL_LOG": str(home / "calls.jsonl"),
        }
        self.proc: subprocess.Popen | None = None

    def adscan(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "review_ui.manage", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(
                f"adscan {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def add(self, name: str, *options: str) -> None:
        text = (DATA / "fake.yaml").read_text().replace("name: fake", f"name: {name}")
        path = self.home / f"{name}.yaml"
        path.write_text(text)
        self.adscan("sources", "add", "--profile-yaml", str(path), *options)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "review_ui.manage", "scheduler", "--sync-seconds", "0.5"],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        pid = self.proc.pid
        # Ready once it has beaten (a SIGTERM during Django's start-up would just kill it).
        self.wait_for(
            lambda: self.query(
                "select 1 from operations_schedulerheartbeat where pid = ? and stopped = 0", pid
            ),
            timeout=120,
        )

    def stop(self) -> str:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            raise AssertionError(f"the scheduler did not stop on SIGTERM:\n{out}") from None
        code, self.proc = self.proc.returncode, None
        assert code == 0, out
        return out

    def query(self, sql: str, *params) -> list[tuple]:
        conn = sqlite3.connect(self.db, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def runs(self) -> list[dict]:
        """The runs, newest first (read from the database: polling the CLI is slow)."""
        rows = self.query(
            "select r.run_id, s.name, r.state, r.trigger, r.attempt, r.new, r.error, r.processing "
            "from operations_crawlrun r join operations_source s on s.id = r.source_id "
            "order by r.queued_at desc, r.id desc"
        )
        keys = ("run_id", "source", "state", "trigger", "attempt", "new", "error", "processing")
        runs = [dict(zip(keys, row, strict=True)) for row in rows]
        for run in runs:
            run["processing"] = json.loads(run["processing"] or "{}")
        return runs

    def wait_for(self, what, timeout: float = 90.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = what()
            if value:
                return value
            assert self.proc is None or self.proc.poll() is None, "the scheduler died"
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what.__doc__ or what}")

    def job(self, name: str) -> tuple | None:
        rows = self.query(
            "select next_run_time from operations_scheduledjob where id = ?", f"source:{name}"
        )
        return rows[0] if rows else None


@pytest.fixture
def deployment(tmp_path):
    d = Deployment(tmp_path)
    d.adscan("migrate", "-v0")
    yield d
    if d.proc is not None:
        d.proc.kill()
        d.proc.communicate()


def test_changes_reach_a_running_scheduler_without_restart(deployment):
    d = deployment
    d.add("good-a", "--cron", "0 3 * * *")
    d.start()
    first = d.wait_for(lambda: d.job("good-a"))
    beats = d.wait_for(lambda: d.query("select last_beat from operations_schedulerheartbeat"))
    # A schedule change is taken up: the job's next run moves.
    d.adscan("sources", "set", "good-a", "--every-minutes", "720")
    d.wait_for(lambda: d.job("good-a") and d.job("good-a") != first)
    # Disabling removes the job, enabling brings it back.
    d.adscan("sources", "disable", "good-a")
    d.wait_for(lambda: d.job("good-a") is None)
    d.adscan("sources", "enable", "good-a")
    d.wait_for(lambda: d.job("good-a"))
    # "Run now" is queued, picked up and run to the end, with processing after it.
    d.adscan("sources", "run", "good-a", "--queue")
    runs = d.wait_for(
        lambda: [r for r in d.runs() if r["state"] == "succeeded" and "summary" in r["processing"]]
    )
    assert runs[0]["trigger"] == "manual" and runs[0]["new"] == 7
    assert runs[0]["processing"]["summary"]["processed"] == 10
    assert d.query("select last_beat from operations_schedulerheartbeat") > beats
    log = d.stop()
    assert "scheduler stopped" in log
    assert d.query("select stopped from operations_schedulerheartbeat") == [(1,)]


BACKDATE = """
from datetime import timedelta
from django.utils import timezone
from review_ui.operations.jobstore import DjangoJobStore
store = DjangoJobStore()
job = store.lookup_job("source:good-b")
job.next_run_time = timezone.now() - timedelta(hours=3, minutes=1)
store.update_job(job)
"""


def test_a_restart_runs_missed_fire_times_once_and_keeps_the_schedule(deployment):
    d = deployment
    d.add("good-b", "--every-minutes", "60")
    d.start()
    d.wait_for(lambda: d.job("good-b"))
    d.stop()
    (kept,) = d.job("good-b")
    # While the scheduler is down, four hourly fire times pass (3 h 1 min ago, 2 h, 1 h, 1 min).
    d.adscan("shell", "-c", BACKDATE)
    assert d.job("good-b")[0] < time.time() - 3 * 3600
    d.start()
    d.wait_for(lambda: [r for r in d.runs() if r["state"] == "succeeded"])
    time.sleep(2)  # several more syncs: nothing else may start
    d.stop()
    runs = json.loads(d.adscan("runs", "list", "--json").stdout)
    assert [(r["trigger"], r["state"]) for r in runs] == [("schedule", "succeeded")]
    (next_run,) = d.job("good-b")
    assert time.time() + 50 * 60 < next_run < time.time() + 60 * 60  # the next hourly slot
    # A second restart with nothing missed starts nothing and keeps the next run time.
    d.start()
    time.sleep(2)
    d.stop()
    assert len(d.runs()) == 1
    assert d.job("good-b") == (next_run,)
    assert kept != next_run


def test_the_scheduler_keeps_running_through_failing_sources(deployment):
    d = deployment
    d.add("crash-c", "--cron", "0 3 * * *", "--max-retries", "1")
    d.add("hang-c", "--cron", "0 3 * * *", "--time-limit", "2", "--max-retries", "0")
    d.add("good-c", "--cron", "0 3 * * *")
    d.start()
    for name in ("crash-c", "hang-c", "good-c"):
        d.adscan("sources", "run", name, "--queue")

    def finished():
        runs = [r for r in d.runs() if r["state"] not in ("queued", "running")]
        return runs if len(runs) == 3 else None

    runs = {r["source"]: r for r in d.wait_for(finished)}
    assert runs["crash-c"]["state"] == "failed" and "exited with code 1" in runs["crash-c"]["error"]
    assert runs["hang-c"]["state"] == "timed_out"
    assert runs["good-c"]["state"] == "succeeded"
    # The crash is retried later (backoff of an hour here), the hang is not (no retries left).
    queued = [r for r in d.runs() if r["state"] == "queued"]
    assert [(r["source"], r["trigger"], r["attempt"]) for r in queued] == [("crash-c", "retry", 2)]
    shown = d.adscan("runs", "show", runs["crash-c"]["run_id"], "--log").stdout
    assert "RuntimeError: boom" in shown
    # Still alive: another run now goes through.
    d.adscan("sources", "run", "good-c", "--queue")
    d.wait_for(
        lambda: (
            len([r for r in d.runs() if r["source"] == "good-c" and r["state"] == "succeeded"]) == 2
        )
    )
    d.stop()
