"""``adscan evaluate ad-type|risk``: metrics and PNG plots (confusion, precision-recall, calibration)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from classifier.exceptions import ClassifierError

from .train import default_data_dir


class Command(BaseCommand):
    help = (
        "Evaluate the ad-type or risk model on the real corpora; writes metrics.json and PNG plots."
    )

    def add_arguments(self, parser):
        parser.add_argument("model", choices=["ad-type", "risk"])
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="folder with the corpora (default ../shared/data)",
        )
        parser.add_argument(
            "--model-path",
            type=Path,
            default=None,
            help="artefact to evaluate (default: the shipped one)",
        )
        parser.add_argument(
            "--out", type=Path, default=Path("var/evaluation"), help="folder for metrics and plots"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, **opts):
        data_dir = opts["data_dir"] or default_data_dir()
        out = opts["out"]
        progress = not opts["no_progress"]
        try:
            if opts["model"] == "ad-type":
                from classifier.training.ad_type import evaluate_ad_type

                metrics = evaluate_ad_type(
                    data_dir, out, model_path=opts["model_path"], progress=progress
                )
            else:
                from classifier.training.risk import evaluate_risk

                metrics = evaluate_risk(
                    data_dir, out, model_path=opts["model_path"], progress=progress
                )
        except ClassifierError as exc:
            raise CommandError(str(exc)) from None
        name = "ad_type" if opts["model"] == "ad-type" else "risk"
        (out / f"{name}_metrics.json").write_text(
            json.dumps(metrics, indent=2) + "\n", encoding="utf-8"
        )
        self.stdout.write(json.dumps(metrics, indent=2))
        self.stdout.write(f"wrote {out / (name + '_metrics.json')} and plots in {out}")
