"""PNG plots for model evaluation: confusion matrix, precision–recall, calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_calibration", "plot_confusion", "plot_precision_recall"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(y_true, y_pred, labels, path: Path, title: str) -> Path:
    """Confusion matrix (counts) as a PNG."""
    from sklearn.metrics import confusion_matrix

    plt = _pyplot()
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            colour = "white" if cm[i, j] > cm.max() / 2 else "black"
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=colour)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_precision_recall(y_true, scores, labels, path: Path, title: str) -> Path:
    """One-vs-rest precision–recall curves; ``scores`` has one column per label (or is 1-D for binary)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = _pyplot()
    y_true = np.asarray(y_true)
    scores = np.asarray(scores)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    columns = (
        [(labels[0], scores)] if scores.ndim == 1 else list(zip(labels, scores.T, strict=True))
    )
    for label, col in columns:
        positive = (y_true == label).astype(int)
        if positive.sum() == 0:
            continue
        precision, recall, _ = precision_recall_curve(positive, col)
        ap = average_precision_score(positive, col)
        ax.plot(recall, precision, label=f"{label} (AP {ap:.2f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_calibration(y_true, scores, labels, path: Path, title: str, bins: int = 10) -> Path:
    """Reliability diagram: mean predicted probability against observed frequency."""
    from sklearn.calibration import calibration_curve

    plt = _pyplot()
    y_true = np.asarray(y_true)
    scores = np.asarray(scores)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", label="perfect")
    columns = (
        [(labels[0], scores)] if scores.ndim == 1 else list(zip(labels, scores.T, strict=True))
    )
    for label, col in columns:
        positive = (y_true == label).astype(int)
        if positive.sum() == 0 or positive.sum() == len(positive):
            continue
        frac, mean = calibration_curve(positive, col, n_bins=bins, strategy="quantile")
        ax.plot(mean, frac, marker="o", label=str(label))
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
