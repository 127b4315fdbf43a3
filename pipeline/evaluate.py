"""Scores of a model against labelled practices.

Per label set: micro and macro F1, per-label precision/recall/F1, subset
accuracy, expected calibration error (ECE, 10 equal-width bins over every
(practice, label) score), and how often nothing was predicted; accuracy for the
single-label pillar.

:func:`evaluate` (``hrc evaluate``) adds what an analyst needs to trust the
figures: bootstrap confidence intervals, the reliability curve, confusion
between labels, breakdowns by text style and world region, and the
segmentation figures when the segmenter's evaluation is available. Rendering
lives in :mod:`pipeline.evaluation_report`.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from .config import PRACTICES_FILE, SEGMENTS_FILE
from .config import settings as load_settings
from .corpus import Taxonomy, load_practices, load_taxonomy, training_text
from .errors import CorpusError
from .models import TaggerBundle, load_scorer

log = logging.getLogger(__name__)


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


def reliability_curve(y_true: np.ndarray, scores: np.ndarray, bins: int = 10) -> list[dict]:
    """Per equal-width score bin: mean score, observed frequency, count."""
    y_true, scores = np.ravel(y_true).astype(float), np.ravel(scores).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    curve = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            curve.append({"low": round(float(edges[b]), 2), "high": round(float(edges[b + 1]), 2),
                          "mean_score": round(float(scores[mask].mean()), 4),
                          "observed": round(float(y_true[mask].mean()), 4), "count": int(mask.sum())})
    return curve


def bootstrap_intervals(Y: np.ndarray, predicted: np.ndarray, samples: int = 1000, level: float = 0.95,
                        seed: int = 13) -> dict:
    """Percentile bootstrap over practices: intervals for each label's
    precision/recall/F1 and for micro/macro F1. Practices, not labels, are
    resampled, because labels of one practice are not independent."""
    rng = np.random.default_rng(seed)
    n = Y.shape[0]
    per_label = {m: [] for m in ("precision", "recall", "f1")}
    micro, macro = [], []
    for _ in range(samples):
        pick = rng.integers(0, n, n)
        y, p = Y[pick], predicted[pick]
        tp = (y & p).sum(axis=0).astype(float)
        fp = ((1 - y) & p).sum(axis=0)
        fn = (y & (1 - p)).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
            recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
            f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        per_label["precision"].append(precision)
        per_label["recall"].append(recall)
        per_label["f1"].append(f1)
        total = 2 * tp.sum() + fp.sum() + fn.sum()
        micro.append(2 * tp.sum() / total if total else 0.0)
        present = y.sum(axis=0) > 0
        macro.append(float(f1[present].mean()) if present.any() else 0.0)
    low, high = (1 - level) / 2 * 100, (1 + level) / 2 * 100

    def interval(values):
        return [round(float(np.percentile(values, low)), 4), round(float(np.percentile(values, high)), 4)]

    out = {"micro_f1": interval(micro), "macro_f1": interval(macro), "per_label": []}
    stacked = {m: np.vstack(v) for m, v in per_label.items()}
    for j in range(Y.shape[1]):
        out["per_label"].append({m: interval(stacked[m][:, j]) for m in stacked})
    return out


def label_confusion(Y: np.ndarray, predicted: np.ndarray) -> list[list[int]]:
    """Counts of practices with true label i (row) that got predicted label j
    (column): the diagonal is hits, the rest shows which labels are mistaken
    for which."""
    return (Y.T.astype(int) @ predicted.astype(int)).tolist()


def practice_text(record: dict) -> str:
    """What the classifier reads for a labelled record: corpus records carry
    ``text``; gold seed records carry ``title`` and ``sections``, which are
    joined in document order as the segmenter would hand them over."""
    if record.get("text"):
        return training_text(record)
    parts = [record.get("title") or ""]
    parts += [v for v in (record.get("sections") or {}).values() if v]
    return "\n".join(p for p in parts if p).strip()


def record_region(record: dict, regions: dict, country_regions: dict) -> str:
    """The world region of a labelled record: its ``region`` field, else its
    corpus writing batch (``b3-017`` -> batch ``b3``), else its country."""
    if record.get("region"):
        return str(record["region"])
    batch = str(record.get("id", "")).split("-")[0]
    if batch in regions:
        return regions[batch]
    country = str(record.get("country") or "").strip()
    return country_regions.get(country.lower(), "unknown")


def record_style(record: dict) -> str:
    """The text style of a labelled record: its ``style`` field, else read from
    its parts (a lede or quote is a news item, headed challenge/solution parts
    a report entry)."""
    if record.get("style"):
        return str(record["style"])
    sections = record.get("sections") or {}
    if "lede" in sections or "quote" in sections:
        return "news"
    if "challenge" in sections or "solution" in sections:
        return "report"
    return "unknown"


def country_regions(records: list[dict], regions: dict) -> dict:
    """Country -> region as the corpus batches place it (the most common one)."""
    votes: dict[str, Counter] = {}
    for record in records:
        batch = str(record.get("id", "")).split("-")[0]
        if batch in regions and record.get("country"):
            votes.setdefault(record["country"].lower(), Counter())[regions[batch]] += 1
    return {country: counter.most_common(1)[0][0] for country, counter in votes.items()}


def _group_scores(records, scored, taxonomy, key) -> dict:
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        groups.setdefault(key(record), []).append(i)
    out = {}
    for group, rows in sorted(groups.items()):
        entry = {"n": len(rows)}
        for name in ("themes", "principles"):
            labels, _, predicted = scored[name]
            Y = indicator([records[i] for i in rows], name, labels)
            entry[f"{name}_micro_f1"] = round(float(f1_score(Y, predicted[rows].astype(int), average="micro",
                                                             zero_division=0)), 4)
        labels, proba, _ = scored["pillar"]
        with_pillar = [i for i in rows if records[i].get("pillar") in labels]
        entry["pillar_accuracy"] = (round(float(np.mean([labels[int(proba[i].argmax())] == records[i]["pillar"]
                                                          for i in with_pillar])), 4) if with_pillar else None)
        out[group] = entry
    return out


def segmentation_figures(gold: str | Path | None) -> dict:
    """Hook for the segmenter's own evaluation
    (``pipeline.segment.evaluation.evaluate_segmentation(records) -> dict`` on
    the held-out documents of ``corpus/segments.jsonl``). Returns
    ``{"available": False, "reason": ...}`` while that module is absent or when
    a gold file other than the corpus was given."""
    if gold is not None:
        return {"available": False, "reason": "segmentation is scored on the corpus segment documents only"}
    try:
        from .segment.evaluation import evaluate_segmentation
    except ImportError:
        return {"available": False, "reason": "pipeline.segment.evaluation is not available"}
    if not SEGMENTS_FILE.exists():
        return {"available": False, "reason": f"{SEGMENTS_FILE} not found"}
    documents = [d for d in load_practices(SEGMENTS_FILE) if d.get("split") == "test"]
    return dict(evaluate_segmentation(documents), available=True, n_documents=len(documents))


def evaluate(gold: str | Path | None = None, model: str | TaggerBundle | None = None,
             settings: dict | None = None, taxonomy: Taxonomy | None = None) -> dict:
    """Score ``model`` (default: the default model) on labelled practices: the
    corpus's held-out split, or every record of ``gold`` (any JSONL of
    practices with ``themes``/``principles``/``pillar``, corpus-style ``text``
    or seed-style ``title`` + ``sections``). A model named by folder or version is
    read as classifying reads it (:func:`pipeline.models.load_scorer`), so the figures
    are those of what ``hrc classify`` serves."""
    settings = settings or load_settings()
    options = settings["evaluate"]
    taxonomy = taxonomy or load_taxonomy()
    bundle = model if hasattr(model, "score_texts") else load_scorer(model, taxonomy=taxonomy)
    corpus = load_practices(PRACTICES_FILE)
    if gold is None:
        records, source = [r for r in corpus if r.get("split") == "test"], f"{PRACTICES_FILE.name} (test split)"
    else:
        records, source = load_practices(gold), str(gold)
    records = [r for r in records if isinstance(r.get("themes"), list)]
    if not records:
        raise CorpusError(f"no labelled practices (with a 'themes' list) in {source}")
    texts = [practice_text(r) for r in records]
    scored = bundle.score_texts(texts)
    bins, samples, seed = options["calibration_bins"], options["bootstrap_samples"], options["seed"]
    report: dict = {"source": source, "n": len(records), "model": bundle.version,
                    "taxonomy_version": bundle.card.get("taxonomy_version"), "sets": {}}
    for name in ("themes", "principles"):
        labels, proba, predicted = scored[name]
        Y = indicator(records, name, labels)
        P = predicted.astype(int)
        entry = multilabel_report(Y, P, proba, labels)
        entry["ece"] = round(expected_calibration_error(Y, proba, bins), 4)
        intervals = bootstrap_intervals(Y, P, samples, options["confidence"], seed)
        entry["micro_f1_ci"], entry["macro_f1_ci"] = intervals["micro_f1"], intervals["macro_f1"]
        for label, ci in zip(labels, intervals["per_label"]):
            entry["per_label"][label].update({f"{m}_ci": v for m, v in ci.items()})
        entry["reliability"] = reliability_curve(Y, proba, bins)
        entry["confusion"] = {"labels": labels, "matrix": label_confusion(Y, P)}
        report["sets"][name] = entry
    labels, proba, _ = scored["pillar"]
    rows = [i for i, r in enumerate(records) if r.get("pillar") in labels]
    if rows:
        truth = [records[i]["pillar"] for i in rows]
        guess = [labels[int(proba[i].argmax())] for i in rows]
        onehot = np.array([[t == label for label in labels] for t in truth], dtype=float)
        correct = np.array([t == g for t, g in zip(truth, guess)], dtype=float)
        rng = np.random.default_rng(seed)
        draws = [correct[rng.integers(0, len(correct), len(correct))].mean() for _ in range(samples)]
        low, high = (1 - options["confidence"]) / 2 * 100, (1 + options["confidence"]) / 2 * 100
        report["sets"]["pillar"] = {
            "accuracy": round(float(correct.mean()), 4),
            "accuracy_ci": [round(float(np.percentile(draws, low)), 4), round(float(np.percentile(draws, high)), 4)],
            "ece": round(expected_calibration_error(onehot, proba[rows], bins), 4),
            "reliability": reliability_curve(onehot, proba[rows], bins),
            "confusion": {"labels": labels, "matrix": [[sum(t == a and g == b for t, g in zip(truth, guess))
                                                        for b in labels] for a in labels]},
            "n": len(rows)}
    regions = options["regions"]
    lookup = country_regions(corpus, regions)
    report["by_style"] = _group_scores(records, scored, taxonomy, record_style)
    report["by_region"] = _group_scores(records, scored, taxonomy, lambda r: record_region(r, regions, lookup))
    report["segmentation"] = segmentation_figures(gold)
    return report
