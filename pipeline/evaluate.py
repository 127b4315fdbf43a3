"""Scores of a model against labelled practices.

Per label set: micro and macro F1, per-label precision/recall/F1, subset
accuracy, expected calibration error (ECE, 10 equal-width bins over every
(practice, label) score), and how often nothing was predicted; accuracy for the
single-label pillar.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from .corpus import Taxonomy, training_text
from .models import TaggerBundle


def expected_calibration_error(y_true: np.ndarray, scores: np.ndarray, bins: int = 10) -> float:
    y_true, scores = np.ravel(y_true).astype(float), np.ravel(scores).astype(float)
    if y_true.size == 0:
        return 0.0
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            error += mask.mean() * abs(scores[mask].mean() - y_true[mask].mean())
    return float(error)


def indicator(records: list[dict], field: str, labels: list[str]) -> np.ndarray:
    position = {label: j for j, label in enumerate(labels)}
    Y = np.zeros((len(records), len(labels)), dtype=int)
    for i, record in enumerate(records):
        for label in record.get(field) or []:
            if label in position:
                Y[i, position[label]] = 1
    return Y


def multilabel_report(Y: np.ndarray, predicted: np.ndarray, scores: np.ndarray, labels: list[str]) -> dict:
    p, r, f, support = precision_recall_fscore_support(Y, predicted, zero_division=0)
    present = support > 0
    return {
        "micro_f1": round(float(f1_score(Y, predicted, average="micro", zero_division=0)), 4),
        "macro_f1": round(float(np.mean(f[present])) if present.any() else 0.0, 4),
        "subset_accuracy": round(float(accuracy_score(Y, predicted)), 4),
        "ece": round(expected_calibration_error(Y, scores), 4),
        "no_label_predicted": int((predicted.sum(axis=1) == 0).sum()),
        "n": int(Y.shape[0]),
        "per_label": {label: {"precision": round(float(p[j]), 4), "recall": round(float(r[j]), 4),
                              "f1": round(float(f[j]), 4), "support": int(support[j])}
                      for j, label in enumerate(labels)},
    }


def evaluate_bundle(bundle: TaggerBundle, records: list[dict], taxonomy: Taxonomy) -> dict:
    """Metrics of ``bundle`` on labelled corpus-style records."""
    texts = [training_text(r) for r in records]
    scored = bundle.score_texts(texts)
    report: dict = {}
    for name in ("themes", "principles"):
        labels, proba, predicted = scored[name]
        report[name] = multilabel_report(indicator(records, name, labels), predicted.astype(int), proba, labels)
    labels, proba, predicted = scored["pillar"]
    with_pillar = [i for i, r in enumerate(records) if r.get("pillar") in labels]
    if with_pillar:
        truth = [records[i]["pillar"] for i in with_pillar]
        guess = [labels[int(proba[i].argmax())] for i in with_pillar]
        onehot = np.array([[t == label for label in labels] for t in truth], dtype=float)
        report["pillar"] = {"accuracy": round(float(accuracy_score(truth, guess)), 4),
                            "ece": round(expected_calibration_error(onehot, proba[with_pillar]), 4),
                            "n": len(with_pillar)}
    return report
