"""The WARC evidence archive: one WARC file per crawl process of a run (``warcio``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


class WarcArchive:
    """Append HTTP responses to ``<archive_dir>/<source>/<run_id>[-<n>].warc.gz``.

    A resumed run gets a new file (``-2``, ``-3``...) so a record cut short by a
    crash never sits in the middle of a file.
    """

    def __init__(self, archive_dir: str | os.PathLike[str], source: str, run_id: str):
        self.dir = Path(archive_dir) / source
        self.dir.mkdir(parents=True, exist_ok=True)
        n = 1
        while True:
            name = f"{run_id}.warc.gz" if n == 1 else f"{run_id}-{n}.warc.gz"
            if not (self.dir / name).exists():
                break
            n += 1
        self.path = self.dir / name
        self.archive_dir = Path(archive_dir)
        self._fh = open(self.path, "wb")  # noqa: SIM115 - kept open for the run
        self._writer = WARCWriter(self._fh, gzip=True)
        info = self._writer.create_warcinfo_record(
            name,
            {
                "software": "adscan crawler",
                "format": "WARC File Format 1.0",
                "source": source,
                "run": run_id,
            },
        )
        self._writer.write_record(info)
        self._fh.flush()

    @property
    def relative_path(self) -> str:
        """The file's path relative to the archive directory (what observations record)."""
        return str(self.path.relative_to(self.archive_dir))

    def write_response(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime | None = None,
    ) -> str:
        """Write one response record; returns its WARC-Record-ID."""
        when = (fetched_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        # The body is stored decoded, so encoding headers would lie about it.
        skip = {"content-encoding", "transfer-encoding", "content-length"}
        http_headers = StatusAndHeaders(
            f"{status} OK" if status == 200 else str(status),
            [(k, v) for k, v in headers if k.lower() not in skip],
            protocol="HTTP/1.1",
        )
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": when},
        )
        self._writer.write_record(record)
        self._fh.flush()
        return record.rec_headers.get_header("WARC-Record-ID")

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
