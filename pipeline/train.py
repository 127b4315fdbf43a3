"""Train the default tagger from the corpus and write a versioned model folder.

Training is deterministic: the same corpus, label file and settings give the
same model and the same metrics (fixed seeds, no time-dependent choices). The
version name is derived from the corpus and settings hashes for that reason.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .classify.estimators import MultiLabelTagger, SingleLabelTagger
from .config import LABELS_FILE, MODELS_DIR, PRACTICES_FILE
from .config import settings as load_settings
from .corpus import file_hash, load_practices, load_taxonomy, training_text
from .errors import CorpusError
from .evaluate import evaluate_bundle, indicator
from .models import TaggerBundle, save_model
from .taxonomy_changes import check_corpus_labels

log = logging.getLogger(__name__)


def estimator_params(train_settings: dict) -> dict:
    return {
        "word_ngrams": tuple(train_settings["word_ngrams"]),
        "char_ngrams": tuple(train_settings["char_ngrams"]) if train_settings.get("char_ngrams") else None,
        "max_word_features": train_settings["max_word_features"],
        "max_char_features": train_settings["max_char_features"],
        "min_df": train_settings["min_df"],
        "C": train_settings["C"],
        "cv_folds": train_settings["cv_folds"],
        "threshold_grid": tuple(train_settings["threshold_grid"]),
        "random_state": train_settings["seed"],
        "classifier": train_settings.get("classifier", "logreg"),
        "stem": bool(train_settings.get("stem", False)),
        "vector_table": train_settings.get("vector_table"),
        "vector_weight": float(train_settings.get("vector_weight", 0.0)),
        "vector_C": float(train_settings.get("vector_C", 4.0)),
    }


def fit_bundle(records: list[dict], taxonomy, train_settings: dict) -> TaggerBundle:
    """Themes, principles and pillar taggers sharing one TF-IDF featuriser
    (fitted with the themes tagger), so classifying reads each text once."""
    texts = [training_text(r) for r in records]
    params = estimator_params(train_settings)
    estimators = {}
    for name in ("themes", "principles"):
        labels = list(taxonomy[name].labels)
        estimators[name] = MultiLabelTagger(**params).fit(texts, indicator(records, name, labels), classes=labels)
        params["features"] = estimators["themes"].features_
        params["vectors"] = estimators["themes"].vectors_
    pillar_labels = set(taxonomy["pillar"].labels)
    with_pillar = [r for r in records if r.get("pillar") in pillar_labels]
    estimators["pillar"] = SingleLabelTagger(**params, sharpen_blend=bool(train_settings.get("sharpen_blend"))).fit(
        [training_text(r) for r in with_pillar], np.array([r["pillar"] for r in with_pillar]))
    return TaggerBundle(estimators)


def train(practices_file: str | Path = PRACTICES_FILE, labels_file: str | Path = LABELS_FILE,
          models_dir: str | Path = MODELS_DIR, settings: dict | None = None, version: str | None = None,
          make_default: bool = False) -> TaggerBundle:
    """Fit on the corpus's train split, score on its test split, save with a card."""
    settings = settings or load_settings()
    train_settings = settings["train"]
    taxonomy = load_taxonomy(labels_file)
    records = load_practices(practices_file)
    train_records = [r for r in records if r.get("split", "train") == "train"]
    test_records = [r for r in records if r.get("split") == "test"]
    if len(train_records) < 20:
        raise CorpusError(f"only {len(train_records)} training practices in {practices_file}")
    check_corpus_labels(train_records, taxonomy, settings["corpus"]["min_label_examples"])
    log.info("training on %d practices, testing on %d", len(train_records), len(test_records))
    bundle = fit_bundle(train_records, taxonomy, train_settings)
    vectors = getattr(bundle.estimators["themes"], "vectors_", None)
    corpus_hash = file_hash(practices_file, labels_file)
    settings_hash = hashlib.sha256(json.dumps(train_settings, sort_keys=True).encode()).hexdigest()
    version = version or f"tagger-{corpus_hash[:8]}-{settings_hash[:6]}"
    bundle.card = {
        "version": version,
        "taxonomy_version": taxonomy.version,
        "labels": {name: list(taxonomy[name].labels) for name in taxonomy.sets},
        "corpus_sha256": corpus_hash,
        "corpus_file": str(Path(practices_file).name),
        "n_train": len(train_records),
        "n_test": len(test_records),
        "n_curated": sum(str(r.get("source", "")).startswith("curated:") for r in train_records),
        "train_settings": train_settings,
        "word_vectors": vectors.table_card_ if vectors is not None else None,  # the table folded into the model
        "thresholds": {name: dict(zip(map(str, est.classes_), map(float, est.thresholds_)))
                       for name, est in bundle.estimators.items() if hasattr(est, "thresholds_")},
        "metrics": {"heldout": evaluate_bundle(bundle, test_records, taxonomy) if test_records else {}},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    save_model(bundle, Path(models_dir) / version, make_default=make_default)
    return bundle
