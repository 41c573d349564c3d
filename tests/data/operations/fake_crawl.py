"""A stand-in for ``python -m crawler.runner`` in the operations tests.

Usage: fake_crawl.py MODE [runner arguments]. MODE is ``auto`` (from the
source name: crash-a crashes), ``ok`` (prints a summary
line), ``crash`` (a traceback, exit 1), ``hang`` (sleeps, with a child that
sleeps too) or ``unfinished`` (summary with finished_ok false). Every call
appends its arguments to $FAKE_CRAWL_LOG.
"""

import json
import os
import subprocess
import sys
import time

mode, args = sys.argv[1], sys.argv[2:]
if mode == "auto":
    # The mode is the first part of the source's name: crash-x crashes, hang-x hangs.
    name = args[args.index("--source") + 1] if "--source" in args else ""
    if "--profile" in args:
        with open(args[args.index("--profile") + 1]) as fh:
            name = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("name:")), "")
    mode = name.split("-")[0] if name.split("-")[0] in {"crash", "hang", "unfinished"} else "ok"
record = {
    "mode": mode,
    "args": args,
    "pid": os.getpid(),
}
if os.environ.get("FAKE_CRAWL_LOG"):
    with open(os.environ["FAKE_CRAWL_LOG"], "a") as fh:
        fh.write(json.dumps(record) + "\n")
run_id = args[args.index("--run-id") + 1] if "--run-id" in args else "?"
print("2026-01-01 03:00:00 [scrapy.core.engine] INFO: Spider opened", file=sys.stderr, flush=True)
if mode == "crash":
    raise RuntimeError("boom: the site answered nonsense")
if mode == "hang":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(os.environ.get("FAKE_CRAWL_LOG", os.devnull) + ".child", "a") as fh:
        fh.write(f"{child.pid}\n")
    print("crawling very slowly", flush=True)
    time.sleep(600)
seconds = float(os.environ.get("FAKE_CRAWL_SECONDS", "0"))
time.sleep(seconds)
summary = {
    "source": "fake",
    "run_id": run_id,
    "started": "2026-01-01T03:00:00+00:00",
    "finished": "2026-01-01T03:01:00+00:00",
    "pages": 12,
    "ads_seen": 40,
    "new": 7,
    "changed": 3,
    "unchanged": 30,
    "gone": 2,
    "dropped": {"no_text": 4, "duplicate": 1},
    "errors": 1,
    "warc_file": "x.warc.gz",
    "finished_ok": mode != "unfinished",
}
print(json.dumps(summary), flush=True)
