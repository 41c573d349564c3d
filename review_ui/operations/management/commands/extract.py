"""``adscan extract FILE.jsonl [-o OUT]``: identifiers, attributes and indicators of ads, as JSONL."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        'Read one JSON object per line ({"id": ..., "text": ..., "region": "NL"}) and write one '
        "JSON object per line with the phones (E.164), e-mails, handles, URLs, prices, ages, "
        "places, languages, origins, names and indicator hits, each with its span."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSONL input; '-' reads standard input")
        parser.add_argument("-o", "--output", help="write JSONL here instead of standard output")
        parser.add_argument(
            "--region", default="NL", help="region for lines without one (default NL)"
        )
        parser.add_argument(
            "--hourly-norm",
            type=float,
            default=None,
            help="usual hourly price; prices far under it give price.below_norm hits",
        )

    def handle(self, *args, **opts):
        from classifier.exceptions import ClassifierError
        from classifier.extract import extract_all
        from classifier.indicators import match

        try:
            source = (
                sys.stdin if opts["file"] == "-" else open(opts["file"], encoding="utf-8")  # noqa: SIM115
            )
        except OSError as exc:
            raise CommandError(
                f"Cannot read {opts['file']!r}: {exc.strerror}; give a readable JSONL file."
            ) from None
        try:
            out = open(opts["output"], "w", encoding="utf-8") if opts["output"] else self.stdout  # noqa: SIM115
        except OSError as exc:
            raise CommandError(
                f"Cannot write {opts['output']!r}: {exc.strerror}; choose a writable path."
            ) from None
        done = bad = 0
        try:
            for lineno, line in enumerate(source, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict):
                        raise ValueError("expected a JSON object")
                    text = record.get("text")
                    if not isinstance(text, str):
                        raise ValueError('"text" is missing or not a string')
                    region = record.get("region") or opts["region"]
                    if not isinstance(region, str):
                        raise ValueError('"region" is not a string')
                    extraction = extract_all(text, default_region=region)
                    hits = match(text, hourly_norm=opts["hourly_norm"])
                except (ValueError, ClassifierError) as exc:
                    bad += 1
                    self.stderr.write(f"line {lineno}: skipped: {exc}")
                    continue
                result = {"id": record.get("id"), "region": region.upper()}
                result.update(extraction.to_dict())
                result["phones_e164"] = extraction.phones_e164
                result["indicators"] = [h.to_dict() for h in hits]
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
                done += 1
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"Cannot read {opts['file']!r}: {exc}; give a UTF-8 JSONL file."
            ) from None
        finally:
            if source is not sys.stdin:
                source.close()
            if opts["output"]:
                out.close()
        self.stderr.write(f"{done} ads extracted, {bad} lines skipped")
