"""Model artefacts on disk: a joblib file plus a model card (JSON and Markdown) beside it.

Loading refuses an artefact written under other library versions, with a
sentence that says how to retrain it.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

from ..exceptions import ClassifierError

__all__ = [
    "ARTEFACT_DIR",
    "ModelArtefactError",
    "library_versions",
    "load_artefact",
    "save_artefact",
]

#: Where the shipped default models live.
ARTEFACT_DIR = Path(__file__).resolve().parent.parent / "artefacts"

_RETRAIN = {"ad_type": "adscan train ad-type", "risk": "adscan train risk"}


class ModelArtefactError(ClassifierError, RuntimeError):
    """A model artefact is missing, unreadable or was made with other library versions."""


def library_versions() -> dict[str, str]:
    """Versions that must match between training and loading (pickles are not portable)."""
    import numpy
    import sklearn

    return {
        "python": platform.python_version_tuple()[0] + "." + platform.python_version_tuple()[1],
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
    }


def _card_paths(path: Path) -> tuple[Path, Path]:
    stem = path.name.removesuffix(".joblib")
    return path.with_name(f"{stem}.model-card.json"), path.with_name(f"{stem}.model-card.md")


def save_artefact(model: Any, path: Path, kind: str, card: dict[str, Any]) -> dict[str, Any]:
    """Write ``model`` to ``path`` and its model card beside it; returns the card."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    card = {
        "kind": kind,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "retrain_with": _RETRAIN.get(kind, "adscan train"),
        **card,
    }
    joblib.dump({"kind": kind, "versions": card["versions"], "model": model}, path, compress=3)
    json_path, md_path = _card_paths(path)
    json_path.write_text(
        json.dumps(card, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8"
    )
    md_path.write_text(render_card_markdown(card), encoding="utf-8")
    return card


def load_artefact(path: Path, kind: str) -> Any:
    """The model stored at ``path``; raises ModelArtefactError with a remedy when unusable."""
    path = Path(path)
    retrain = _RETRAIN.get(kind, "adscan train")
    if not path.is_file():
        raise ModelArtefactError(
            f"Model file {str(path)!r} does not exist; run `{retrain}` to create it."
        )
    json_path, _ = _card_paths(path)
    if json_path.is_file():
        wanted = json.loads(json_path.read_text(encoding="utf-8")).get("versions", {})
        _check_versions(path, wanted, retrain)
    try:
        payload = joblib.load(path)
    except Exception as exc:  # unpickling errors come in many types
        raise ModelArtefactError(
            f"Model file {str(path)!r} cannot be read ({type(exc).__name__}: {exc}); run `{retrain}` to rebuild it."
        ) from exc
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise ModelArtefactError(
            f"Model file {str(path)!r} is not a {kind} model; run `{retrain}` to create one."
        )
    _check_versions(path, payload.get("versions", {}), retrain)
    return payload["model"]


def _check_versions(path: Path, wanted: dict[str, str], retrain: str) -> None:
    have = library_versions()
    diff = [
        f"{name} {wanted[name]} (installed: {have[name]})"
        for name in have
        if name in wanted and wanted[name] != have[name]
    ]
    if diff:
        raise ModelArtefactError(
            f"Model file {str(path)!r} was trained with {', '.join(diff)}; "
            f"run `{retrain}` to retrain it with the installed libraries."
        )


def render_card_markdown(card: dict[str, Any]) -> str:
    """A readable model card from its JSON form."""
    lines = [f"# Model card: {card.get('title', card['kind'])}", ""]
    for key, heading in (
        ("summary", "What it is"),
        ("intended_use", "Intended use"),
        ("supervision", "How it was supervised"),
        ("limits", "Limits"),
    ):
        if card.get(key):
            lines += [f"## {heading}", "", str(card[key]), ""]
    if card.get("metrics"):
        lines += ["## Metrics", "", "```json", json.dumps(card["metrics"], indent=2), "```", ""]
    if card.get("data"):
        lines += ["## Training data", "", "| file | SHA-256 |", "|---|---|"]
        lines += [f"| `{d['path']}` | `{d['sha256']}` |" for d in card["data"]]
        lines.append("")
    lines += [
        "## Reproduce",
        "",
        f"`{card.get('command', card.get('retrain_with'))}`",
        "",
        "## Versions",
        "",
        ", ".join(f"{k} {v}" for k, v in card["versions"].items()),
        "",
        f"Created {card['created']}.",
        "",
    ]
    return "\n".join(lines)
