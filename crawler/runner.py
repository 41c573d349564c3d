"""Run one crawl: in this process (``python -m crawler.runner``) or as a subprocess.

The Twisted reactor cannot restart inside one process, so callers that crawl
more than once (``adscan crawl``, the scheduler, tests) use
:func:`run_crawl_subprocess`, which returns the run's summary dict::

    {"source", "run_id", "started", "finished", "pages", "ads_seen", "new",
     "changed", "unchanged", "gone", "dropped": {reason: n}, "errors",
     "warc_file", "finished_ok", ...}
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.exceptions import CrawlerError, CrawlFailed, ProfileError
from crawler.profiles import find_profile, load_profile

REPO_ROOT = Path(__file__).resolve().parent.parent
_RUN_FILE = "adscan-run.json"

logger = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_run_id(jobdir: str | os.PathLike[str] | None, run_id: str | None, source: str) -> str:
    """The run id: the one given, else the unfinished run in ``jobdir`` (a resume), else a new one."""
    if run_id:
        return run_id
    if jobdir:
        marker = Path(jobdir) / _RUN_FILE
        if marker.is_file():
            try:
                return str(json.loads(marker.read_text())["run_id"])
            except (ValueError, KeyError, OSError):
                pass
    return f"{source}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"


def _unfinished_run(jobdir: str | os.PathLike[str] | None, run_id: str) -> dict[str, Any] | None:
    """When ``jobdir`` holds the unfinished run ``run_id``, its marker: when it first
    started and whether its last process closed Scrapy's request queue."""
    if not jobdir:
        return None
    marker = Path(jobdir) / _RUN_FILE
    try:
        data = json.loads(marker.read_text())
    except (ValueError, OSError):
        return None
    if isinstance(data, dict) and data.get("run_id") == run_id and data.get("started"):
        return data
    return None


def _write_marker(jobdir: str | os.PathLike[str], data: Mapping[str, Any]) -> None:
    """Write the run marker whole or not at all (a kill mid-write leaves the old one)."""
    marker = Path(jobdir) / _RUN_FILE
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(dict(data)))
    os.replace(tmp, marker)


# What Scrapy keeps in a JOBDIR. Its disk queues write their headers only when
# they close, so after a hard kill a queue file can be empty or cut short, and
# Scrapy then fails on the first request it tries to queue there.
_SCRAPY_JOB_STATE = ("requests.queue", "requests.seen", "spider.state")


def _discard_scrapy_state(jobdir: str | os.PathLike[str]) -> None:
    """Remove a hard-killed run's queue: the resumed run re-reads every listing page
    and asks again for each ad it has not stored yet, so nothing in it is lost."""
    for name in _SCRAPY_JOB_STATE:
        path = Path(jobdir) / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def build_settings(
    *,
    store_url: str,
    archive_dir: str,
    image_dir: str,
    run_id: str,
    jobdir: str | None = None,
    max_pages: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    values: dict[str, Any] = {
        "ADSCAN_STORE_URL": store_url,
        "ADSCAN_ARCHIVE_DIR": str(archive_dir),
        "ADSCAN_IMAGE_DIR": str(image_dir),
        "ADSCAN_RUN_ID": run_id,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
    }
    if jobdir:
        values["JOBDIR"] = str(jobdir)
    if max_pages:
        values["CLOSESPIDER_PAGECOUNT"] = int(max_pages)
    settings.setdict(values, priority="cmdline")
    for key, value in (extra or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def summarize(stats: Mapping[str, Any], source: str, run_id: str, started: str) -> dict[str, Any]:
    """The run summary from the crawler's stats."""
    dropped = {
        key.removeprefix("adscan/dropped/"): int(n)
        for key, n in sorted(stats.items())
        if key.startswith("adscan/dropped/")
    }
    reason = stats.get("finish_reason")
    return {
        "source": source,
        "run_id": run_id,
        "started": started,
        "finished": _now(),
        "pages": int(stats.get("response_received_count", 0)),
        "elapsed_s": float(stats.get("elapsed_time_seconds", 0.0)),
        "listing_pages": int(stats.get("adscan/listing_pages", 0)),
        "ads_seen": int(stats.get("adscan/ads_seen", 0)),
        "new": int(stats.get("adscan/new", 0)),
        "changed": int(stats.get("adscan/changed", 0)),
        "unchanged": int(stats.get("adscan/unchanged", 0)),
        "gone": int(stats.get("adscan/gone", 0)),
        "not_fetched": int(stats.get("adscan/not_due", 0)),
        "images_stored": int(stats.get("adscan/images_stored", 0)),
        "dropped": dropped,
        "repaired": {
            key.removeprefix("adscan/repaired/"): int(n)
            for key, n in stats.items()
            if key.startswith("adscan/repaired/")
        },
        "errors": int(stats.get("log_count/ERROR", 0)),
        "warc_file": stats.get("adscan/warc_file"),
        "finish_reason": reason,
        "listings_complete": bool(stats.get("adscan/listings_complete", False)),
        "finished_ok": reason == "finished",
    }


def run_crawl(
    *,
    profile: str | None = None,
    source: str | None = None,
    base_url: str | None = None,
    store_url: str,
    archive_dir: str,
    image_dir: str,
    jobdir: str | None = None,
    run_id: str | None = None,
    max_pages: int | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one crawl in this process (once per process: the reactor cannot restart)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.profile import ProfileSpider

    path = str(profile) if profile else str(find_profile(source or ""))
    prof = load_profile(path).with_base_url(base_url)
    if jobdir is None:
        # Resume after a crash is the default: one JOBDIR per source.
        jobdir = str(Path(archive_dir) / "jobs" / prof.name)
    run_id = resolve_run_id(jobdir, run_id, prof.name)
    started = _now()
    unfinished = _unfinished_run(jobdir, run_id)
    resumed_from = str(unfinished["started"]) if unfinished else None
    if resumed_from:
        settings = {**(settings or {}), "ADSCAN_RUN_RESUMED_FROM": resumed_from}
    if jobdir:
        Path(jobdir).mkdir(parents=True, exist_ok=True)
        marker = Path(jobdir) / _RUN_FILE
        if marker.exists() and not (unfinished or {}).get("queue_closed"):
            logger.warning(
                "Run %s of %s was killed before it could save its request queue; "
                "resuming from the listing pages and skipping the ads it already stored.",
                run_id,
                prof.name,
            )
            _discard_scrapy_state(jobdir)
        _write_marker(jobdir, {"run_id": run_id, "started": resumed_from or started})
    scrapy_settings = build_settings(
        store_url=store_url,
        archive_dir=archive_dir,
        image_dir=image_dir,
        run_id=run_id,
        jobdir=jobdir,
        max_pages=max_pages,
        extra=settings,
    )
    process = CrawlerProcess(scrapy_settings)
    crawler = process.create_crawler(ProfileSpider)
    # Scrapy closes the scheduler (and so writes its disk queue whole) before it
    # sends spider_closed; a forced or hard stop never gets here.
    queue_closed: list[bool] = []
    crawler.signals.connect(
        lambda **_: queue_closed.append(True), signal=signals.spider_closed, weak=False
    )
    process.crawl(crawler, profile=path, base_url=base_url)
    process.start()
    summary = summarize(crawler.stats.get_stats(), prof.name, run_id, started)
    if summary["warc_file"]:
        out = Path(archive_dir) / summary["warc_file"]
        out.with_name(out.name.removesuffix(".warc.gz") + ".summary.json").write_text(
            json.dumps(summary, indent=2, sort_keys=True)
        )
    if jobdir and summary["finished_ok"]:
        (Path(jobdir) / _RUN_FILE).unlink(missing_ok=True)
    elif jobdir and queue_closed:
        _write_marker(
            jobdir, {"run_id": run_id, "started": resumed_from or started, "queue_closed": True}
        )
    return summary


def _parse_set(values: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep:
            raise SystemExit(f"--set {value!r}: expected NAME=VALUE")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.runner", description=__doc__.splitlines()[0]
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--profile", help="a profile YAML file")
    which.add_argument("--source", help="a source name with a profile in crawler/profiles/")
    parser.add_argument("--base-url", help="crawl this host instead of the profile's base_url")
    parser.add_argument(
        "--store-url", required=True, help="ad store URL, e.g. sqlite:///var/ads.db"
    )
    parser.add_argument("--archive-dir", required=True)
    parser.add_argument("--image-dir", required=True)
    parser.add_argument(
        "--jobdir",
        help="Scrapy JOBDIR: a killed crawl resumes from here (default: ARCHIVE_DIR/jobs/SOURCE)",
    )
    parser.add_argument("--run-id")
    parser.add_argument("--max-pages", type=int)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting"
    )
    args = parser.parse_args(argv)
    try:
        summary = run_crawl(
            profile=args.profile,
            source=args.source,
            base_url=args.base_url,
            store_url=args.store_url,
            archive_dir=args.archive_dir,
            image_dir=args.image_dir,
            jobdir=args.jobdir,
            run_id=args.run_id,
            max_pages=args.max_pages,
            settings=_parse_set(args.set),
        )
    except CrawlerError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(summary, sort_keys=True), flush=True)
    return 0 if summary["finished_ok"] else 1


def crawl_command(
    *,
    profile: str | os.PathLike[str] | None = None,
    source: str | None = None,
    base_url: str | None = None,
    store_url: str,
    archive_dir: str | os.PathLike[str],
    image_dir: str | os.PathLike[str],
    jobdir: str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    max_pages: int | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[str]:
    """The argv of a runner subprocess for these arguments."""
    if (profile is None) == (source is None):
        raise CrawlerError("Give exactly one of a profile file or a source name to crawl.")
    cmd = [sys.executable, "-m", "crawler.runner"]
    cmd += ["--profile", str(profile)] if profile is not None else ["--source", str(source)]
    if base_url:
        cmd += ["--base-url", base_url]
    cmd += [
        "--store-url",
        store_url,
        "--archive-dir",
        str(archive_dir),
        "--image-dir",
        str(image_dir),
    ]
    if jobdir:
        cmd += ["--jobdir", str(jobdir)]
    if run_id:
        cmd += ["--run-id", run_id]
    if max_pages:
        cmd += ["--max-pages", str(max_pages)]
    for key, value in (settings or {}).items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    return cmd


def run_crawl_subprocess(
    profile: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    base_url: str | None = None,
    store_url: str,
    archive_dir: str | os.PathLike[str],
    image_dir: str | os.PathLike[str],
    jobdir: str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    max_pages: int | None = None,
    settings: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    log_file: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Run one crawl in a subprocess and return its summary.

    Raises :class:`ProfileError` for a bad profile and :class:`CrawlFailed`
    (with the log tail) when the subprocess dies or prints no summary.
    """
    if profile is not None:
        load_profile(profile)  # fail fast, in the caller's process, with the file's error
    elif source is not None:
        find_profile(source)
    cmd = crawl_command(
        profile=profile,
        source=source,
        base_url=base_url,
        store_url=store_url,
        archive_dir=archive_dir,
        image_dir=image_dir,
        jobdir=jobdir,
        run_id=run_id,
        max_pages=max_pages,
        settings=settings,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryFile() if log_file is None else open(log_file, "w+b") as log:
        try:
            proc = subprocess.run(
                cmd,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=REPO_ROOT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise CrawlFailed(
                f"The crawl ran past its time limit of {timeout} s and was stopped.", _tail(log)
            ) from None
        lines = [ln for ln in proc.stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
        last = lines[-1] if lines else ""
        try:
            summary = json.loads(last)
        except ValueError:
            summary = None
        if isinstance(summary, dict) and "error" in summary and len(summary) == 1:
            raise (
                ProfileError(summary["error"])
                if "rofile" in summary["error"]
                else CrawlerError(summary["error"])
            )
        if not isinstance(summary, dict) or "run_id" not in summary:
            tail = _tail(log)
            raise CrawlFailed(
                f"The crawl subprocess exited with status {proc.returncode} without a summary; "
                f"last log lines:\n{tail}",
                tail,
            )
        return summary


def _tail(fh: Any, n: int = 40) -> str:
    fh.flush()
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - 20_000))
    text = fh.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-n:])


if __name__ == "__main__":
    raise SystemExit(main())
