"""Why a label was predicted: the terms and the sentence that drove it.

For the linear TF-IDF taggers a label's score is a sigmoid of
``coef · tfidf(text)``, so each feature's share is its coefficient times its
TF-IDF value in this text. The terms reported are the word n-grams with the
largest positive shares (character n-grams count towards the score but are
not readable on their own). The sentence reported is the one the same model
scores highest for the label when it reads each sentence alone.
"""
from __future__ import annotations

import re

import numpy as np

from ..models import TaggerBundle, featurise

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"'«“(\[]?[A-Z0-9À-Ý])|\n+")
WORD_FEATURES = "words__"


def sentences(text: str, min_chars: int = 12) -> list[str]:
    """Sentences and lines of ``text`` (headings and bullets are their own lines)."""
    parts = [" ".join(p.split()) for p in SENTENCE_END.split(text)]
    return [p for p in parts if len(p) >= min_chars] or [" ".join(text.split())]


def _coefficients(estimator, column: int) -> np.ndarray | None:
    """The linear model's coefficients behind one label's score, if linear."""
    if hasattr(estimator, "estimators_"):  # MultiLabelTagger: one calibrated model per label
        model = estimator.estimators_[column]
        if isinstance(model, float):
            return None
        return np.ravel(model.calibrated_classifiers_[0].estimator.coef_)
    if hasattr(estimator, "model_"):  # SingleLabelTagger: one multi-class model
        coef = estimator.model_.calibrated_classifiers_[0].estimator.coef_
        return coef[column] if coef.shape[0] > 1 else (coef[0] if column == 1 else -coef[0])
    return None


def _feature_names(estimator) -> np.ndarray | None:
    if not hasattr(estimator, "features_"):
        return None
    names = getattr(estimator, "_feature_names_cache", None)
    if names is None:
        names = estimator.features_.get_feature_names_out()
        estimator._feature_names_cache = names
    return names


def _surface_forms(estimator, text: str) -> dict[str, str]:
    """Stemmed features read back as the words of ``text`` they came from (empty for plain words)."""
    words = dict(estimator.features_.transformer_list).get("words")
    analyzer = getattr(words, "analyzer", None)
    return analyzer.surface_forms(text) if hasattr(analyzer, "surface_forms") else {}


def explain(model: TaggerBundle, text: str, chosen: dict[str, list[str]], top_terms: int = 5) -> dict:
    """For each label set, for each label in ``chosen[set]``: its top terms
    (term and share of the linear score) and the sentence that scores highest."""
    parts = sentences(text)
    out: dict[str, dict] = {}
    for name, labels in chosen.items():
        if not labels:
            continue
        estimator = model.estimators[name]
        classes = [str(c) for c in estimator.classes_]
        sentence_scores = estimator.predict_proba(parts)
        names = _feature_names(estimator)
        row = featurise(estimator.features_, [text]).tocsr() if names is not None else None
        readable = _surface_forms(estimator, text) if names is not None else {}   # once per set, not per label
        out[name] = {}
        for label in labels:
            j = classes.index(label)
            entry: dict = {}
            coef = _coefficients(estimator, j)
            if coef is not None and row is not None:
                idx, values = row.indices, row.data
                shares = values * coef[idx]
                words = [(readable.get(term, term), float(s)) for term, s in
                         ((names[i][len(WORD_FEATURES):], s) for i, s in zip(idx, shares)
                          if s > 0 and names[i].startswith(WORD_FEATURES))]
                words.sort(key=lambda t: -t[1])
                entry["terms"] = [{"term": term, "weight": round(share, 4)} for term, share in words[:top_terms]]
            best = int(np.argmax(sentence_scores[:, j]))
            entry["sentence"] = parts[best]
            entry["sentence_score"] = round(float(sentence_scores[best, j]), 4)
            out[name][label] = entry
    return out
