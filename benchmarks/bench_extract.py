"""Extraction quality on the real sets (precision/recall/F1 per field) and throughput.

``python -m benchmarks.run extract`` (or ``make bench``). The real data is read
from ``../shared/data`` at run time and never copied; quality rows are skipped
when it is absent. ``ADSCAN_BENCH_QUICK=1`` times fewer repetitions.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from classifier.extract import (
    extract_all,
    find_ages,
    find_emails,
    find_handles,
    find_phones,
    find_prices,
    unique_e164,
)
from classifier.indicators import match

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
TABLES = ROOT / "tests" / "data" / "extract"

# CMU silver phones that reading the ad shows to be wrong (ids only; reasons in words):
CMU_SILVER_ERRORS = {
    "tj-060": "silver adds a 7-digit fragment of the one real number",
    "tj-188": "silver reads a repeated price token ('50spcl') as a phone",
    "tj-297": "silver number's digits are not in the ad; the ad's digits form no valid number",
    "tj-307": "silver glues a ZIP+4 code to a street number",
    "tj-314": "silver takes 10 digits out of a 15-digit Facebook page id",
}


@dataclass
class Score:
    """Counts of true positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    disagreements: list[str] = field(default_factory=list)

    def add(self, expected: Counter | set, got: Counter | set, key: str = "") -> None:
        exp, g = Counter(expected), Counter(got)
        tp = sum((exp & g).values())
        self.tp += tp
        self.fp += sum(g.values()) - tp
        self.fn += sum(exp.values()) - tp
        if exp != g and key:
            self.disagreements.append(key)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _jsonl(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _nanp(e164: str) -> str:
    return e164[2:] if e164.startswith("+1") else e164


def evaluate_pnmatcher(data: Path = SHARED_DATA) -> Score:
    """All 48 pnmatcher snippets: every expected number, per occurrence (US region)."""
    score = Score()
    for rec in _jsonl(data / "pnmatcher-phone-tests" / "snippets.jsonl"):
        got = [_nanp(m.e164) for m in find_phones(rec["text"], "US")]
        score.add(Counter(e[-10:] for e in rec["expected"]), Counter(got), rec["id"])
    return score


def evaluate_cmu_phones(data: Path = SHARED_DATA, adjudicated: bool = False) -> Score:
    """Distinct phones per ad on the 410 CMU Backpage ads against TJBatchExtractor's silver output."""
    score = Score()
    for rec in _jsonl(data / "cmu-tjbatch-backpage" / "ads_with_tj_extractions.jsonl"):
        if adjudicated and rec["id"] in CMU_SILVER_ERRORS:
            continue
        got = {_nanp(e) for e in unique_e164(find_phones(rec["title"] + "\n" + rec["body"], "US"))}
        score.add({e[-10:] for e in rec["tj_phone_numbers"]}, got, rec["id"])
    return score


def evaluate_cmu_attributes(data: Path = SHARED_DATA) -> dict[str, Score]:
    """Ages and price amounts per ad against TJBatchExtractor's silver fields (only where TJ found one)."""
    ages, prices = Score(), Score()
    for rec in _jsonl(data / "cmu-tjbatch-backpage" / "ads_with_tj_extractions.jsonl"):
        text, f = rec["title"] + "\n" + rec["body"], rec["tj_features"]
        exp_age = {int(a) for a in f["Age"].split(";") if a and a != "-1"}
        if exp_age:
            ages.add(exp_age, {a.age for a in find_ages(text)}, rec["id"])
        exp_price = {int(float(c.split("/")[0])) for c in f["Cost"].split(";") if c}
        if exp_price:
            prices.add(exp_price, {int(p.amount) for p in find_prices(text)}, rec["id"])
    return {"cmu age (silver)": ages, "cmu price amount (silver)": prices}


def evaluate_etk(data: Path = SHARED_DATA) -> dict[str, Score]:
    """Gold ages, prices (amount + minutes), social handles and e-mails of the ETK ground truth."""
    base = data / "etk-ht-groundtruth" / "original"
    ages, prices, handles, emails = Score(), Score(), Score(), Score()
    for i, rec in enumerate(_jsonl(base / "age.jl")):
        ages.add(
            {int(a) for a in rec["correct"]}, {a.age for a in find_ages(rec["text"])}, f"age-{i}"
        )
    for i, rec in enumerate(_jsonl(base / "groundtruth_price.jl")):
        exp = {(p["value"], int(p["metadata"]["time_unit"] or 0)) for p in rec["annotated_price"]}
        got = {(int(p.amount), p.minutes or 0) for p in find_prices(rec["text"])}
        prices.add(exp, got, f"price-{i}")
    for i, rec in enumerate(_jsonl(base / "social_media.jl")):
        exp = {f"{k}:{v.lower()}" for k, vs in rec["correct"].items() for v in vs}
        got = {
            h.value
            for h in find_handles(rec["text"], "US")
            if not h.value.startswith(("whatsapp", "signal"))
        }
        handles.add(exp, got, f"social-{i}")
    for i, rec in enumerate(_jsonl(base / "email.jl")):
        emails.add(set(rec["correct"]), {e.value for e in find_emails(rec["text"])}, f"email-{i}")
    return {"etk age (gold)": ages, "etk price amount+minutes (gold)": prices,
            "etk social handles (gold)": handles, "etk email (gold)": emails}  # fmt: skip


def evaluate_dutch_phones() -> Score:
    """The project's own Dutch phone table (tests/data/extract/nl_phones.yaml)."""
    table = yaml.safe_load((TABLES / "nl_phones.yaml").read_text(encoding="utf-8"))
    score = Score()
    for text, expected in table["positives"]:
        score.add(set(expected), set(unique_e164(find_phones(text, "NL"))), text)
    for text in table["negatives"]:
        score.add(set(), set(unique_e164(find_phones(text, "NL"))), text)
    return score


def synthetic_dutch_ads(n: int, first: int = 0) -> list[str]:
    """Invented Dutch ads of about 100 words for timing (no real data).

    Ad ``i`` has its own phone numbers and handles, so ads ``first .. first + n - 1``
    are new to the caches of any run that has not seen those numbers.
    """
    parts = [
        "Hoi schatjes, ik ben Lisa ({age}) en nieuw in {city}! Ik ben een lieve, spontane meid met "
        "een mooi figuur en ik hou van gezelligheid. Bel me op 06-{n1} of app naar 06 {n2}. "
        "Half uur €{p1}, 1 uur €{p2}, nacht in overleg. Ik spreek Engels en een beetje Duits. "
        "Ontvangst in een schone discrete ruimte, ook escort naar hotel mogelijk. Alleen deze week "
        "in de stad, dus wacht niet te lang! Geen sms, geen anonieme nummers. Kusjes en tot snel, "
        "liefs van mij. Telegram: @lisa{k} of mail lisa{k} (at) voorbeeld (punt) nl."
    ]
    cities = ["Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Haarlem", "Harderwijk"]
    return [
        parts[0].format(
            age=19 + i % 15, city=cities[i % len(cities)], n1=f"{10000000 + i * 7919 % 89999999}",
            n2=f"{20000000 + i * 104729 % 79999999}", p1=60 + i % 50, p2=120 + i % 80, k=i,
        )
        for i in range(first, first + n)
    ]  # fmt: skip


TARGET_ADS_PER_S = 2000  # project issue #3: extract_all + match, one core, ~100-word ads
ROUNDS = 3


def throughput(texts: list[str], region: str) -> tuple[float, float]:
    """Ads per second for extract_all + match in this process: (by wall clock, by CPU time).

    CPU time (``time.process_time``) is the figure to judge by on a shared machine: wall
    clock also counts the time other processes hold the cores.
    """
    start, cpu = time.perf_counter(), time.process_time()
    for t in texts:
        extract_all(t, region)
        match(t)
    n = len(texts)
    return n / (time.perf_counter() - start), n / max(time.process_time() - cpu, 1e-9)


def _row(name: str, s: Score) -> str:
    return (
        f"| {name} | {s.tp} | {s.fp} | {s.fn} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |"
    )


def section() -> str:
    """Markdown section: quality per field and throughput."""
    quick = os.environ.get("ADSCAN_BENCH_QUICK") == "1"
    # Timed first, so that no ad's phone numbers are cached by the quality runs below.
    n = 500 if quick else 3000
    for t in synthetic_dutch_ads(200, first=10**6):  # warm lazy tables and word caches
        extract_all(t, "NL")
        match(t)
    # Several rounds, each on ads no earlier round has seen; the median round is reported,
    # so one burst of another process on a shared core does not make the figure.
    rounds = sorted(
        (throughput(synthetic_dutch_ads(n, first=r * n), "NL") for r in range(ROUNDS)),
        key=lambda rates: rates[1],
    )
    wall, cpu = rounds[len(rounds) // 2]
    dutch = synthetic_dutch_ads(n)
    words = sum(len(t.split()) for t in dutch) / len(dutch)
    cmu_row = ""
    if SHARED_DATA.is_dir():
        cmu_texts = [r["title"] + "\n" + r["body"] for r in _jsonl(SHARED_DATA / "cmu-tjbatch-backpage" / "ads_with_tj_extractions.jsonl")]  # fmt: skip
        cwall, ccpu = throughput(cmu_texts, "US")  # real ads can be timed once only
        cwords = sum(len(t.split()) for t in cmu_texts) / len(cmu_texts)
        cmu_row = f"| cmu backpage ads (real, US) | {len(cmu_texts)} | {cwords:.0f} | {cwall:,.0f} | {ccpu:,.0f} |"
    load = os.getloadavg()[0]
    lines = ["## extract\n", "Extraction quality (`classifier.extract`), per field:\n",
             "| set / field | TP | FP | FN | precision | recall | F1 |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    lines.append(_row("Dutch phone table (ours, written for adscan)", evaluate_dutch_phones()))
    real = SHARED_DATA.is_dir()
    if real:
        lines.append(_row("pnmatcher snippets phones (48, expected digits)", evaluate_pnmatcher()))
        cmu = evaluate_cmu_phones()
        lines.append(_row("cmu backpage phones (410 ads, TJ silver)", cmu))
        lines.append(
            _row(
                "cmu backpage phones, silver errors removed", evaluate_cmu_phones(adjudicated=True)
            )
        )
        for name, score in {**evaluate_cmu_attributes(), **evaluate_etk()}.items():
            lines.append(_row(name, score))
        lines.append("")
        lines.append(f"CMU phone disagreements with the silver labels: {', '.join(cmu.disagreements)}; "
                     "silver errors: " + "; ".join(f"{k} ({v})" for k, v in CMU_SILVER_ERRORS.items()) + ".")  # fmt: skip
    else:
        lines.append("\n(../shared/data absent: real-data rows skipped)")
    lines += ["", "Throughput of `extract_all` + `indicators.match`, one process, one core; every "
              "timed ad is new to the process (its phone numbers are not cached); synthetic ads: "
              f"median of {ROUNDS} rounds of {n:,} ads each:\n",
              "| corpus | ads | mean words | ads/s (wall) | ads/s (CPU time) |", "|---|---|---|---|---|"]  # fmt: skip
    lines.append(
        f"| synthetic Dutch ads (invented) | {len(dutch)} | {words:.0f} | {wall:,.0f} | {cpu:,.0f} |"
    )
    if cmu_row:
        lines.append(cmu_row)
    verdict = "met" if cpu >= TARGET_ADS_PER_S else "NOT met"
    lines.append(
        f"\nTarget (issue #3): {TARGET_ADS_PER_S:,} ads/s on one core for ~100-word ads. "
        f"By CPU time on the synthetic ads: **{verdict}** ({cpu:,.0f} ads/s); by wall clock "
        f"{wall:,.0f} ads/s, which on a shared machine also counts other processes' time."
    )
    lines.append(f"\nLoad average while measuring: {load:.1f} on {os.cpu_count()} CPUs.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section())
