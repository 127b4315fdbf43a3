"""The saved sentence-role tagger: one folder, ``models/segmenter``, with a card.

Like the taggers, the file's SHA-256 is checked against the card before it is
unpickled, and writes go to a staging folder renamed into place.
"""
from __future__ import annotations

import json
import logging
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib

from ..config import MODELS_DIR
from ..errors import ModelError
from ..models import CARD_FILE, MODEL_FILE, check_trusted, library_versions, sha256_file, trust

log = logging.getLogger(__name__)
SEGMENTER_FOLDER = "segmenter"


def save_segmenter(tagger: Any, card: dict, folder: Path) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    joblib.dump(tagger, staging / MODEL_FILE, compress=3)
    card = dict(card, model_sha256=sha256_file(staging / MODEL_FILE), libraries=library_versions())
    (staging / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    trust(card["model_sha256"], folder.parent, note=f"trained: {folder.name}")
    return folder


def load_segmenter(folder: str | Path | None = None, models_dir: str | Path = MODELS_DIR):
    """The tagger in ``folder`` (default ``models/segmenter``), hash-checked and
    loaded only if its hash is trusted (see :func:`pipeline.models.trusted_hashes`)."""
    folder = Path(folder) if folder else Path(MODELS_DIR) / SEGMENTER_FOLDER
    model_file, card_file = folder / MODEL_FILE, folder / CARD_FILE
    if not model_file.exists() or not card_file.exists():
        raise ModelError(f"no segmenter in {folder} (run `hrc train-segmenter`)")
    card = json.loads(card_file.read_text(encoding="utf-8"))
    actual = sha256_file(model_file)
    if actual != card.get("model_sha256"):
        raise ModelError(f"{model_file} does not match its card: truncated or tampered; refusing to load it")
    check_trusted(model_file, actual, models_dir)
    try:
        return joblib.load(model_file)
    except Exception as exc:
        raise ModelError(f"cannot load {model_file} with this library set ({exc})") from exc


@lru_cache(maxsize=4)
def cached_segmenter(folder: str | None = None):
    """The default tagger, loaded once per process; None (with a warning) if absent."""
    try:
        return load_segmenter(folder)
    except ModelError as exc:
        log.warning("segmenting without the sentence-role tagger: %s", exc)
        return None
