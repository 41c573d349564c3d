"""Review UI benchmark: the officer's pages end to end through Django (queue
first page, a deep queue page by keyset cursor, an ad page, a decision) on a
SQLite ad store of synthetic flagged ads.

``ADSCAN_BENCH_QUICK=1`` uses 20k ads; the full run 200k.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

CITIES = ["Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Haarlem", "Harderwijk", "Zwolle"]
CATEGORIES = [("new_in_town", "mobility"), ("young_age", "age"), ("third_party_booking", "control")]
BATCH = 2000


def _fill(store, n: int, rng: random.Random) -> list[tuple[float, str]]:
    from index import make_ad_id

    keys = []
    for start in range(0, n, BATCH):
        obs, enr = [], []
        for i in range(start, min(n, start + BATCH)):
            title = f"Nieuw in {rng.choice(CITIES)} {i}"
            text = "Alleen via mijn manager, net 19 jaar. " * 3
            ad_id = make_ad_id("bench", str(i))
            obs.append(
                {
                    "ad_id": ad_id,
                    "source": "bench",
                    "site_ad_id": str(i),
                    "url": f"https://bench.invalid/{i}",
                    "title": title,
                    "text": text,
                    "city": rng.choice(CITIES),
                    "images": [],
                    "observed_at": "2026-11-01T10:00:00Z",
                }
            )
            ind_id, cat = rng.choice(CATEGORIES)
            risk = round(rng.random(), 6)
            enr.append(
                {
                    "ad_id": ad_id,
                    "version": 1,
                    "indicators": [
                        {"id": ind_id, "category": cat, "start": 0, "end": 5, "text": title[:5]}
                    ],
                    "risk": risk,
                    "flagged": risk >= 0.2,
                    "ad_type": "escort",
                }
            )
            if risk >= 0.2:
                keys.append((risk, ad_id))
        store.upsert_observations(obs)
        store.write_enrichments(enr)
    keys.sort(reverse=True)
    return keys


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def section() -> str:
    quick = os.environ.get("ADSCAN_BENCH_QUICK") == "1"
    n = 20_000 if quick else 200_000
    tmp = Path(tempfile.mkdtemp(prefix="adscan-bench-review-"))
    os.environ["ADSCAN_HOME"] = str(tmp)
    os.environ["ADSCAN_INDEX_URL"] = f"sqlite:///{tmp / 'ads.db'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "review_ui.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from review_ui.review import views
    from review_ui.review.store import get_store

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.ADSCAN_INDEX_URL = f"sqlite:///{tmp / 'ads.db'}"  # in case Django was set up before
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench-officer")
    user.groups.add(Group.objects.get(name="officer"))
    start = time.perf_counter()
    keys = _fill(get_store(), n, random.Random(7))
    fill_s = time.perf_counter() - start
    client = Client()
    client.force_login(user)

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    deep = keys[int(len(keys) * 0.9)]
    deep_cursor = views._cursor_dump([deep[0], deep[1]])
    rows = [
        ("queue, first page (50 ads)", _time(lambda: get("/"), 7)),
        (
            "queue, page at 90 % depth (keyset cursor)",
            _time(lambda: get(f"/?after={deep_cursor}"), 7),
        ),
        (
            "queue filtered by city + category",
            _time(lambda: get("/?city=Haarlem&indicator_category=age"), 7),
        ),
        ("ad page", _time(lambda: get(f"/ad/{keys[10][1]}/"), 7)),
    ]
    ids = iter(k[1] for k in keys[100:200])

    def decide():
        response = client.post(
            f"/ad/{next(ids)}/decide/", {"decision": "dismiss", "reason": "no_indicators"}
        )
        assert response.status_code == 302

    rows.append(("decision (DB + audit + store mirror)", _time(decide, 15)))
    lines = [
        "## review\n",
        f"The officer's pages through Django's test client on a SQLite ad store of {n:,} "
        f"synthetic ads ({len(keys):,} flagged; filled in {fill_s:.0f} s). Median of 7 "
        "requests (15 for decisions); every request also writes its audit entry. "
        "Reproduce: `python -m benchmarks.run review` "
        "(`ADSCAN_BENCH_QUICK=1` for 20k ads).\n",
        "| page | median ms |",
        "|---|---:|",
        *(f"| {name} | {ms:.1f} |" for name, ms in rows),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section())
