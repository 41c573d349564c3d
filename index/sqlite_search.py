"""Search over the SQLite ad store: filters, keyset pages, facets and histograms.

Searches read the narrow ``ad_meta`` table and the ``ad_cube`` counters (see
:mod:`index.sqlite_schema`), never the bulky ``ads`` rows except for a page's hits.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from index.contract import FACET_FIELDS, FILTERS, SORT_FIELDS, SearchQuery, SearchResult
from index.exceptions import UnknownFieldError
from index.schema import HIT_EXCLUDED_FIELDS, utc_iso
from index.sqlite_schema import CUBE_NULL, JSON_COLUMNS, SCALAR_COLUMNS
from index.textquery import fts_query

BOOL_COLUMNS = ("changed_since_review", "flagged")
JSON_DEFAULTS: dict[str, Any] = {"evidence": None, "extracted": {}}

#: Sort expressions; missing risk sorts as -1 so keyset pages stay total.
SORT_EXPR = {
    "risk": "COALESCE(a.risk, -1.0)",
    "last_seen": "a.last_seen",
    "first_seen": "a.first_seen",
    "cluster_size": "a.cluster_size",
    "ad_id": "a.ad_id",
    "relevance": "a.score",
}
KEYWORD_COLUMNS = {
    "source": "source",
    "city": "city",
    "ad_type": "ad_type",
    "review_status": "review_status",
    "crawl_status": "crawl_status",
    "processing": "processing",
    "cluster_id": "cluster_id",
}
KEY_FILTERS = {
    "indicator": "indicator",
    "indicator_category": "indicator_category",
    "phone": "phone",
}
FACET_COLUMNS = {
    "source": "a.source",
    "city": "a.city",
    "ad_type": "a.ad_type",
    "review_status": "a.review_status",
    "crawl_status": "a.crawl_status",
    "risk_band": "a.risk_band",
}
#: Histogram intervals: rows are grouped by day in SQL, days into buckets here
#: (SQLite's date() per row costs more than the whole grouping).
HISTOGRAM_BUCKET = {
    "day": lambda day: day,
    "week": lambda day: day - timedelta(days=day.weekday()),
    "month": lambda day: day.replace(day=1),
}
#: Filters ``ad_cube`` can answer (keyword dimensions of every ad).
CUBE_FILTERS = (
    "source",
    "city",
    "ad_type",
    "review_status",
    "crawl_status",
    "processing",
    "flagged",
)
#: Above this many matching ads, facets and the histogram are counted over a
#: pseudo-random sample and scaled (estimates, ``SearchResult.estimated``), unless
#: ``ad_cube`` answers them exactly. Pages stay exact.
FACET_SAMPLE = 10_000
#: About how many ads that sample holds (at most FACET_SAMPLE): counting costs a
#: few microseconds an ad, and 5,000 put a share of 1/15 within about 5 %.
SAMPLE_SIZE = 5_000
#: A text search with filters counts its matches exactly up to this many, and
#: reports ``total_relation="gte"`` beyond (Elasticsearch's track_total_hits).
TRACK_TOTAL = 10_000
#: A relevance sort over more matches than this ranks them in blocks of about
#: this many matches, newest first (see ``SqliteSearch._relevance_blocks``):
#: bm25 costs about 1.7 us a match plus a pass over each term's postings.
RANK_BLOCK = 5_000
#: A text search samples its matches for facet estimates in this many rowid
#: windows when the full-text index has at most WINDOW_MAX_SEGMENTS segments
#: (merged by ``INSERT INTO ads_fts(ads_fts) VALUES('optimize')``), else by a
#: hash over every match.
SAMPLE_WINDOWS = 256
WINDOW_MAX_SEGMENTS = 4
#: A walk's cost model, in microseconds (measured on this FTS5 build): probing
#: one rowid costs, per query term, a fixed part plus a part per index segment;
#: a pass over the matches costs about PASS_COST_US a match and term**1.5.
PROBE_COST_US = (8.0, 3.3)
PASS_COST_US = 0.13
#: The most rowids one step of a sort-index walk asks the full-text index about.
WALK_CHUNK_MAX = 4096
#: A pseudo-random function of a rowid: samples pick rows by it, so rows that
#: repeat with some period (a crawler alternating sources) cannot alias a stride.
SAMPLE_HASH = "(({} * 2654435761) % 4294967291)"
#: Columns of the per-search scratch table (``ad_meta``'s plus the text score).
ROW_COLUMNS = (
    "ad_id", "source", "city", "ad_type", "review_status", "crawl_status", "processing",
    "flagged", "risk", "risk_band", "last_seen", "first_seen", "cluster_size", "cluster_id", "cats",
)  # fmt: skip
#: The ``ad_meta`` column of each sort (relevance sorts by the copied score).
SORT_COLUMN = {
    "risk": "risk",
    "last_seen": "last_seen",
    "first_seen": "first_seen",
    "cluster_size": "cluster_size",
    "ad_id": "ad_id",
}
#: The ``ad_meta`` index that walks each sort order (ties by rid, the index's
#: last column). The ad id order is walked on ``ads``' own ad-id index.
SORT_INDEX = {
    "risk": "meta_risk",
    "last_seen": "meta_last_seen",
    "first_seen": "meta_first_seen",
    "cluster_size": "meta_cluster_size",
}
#: Walks ``ads`` in ad id order and joins the ``ad_meta`` row (aliased ``a``).
AD_ID_WALK = "ads x INDEXED BY sqlite_autoindex_ads_1 CROSS JOIN ad_meta a ON a.rid = x.rid"


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _oldest_first(filters: dict[str, Any]) -> bool:
    """Whether a bounded pass over matches should start at the oldest ads: only
    when the filters bound the time from above alone."""
    return bool(filters.get("date_to")) and not filters.get("date_from")


def _scaled(count: int, scale: float) -> int:
    return count if scale == 1.0 else max(1, round(count * scale))


def row_doc(row: sqlite3.Row, exclude: Sequence[str] = ()) -> dict[str, Any]:
    """The ad document of an ``ads`` row, less the ``exclude`` JSON fields."""
    doc: dict[str, Any] = {}
    for name in SCALAR_COLUMNS:
        doc[name] = row[name]
    for name in BOOL_COLUMNS:
        doc[name] = bool(doc[name])
    for name in JSON_COLUMNS:
        if name in exclude:
            continue
        raw = row[name]
        doc[name] = json.loads(raw) if raw is not None else JSON_DEFAULTS.get(name, [])
    return doc


class SqliteSearch:
    """The search half of :class:`~index.sqlite_store.SqliteAdStore` (a mixin)."""

    @property
    def _db(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _where(self, filters: dict[str, Any]) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for name, value in filters.items():
            if name not in FILTERS:
                raise UnknownFieldError(
                    f"Search filter {name!r} is unknown; expected one of {', '.join(FILTERS)}"
                )
            if value is None or value == [] or value == "":
                continue
            if name in KEYWORD_COLUMNS:
                values = [str(v) for v in as_list(value)]
                where.append(f"a.{KEYWORD_COLUMNS[name]} IN ({','.join('?' * len(values))})")
                params.extend(values)
            elif name in KEY_FILTERS:
                values = [str(v) for v in as_list(value)]
                where.append(
                    # rids, so the match is read from ``ad_meta`` by rowid
                    "a.rid IN (SELECT x.rid FROM ad_keys k CROSS JOIN ads x ON x.ad_id = k.ad_id"
                    f" WHERE k.kind = ? AND k.key IN ({','.join('?' * len(values))}))"
                )
                params.extend([KEY_FILTERS[name], *values])
            elif name == "flagged":
                where.append("a.flagged = ?")
                params.append(int(bool(value)))
            elif name == "risk_min":
                where.append("a.risk >= ?")
                params.append(float(value))
            elif name == "risk_max":
                where.append("a.risk <= ?")
                params.append(float(value))
            elif name == "cluster_size_min":
                where.append("a.cluster_size >= ?")
                params.append(int(value))
            elif name == "date_from":
                where.append("a.last_seen >= ?")
                params.append(utc_iso(value))
            elif name == "date_to":
                where.append("a.last_seen <= ?")
                params.append(utc_iso(value, end_of_day=True))
        return where, params

    def search(self, query: SearchQuery) -> SearchResult:
        """Search ads; see :class:`SearchQuery`.

        The matching set is found once: with at most :data:`FACET_SAMPLE` matches
        it is copied into a scratch table and the page, facets and histogram are
        read from there (all exact). Above that:

        - the total of a text search is the full-text index's count, or with
          filters an exact count up to :data:`TRACK_TOTAL` and a lower bound
          beyond (``total_relation="gte"``); text-free totals are exact;
        - the page comes from walking the sort index (with full-text probes for
          a text search), or for a relevance sort over more than
          :data:`RANK_BLOCK` matches from bm25 within rowid blocks
          (``relevance_blocks``); pages are exact for that order;
        - keyword facets of text-free searches come from ``ad_cube`` (exact), the
          remaining facets and the histogram from a sample of about
          :data:`SAMPLE_SIZE` ads, scaled (``estimated=True``).
        """
        if query.sort not in SORT_FIELDS:
            raise UnknownFieldError(
                f"Sort {query.sort!r} is unknown; expected one of {', '.join(SORT_FIELDS)}"
            )
        for facet in query.facets:
            if facet not in FACET_FIELDS:
                raise UnknownFieldError(
                    f"Facet {facet!r} is unknown; expected one of {', '.join(FACET_FIELDS)}"
                )
        if query.histogram is not None and query.histogram not in HISTOGRAM_BUCKET:
            raise UnknownFieldError(
                f"Histogram interval {query.histogram!r} is unknown; expected day, week or month"
            )
        where, params = self._where(query.filters)
        match = fts_query(query.text) if query.text else None
        if query.text and not match:  # only punctuation: matches nothing, like a search engine
            return SearchResult(hits=[], total=0, next_after=None)
        conn = self._db
        own = not conn.in_transaction
        if own:  # one snapshot for the total, the page and the facets
            conn.execute("BEGIN")
        try:
            conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS search_rows(rid INTEGER PRIMARY KEY, score REAL,"
                f" {', '.join(ROW_COLUMNS)})"
            )
            conn.execute("DELETE FROM temp.search_rows")
            try:
                return self._search(conn, query, where, params, match)
            finally:
                conn.execute("DELETE FROM temp.search_rows")
        finally:
            if own:
                conn.execute("COMMIT")

    def _search(
        self,
        conn: sqlite3.Connection,
        query: SearchQuery,
        where: list[str],
        params: list[Any],
        match: str | None,
    ) -> SearchResult:
        sort = query.sort if (query.sort != "relevance" or match) else "risk"
        where_sql = " AND ".join(where) or "1"
        cube = None if match else self._cube_where(query.filters)
        fts = (
            "(SELECT rowid AS frid, -bm25(ads_fts, 2.0, 1.0) AS score FROM ads_fts"
            " WHERE ads_fts MATCH ?) f CROSS JOIN ad_meta a ON a.rid = f.frid"
        )
        # bm25 costs as much as the join: work it out only when it is the sort.
        score = "f.score" if sort == "relevance" else "NULL"
        fts = fts if sort == "relevance" else fts.replace("-bm25(ads_fts, 2.0, 1.0)", "NULL")
        # Only the columns the page, the facets and the histogram read are copied
        # (the others stay NULL): narrower rows copy and group faster.
        needed = {"ad_id", SORT_COLUMN.get(sort, "ad_id"), *(
            "cats" if f == "indicator_categories" else f for f in query.facets
        )}  # fmt: skip
        if query.histogram:
            needed.add("last_seen")
        columns = [c for c in ROW_COLUMNS if c in needed]
        copy = f"INSERT INTO temp.search_rows(rid, score, {', '.join(columns)}) SELECT a.rid,"
        copy_cols = ", ".join(f"a.{c}" for c in columns)
        relation = "eq"
        matched = 0
        # 1. The total, and the matching rows themselves when they are few.
        if match:
            # Counting every match of a common word costs a pass over its whole
            # posting list; the rowid of the (FACET_SAMPLE + 1)-th newest match
            # costs a pass over FACET_SAMPLE entries, says whether the matches are
            # few, and else estimates how many there are (their density among the
            # newest ads times all ads): enough to size samples, blocks and walks.
            nth = conn.execute(
                "SELECT rowid FROM ads_fts WHERE ads_fts MATCH ? ORDER BY rowid DESC"
                " LIMIT 1 OFFSET ?",
                [match, FACET_SAMPLE],
            ).fetchone()
            exact = nth is None
            if not exact:
                (top,) = conn.execute("SELECT max(rid) FROM ad_meta").fetchone()
                top = max(int(top or 0), int(nth[0]))
                matched = math.ceil((FACET_SAMPLE + 1) * top / (top - int(nth[0]) + 1))
                # Count exactly up to a bound, like Elasticsearch's track_total_hits;
                # beyond it the total is a lower bound. Filters that leave few of
                # many matches make this a longer pass; it stops as soon as they
                # have left the bound. Rowids follow the time ads were first
                # stored, so the pass goes newest first (oldest first for a search
                # bounded only by date_to): date filters leave the bound soonest.
                source = "(SELECT rowid AS frid FROM ads_fts WHERE ads_fts MATCH ?) f"
                if where:
                    source += f" CROSS JOIN ad_meta a ON a.rid = f.frid WHERE {where_sql}"
                order = "ASC" if _oldest_first(query.filters) else "DESC"
                (total,) = conn.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {source} ORDER BY f.frid {order} LIMIT ?)",
                    [match, *params, max(TRACK_TOTAL, FACET_SAMPLE) + 1],
                ).fetchone()
                exact = total <= FACET_SAMPLE
                if not exact and total > TRACK_TOTAL:
                    total, relation = TRACK_TOTAL, "gte"
            if exact:
                conn.execute(
                    f"{copy} {score}, {copy_cols} FROM {fts} WHERE {where_sql}", [match, *params]
                )
                total = conn.execute("SELECT count(*) FROM temp.search_rows").fetchone()[0]
            from_rows = exact
        else:
            if cube is not None:
                total = self._cube_total(conn, cube)
            else:
                total = conn.execute(
                    f"SELECT count(*) FROM ad_meta a WHERE {where_sql}", params
                ).fetchone()[0]
            exact = total <= FACET_SAMPLE
            needs_rows = bool(query.histogram) or (cube is None and bool(query.facets))
            from_rows = exact and needs_rows and total > 0
            if from_rows:
                conn.execute(f"{copy} NULL, {copy_cols} FROM ad_meta a WHERE {where_sql}", params)

        # 2. The page, by keyset.
        size = max(0, int(query.size))
        expr = SORT_EXPR[sort]
        blocks = False
        after = self._cursor(conn, query.search_after)
        if not total or not size:  # a facets-only search reads no page
            keys: list[Any] = []
        elif from_rows:
            keys = self._page(
                conn, "temp.search_rows a", expr, [], [], after, query.descending, size + 1
            )
        elif match and sort == "relevance":
            blocks = len(after) == 4 or (len(after) != 2 and matched > RANK_BLOCK)
            if blocks:
                keys = self._relevance_blocks(
                    conn, match, where, params, after, query.descending, size + 1, matched
                )
            else:
                keys = self._page(
                    conn, f"{fts.replace(' AS score', ' AS sort_key')}", "f.sort_key",
                    where, params, after, query.descending, size + 1, [match],
                )  # fmt: skip
        elif match:
            keys = self._walk(
                conn, match, sort, where, params, after, query.descending, size + 1, matched
            )
        else:
            # With more than FACET_SAMPLE hits, at least one ad in (ads / FACET_SAMPLE)
            # is a hit, so walking the sort index finds a page quickly; the planner
            # cannot know that and would rather sort every hit.
            keys = self._page(
                conn, "ad_meta a" if exact else self._walk_source(sort), expr, where, params,
                after, query.descending, size + 1,
            )  # fmt: skip
        more = len(keys) > size
        keys = keys[:size]
        docs: dict[int, sqlite3.Row] = {}
        if keys:
            marks = ",".join("?" * len(keys))
            rids = [k[0] for k in keys]
            docs = {
                r["rid"]: r for r in conn.execute(f"SELECT * FROM ads WHERE rid IN ({marks})", rids)
            }
        hits = []
        for key in keys:
            hit = row_doc(docs[key[0]], exclude=HIT_EXCLUDED_FIELDS)
            if match:
                hit["score"] = key[2] if sort == "relevance" else None
            hits.append(hit)
        next_after = None
        if more and keys:
            next_after = [keys[-1][2], keys[-1][0], *keys[-1][3:]]

        # 3. Facets and histogram: exact rows, the cube, or a scaled sample.
        scale = 1.0
        estimated = False
        rows_facets = [f for f in query.facets if cube is None]
        if not from_rows and (query.histogram or rows_facets):
            estimated = True
            # A text search samples its matches (filters then thin the sample);
            # a text-free one samples the ads that pass the filters.
            target = max(1, min(FACET_SAMPLE, SAMPLE_SIZE))
            stride = math.ceil((matched if match else total) / target)
            windows = self._sample_windows(conn, matched, target) if match else None
            if windows is not None:
                # Matches in short rowid windows spread over all ads, each at a
                # pseudo-random offset in its stretch: no pass over every match.
                count, step, width = windows
                conn.execute(
                    "WITH RECURSIVE w(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM w WHERE k + 1 < ?)"
                    f" {copy} NULL, {copy_cols} FROM w CROSS JOIN ads_fts f"
                    " CROSS JOIN ad_meta a ON a.rid = f.rowid"
                    " WHERE ads_fts MATCH ? AND f.rowid BETWEEN"
                    f" w.k * ? + {SAMPLE_HASH.format('(w.k + 1)')} % ? + 1"
                    f" AND w.k * ? + {SAMPLE_HASH.format('(w.k + 1)')} % ? + ?"
                    f" AND {where_sql}",
                    [count, match, step, step - width + 1, step, step - width + 1, width, *params],
                )
                stride = step / width  # each window holds 1 in stride of its rowids
            elif match:
                conn.execute(
                    f"{copy} NULL, {copy_cols} FROM (SELECT rowid AS frid FROM ads_fts WHERE"
                    " ads_fts MATCH ?) f CROSS JOIN ad_meta a ON a.rid = f.frid"
                    f" WHERE {SAMPLE_HASH.format('f.frid')} % ? = 0 AND {where_sql}",
                    [match, stride, *params],
                )
            else:
                (top,) = conn.execute("SELECT max(rid) FROM ad_meta").fetchone()
                conn.execute(
                    "WITH RECURSIVE s(r) AS (SELECT ? UNION ALL SELECT r + ? FROM s WHERE r + ? <= ?)"
                    f" {copy} NULL, {copy_cols} FROM s CROSS JOIN ad_meta a"
                    f" ON a.rid = s.r - {SAMPLE_HASH.format('s.r')} % ?"
                    f" WHERE {where_sql}",
                    [stride, stride, stride, top or 0, stride, *params],
                )
            (sampled,) = conn.execute("SELECT count(*) FROM temp.search_rows").fetchone()
            if relation == "eq":  # a ratio to the exact total: the estimates add up to it
                scale = total / sampled if sampled else 0.0
            else:  # each sampled match stands for about ``stride`` matches
                scale = float(stride)
        facets: dict[str, list[tuple[str, int]]] = {}
        for facet in query.facets:
            if cube is not None:
                facets[facet] = self._cube_facet(conn, cube, facet, int(query.facet_size))
                continue
            if facet == "indicator_categories":
                # Few distinct category sets: group by the set, split them here.
                tally: dict[str, int] = {}
                for cats, n in conn.execute(
                    "SELECT cats, count(*) FROM temp.search_rows WHERE cats IS NOT NULL GROUP BY cats"
                ):
                    values = json.loads(cats)
                    values = values if isinstance(values, list) else [values]
                    for cat in {str(c) for c in values if c is not None}:
                        tally[cat] = tally.get(cat, 0) + n
                top_cats = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
                facets[facet] = [
                    (v, _scaled(n, scale)) for v, n in top_cats[: int(query.facet_size)]
                ]
                continue
            col = FACET_COLUMNS[facet]
            sql = (
                f"SELECT {col} AS v, count(*) AS n FROM temp.search_rows a"
                f" WHERE {col} IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ?"
            )
            facets[facet] = [
                (r[0], _scaled(r[1], scale)) for r in conn.execute(sql, [int(query.facet_size)])
            ]
        histogram: list[tuple[str, int]] = []
        if query.histogram:
            bucket = HISTOGRAM_BUCKET[query.histogram]
            counts: dict[str, int] = {}
            for day, n in conn.execute(
                "SELECT substr(last_seen, 1, 10) AS d, count(*) FROM temp.search_rows GROUP BY d"
            ):
                key = bucket(date.fromisoformat(day)).isoformat()
                counts[key] = counts.get(key, 0) + n
            histogram = [(key, _scaled(n, scale)) for key, n in sorted(counts.items())]
        return SearchResult(
            hits=hits,
            total=total,
            next_after=next_after,
            facets=facets,
            histogram=histogram,
            total_relation=relation,
            estimated=estimated,
            relevance_blocks=blocks,
        )

    def _page(
        self,
        conn: sqlite3.Connection,
        source: str,
        expr: str,
        where: list[str],
        params: list[Any],
        after: list[Any],
        descending: bool,
        limit: int,
        leading: Sequence[Any] = (),
    ) -> list[Any]:
        """``limit`` keys ``(rid, ad_id, sort key)`` of ``source`` (aliased ``a``) in
        order, after the keyset ``after`` (a sort key and a rid: ties go by rid, the
        order ads were first stored); ``leading`` are parameters that come before
        the filters' (a MATCH in ``source``)."""
        if source == AD_ID_WALK:
            expr = "x.ad_id"  # the walked index's column
        op, direction = ("<", "DESC") if descending else (">", "ASC")
        cond, args = list(where), [*leading, *params]
        if after:
            # Spelled out (not a row value) so the sort index can seek to the spot.
            cond.append(f"{expr} {op}= ? AND ({expr} {op} ? OR a.rid {op} ?)")
            args.extend([after[0], after[0], after[1]])
        # Ad ids are unique: no tie to break (and the ad-id index walks in order).
        tie = "" if expr in ("a.ad_id", "x.ad_id") else f", a.rid {direction}"
        sql = (
            f"SELECT a.rid, a.ad_id, {expr} AS sort_key FROM {source}"
            f" WHERE {' AND '.join(cond) or '1'}"
            f" ORDER BY sort_key {direction}{tie} LIMIT ?"
        )
        return conn.execute(sql, [*args, limit]).fetchall()

    @staticmethod
    def _cursor(conn: sqlite3.Connection, search_after: list[Any] | None) -> list[Any]:
        """The keyset of ``search_after``: a sort key, then the rid that breaks ties.

        A cursor of schema 3 or older carried the ad id instead (ties went by ad
        id); it is read as that ad's rid, so a page left open across an upgrade
        goes on from the same ad."""
        after = list(search_after or [])
        if len(after) >= 2 and isinstance(after[1], str):
            row = conn.execute("SELECT rid FROM ads WHERE ad_id = ?", (after[1],)).fetchone()
            if row is None:
                raise UnknownFieldError(
                    f"The page cursor names ad {after[1]!r}, which this store does not hold;"
                    " start again from the first page."
                )
            after[1] = int(row[0])
        return after

    @staticmethod
    def _walk_source(sort: str) -> str:
        """``ad_meta`` (aliased ``a``) read in ``sort``'s order through its index."""
        if sort == "ad_id":
            return AD_ID_WALK
        return f"ad_meta a INDEXED BY {SORT_INDEX[sort]}" if sort in SORT_INDEX else "ad_meta a"

    def _fts_segments(self, conn: sqlite3.Connection) -> int | None:
        """How many segments the full-text index has (``None``: unknown)."""
        try:
            (segments,) = conn.execute("SELECT count(DISTINCT segid) FROM ads_fts_idx").fetchone()
        except sqlite3.OperationalError:  # an FTS5 version with other shadow tables
            return None
        return int(segments)

    def _pass_beats_probes(
        self, conn: sqlite3.Connection, match: str, matched: int, rowids: int
    ) -> bool:
        """Whether one pass over all ``matched`` matches costs less than probing
        ``rowids`` rowids one by one (a rough cost model, measured on FTS5)."""
        segments = self._fts_segments(conn)
        if segments is None:
            return False
        terms = max(1, match.count('"') // 2)
        per_probe, per_segment = PROBE_COST_US
        probes = rowids * terms * (per_probe + per_segment * segments)
        return PASS_COST_US * matched * terms**1.5 < probes

    def _sample_windows(
        self, conn: sqlite3.Connection, matched: int, target: int
    ) -> tuple[int, int, int] | None:
        """``(windows, stride, width)`` for sampling about ``target`` of ``matched``
        matches in rowid windows, or ``None`` where a pass over every match costs
        less: each window costs a lookup of every term in every segment of the
        full-text index, so windows pay only on a merged (optimized) index.

        Rowids follow the order ads were first stored, so a window is a cluster
        of ads stored together (often one source and crawl): estimates of what
        varies with that order rest on about SAMPLE_WINDOWS clusters, not on
        every sampled ad."""
        segments = self._fts_segments(conn)
        if segments is None:
            return None
        (top,) = conn.execute("SELECT max(rid) FROM ad_meta").fetchone()
        top = int(top or 0)
        count = min(SAMPLE_WINDOWS, max(1, target // 8))
        step = -(-top // count)  # ceil: the windows' stretches cover every rowid
        width = round(step * target / max(matched, 1))
        if segments > WINDOW_MAX_SEGMENTS or width < 1 or width >= step:
            return None
        return count, step, width

    def _walk(
        self,
        conn: sqlite3.Connection,
        match: str,
        sort: str,
        where: list[str],
        params: list[Any],
        after: list[Any],
        descending: bool,
        limit: int,
        matched: int,
    ) -> list[Any]:
        """A page of a large match set in a stored order: walk the sort index (with
        the filters) in chunks and keep the ads of each chunk that match the text.

        Asking the full-text index about a chunk of rowids (some 10-100 us a rowid,
        less on a merged index) costs far less than sorting every match when
        matches are common; chunks are sized by the match density (estimated,
        then as seen).
        """
        (top,) = conn.execute("SELECT max(rid) FROM ad_meta").fetchone()
        density = max(matched / max(top or 1, 1), 1e-6)
        source = self._walk_source(sort)
        keys: list[Any] = []
        probed = 0
        while len(keys) < limit:
            # Ask about 1.2 times the rows the density predicts for what is still
            # missing; after a chunk, the density seen so far takes over.
            chunk = min(WALK_CHUNK_MAX, max(64, math.ceil((limit - len(keys)) / density * 1.2)))
            rows = self._page(
                conn, source, SORT_EXPR[sort], where, params, after, descending, chunk
            )
            if not rows:
                break
            marks = ",".join("?" * len(rows))
            # Probe each rowid, or (``+rowid``: not handed to FTS5) pass over every
            # match once and test it against the chunk, whichever costs less.
            plus = "+" if self._pass_beats_probes(conn, match, matched, len(rows)) else ""
            found = {
                r[0]
                for r in conn.execute(
                    f"SELECT rowid FROM ads_fts WHERE ads_fts MATCH ? AND {plus}rowid IN ({marks})",
                    [match, *(r[0] for r in rows)],
                )
            }
            keys.extend(r for r in rows if r[0] in found)
            probed += len(rows)
            if len(rows) < chunk:
                break
            after = [rows[-1][2], rows[-1][0]]
            density = max(len(keys) / probed, 1e-6) if keys else density / 4
        return keys[:limit]

    def _relevance_blocks(
        self,
        conn: sqlite3.Connection,
        match: str,
        where: list[str],
        params: list[Any],
        after: list[Any],
        descending: bool,
        limit: int,
        matched: int,
    ) -> list[Any]:
        """A relevance page of a very large match set, ranked in blocks of rowids.

        bm25 of every match costs about a microsecond and a half a match, too much
        for hundreds of thousands of them. So the matches are cut into blocks of
        consecutive rowids holding about :data:`RANK_BLOCK` matches each, newest
        block first (oldest first when ascending), and ranked by bm25 within a block.
        The cursor carries the block's lowest rowid and its width, so later pages
        keep the blocks of the first page and every match is visited exactly once.
        Keys are ``(rid, ad_id, score, block low rowid, block width)``.
        """
        (top,) = conn.execute("SELECT max(rid) FROM ad_meta").fetchone()
        top = int(top or 0)
        if len(after) == 4:
            lo, span = int(after[2]), int(after[3])
        else:
            span = max(1, math.ceil(RANK_BLOCK * (top + 1) / max(matched, 1)))
            lo = top + 1 - span if descending else 0
            after = []
        keys: list[Any] = []
        while len(keys) < limit and (lo + span > 1 if descending else lo <= top):
            source = (
                "(SELECT rowid AS frid, -bm25(ads_fts, 2.0, 1.0) AS sort_key FROM ads_fts"
                " WHERE ads_fts MATCH ? AND rowid BETWEEN ? AND ?) f"
                " CROSS JOIN ad_meta a ON a.rid = f.frid"
            )
            rows = self._page(
                conn, source, "f.sort_key", where, params, after, descending,
                limit - len(keys), [match, max(lo, 0), lo + span - 1],
            )  # fmt: skip
            keys.extend((*r, lo, span) for r in rows)
            after = []
            lo = lo - span if descending else lo + span
        return keys

    def _cube_where(self, filters: dict[str, Any]) -> tuple[str, list[Any]] | None:
        """The ``ad_cube`` condition for ``filters``, or ``None`` when it cannot answer them."""
        where: list[str] = []
        params: list[Any] = []
        for name, value in filters.items():
            if value is None or value == [] or value == "":
                continue
            if name not in CUBE_FILTERS:
                return None
            if name == "flagged":
                where.append("flagged = ?")
                params.append(int(bool(value)))
            else:
                values = [str(v) for v in as_list(value)]
                where.append(f"{name} IN ({','.join('?' * len(values))})")
                params.extend(values)
        return " AND ".join(where) or "1", params

    def _cube_total(self, conn: sqlite3.Connection, cube: tuple[str, list[Any]]) -> int:
        (total,) = conn.execute(
            f"SELECT coalesce(sum(n), 0) FROM ad_cube WHERE {cube[0]}", cube[1]
        ).fetchone()
        return int(total)

    def _cube_facet(
        self, conn: sqlite3.Connection, cube: tuple[str, list[Any]], facet: str, size: int
    ) -> list[tuple[str, int]]:
        if facet == "indicator_categories":
            table, col = "ad_cube_cat", "category"
        else:
            table, col = "ad_cube", facet
        rows = conn.execute(
            f"SELECT {col} AS v, sum(n) AS c FROM {table} WHERE {cube[0]} AND {col} IS NOT ?"
            " GROUP BY v HAVING c > 0 ORDER BY c DESC, v LIMIT ?",
            [*cube[1], CUBE_NULL, size],
        )
        return [(r[0], int(r[1])) for r in rows]

    def count(self, **filters: Any) -> int:
        where, params = self._where(filters)
        cube = self._cube_where(filters)
        if cube is not None:
            return self._cube_total(self._db, cube)
        return int(
            self._db.execute(
                f"SELECT count(*) FROM ad_meta a WHERE {' AND '.join(where) or '1'}", params
            ).fetchone()[0]
        )
