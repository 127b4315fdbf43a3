"""Versioned model folders with a card, checked before they are loaded.

A model folder holds ``model.joblib`` and ``card.json``, and, when the model
can be written as plain arrays, ``served.npz`` (see :mod:`pipeline.served`).
The card records the taxonomy version, the corpus hash, the training settings,
held-out metrics, library versions and the SHA-256 of each file. :func:`load_model`
recomputes the pickle's hash *before* unpickling, so a truncated or tampered file
gets a clear error, and refuses a model trained on another taxonomy version.
:func:`load_scorer` is what classifying uses: the served arrays when the folder
has them (no pickle, no scikit-learn import: a worker starts in a fraction of
the time), else the full model. ``models/DEFAULT`` names the default version.
"""
from __future__ import annotations

import hashlib
import json
import logging
import platform
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .config import MODELS_DIR
from .corpus import Taxonomy, load_taxonomy
from .errors import ModelError, NotServable
from .records import atomic_path

log = logging.getLogger(__name__)
MODEL_FILE = "model.joblib"
SERVED_FILE = "served.npz"   # the served form: plain arrays (pipeline/served.py)
CARD_FILE = "card.json"
DEFAULT_POINTER = "DEFAULT"
TRUST_FILE = "TRUSTED"  # SHA-256 of every model file trained here (or trusted by hand), one per line


@dataclass
class TaggerBundle:
    """The three label-set estimators and the card that describes them."""

    estimators: dict[str, Any]
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.card.get("version", "unsaved")

    def score_texts(self, texts: list[str]) -> dict[str, tuple[list[str], Any, Any]]:
        """Per label set: (labels, scores (n, L), predicted mask (n, L)), NumPy arrays."""
        from .served import top_label_mask   # here: the parent of a batch imports this module, and needs no NumPy

        out = {}
        features: dict[int, object] = {}  # estimators sharing one featuriser read the texts once
        for name, estimator in self.estimators.items():
            if hasattr(estimator, "predict_proba_features") and hasattr(estimator, "features_"):
                key = id(estimator.features_)
                if key not in features:
                    features[key] = featurise(estimator.features_, list(texts))
                proba = estimator.predict_proba_features(features[key])
            else:
                proba = estimator.predict_proba(texts)
            labels = [str(c) for c in estimator.classes_]
            if hasattr(estimator, "thresholds_"):
                predicted = proba >= estimator.thresholds_
            else:
                predicted = top_label_mask(proba, getattr(estimator, "min_score", 0.0))
            out[name] = (labels, proba, predicted)
        return out


def featurise(featuriser, texts: list[str]):
    """``featuriser.transform(texts)``; a union of one transformer is skipped, because its
    bookkeeping costs a tenth of the time when a document of ten practices is scored (the
    matrix is the same). Every scoring path (bundle, tagger, explanation) reads texts through it."""
    parts = getattr(featuriser, "transformer_list", None)
    if parts is not None and len(parts) == 1 and not getattr(featuriser, "transformer_weights", None):
        return parts[0][1].transform(texts)
    return featuriser.transform(texts)


def library_versions() -> dict[str, str]:
    from importlib import metadata   # here, not at the top: a worker never needs it, and it costs 15 ms

    versions = {"python": platform.python_version()}
    for package in ("scikit-learn", "numpy", "scipy", "joblib", "spacy", "hrc-pipeline"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def trusted_hashes(models_dir: str | Path = MODELS_DIR) -> set[str]:
    """Hashes listed in the project's models/TRUSTED and in ``models_dir``'s.

    A model folder's own card proves only that the file is intact, not where it
    came from; a pickle from elsewhere can run code when loaded. So a model is
    unpickled only when its hash was recorded here by training (or by an explicit
    ``hrc models trust``) - never because of a list shipped beside it.
    """
    hashes: set[str] = set()
    for folder in {Path(MODELS_DIR), Path(models_dir)}:
        path = folder / TRUST_FILE
        if path.exists():
            hashes |= {line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    return hashes


def trust(sha256: str, models_dir: str | Path = MODELS_DIR, note: str = "") -> None:
    """Record ``sha256`` as a model file this project may load (atomic rewrite)."""
    path = Path(models_dir) / TRUST_FILE
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if any(line.split()[:1] == [sha256] for line in lines):
        return
    lines.append(f"{sha256} {note}".strip())
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")


def check_trusted(model_file: Path, sha256: str, models_dir: str | Path = MODELS_DIR) -> None:
    if sha256 not in trusted_hashes(models_dir):
        raise ModelError(f"{model_file} was not trained in this project (its hash is not in "
                         f"{Path(models_dir) / TRUST_FILE}); it is a pickle and could run code when loaded. "
                         f"If you trust where it came from, run `hrc models trust {model_file.parent}`")


def trust_model(folder: str | Path, models_dir: str | Path = MODELS_DIR) -> str:
    """Trust a model folder from elsewhere after checking it matches its own card."""
    folder = Path(folder)
    card = read_card(folder)
    actual = sha256_file(folder / MODEL_FILE)
    if actual != card.get("model_sha256"):
        raise ModelError(f"{folder / MODEL_FILE} does not match its card: truncated or tampered; not trusted")
    trust(actual, models_dir, note=f"trusted by hand: {folder.name}")
    return actual


def write_card(path: Path, card: dict[str, Any]) -> None:
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_model_folder(obj: Any, card: dict[str, Any], folder: str | Path,
                       write_served: Callable[[Path], None] | None = None) -> dict[str, Any]:
    """Pickle ``obj`` with its card into ``folder`` atomically (a staging folder
    renamed into place) and trust its hash; returns the card as written.
    ``write_served(path)`` writes the served form beside it; NotServable skips it."""
    import joblib

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    joblib.dump(obj, staging / MODEL_FILE, compress=3)
    card = dict(card, model_sha256=sha256_file(staging / MODEL_FILE), libraries=library_versions())
    card.pop("served_sha256", None)
    if write_served is not None:
        try:
            write_served(staging / SERVED_FILE)
            card["served_sha256"] = sha256_file(staging / SERVED_FILE)
        except NotServable as exc:
            log.info("%s: no served form (%s); it will be loaded from its pickle", folder.name, exc)
    write_card(staging / CARD_FILE, card)
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    trust(card["model_sha256"], folder.parent, note=f"trained: {folder.name}")
    return card


def checked_card(folder: Path, models_dir: str | Path = MODELS_DIR) -> dict[str, Any]:
    """The folder's card, once its model file is whole and trusted - the checks
    that must pass before anything is unpickled."""
    card = read_card(folder)
    model_file = folder / MODEL_FILE
    if not model_file.exists():
        raise ModelError(f"{model_file} is missing")
    actual = sha256_file(model_file)
    if actual != card.get("model_sha256"):
        raise ModelError(f"{model_file} does not match its card (sha256 {actual[:12]}… expected "
                         f"{str(card.get('model_sha256'))[:12]}…): truncated or tampered; refusing to load it")
    check_trusted(model_file, actual, models_dir)
    return card


def add_served_form(folder: str | Path, models_dir: str | Path = MODELS_DIR) -> str:
    """Write the served form of a model folder saved without one (a tagger or the
    segmenter), after the usual checks on its pickle; the card gains its hash.
    Returns that hash. NotServable says why a model cannot have one."""
    import joblib

    folder = Path(folder)
    card = checked_card(folder, models_dir)
    try:
        obj = joblib.load(folder / MODEL_FILE)
    except Exception as exc:  # the hash matched, so this is a library mismatch
        raise ModelError(f"cannot load {folder / MODEL_FILE} with this library set ({exc})") from exc
    if card.get("kind") == "segmenter":
        from .segment.served import save_served_role_tagger as write
    else:
        from .classify.served import save_served_tagger

        obj = TaggerBundle(obj, card)
        write = save_served_tagger
    with atomic_path(folder / SERVED_FILE) as tmp:
        write(obj, tmp)
    card["served_sha256"] = sha256_file(folder / SERVED_FILE)
    with atomic_path(folder / CARD_FILE) as tmp:
        write_card(tmp, card)
    return card["served_sha256"]


def save_model(bundle: TaggerBundle, folder: str | Path, make_default: bool = False) -> Path:
    """Write model and card atomically (a temporary folder renamed into place)."""
    folder = Path(folder)
    from .classify.served import save_served_tagger

    bundle.card = write_model_folder(bundle.estimators, bundle.card, folder,
                                     lambda path: save_served_tagger(bundle, path))
    if make_default:
        set_default(folder.name, folder.parent)
    return folder


def set_default(version: str, models_dir: str | Path = MODELS_DIR) -> None:
    with atomic_path(Path(models_dir) / DEFAULT_POINTER) as tmp:
        tmp.write_text(version + "\n", encoding="utf-8")


def default_version(models_dir: str | Path = MODELS_DIR) -> str:
    pointer = Path(models_dir) / DEFAULT_POINTER
    if not pointer.exists():
        raise ModelError(f"no default model: {pointer} is missing (run `hrc train`)")
    return pointer.read_text(encoding="utf-8").strip()


def resolve(name: str | Path | None = None, models_dir: str | Path = MODELS_DIR) -> Path:
    """A model folder from a version name, a folder path, or 'default'."""
    if name is None or str(name) == "default":
        name = default_version(models_dir)
    path = Path(name)
    if path.is_dir():
        return path
    candidate = Path(models_dir) / str(name)
    if candidate.is_dir():
        return candidate
    raise ModelError(f"no model named {name!r} in {models_dir}")


def read_card(folder: str | Path) -> dict[str, Any]:
    try:
        return json.loads((Path(folder) / CARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"model card missing or unreadable in {folder}: {exc}") from exc


def check_taxonomy(folder: Path, card: dict[str, Any], taxonomy: Taxonomy | None = None) -> None:
    """Refuse a model trained on another version of the label file than ``taxonomy``'s."""
    taxonomy = taxonomy or load_taxonomy()
    if str(card.get("taxonomy_version")) != taxonomy.version:
        raise ModelError(f"model {folder.name} was trained on taxonomy version {card.get('taxonomy_version')}, "
                         f"but the label file is version {taxonomy.version}: retrain with `hrc train`")


def checked_served(folder: Path, card: dict[str, Any]) -> Path | None:
    """The folder's served file once it matches its card; None when the model has none.
    Arrays read with ``allow_pickle=False`` cannot run code, so no trust entry is needed,
    only the hash that proves the file whole."""
    expected = card.get("served_sha256")
    if not expected:
        return None
    path = folder / SERVED_FILE
    if not path.exists():
        raise ModelError(f"{path} is missing (its card names it)")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(f"{path} does not match its card (sha256 {actual[:12]}… expected {expected[:12]}…): "
                         "truncated or tampered; refusing to load it")
    return path


def load_scorer(name: str | Path | None = None, models_dir: str | Path = MODELS_DIR,
                taxonomy: Taxonomy | None = None):
    """What classifying needs: a ServedTagger when the folder has a served form, else the
    full TaggerBundle. Both give ``score_texts``, ``card`` and explanations with the same
    meaning."""
    folder = resolve(name, models_dir)
    card = read_card(folder)
    served = checked_served(folder, card)
    if served is None:
        return load_model(folder, models_dir, taxonomy)
    check_taxonomy(folder, card, taxonomy)
    from .classify.served import ServedTagger

    return ServedTagger.load(served, card)   # a malformed file is a ModelError, as a tampered one


def load_model(name: str | Path | None = None, models_dir: str | Path = MODELS_DIR,
               taxonomy: Taxonomy | None = None) -> TaggerBundle:
    """Load a model after checking its hash and its taxonomy version."""
    import joblib

    folder = resolve(name, models_dir)
    card = checked_card(folder, models_dir)
    model_file = folder / MODEL_FILE
    check_taxonomy(folder, card, taxonomy)
    try:
        estimators = joblib.load(model_file)
    except Exception as exc:  # the hash matched, so this is a library mismatch
        raise ModelError(f"cannot load {model_file} with this library set ({exc}); card says "
                         f"{card.get('libraries')}") from exc
    return TaggerBundle(estimators, card)
