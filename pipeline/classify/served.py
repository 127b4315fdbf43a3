"""The tagger's served form: its three label sets as arrays, scored without scikit-learn.

:func:`export_tagger` reads a fitted :class:`~pipeline.models.TaggerBundle`
(TF-IDF over words or stems, sigmoid-calibrated linear models per label, the
pillar's calibrated multiclass model) into arrays; :class:`ServedTagger`
scores texts from them with the same ``score_texts`` contract as the bundle,
so :func:`pipeline.classify.classify` takes either. The word-vector view of a
blend is served too: its int8 vectors per TF-IDF column and its calibrated
models are arrays like the rest, and a text's vector is read off the TF-IDF row
the text view builds anyway, so a blend costs a worker no scikit-learn import.
Models with a part the arrays do not reproduce (character n-grams, a two-class
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
                      sigmoid_scores, top_label_mask, unit_rows, vectorizer_check, vectorizer_terms, write_served)
from .stems import StemmedWords

MULTI, SINGLE = "multi", "single"
VECTOR = "vector."   # prefix of the word-vector view's arrays of a label set


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


def _linear_arrays(estimator, name: str, prefix: str, models) -> dict[str, np.ndarray]:
    """One view's calibrated linear models (``models``: the estimator's per-label list for a
    multi-label set, its calibrated multiclass model for the pillar) as arrays named
    ``{name}.{prefix}W`` etc."""
    arrays: dict[str, np.ndarray] = {}
    if hasattr(estimator, "thresholds_"):
        W, intercept, a, c, fixed = estimator._linear_form(models)
        arrays[f"{name}.{prefix}fixed"] = fixed
    else:
        form = estimator._multiclass_form(models)
        if form is None:
            raise NotServable(f"the {name} model is not a calibrated multiclass linear model")
        W, intercept, a, c, positions = form
        arrays[f"{name}.{prefix}positions"] = np.asarray(positions, dtype=np.int64)
        W = W.astype(np.float32)      # stored as float32 when fitted (_shrink), so this is lossless
    arrays.update({f"{name}.{prefix}W": np.asarray(W, dtype=np.float32), f"{name}.{prefix}intercept": intercept,
                   f"{name}.{prefix}a": a, f"{name}.{prefix}c": c})
    return arrays


def export_tagger(bundle) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of ``bundle``'s served form; NotServable if a part cannot be."""
    meta: dict[str, Any] = {"tables": [], "vectors": [], "sets": {}}
    arrays: dict[str, np.ndarray] = {}
    tables: dict[int, int] = {}
    views: dict[int, int] = {}
    for name, estimator in bundle.estimators.items():
        if not hasattr(estimator, "features_"):
            raise NotServable(f"the {name} model does not read texts through a TF-IDF featuriser")
        key = id(estimator.features_)
        if key not in tables:
            tables[key] = len(meta["tables"])
            spec, idf = _table_meta(estimator.features_)
            meta["tables"].append(spec)
            arrays[f"table{tables[key]}.idf"] = idf
        entry: dict[str, Any] = {"table": tables[key], "classes": [str(c) for c in estimator.classes_]}
        multi = hasattr(estimator, "thresholds_")
        if multi:
            entry["kind"] = MULTI
            arrays[f"{name}.thresholds"] = np.asarray(estimator.thresholds_, dtype=np.float64)
        else:
            entry.update(kind=SINGLE, min_score=float(estimator.min_score),
                         power=float(getattr(estimator, "blend_power_", 1.0)))
        arrays.update(_linear_arrays(estimator, name, "", estimator.estimators_ if multi else estimator.model_))
        vectors = getattr(estimator, "vectors_", None)
        if vectors is not None:
            if id(vectors) not in views:
                views[id(vectors)] = len(meta["vectors"])
                meta["vectors"].append({"table": tables[key], "dims": int(vectors.scale_.size)})
                k = views[id(vectors)]
                arrays.update({f"vectors{k}.rows": np.asarray(vectors.rows_, dtype=np.int64),
                               f"vectors{k}.codes": np.asarray(vectors.codes_, dtype=np.int8),
                               f"vectors{k}.scale": np.asarray(vectors.scale_, dtype=np.float32)})
            entry.update(vectors=views[id(vectors)], vector_weight=float(estimator.vector_weight))
            arrays.update(_linear_arrays(estimator, name, VECTOR,
                                         estimator.vector_estimators_ if multi else estimator.vector_model_))
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
        self.vector_specs = meta.get("vectors", [])
        self.arrays = dict(arrays)
        for name, entry in self.sets.items():   # the pillar's sums run in float64, as sklearn's do
            if entry["kind"] == SINGLE:
                for prefix in ("", VECTOR) if "vectors" in entry else ("",):
                    self.arrays[f"{name}.{prefix}W"] = self.arrays[f"{name}.{prefix}W"].astype(np.float64)
        self.vectors = [self._vector_matrix(k, spec) for k, spec in enumerate(self.vector_specs)]

    def _vector_matrix(self, k: int, spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(position of each TF-IDF column among those with a word vector, -1 for none;
        those columns' vectors as float32), as the fitted ``FeatureVectors`` rebuilds them."""
        rows, codes, scale = (self.arrays[f"vectors{k}.{part}"] for part in ("rows", "codes", "scale"))
        position = np.full(len(self.tables[spec["table"]].terms), -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        return position, codes.astype(np.float32) * scale

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
            views = [("", len(self.tables[entry["table"]].terms))]
            if "vectors" in entry:
                views.append((VECTOR, self.vector_specs[entry["vectors"]]["dims"]))
            for prefix, n_inputs in views:
                width = (len(entry["classes"]) if entry["kind"] == MULTI
                         else len(self.arrays[f"{name}.{prefix}positions"]))
                W = self.arrays[f"{name}.{prefix}W"]
                if W.shape != (n_inputs, width):
                    raise ValueError(f"{name} {prefix}weights are {W.shape}, expected {(n_inputs, width)}")
                for part in ("intercept", "a", "c") + (("fixed",) if entry["kind"] == MULTI else ()):
                    if self.arrays[f"{name}.{prefix}{part}"].shape != (width,):
                        raise ValueError(f"{name}.{prefix}{part} does not have {width} values")
            if entry["kind"] == MULTI and self.arrays[f"{name}.thresholds"].shape != (len(entry["classes"]),):
                raise ValueError(f"{name}.thresholds does not have {len(entry['classes'])} values")
        for table in self.tables:
            if table.idf.shape != (len(table.terms),):
                raise ValueError("IDF weights and vocabulary differ in length")
        for k, spec in enumerate(self.vector_specs):
            rows, codes = self.arrays[f"vectors{k}.rows"], self.arrays[f"vectors{k}.codes"]
            if codes.shape != (len(rows), spec["dims"]) or self.arrays[f"vectors{k}.scale"].shape != (spec["dims"],):
                raise ValueError(f"word vectors {k} are not {len(rows)} rows of {spec['dims']} values")
            n_terms = len(self.tables[spec["table"]].terms)
            if len(rows) and (rows.min() < 0 or rows.max() >= n_terms or len(np.unique(rows)) != len(rows)):
                raise ValueError(f"word vectors {k} name columns outside their table's {n_terms}, or twice")

    @property
    def version(self) -> str:
        return self.card.get("version", "unsaved")

    def _view_scores(self, name: str, prefix: str, inputs) -> np.ndarray:
        """One view's calibrated scores of one label set: per label for a multi-label set
        (labels too rare to learn fixed), a class distribution for the pillar."""
        get = self.arrays.get
        margin = inputs.dot(get(f"{name}.{prefix}W")).astype(np.float64) + get(f"{name}.{prefix}intercept")
        proba = sigmoid_scores(margin, get(f"{name}.{prefix}a"), get(f"{name}.{prefix}c"))
        entry = self.sets[name]
        if entry["kind"] == SINGLE:
            return class_distribution(proba, get(f"{name}.{prefix}positions"), len(entry["classes"]))
        fixed = get(f"{name}.{prefix}fixed")
        known = ~np.isnan(fixed)
        proba[:, known] = fixed[known]
        return proba

    def vector_view(self, k: int, features) -> np.ndarray:
        """Unit-length word vectors of already featurised texts (zero where no word has one):
        each text's TF-IDF row times its columns' vectors, as ``FeatureVectors`` computes."""
        return unit_rows(features.dot_rows(*self.vectors[k]))

    def _score(self, name: str, features, views: dict[int, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, predicted mask) of one label set for already featurised texts; ``views``
        caches word-vector views shared between sets."""
        entry = self.sets[name]
        proba = self._view_scores(name, "", features)
        if "vectors" in entry:
            views = {} if views is None else views
            k = entry["vectors"]
            if k not in views:
                views[k] = self.vector_view(k, features)
            weight = entry["vector_weight"]
            proba = (1.0 - weight) * proba + weight * self._view_scores(name, VECTOR, views[k])
        if entry["kind"] == MULTI:
            return proba, proba >= self.arrays[f"{name}.thresholds"]
        proba = sharpen(proba, entry["power"])
        return proba, top_label_mask(proba, entry["min_score"])

    def table(self, name: str) -> TfidfTable:
        """The TF-IDF table a label set reads."""
        return self.tables[self.sets[name]["table"]]

    def scores(self, name: str, texts: list[str]) -> np.ndarray:
        """One label set's scores for ``texts`` (n, L)."""
        return self._score(name, self.table(name).transform(list(texts)))[0]

    def _column(self, name: str, prefix: str, label: str) -> int:
        """The column of ``label`` in one view's weights (the pillar's follow its linear model's classes)."""
        entry = self.sets[name]
        j = entry["classes"].index(label)
        if entry["kind"] == SINGLE:
            j = int(np.flatnonzero(self.arrays[f"{name}.{prefix}positions"] == j)[0])
        return j

    def term_weights(self, name: str, label: str, row=None) -> np.ndarray:
        """The coefficient of each term of the set's table for ``label``: a term's share of
        the label's linear score is its TF-IDF value times this.

        With a word-vector view and the text's TF-IDF ``row`` (one row), the vector model is
        linear in that row too once the text's vector length is fixed, so each view's
        coefficients are brought to the table's columns, scaled by its calibration slope and
        blend weight, and added: what the pickle's explanations compute."""
        j = self._column(name, "", label)
        text = self.arrays[f"{name}.W"][:, j]
        entry = self.sets[name]
        if "vectors" not in entry or row is None:
            return text
        v = self._column(name, VECTOR, label)
        k = entry["vectors"]
        position, matrix = self.vectors[k]
        norm = float(np.linalg.norm(row.dot_rows(position, matrix)))
        vector = self.arrays[f"{name}.{VECTOR}W"][:, v].astype(np.float32)
        through_vectors = np.zeros(len(position), dtype=np.float32)
        if norm:
            through_vectors[self.arrays[f"vectors{k}.rows"]] = matrix @ vector / norm
        weight = entry["vector_weight"]
        text_slope, vector_slope = -float(self.arrays[f"{name}.a"][j]), -float(self.arrays[f"{name}.{VECTOR}a"][v])
        return (1 - weight) * text_slope * text + weight * vector_slope * through_vectors

    def score_texts(self, texts: list[str]) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
        """Per label set: (labels, scores (n, L), predicted mask (n, L)), as TaggerBundle gives."""
        texts = list(texts)
        features = [None] * len(self.tables)
        views: dict[int, np.ndarray] = {}
        out = {}
        for name, entry in self.sets.items():
            i = entry["table"]
            if features[i] is None:
                features[i] = self.tables[i].transform(texts)
            out[name] = (list(entry["classes"]), *self._score(name, features[i], views))
        return out


def save_served_tagger(bundle, path: str | Path) -> None:
    """Write ``bundle``'s served form to ``path``; NotServable leaves nothing behind."""
    meta, arrays = export_tagger(bundle)
    write_served(path, meta, arrays)
