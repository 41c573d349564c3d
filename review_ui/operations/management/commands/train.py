"""``adscan train ad-type|risk``: train a scoring model on real data and write it with its model card."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from classifier.exceptions import ClassifierError


def default_data_dir() -> Path:
    """``../shared/data`` beside the repository (where the real corpora live in development)."""
    return Path(__file__).resolve().parents[4].parent / "shared" / "data"


def ad_type_embedder(
    backend: str | None, layers: int | None, max_tokens: int | None
) -> dict | None:
    """Embedder settings of ``adscan train ad-type`` from its options (None: the shipped ones).

    Every backend that runs the network reads the shipped number of word pieces
    unless ``max_tokens`` says otherwise, so that ``--embedding-backend torch``
    changes the engine and nothing else.

    >>> ad_type_embedder(None, 2, None)
    {'backend': 'onnx', 'layers': 2, 'max_seq_length': 128}
    >>> ad_type_embedder("static", None, None)
    {'backend': 'static'}
    """
    from classifier.training.ad_type import DEFAULT_EMBEDDER

    if backend is None and layers is None and max_tokens is None:
        return None
    params: dict = {"backend": backend or "onnx"}
    if layers is not None:
        params["layers"] = layers
    if max_tokens is not None:
        if max_tokens < 1:
            raise CommandError(
                f"--embedding-max-tokens has value {max_tokens}; "
                "expected a positive number of word pieces."
            )
        params["max_seq_length"] = max_tokens
    elif params["backend"] != "static":
        params["max_seq_length"] = DEFAULT_EMBEDDER["max_seq_length"]
    return params


class Command(BaseCommand):
    help = (
        "Train the ad-type model or the risk model on the real corpora (or, for risk, on reviewer "
        "decisions with --from-reviews) and write the artefact with its model card."
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
            "--out",
            type=Path,
            default=None,
            help="artefact file (default: the shipped one in classifier/artefacts/)",
        )
        parser.add_argument(
            "--quick", action="store_true", help="a small subset, for CI and smoke tests"
        )
        parser.add_argument(
            "--from-reviews",
            action="store_true",
            help="risk only: retrain on escalated vs dismissed decisions",
        )
        parser.add_argument(
            "--embedding-backend",
            default=None,
            help="ad-type only: the SentenceEmbedder backend the models are trained on and the "
            "processing stage then embeds with (torch, onnx, onnx-int8, torch-int8, static; "
            "default: onnx; static makes a cascade that escalates unsure ads to onnx); the risk "
            "model follows the ad-type model's",
        )
        parser.add_argument(
            "--escalate-below",
            type=float,
            default=None,
            help="ad-type only: send ads whose top type probability is below this to a careful "
            "twin on the onnx network (default 0.6 with the static backend; 0 turns it off)",
        )
        parser.add_argument(
            "--embedding-layers",
            type=int,
            default=None,
            help="ad-type only: embed with only the first K transformer layers of the network "
            "(onnx or torch backends; default: all); the processing stage and the risk model "
            "then embed the same way",
        )
        parser.add_argument(
            "--embedding-max-tokens",
            type=int,
            default=None,
            help="ad-type only: embed only the first N word pieces of each ad (default: 128, "
            "the shipped setting, for every backend that runs the network; the model's own "
            "limit is 256 for all-MiniLM-L6-v2); the processing stage then does the same",
        )
        parser.add_argument(
            "--careful-embedding-layers",
            type=int,
            default=None,
            help="ad-type cascade only: the careful twin embeds with the onnx network cut to its "
            "first K layers (default: all)",
        )
        parser.add_argument(
            "--ad-type-model",
            type=Path,
            default=None,
            help="risk only: the ad-type artefact that gives the ad-type feature and the "
            "embedding settings (default: the shipped one)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, **opts):
        data_dir = opts["data_dir"] or default_data_dir()
        progress = not opts["no_progress"]
        out = opts["out"]
        if out is not None and out.suffix != ".joblib":
            raise CommandError(f"--out has value '{out}'; expected a file name ending in .joblib.")
        try:
            if opts["from_reviews"]:
                if opts["model"] != "risk":
                    raise CommandError("--from-reviews applies to `adscan train risk` only.")
                report = self._from_reviews(out, progress)
                self.stdout.write(json.dumps(report, indent=2))
                return
            ad_type_only = (
                opts["embedding_backend"],
                opts["escalate_below"],
                opts["embedding_layers"],
                opts["embedding_max_tokens"],
                opts["careful_embedding_layers"],
            )
            if any(v is not None for v in ad_type_only) and opts["model"] != "ad-type":
                raise CommandError(
                    "--embedding-backend, --embedding-layers, --embedding-max-tokens, "
                    "--escalate-below and --careful-embedding-layers apply to `adscan train ad-type` only; "
                    "the risk model embeds like the ad-type model."
                )
            if opts["ad_type_model"] is not None and opts["model"] != "risk":
                raise CommandError("--ad-type-model applies to `adscan train risk` only.")
            if opts["escalate_below"] is not None and not 0 <= opts["escalate_below"] < 1:
                raise CommandError(
                    f"--escalate-below has value {opts['escalate_below']}; expected a number "
                    "from 0 (no cascade) to below 1."
                )
            if opts["model"] == "ad-type":
                from classifier.training.ad_type import train_ad_type

                embedder_params = ad_type_embedder(
                    opts["embedding_backend"],
                    opts["embedding_layers"],
                    opts["embedding_max_tokens"],
                )
                careful = None
                if opts["careful_embedding_layers"] is not None:
                    careful = {"backend": "onnx", "layers": opts["careful_embedding_layers"]}
                _, card = train_ad_type(
                    data_dir,
                    out,
                    quick=opts["quick"],
                    progress=progress,
                    embedder_params=embedder_params,
                    escalate_below=opts["escalate_below"],
                    careful_embedder_params=careful,
                )
            else:
                from classifier.training.risk import train_risk

                _, card = train_risk(
                    data_dir,
                    out,
                    quick=opts["quick"],
                    progress=progress,
                    ad_type_path=opts["ad_type_model"],
                )
        except ClassifierError as exc:
            raise CommandError(str(exc)) from None
        target = out or Path("classifier/artefacts") / (
            "ad_type.joblib" if opts["model"] == "ad-type" else "risk.joblib"
        )
        self.stdout.write(f"wrote {target} and its model card")
        self.stdout.write(json.dumps(card.get("metrics", {}), indent=2))

    def _from_reviews(self, out, progress):
        try:
            from review_ui.review.models import ReviewDecision
        except ImportError:
            raise CommandError(
                "The review app has no ReviewDecision model yet; nothing to retrain on."
            ) from None
        from classifier.training.risk import retrain_from_reviews
        from index import open_store

        latest: dict[str, str] = {}
        for ad_id, decision in (
            ReviewDecision.objects.filter(current=True, decision__in=["escalated", "dismissed"])
            .order_by("decided_at")
            .values_list("ad_id", "decision")
        ):
            latest[ad_id] = decision
        if not latest:
            raise CommandError("No escalated or dismissed decisions yet; review some ads first.")
        with open_store(settings.ADSCAN_INDEX_URL) as store:
            ads = store.get_ads(list(latest))
        texts = [f"{ad.get('title') or ''}\n{ad.get('text') or ''}" for ad in ads]
        labels = [1 if latest[ad["ad_id"]] == "escalated" else 0 for ad in ads]
        return retrain_from_reviews(texts, labels, out, progress=progress)
