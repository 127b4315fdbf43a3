"""The tagger's served form: its three label sets as arrays, scored without scikit-learn.

:func:`export_tagger` reads a fitted :class:`~pipeline.models.TaggerBundle`
(TF-IDF over words or stems, sigmoid-calibrated linear models per label, the
pillar's calibrated multiclass model) into arrays; :class:`ServedTagger`
scores texts from them with the same ``score_texts`` contract as the bundle,
so :func:`pipeline.classify.classify` takes either. Models with a part the
arrays do not reproduce (character n-grams, the word-vector view, a two-class
pillar) raise :class:`~pipeline.errors.NotServable` and keep only their pickle.
Explanations read the same arrays (:meth:`ServedTagger.term_weights`), so
``--explain`` scores exactly as a plain run does.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..served import (NotServable, TfidfTable, WordAnalyzer, class_distribution, read_served, sharpen,
                      sigmoid_scores, top_label_mask, vectorizer_check, vectorizer_terms, write_served)
from .stems import StemmedWords

MULTI, SINGLE = "multi", "single"


# -- export (reads fitted scikit-learn objects; only training code calls it) ---------
def _table_meta(featuriser) -> tuple[dict[str, Any], np.ndarray]:
    parts = getattr(featuriser, "transformer_list", None)
    if parts is None or len(parts) != 1 or getattr(featuriser, "transformer_weights", None):
        raise NotServable("only a single word or stem TF-IDF featuriser is served (no character n-grams)")
    vectorizer = parts[0][1]
    vectorizer_check(vectorizer)
    analyzer = vectorizer.analyzer
    if isinstance(analyzer, StemmedWords):
        spec = {"kind": "stems", "ngram_range": list(analyzer.ngram_range), "language": analyzer.language}
    elif analyzer == "word":
        spec = {"kind": "words", "token_pattern": vectorizer.token_pattern,
                "ngram_range": list(vectorizer.ngram_range), "lowercase": bool(vectorizer.lowercase),
                "accents": vectorizer.strip_accents == "unicode"}
        if vectorizer.strip_accents not in (None, "unicode"):
            raise NotServable(f"strip_accents={vectorizer.strip_accents!r} is not served")
    else:
        raise NotServable(f"analyzer {analyzer!r} is not served")
    spec.update(terms=vectorizer_terms(vectorizer), sublinear=bool(vectorizer.sublinear_tf))
    return spec, np.asarray(vectorizer.idf_, dtype=np.float32)


def export_tagger(bundle) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of ``bundle``'s served form; NotServable if a part cannot be."""
    meta: dict[str, Any] = {"tables": [], "sets": {}}
    arrays: dict[str, np.ndarray] = {}
    tables: dict[int, int] = {}
    for name, estimator in bundle.estimators.items():
        if not hasattr(estimator, "features_"):
            raise NotServable(f"the {name} model does not read texts through a TF-IDF featuriser")
        if getattr(estimator, "vectors_", None) is not None:
            raise NotServable("the word-vector view is not served")
        key = id(estimator.features_)
        if key not in tables:
            tables[key] = len(meta["tables"])
            spec, idf = _table_meta(estimator.features_)
            meta["tables"].append(spec)
            arrays[f"table{tables[key]}.idf"] = idf
        entry: dict[str, Any] = {"table": tables[key], "classes": [str(c) for c in estimator.classes_]}
        if hasattr(estimator, "thresholds_"):
            W, intercept, a, c, fixed = estimator._linear_form(estimator.estimators_)
            entry["kind"] = MULTI
            arrays.update({f"{name}.thresholds": np.asarray(estimator.thresholds_, dtype=np.float64),
                           f"{name}.fixed": fixed})
        else:
            form = estimator._multiclass_form(estimator.model_)
            if form is None:
                raise NotServable(f"the {name} model is not a calibrated multiclass linear model")
            W, intercept, a, c, positions = form
            entry.update(kind=SINGLE, min_score=float(estimator.min_score),
                         power=float(getattr(estimator, "blend_power_", 1.0)))
            arrays[f"{name}.positions"] = np.asarray(positions, dtype=np.int64)
            W = W.astype(np.float32)      # stored as float32 when fitted (_shrink), so this is lossless
        arrays.update({f"{name}.W": np.asarray(W, dtype=np.float32), f"{name}.intercept": intercept,
                       f"{name}.a": a, f"{name}.c": c})
        meta["sets"][name] = entry
    return meta, arrays


# -- serving (NumPy only) ----------------------------------------------------------
def _analyzer(spec: dict[str, Any]):
    if spec["kind"] == "stems":
        import snowballstemmer

        if spec["language"] not in snowballstemmer.algorithms():
            raise ValueError(f"no Snowball stemmer for {spec['language']!r}")
        return StemmedWords(tuple(spec["ngram_range"]), spec["language"])
    return WordAnalyzer(spec["token_pattern"], tuple(spec["ngram_range"]), spec["lowercase"], spec["accents"])


class ServedTagger:
    """Scores every label of every set from the served arrays; see the module docstring."""

    def __init__(self, meta: dict[str, Any], arrays: dict[str, np.ndarray], card: dict[str, Any] | None = None):
        self.card = card or {}
        self.tables = [TfidfTable(spec["terms"], arrays[f"table{i}.idf"], _analyzer(spec), spec["sublinear"])
                       for i, spec in enumerate(meta["tables"])]
        self.sets = meta["sets"]
        self.arrays = dict(arrays)
        for name, entry in self.sets.items():   # the pillar's sums run in float64, as sklearn's do
            if entry["kind"] == SINGLE:
                self.arrays[f"{name}.W"] = self.arrays[f"{name}.W"].astype(np.float64)

    @classmethod
    def load(cls, path: str | Path, card: dict[str, Any] | None = None) -> "ServedTagger":
        """The tagger in a served file; a file whose arrays do not fit together is a ModelError."""
        meta, arrays = read_served(path)
        try:
            tagger = cls(meta, arrays, card)
            tagger.check()
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
            raise ModelError(f"{path} is not a served tagger this code can read ({type(exc).__name__}: {exc})") from exc
        return tagger

    def check(self) -> None:
        """Every array the right shape for its table and label set (raises ValueError)."""
        for name, entry in self.sets.items():
            width = len(entry["classes"]) if entry["kind"] == MULTI else len(self.arrays[f"{name}.positions"])
            expected = (len(self.tables[entry["table"]].terms), width)
            if self.arrays[f"{name}.W"].shape != expected:
                raise ValueError(f"{name} weights are {self.arrays[f'{name}.W'].shape}, expected {expected}")
            for part in ("intercept", "a", "c") + (("thresholds", "fixed") if entry["kind"] == MULTI else ()):
                if self.arrays[f"{name}.{part}"].shape != (width,):
                    raise ValueError(f"{name}.{part} does not have {width} values")
        for table in self.tables:
            if table.idf.shape != (len(table.terms),):
                raise ValueError("IDF weights and vocabulary differ in length")

    @property
    def version(self) -> str:
        return self.card.get("version", "unsaved")

    def _calibrated(self, name: str, features) -> np.ndarray:
        get = self.arrays.get
        margin = features.dot(get(f"{name}.W")).astype(np.float64) + get(f"{name}.intercept")
        return sigmoid_scores(margin, get(f"{name}.a"), get(f"{name}.c"))

    def _score(self, name: str, features) -> tuple[np.ndarray, np.ndarray]:
        """(scores, predicted mask) of one label set for already featurised texts."""
        entry = self.sets[name]
        if entry["kind"] == MULTI:
            proba = self._calibrated(name, features)
            fixed = self.arrays[f"{name}.fixed"]
            known = ~np.isnan(fixed)
            proba[:, known] = fixed[known]
            return proba, proba >= self.arrays[f"{name}.thresholds"]
        proba = class_distribution(self._calibrated(name, features), self.arrays[f"{name}.positions"],
                                   len(entry["classes"]))
        proba = sharpen(proba, entry["power"])
        return proba, top_label_mask(proba, entry["min_score"])

    def table(self, name: str) -> TfidfTable:
        """The TF-IDF table a label set reads."""
        return self.tables[self.sets[name]["table"]]

    def scores(self, name: str, texts: list[str]) -> np.ndarray:
        """One label set's scores for ``texts`` (n, L)."""
        return self._score(name, self.table(name).transform(list(texts)))[0]

    def term_weights(self, name: str, label: str) -> np.ndarray:
        """The coefficient of each term of the set's table for ``label``: a term's share of
        the label's linear score is its TF-IDF value times this."""
        entry = self.sets[name]
        j = entry["classes"].index(label)
        if entry["kind"] == SINGLE:   # columns follow the linear model's classes: find the label's
            j = int(np.flatnonzero(self.arrays[f"{name}.positions"] == j)[0])
        return self.arrays[f"{name}.W"][:, j]

    def score_texts(self, texts: list[str]) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
        """Per label set: (labels, scores (n, L), predicted mask (n, L)), as TaggerBundle gives."""
        texts = list(texts)
        features = [None] * len(self.tables)
        out = {}
        for name, entry in self.sets.items():
            i = entry["table"]
            if features[i] is None:
                features[i] = self.tables[i].transform(texts)
            out[name] = (list(entry["classes"]), *self._score(name, features[i]))
        return out


def save_served_tagger(bundle, path: str | Path) -> None:
    """Write ``bundle``'s served form to ``path``; NotServable leaves nothing behind."""
    meta, arrays = export_tagger(bundle)
    write_served(path, meta, arrays)
