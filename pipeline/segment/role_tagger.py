"""The sentence-role estimator (scikit-learn): fitted by ``hrc train-segmenter``.

It follows scikit-learn conventions with X = a list of documents, each a list
of :class:`~.roles.SentenceUnit` (:func:`~.roles.sentence_units`), and y = a
list of role lists. Tagging reads its served form (:mod:`.served`) instead,
which needs neither scikit-learn nor a pickle.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from .roles import ROLES, SentenceUnit, layout_features, normalise, viterbi


class SentenceRoleTagger(BaseEstimator, ClassifierMixin):
    """Sentence roles from words and layout, smoothed over the document.

    ``transition_weight`` scales the learned transition log-probabilities
    against the per-sentence log-scores (0 = no smoothing).
    """

    def __init__(self, C: float = 4.0, max_features: int = 20000, ngram_range: tuple[int, int] = (1, 2),
                 min_df: int = 2, transition_weight: float = 1.0, random_state: int = 13):
        self.C = C
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.transition_weight = transition_weight
        self.random_state = random_state

    # -- features ---------------------------------------------------------------
    def _matrix(self, docs: list[list[SentenceUnit]], fit: bool = False):
        texts = [normalise(u.text) for doc in docs for u in doc]
        layouts = [f for doc in docs for f in layout_features(doc)]
        if fit:
            self.words_ = TfidfVectorizer(ngram_range=tuple(self.ngram_range), max_features=self.max_features,
                                          min_df=self.min_df, sublinear_tf=True, dtype=np.float32)
            self.layout_ = DictVectorizer(dtype=np.float32)
            return sparse.hstack([self.words_.fit_transform(texts), self.layout_.fit_transform(layouts)]).tocsr()
        return sparse.hstack([self.words_.transform(texts), self.layout_.transform(layouts)]).tocsr()

    def fit(self, X: list[list[SentenceUnit]], y: list[list[str]]):
        labels = [role for doc in y for role in doc]
        self.classes_ = np.array([r for r in ROLES if r in set(labels)])
        index = {r: i for i, r in enumerate(self.classes_)}
        self.classifier_ = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced",
                                              random_state=self.random_state)
        self.classifier_.fit(self._matrix(X, fit=True), labels)
        k = len(self.classes_)
        transitions = np.ones((k, k))
        starts = np.ones(k)
        for roles in y:
            if roles:
                starts[index[roles[0]]] += 1
            for a, b in zip(roles, roles[1:]):
                transitions[index[a], index[b]] += 1
        self.log_start_ = np.log(starts / starts.sum())
        self.log_transitions_ = np.log(transitions / transitions.sum(axis=1, keepdims=True))
        return self

    def predict_proba(self, X: list[list[SentenceUnit]]) -> list[np.ndarray]:
        """Per document, the unsmoothed role probabilities (n_sentences, n_roles)."""
        lengths = [len(doc) for doc in X]
        if not sum(lengths):
            return [np.zeros((0, len(self.classes_))) for _ in X]
        proba = self.classifier_.predict_proba(self._matrix(X))
        order = [list(self.classifier_.classes_).index(c) for c in self.classes_]
        proba = proba[:, order]
        return np.split(proba, np.cumsum(lengths)[:-1])

    def predict(self, X: list[list[SentenceUnit]]) -> list[list[str]]:
        """Per document, the most likely role sequence (Viterbi)."""
        return [self._viterbi(p) for p in self.predict_proba(X)]

    def _viterbi(self, proba: np.ndarray) -> list[str]:
        path = viterbi(proba, self.log_start_, self.log_transitions_, self.transition_weight)
        return [str(self.classes_[i]) for i in path]
