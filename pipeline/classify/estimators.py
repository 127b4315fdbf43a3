"""Text classifiers that follow scikit-learn's conventions.

:class:`MultiLabelTagger` scores every label of a multi-label set (themes,
principles) with a calibrated probability and predicts a label when its score
passes a per-label threshold tuned on out-of-fold predictions, so no label is
forced. :class:`SingleLabelTagger` does the same for a set that allows at most
one label (the pillar). Both take raw texts, keep their parameters untouched in
``__init__``, return ``self`` from ``fit`` and name learned attributes with a
trailing underscore, so ``cross_validate`` and ``GridSearchCV`` work on them.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from ..models import featurise

DEFAULT_THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
#: Sigmoid calibration runs a 3-fold split, so each class needs at least 3 examples to be learned.
MIN_CLASS_EXAMPLES = 3


from ..served import class_distribution, sharpen, sigmoid_scores
from .stems import WORD_PATTERN, StemmedWords  # noqa: F401  (pickles name StemmedWords here)


def _sigmoid_scores(features, W, intercept, a, c) -> np.ndarray:
    """Sigmoid-calibrated linear scores ``expit(-(a * (X @ W + b) + c))``, per column: what
    each of sklearn's sigmoid calibrators computes, in one product."""
    return sigmoid_scores(np.asarray(features @ W, dtype=np.float64) + intercept, a, c)


def sharpening_power(proba, truth) -> float:
    """The power ``a`` for which ``proba ** a`` (renormalised per row) has the least log-loss
    against class indices ``truth``; fitted on out-of-fold scores, so it corrects how
    confident a blend is without learning the training texts."""
    from scipy.optimize import minimize_scalar

    logs = np.log(np.clip(np.asarray(proba, dtype=float), 1e-12, 1.0))
    picked = logs[np.arange(len(truth)), truth]

    def log_loss(power):
        return float(-np.mean(power * picked - logsumexp(power * logs, axis=1)))

    return float(minimize_scalar(log_loss, bounds=(0.25, 6.0), method="bounded").x)


def _proba_over(model, features, classes) -> np.ndarray:
    """``model.predict_proba`` laid out over ``classes`` (a fold may lack a rare class)."""
    proba = np.zeros((features.shape[0], len(classes)))
    proba[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(features)
    return proba


def _learnable(y) -> bool:
    return np.bincount(y, minlength=2).min() >= MIN_CLASS_EXAMPLES


def text_features(word_ngrams=(1, 2), char_ngrams=(2, 5), max_word_features=20000,
                  max_char_features=20000, min_df=2, stem=False) -> FeatureUnion:
    """Word and character n-gram TF-IDF: words carry topic, characters survive
    inflection, typos and compound words. ``char_ngrams=None`` (or
    ``max_char_features=0``) keeps words only: character n-grams cost about
    seven times as much to compute as words. ``stem=True`` builds the word
    n-grams over Snowball stems (:class:`StemmedWords`)."""
    if stem:
        vectorizer = TfidfVectorizer(analyzer=StemmedWords(word_ngrams), min_df=min_df,
                                     max_features=max_word_features, sublinear_tf=True, dtype=np.float32)
    else:
        vectorizer = TfidfVectorizer(ngram_range=tuple(word_ngrams), min_df=min_df, max_features=max_word_features,
                                     sublinear_tf=True, strip_accents="unicode", lowercase=True,
                                     token_pattern=WORD_PATTERN, dtype=np.float32)
    words = [("words", vectorizer)]
    if not char_ngrams or not max_char_features:
        return FeatureUnion(words)
    return FeatureUnion(words + [
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(char_ngrams), min_df=min_df,
                                  max_features=max_char_features, sublinear_tf=True, lowercase=True,
                                  dtype=np.float32)),
    ])


def best_threshold(y, scores, grid=DEFAULT_THRESHOLDS) -> float:
    """The grid value whose cut of out-of-fold ``scores`` gives the best F1 for
    ``y``; ties go to the lowest threshold. Scores from folds the model never
    trained on keep the tuning honest."""
    best, best_f1 = 0.5, -1.0
    for t in grid:
        f1 = f1_score(y, scores >= t, zero_division=0)
        if f1 > best_f1 + 1e-9:
            best, best_f1 = t, f1
    return float(best)


def linear_classifier(kind: str, C: float, class_weight="balanced", multinomial: bool = False,
                      random_state: int | None = 13):
    """The linear model under the calibration: logistic regression (default) or
    a linear SVM, whose margins the sigmoid calibration turns into probabilities.
    ``random_state`` seeds liblinear's shuffling, so the same corpus and settings give the
    same coefficients to the last bit (unseeded, they differed by about 1e-5 between runs)."""
    if kind == "linear_svm":
        return LinearSVC(C=C, class_weight=class_weight, max_iter=5000, random_state=random_state)
    if kind != "logreg":
        raise ValueError(f"unknown classifier {kind!r}: use 'logreg' or 'linear_svm'")
    if multinomial:
        return LogisticRegression(C=C, class_weight=class_weight, max_iter=2000, random_state=random_state)
    return LogisticRegression(C=C, class_weight=class_weight, max_iter=2000, solver="liblinear",
                              random_state=random_state)


def _shrink(model):
    """Keep coefficients as float32: halves the model file at no cost in accuracy."""
    for calibrated in getattr(model, "calibrated_classifiers_", []):
        estimator = calibrated.estimator
        if hasattr(estimator, "coef_"):
            estimator.coef_ = estimator.coef_.astype(np.float32)
    return model


class _TaggerBase(BaseEstimator, ClassifierMixin):
    def __init__(self, word_ngrams=(1, 2), char_ngrams=(2, 5), max_word_features=20000,
                 max_char_features=20000, min_df=2, C=8.0, cv_folds=5,
                 threshold_grid=DEFAULT_THRESHOLDS, random_state=13, classifier="logreg", features=None,
                 stem=False, vector_table=None, vector_weight=0.3, vector_C=4.0, vectors=None):
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.min_df = min_df
        self.C = C
        self.cv_folds = cv_folds
        self.threshold_grid = threshold_grid
        self.random_state = random_state
        self.classifier = classifier
        self.features = features
        self.stem = stem
        self.vector_table = vector_table
        self.vector_weight = vector_weight
        self.vector_C = vector_C
        self.vectors = vectors

    def _fit_features(self, X):
        """A fitted featuriser given as ``features`` is shared, not refitted, so
        the three label sets of a model read each text once."""
        if self.features is not None:
            return self.features
        return self._features().fit(list(X))

    def _features(self) -> FeatureUnion:
        return text_features(self.word_ngrams, self.char_ngrams, self.max_word_features,
                             self.max_char_features, self.min_df, self.stem)

    def _fit_vectors(self):
        """The word-vector view over ``features_`` (``vector_table``), or None without
        one; a fitted one given as ``vectors`` is shared like ``features``."""
        if not self.vector_table or not self.vector_weight:
            return None
        if self.vectors is not None:
            return self.vectors
        from .vectors import FeatureVectors

        return FeatureVectors(self.vector_table).fit(self.features_)

    def _calibrated(self, class_weight="balanced") -> CalibratedClassifierCV:
        base = linear_classifier(self.classifier, self.C, class_weight, random_state=self.random_state)
        return CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=False)

    def _calibrated_vectors(self, cv=3) -> CalibratedClassifierCV:
        """Logistic regression on the dense word-vector view (an SVM's margins on a
        few hundred dense dimensions calibrate worse)."""
        base = LogisticRegression(C=self.vector_C, class_weight="balanced", max_iter=3000)
        return CalibratedClassifierCV(base, method="sigmoid", cv=cv, ensemble=False)

    def _transform(self, X):
        return featurise(self.features_, list(X))

    def _vector_view(self, features):
        """The texts' word vectors, read off their TF-IDF matrix (None without the view)."""
        vectors = getattr(self, "vectors_", None)
        return None if vectors is None else vectors.transform(features)

    def _blend(self, text_scores, vector_scores):
        """Text-view scores, mixed with the vector view's by ``vector_weight`` when there is one."""
        if vector_scores is None:
            return text_scores
        return (1.0 - self.vector_weight) * text_scores + self.vector_weight * vector_scores

    def predict_proba(self, X):
        return self.predict_proba_features(self._transform(X))

    def _linear(self):
        """The fast forms of the text view's and the vector view's models (``_linear_forms``),
        built on first use and not pickled."""
        fast = self.__dict__.get("_linear_cache")
        if fast is None:
            fast = self.__dict__["_linear_cache"] = self._linear_forms()
        return fast

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_linear_cache", None)   # the fast linear forms are rebuilt from the fitted models
        return state


class MultiLabelTagger(_TaggerBase):
    """Multi-label: one calibrated one-vs-rest logistic regression per label.

    ``fit(X, Y)`` takes texts and a binary indicator matrix (n_samples,
    n_labels); ``classes`` may name the columns (else 0..n-1).
    """

    def fit(self, X, Y, classes=None):
        Y = np.asarray(Y, dtype=int)
        self.classes_ = np.asarray(classes if classes is not None else range(Y.shape[1]))
        X = list(X)
        self.features_ = self._fit_features(X)
        self.vectors_ = self._fit_vectors()
        features = self._transform(X)
        views = [(features, self._calibrated)]
        if self.vectors_ is not None:
            views.append((self._vector_view(features), self._calibrated_vectors))
        tune = self.cv_folds and self.cv_folds > 1  # cv_folds=1: leave thresholds at 0.5 (tuned elsewhere)
        folds = list(KFold(self.cv_folds, shuffle=True, random_state=self.random_state).split(X)) if tune else []
        fitted, out_of_fold = [], []
        for features, make in views:   # each view: one calibrated model per label, and its out-of-fold scores
            models, oof = self._fit_view(features, Y, make, folds)
            fitted.append(models)
            out_of_fold.append(oof)
        self.estimators_ = fitted[0]
        self.vector_estimators_ = fitted[1] if len(fitted) > 1 else None
        blended = self._blend(out_of_fold[0], out_of_fold[1] if len(out_of_fold) > 1 else None)
        self.thresholds_ = np.array([self._best_threshold(Y[:, j], blended[:, j]) if tune else 0.5
                                     for j in range(Y.shape[1])])
        self.oof_scores_ = blended if tune else None
        return self

    @staticmethod
    def _fit_view(features, Y, make, folds):
        models, out_of_fold = [], np.zeros(Y.shape, dtype=float)
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if not _learnable(y):  # a label with (almost) no examples, or only examples, cannot be learned
                models.append(float(round(y.mean())))
                out_of_fold[:, j] = round(y.mean())
                continue
            for train, test in folds:
                if not _learnable(y[train]):
                    out_of_fold[test, j] = round(y[train].mean())
                    continue
                model = make().fit(features[train], y[train])
                out_of_fold[test, j] = model.predict_proba(features[test])[:, 1]
            models.append(_shrink(make().fit(features, y)))
        return models, out_of_fold

    def _best_threshold(self, y, scores) -> float:
        return best_threshold(y, scores, self.threshold_grid)

    @staticmethod
    def _linear_form(estimators):
        """All labels' calibrated linear models as one weight matrix: the score
        is ``expit(-(a * (X @ W.T + b) + c))`` per label, exactly what each
        ``CalibratedClassifierCV`` computes, in one product instead of one call
        per label."""
        n_features = next((np.ravel(e.calibrated_classifiers_[0].estimator.coef_).size
                           for e in estimators if not isinstance(e, float)), 0)
        L = len(estimators)
        W = np.zeros((n_features, L), dtype=np.float32)
        intercept, a, c, fixed = np.zeros(L), np.zeros(L), np.zeros(L), np.full(L, np.nan)
        for j, est in enumerate(estimators):
            if isinstance(est, float):
                fixed[j] = est
                continue
            calibrated = est.calibrated_classifiers_[0]
            W[:, j] = np.ravel(calibrated.estimator.coef_)
            intercept[j] = np.ravel(calibrated.estimator.intercept_)[0]
            a[j], c[j] = calibrated.calibrators[0].a_, calibrated.calibrators[0].b_
        return W, intercept, a, c, fixed

    def _linear_forms(self):
        vector_estimators = getattr(self, "vector_estimators_", None)
        return (self._linear_form(self.estimators_),
                self._linear_form(vector_estimators) if vector_estimators is not None else None)

    @staticmethod
    def _scores(form, features):
        W, intercept, a, c, fixed = form
        proba = _sigmoid_scores(features, W, intercept, a, c)
        known = ~np.isnan(fixed)
        proba[:, known] = fixed[known]
        return proba

    def predict_proba_features(self, features):
        text_form, vector_form = self._linear()
        proba = self._scores(text_form, features)
        if vector_form is None:
            return proba
        return self._blend(proba, self._scores(vector_form, self._vector_view(features)))

    def predict(self, X):
        return (self.predict_proba(X) >= self.thresholds_).astype(int)


class SingleLabelTagger(_TaggerBase):
    """At most one label: a calibrated multinomial logistic regression; the top
    label is predicted when its score reaches ``min_score``."""

    def __init__(self, word_ngrams=(1, 2), char_ngrams=(2, 5), max_word_features=20000,
                 max_char_features=20000, min_df=2, C=8.0, cv_folds=5,
                 threshold_grid=DEFAULT_THRESHOLDS, random_state=13, classifier="logreg", features=None,
                 stem=False, vector_table=None, vector_weight=0.3, vector_C=4.0, vectors=None, min_score=0.0,
                 sharpen_blend=False):
        super().__init__(word_ngrams, char_ngrams, max_word_features, max_char_features, min_df, C,
                         cv_folds, threshold_grid, random_state, classifier, features, stem,
                         vector_table, vector_weight, vector_C, vectors)
        self.min_score = min_score
        self.sharpen_blend = sharpen_blend

    def fit(self, X, y):
        y = np.asarray(y)
        self.features_ = self._fit_features(X)
        self.vectors_ = self._fit_vectors()
        features = self._transform(X)
        base = linear_classifier(self.classifier, self.C, multinomial=True, random_state=self.random_state)
        cv = StratifiedKFold(3, shuffle=True, random_state=self.random_state)
        self.model_ = _shrink(CalibratedClassifierCV(base, method="sigmoid", cv=cv, ensemble=False)
                              .fit(features, y))
        self.vector_model_ = None
        if self.vectors_ is not None:
            self.vector_model_ = _shrink(self._calibrated_vectors(cv=cv).fit(self._vector_view(features), y))
        self.classes_ = self.model_.classes_
        self.blend_power_ = self._fit_blend_power(features, y, base, cv) if self.sharpen_blend else 1.0
        return self

    def _fit_blend_power(self, features, y, base, cv) -> float:
        """A mean of two calibrated distributions is less confident than either (cross-validated
        pillar ECE 0.047 for the 0.2 blend against 0.033 for the text model alone), so the
        blend is sharpened: ``p ** a``, renormalised, with ``a`` fitted by log-loss on
        out-of-fold blended scores. One parameter, and the top class never changes."""
        if self.vector_model_ is None:
            return 1.0
        vector_view = self._vector_view(features)
        blended, truth = np.zeros((len(y), len(self.classes_))), np.searchsorted(self.classes_, y)
        for train, test in cv.split(features, y):
            text = CalibratedClassifierCV(clone(base), method="sigmoid", cv=3, ensemble=False).fit(features[train], y[train])
            vector = self._calibrated_vectors().fit(vector_view[train], y[train])
            blended[test] = self._blend(_proba_over(text, features[test], self.classes_),
                                        _proba_over(vector, vector_view[test], self.classes_))
        return sharpening_power(blended, truth)

    @staticmethod
    def _multiclass_form(model):
        """A calibrated multiclass linear model as arrays: per class the score
        ``expit(-(a * (X @ W + b) + c))``, normalised over the classes, which is
        what ``CalibratedClassifierCV.predict_proba`` computes, without the
        input checks that cost more than the arithmetic on a ten-practice
        document. None where that shortcut does not hold (two classes, or
        another calibration), and the model itself is called."""
        if model is None or len(model.calibrated_classifiers_) != 1:
            return None
        calibrated = model.calibrated_classifiers_[0]
        coef = getattr(calibrated.estimator, "coef_", None)
        n_classes = len(calibrated.classes)
        if calibrated.method != "sigmoid" or n_classes <= 2 or coef is None or coef.shape[0] != n_classes:
            return None
        positions = np.searchsorted(calibrated.classes, calibrated.estimator.classes_)
        a = np.array([calibrator.a_ for calibrator in calibrated.calibrators])
        c = np.array([calibrator.b_ for calibrator in calibrated.calibrators])
        return np.asarray(coef, dtype=np.float64).T, np.ravel(calibrated.estimator.intercept_), a, c, positions

    @staticmethod
    def _multiclass_scores(form, model, features):
        if form is None:
            return model.predict_proba(features)
        W, intercept, a, c, positions = form
        return class_distribution(_sigmoid_scores(features, W, intercept, a, c), positions, W.shape[1])

    def _linear_forms(self):
        return self._multiclass_form(self.model_), self._multiclass_form(getattr(self, "vector_model_", None))

    def predict_proba_features(self, features):
        text_form, vector_form = self._linear()
        proba = self._multiclass_scores(text_form, self.model_, features)
        model = getattr(self, "vector_model_", None)
        if model is None:
            return proba
        blended = self._blend(proba, self._multiclass_scores(vector_form, model, self._vector_view(features)))
        return sharpen(blended, getattr(self, "blend_power_", 1.0))

    def predict(self, X):
        proba = self.predict_proba(X)
        top = proba.argmax(axis=1)
        return np.array([self.classes_[i] if proba[k, i] >= self.min_score else None
                         for k, i in enumerate(top)], dtype=object)
