"""Running one crawl of one source as a subprocess and recording it as a
:class:`CrawlRun`: the time limit, the log tail, the runner's figures, the
retry with backoff and the processing stage that follows."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from crawler import runner
from review_ui.operations.choices import RETRY_STATES, RunState
from review_ui.operations.models import CrawlRun, Source

log = logging.getLogger(__name__)

#: Crawl and processing subprocesses this process started and that still run.
_ACTIVE: set[subprocess.Popen] = set()

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
LOG_TAIL_LINES = 60
LOG_TAIL_CHARS = 8000
#: A running row older than its time limit plus this is left over from a dead scheduler.
STALE_AFTER_SECONDS = 300


def new_run_id(source: Source) -> str:
    return f"{source.name}-{timezone.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _command(setting: str, default: list[str]) -> list[str]:
    value = getattr(settings, setting, "")
    return shlex.split(value) if value else default


def crawl_command(source: Source, run: CrawlRun, profile_file: Path | None) -> list[str]:
    """The command line of the crawl: the runner's documented CLI (its program
    replaced by ``ADSCAN_SCHEDULER_CRAWL_COMMAND`` when that is set)."""
    cmd = runner.crawl_command(
        profile=profile_file,
        source=None if profile_file else source.name,
        base_url=source.base_url or None,
        store_url=str(settings.ADSCAN_INDEX_URL),
        archive_dir=settings.ADSCAN_ARCHIVE_DIR,
        image_dir=settings.ADSCAN_IMAGE_DIR,
        run_id=run.run_id,
    )
    default_program = [sys.executable, "-m", "crawler.runner"]
    return _command("ADSCAN_SCHEDULER_CRAWL_COMMAND", default_program) + cmd[len(default_program) :]


def crawl_environment(source: Source) -> dict[str, str]:
    return dict(os.environ, PYTHONUNBUFFERED="1")


def resolve_profile_path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def profile_file(source: Source, run_dir: Path) -> Path | None:
    """The profile to hand to the runner: the stored YAML or the file, with the
    source's politeness overrides written into it; None means ``--source NAME``."""
    overrides = {
        key: value
        for key, value in (
            ("download_delay", source.download_delay),
            ("concurrency", source.concurrency),
        )
        if value is not None
    }
    if source.profile_yaml.strip():
        text = source.profile_yaml
    elif source.profile_path:
        path = resolve_profile_path(source.profile_path)
        if not overrides:
            return path
        text = path.read_text(encoding="utf-8")
    else:
        return None
    if overrides:
        data = yaml.safe_load(text)
        if isinstance(data, dict):
            politeness = data.get("politeness")
            data["politeness"] = {
                **(politeness if isinstance(politeness, dict) else {}),
                **overrides,
            }
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    out = run_dir / "profile.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def tail(path: Path, lines: int = LOG_TAIL_LINES, chars: int = LOG_TAIL_CHARS) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - chars * 2))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])[-chars:]


def summary_line(path: Path) -> dict[str, Any] | None:
    """The runner's JSON summary: the last line of its output that is a JSON object."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 256 * 1024))
            lines = fh.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def run_subprocess(
    cmd: list[str],
    log_path: Path,
    time_limit: float,
    env: dict[str, str] | None = None,
    on_start=None,
) -> tuple[int | None, bool, float]:
    """Run ``cmd`` with its output in ``log_path``; kill its process group at
    ``time_limit``. Returns (exit code, timed out, seconds)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=PROJECT_ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        _ACTIVE.add(proc)
        try:
            if on_start:
                on_start(proc.pid)
            code = proc.wait(timeout=time_limit)
            return code, False, time.monotonic() - started
        except subprocess.TimeoutExpired:
            _kill(proc)
            return proc.returncode, True, time.monotonic() - started
        finally:
            _ACTIVE.discard(proc)


def stop_all() -> int:
    """Stop every subprocess this process runs (the scheduler is shutting down)."""
    procs = list(_ACTIVE)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return len(procs)


def _kill(proc: subprocess.Popen) -> None:
    """SIGTERM to the whole process group, SIGKILL after the grace period."""
    for sig, wait in (
        (signal.SIGTERM, settings.ADSCAN_SCHEDULER_KILL_GRACE_SECONDS),
        (signal.SIGKILL, 30),
    ):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _int(value: Any) -> int:
    if isinstance(value, list | dict):
        return len(value)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def apply_summary(run: CrawlRun, summary: dict[str, Any]) -> None:
    run.summary = summary
    for name in ("pages", "ads_seen", "new", "changed", "unchanged", "gone", "errors"):
        setattr(run, name, _int(summary.get(name)))
    dropped = summary.get("dropped") or {}
    run.dropped = {str(k): _int(v) for k, v in dropped.items()} if isinstance(dropped, dict) else {}


# -- starting ---------------------------------------------------------------


def claim(
    source: Source,
    trigger: str = "schedule",
    attempt: int = 1,
    requested_by: str = "",
    queued: CrawlRun | None = None,
) -> CrawlRun | None:
    """Mark a run of ``source`` as running, or return None when one already runs.

    The partial unique index ``one_running_crawl_per_source`` makes this safe
    across threads and processes. A scheduled start that finds the source busy
    is recorded as ``skipped``; a queued one stays queued for the next sync.
    """
    now = timezone.now()
    fields = {"state": RunState.RUNNING, "started": now, "host": socket.gethostname()}
    try:
        with transaction.atomic():
            if queued is not None:
                if not CrawlRun.objects.filter(pk=queued.pk, state=RunState.QUEUED).update(
                    **fields
                ):
                    return None  # another scheduler took it
                queued.refresh_from_db()
                return queued
            return CrawlRun.objects.create(
                source=source, run_id=new_run_id(source), trigger=trigger, attempt=attempt,
                requested_by=requested_by, **fields,
            )  # fmt: skip
    except IntegrityError:
        if queued is None:
            CrawlRun.objects.create(
                source=source, run_id=new_run_id(source), trigger=trigger, attempt=attempt,
                requested_by=requested_by, state=RunState.SKIPPED, started=now, finished=now,
                error="skipped: the previous crawl of this source is still running",
            )  # fmt: skip
        return None


def queue_run(
    source: Source,
    requested_by: str = "",
    trigger: str = "manual",
    attempt: int = 1,
    delay_seconds: float = 0,
) -> CrawlRun:
    """Ask the scheduler to run ``source`` at its next sync (or after ``delay_seconds``)."""
    not_before = timezone.now() + timedelta(seconds=delay_seconds) if delay_seconds else None
    return CrawlRun.objects.create(
        source=source, run_id=new_run_id(source), trigger=trigger, attempt=attempt,
        requested_by=requested_by, state=RunState.QUEUED, not_before=not_before,
    )  # fmt: skip


# -- running ----------------------------------------------------------------


def execute(run: CrawlRun, retry: bool = True, process: bool | None = None) -> CrawlRun:
    """Run the crawl of a claimed (running) ``run`` to its end and record it."""
    source = run.source
    run_dir = Path(settings.HOME) / "runs" / run.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "crawl.log"
    run.log_path = str(log_path)
    run.save(update_fields=["log_path"])
    try:
        cmd = crawl_command(source, run, profile_file(source, run_dir))

        def remember_pid(pid: int) -> None:
            CrawlRun.objects.filter(pk=run.pk).update(pid=pid)

        code, timed_out, _ = run_subprocess(
            cmd, log_path, source.time_limit_seconds, crawl_environment(source), remember_pid
        )
    except (OSError, yaml.YAMLError) as exc:
        code, timed_out = None, False
        run.error = f"the crawl could not start: {exc}"
    summary = summary_line(log_path)
    if summary:
        apply_summary(run, summary)
    if timed_out:
        run.state = RunState.TIMED_OUT
        run.error = f"killed at its time limit of {source.time_limit_seconds} s"
    elif run.error:
        run.state = RunState.FAILED
    elif code != 0:
        run.state = RunState.FAILED
        run.error = (
            f"the crawl was killed by signal {-code}" if code is not None and code < 0
            else f"the crawl exited with code {code}"
        )  # fmt: skip
    elif summary is None:
        run.state = RunState.FAILED
        run.error = "the crawl ended without printing its JSON summary"
    elif summary.get("finished_ok") is False:
        run.state = RunState.FAILED
        run.error = "the crawler reported that the crawl did not finish"
    else:
        run.state = RunState.SUCCEEDED
    run.exit_code = code
    run.finished = timezone.now()
    run.duration_seconds = round((run.finished - run.started).total_seconds(), 3)
    run.log_tail = tail(log_path)
    run.save()
    log.info("crawl %s of %s: %s %s", run.run_id, source.name, run.state, run.error)

    if retry and run.state in RETRY_STATES and run.attempt <= source.max_retries:
        delay = settings.ADSCAN_SCHEDULER_RETRY_BASE_SECONDS * 2 ** (run.attempt - 1)
        queue_run(source, "system:scheduler", "retry", run.attempt + 1, delay)
    if process is None:
        process = settings.ADSCAN_SCHEDULER_PROCESS_AFTER_CRAWL
    if process and (run.state == RunState.SUCCEEDED or run.new + run.changed > 0):
        run.processing = {"state": RunState.RUNNING}
        run.save(update_fields=["processing"])
        run.processing = run_processing(run_dir)
        run.save(update_fields=["processing"])
    return run


def run_processing(run_dir: Path) -> dict[str, Any]:
    """Run the processing stage for what the crawl stored; returns what it did."""
    cmd = _command(
        "ADSCAN_SCHEDULER_PROCESS_COMMAND",
        [sys.executable, "-m", "review_ui.manage", "process", "--json"],
    )
    log_path = run_dir / "process.log"
    limit = settings.ADSCAN_SCHEDULER_PROCESS_TIMEOUT
    try:
        code, timed_out, seconds = run_subprocess(cmd, log_path, limit, dict(os.environ))
    except OSError as exc:
        return {"state": RunState.FAILED, "error": f"processing could not start: {exc}"}
    result: dict[str, Any] = {
        "state": RunState.SUCCEEDED if code == 0 and not timed_out else RunState.FAILED,
        "exit_code": code,
        "seconds": round(seconds, 2),
        "summary": summary_line(log_path) or {},
    }
    if timed_out:
        result["state"] = RunState.TIMED_OUT
        result["error"] = f"killed at its time limit of {limit} s"
    if result["state"] != RunState.SUCCEEDED:
        result["log_tail"] = tail(log_path, lines=30, chars=4000)
    return result


def recover_stale_runs(host: str | None = None, now=None) -> int:
    """Mark runs left ``running`` by a scheduler that died as failed.

    A run is stale when its process is gone (same host) or when it has run
    longer than its time limit plus a margin (any host).
    """
    now = now or timezone.now()
    host = host or socket.gethostname()
    stale = 0
    for run in CrawlRun.objects.filter(state=RunState.RUNNING).select_related("source"):
        limit = timedelta(seconds=run.source.time_limit_seconds + STALE_AFTER_SECONDS)
        gone = run.host == host and run.pid is not None and not _alive(run.pid)
        if gone or (run.started and now - run.started > limit):
            updated = CrawlRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(
                state=RunState.FAILED, finished=now,
                error="abandoned: the scheduler stopped while this crawl ran",
                log_tail=tail(Path(run.log_path)) if run.log_path else "",
            )  # fmt: skip
            stale += updated
    return stale


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this very process counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True
