"""Why a label was predicted: the terms and the sentence that drove it.

For the linear TF-IDF taggers a label's score is a sigmoid of
``coef · tfidf(text)``, so each feature's share is its coefficient times its
TF-IDF value in this text. The terms reported are the word n-grams with the
largest positive shares (character n-grams count towards the score but are
not readable on their own). A tagger that blends in word vectors credits each
term with its part in both views (see :func:`_coefficients`), so a word the
corpus rarely used can still be named when its meaning drove the score. The sentence reported is the one the same model
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


def _column_coef(model, column: int | None) -> tuple[np.ndarray, float] | None:
    """(coefficients, calibration slope) of one calibrated linear model; ``column``
    picks a class of a multi-class one."""
    if model is None or isinstance(model, float):
        return None
    calibrated = model.calibrated_classifiers_[0]
    coef = calibrated.estimator.coef_
    if column is None:
        return np.ravel(coef), -float(calibrated.calibrators[0].a_)
    coef = coef[column] if coef.shape[0] > 1 else (coef[0] if column == 1 else -coef[0])
    calibrator = calibrated.calibrators[min(column, len(calibrated.calibrators) - 1)]
    return np.ravel(coef), -float(calibrator.a_)


def _coefficients(estimator, column: int, row=None) -> np.ndarray | None:
    """The per-feature coefficients behind one label's score, if linear.

    With a word-vector view the score blends two calibrated models; the vector
    model is linear in the TF-IDF row too once the text's vector length is fixed
    (``row``), so each view's coefficients are brought to the TF-IDF columns,
    scaled by its calibration slope and blend weight, and added: a term's share
    is then its part of the blended score's log-odds, whichever view it acts through."""
    multi = hasattr(estimator, "estimators_")
    text = _column_coef(estimator.estimators_[column] if multi else getattr(estimator, "model_", None),
                        None if multi else column)
    if text is None:
        return None
    vectors = getattr(estimator, "vectors_", None)
    vector_model = (estimator.vector_estimators_[column] if multi else estimator.vector_model_) \
        if vectors is not None else None
    vector = _column_coef(vector_model, None if multi else column)
    if vector is None or row is None:
        return text[0]
    dense = vectors._dense()
    norm = float(np.linalg.norm(np.asarray(row @ dense)))
    through_vectors = dense @ vector[0] / norm if norm else np.zeros(dense.shape[0])
    weight = estimator.vector_weight
    return (1 - weight) * text[1] * text[0] + weight * vector[1] * through_vectors


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


def _entry(pairs, readable: dict[str, str], top_terms: int) -> list[dict]:
    """The ``top_terms`` (term, share) pairs with the largest positive shares, terms as the text's words."""
    words = sorted(((readable.get(term, term), float(share)) for term, share in pairs if share > 0),
                   key=lambda t: -t[1])
    return [{"term": term, "weight": round(share, 4)} for term, share in words[:top_terms]]


def explain_served(model, text: str, chosen: dict[str, list[str]], top_terms: int = 5) -> dict:
    """:func:`explain` for a served model (:class:`~pipeline.classify.served.ServedTagger`)."""
    parts = sentences(text)
    out: dict[str, dict] = {}
    for name, labels in chosen.items():
        if not labels:
            continue
        sentence_scores = model.scores(name, parts)
        classes = model.sets[name]["classes"]
        table = model.table(name)
        row = table.transform([text])             # once per set, not per label
        readable = table.analyzer.surface_forms(text) if hasattr(table.analyzer, "surface_forms") else {}
        out[name] = {}
        for label in labels:
            coef = model.term_weights(name, label, row)
            j = classes.index(label)
            best = int(np.argmax(sentence_scores[:, j]))
            out[name][label] = {
                "terms": _entry(((table.terms[i], v * coef[i]) for i, v in zip(row.indices, row.data)),
                                readable, top_terms),
                "sentence": parts[best], "sentence_score": round(float(sentence_scores[best, j]), 4)}
    return out


def explain(model: TaggerBundle, text: str, chosen: dict[str, list[str]], top_terms: int = 5) -> dict:
    """For each label set, for each label in ``chosen[set]``: its top terms
    (term and share of the linear score) and the sentence that scores highest."""
    if not isinstance(model, TaggerBundle):
        return explain_served(model, text, chosen, top_terms)
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
            coef = _coefficients(estimator, j, row)
            if coef is not None and row is not None:
                idx, values = row.indices, row.data
                entry["terms"] = _entry(((names[i][len(WORD_FEATURES):], s) for i, s in zip(idx, values * coef[idx])
                                         if names[i].startswith(WORD_FEATURES)), readable, top_terms)
            best = int(np.argmax(sentence_scores[:, j]))
            entry["sentence"] = parts[best]
            entry["sentence_score"] = round(float(sentence_scores[best, j]), 4)
            out[name][label] = entry
    return out
