"""The sentence-role tagger's served form: its vocabularies and coefficients as arrays.

:func:`export_role_tagger` reads a fitted
:class:`~.role_tagger.SentenceRoleTagger`; :class:`ServedRoleTagger` tags with
the same ``predict`` / ``predict_proba`` contract from the arrays alone
(NumPy, no scikit-learn, no pickle), so a worker that segments documents
starts without importing scikit-learn.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..served import (NotServable, Rows, TfidfTable, WordAnalyzer, read_served, rows_from_counts,
                      vectorizer_check, vectorizer_terms, write_served)
from .roles import SentenceUnit, layout_features, normalise, viterbi


def export_role_tagger(tagger) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of a fitted SentenceRoleTagger's served form."""
    words, layout, classifier = tagger.words_, tagger.layout_, tagger.classifier_
    vectorizer_check(words)
    if words.analyzer != "word" or words.strip_accents is not None or not words.sublinear_tf:
        raise NotServable("the role tagger's word features are not the default word analyzer")
    if classifier.coef_.shape[0] != len(classifier.classes_):
        raise NotServable("a two-role tagger is not served")
    order = [list(classifier.classes_).index(c) for c in tagger.classes_]   # columns in ROLES order
    meta = {"terms": vectorizer_terms(words), "token_pattern": words.token_pattern,
            "ngram_range": list(words.ngram_range), "lowercase": bool(words.lowercase),
            "layout": vectorizer_terms(layout), "classes": [str(c) for c in tagger.classes_],
            "transition_weight": float(tagger.transition_weight)}
    arrays = {"idf": np.asarray(words.idf_, dtype=np.float32),
              "coef": np.asarray(classifier.coef_[order], dtype=np.float32),
              "intercept": np.asarray(classifier.intercept_[order], dtype=np.float32),
              "log_start": np.asarray(tagger.log_start_), "log_transitions": np.asarray(tagger.log_transitions_)}
    return meta, arrays


def save_served_role_tagger(tagger, path: str | Path) -> None:
    meta, arrays = export_role_tagger(tagger)
    write_served(path, meta, arrays)


class ServedRoleTagger:
    """Sentence roles from the served arrays: a softmax over word and layout features,
    then Viterbi smoothing, as the fitted tagger computes them."""

    def __init__(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]):
        analyzer = WordAnalyzer(meta["token_pattern"], tuple(meta["ngram_range"]), meta["lowercase"])
        self.words = TfidfTable(meta["terms"], arrays["idf"], analyzer)
        self.layout = {name: j for j, name in enumerate(meta["layout"])}
        self.classes_ = np.array(meta["classes"])
        self.transition_weight = meta["transition_weight"]
        self.weights = np.ascontiguousarray(arrays["coef"].T)   # (features, roles)
        self.intercept = arrays["intercept"]
        self.log_start, self.log_transitions = arrays["log_start"], arrays["log_transitions"]

    @classmethod
    def load(cls, path: str | Path) -> "ServedRoleTagger":
        """The tagger in a served file; a file whose arrays do not fit together is a ModelError."""
        meta, arrays = read_served(path)
        try:
            tagger = cls(meta, arrays)
            roles, features = len(tagger.classes_), len(tagger.words.terms) + len(tagger.layout)
            if tagger.weights.shape != (features, roles) or tagger.intercept.shape != (roles,) \
                    or tagger.log_transitions.shape != (roles, roles) or tagger.log_start.shape != (roles,):
                raise ValueError("arrays of mismatched shapes")
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
            raise ModelError(f"{path} is not a served role tagger this code can read "
                             f"({type(exc).__name__}: {exc})") from exc
        return tagger

    def _matrix(self, docs: list[list[SentenceUnit]]) -> Rows:
        texts = [normalise(u.text) for doc in docs for u in doc]
        layouts = [{self.layout[k]: v for k, v in f.items() if k in self.layout}
                   for doc in docs for f in layout_features(doc)]
        return self.words.transform(texts).hstack(rows_from_counts(layouts, len(self.layout)))

    def predict_proba(self, X: list[list[SentenceUnit]]) -> list[np.ndarray]:
        """Per document, the unsmoothed role probabilities (n_sentences, n_roles)."""
        lengths = [len(doc) for doc in X]
        if not sum(lengths):
            return [np.zeros((0, len(self.classes_))) for _ in X]
        decision = self._matrix(X).dot(self.weights) + self.intercept
        decision = decision - decision.max(axis=1, keepdims=True)
        proba = np.exp(decision)
        proba /= proba.sum(axis=1, keepdims=True)
        return np.split(proba, np.cumsum(lengths)[:-1])

    def predict(self, X: list[list[SentenceUnit]]) -> list[list[str]]:
        """Per document, the most likely role sequence."""
        return [[str(self.classes_[i]) for i in viterbi(p, self.log_start, self.log_transitions,
                                                         self.transition_weight)]
                for p in self.predict_proba(X)]
