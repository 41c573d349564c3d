"""Peak memory of the running benchmark process."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    From ``VmHWM``, which starts afresh with the program: Linux carries
    ``ru_maxrss`` across ``exec``, so a subprocess started by a parent that had
    loaded models would report the parent's peak. ``ru_maxrss`` where there is
    no ``/proc``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
