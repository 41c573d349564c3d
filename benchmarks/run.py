"""Run every benchmark module and write the report (``make bench``).

``python -m benchmarks.run [area ...]`` runs only the named areas
(``extract``, ``store``, ...). ``ADSCAN_BENCH_QUICK=1`` asks each benchmark
for its small sizes only.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    wanted = set(argv if argv is not None else sys.argv[1:])
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if wanted:
        modules = [m for m in modules if m.removeprefix("bench_") in wanted]
    parts = [
        "# adscan benchmark report\n",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs. "
        f"Reproduce with `make bench` (or `python -m benchmarks.run AREA`).\n",
    ]
    if os.environ.get("ADSCAN_BENCH_QUICK") == "1":
        parts.append(
            "This is the quick variant (`ADSCAN_BENCH_QUICK=1`): smaller sizes; "
            "`make bench` without it runs the full sizes (100k and 1M ads).\n"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        parts.append(f"Load average at the start: {load:.1f} (the cores may be shared).\n")
    failed = 0
    for name in modules:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            mod = importlib.import_module(f"benchmarks.{name}")
            parts.append(mod.section().rstrip() + "\n")
        except Exception:  # a broken benchmark must not hide the others
            failed += 1
            parts.append(f"## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}\n```\n")
        print(f"  {name}: {time.perf_counter() - start:.1f}s", file=sys.stderr)
    out = HERE / ("REPORT.md" if not wanted else f"REPORT-{'-'.join(sorted(wanted))}.md")
    out.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
