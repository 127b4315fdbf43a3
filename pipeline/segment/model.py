"""The saved sentence-role tagger: one folder, ``models/segmenter``, with a card.

Like the taggers, the folder holds the pickle and its served form (arrays,
:mod:`.served`); each file's SHA-256 is checked against the card before it is
read, and writes go to a staging folder renamed into place. Segmenting reads
the served form, so it needs neither scikit-learn nor an unpickle; the pickle
is for inspection and for folders written before the served form existed.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..config import MODELS_DIR
from ..errors import ModelError
from ..models import CARD_FILE, MODEL_FILE, checked_card, checked_served, read_card, write_model_folder

log = logging.getLogger(__name__)
SEGMENTER_FOLDER = "segmenter"


def save_segmenter(tagger: Any, card: dict, folder: Path) -> Path:
    from .served import save_served_role_tagger

    write_model_folder(tagger, card, folder, lambda path: save_served_role_tagger(tagger, path))
    return folder


def load_segmenter(folder: str | Path | None = None, models_dir: str | Path = MODELS_DIR, served: bool = True):
    """The tagger in ``folder`` (default ``models/segmenter``): its served form when it has
    one (and ``served``), else the pickle, hash-checked and loaded only if its hash is
    trusted (see :func:`pipeline.models.trusted_hashes`). Both tag alike."""
    folder = Path(folder) if folder else Path(models_dir) / SEGMENTER_FOLDER
    if not (folder / MODEL_FILE).exists() or not (folder / CARD_FILE).exists():
        raise ModelError(f"no segmenter in {folder} (run `hrc train-segmenter`)")
    path = checked_served(folder, read_card(folder)) if served else None
    if path is not None:
        from .served import ServedRoleTagger

        return ServedRoleTagger.load(path)
    import joblib

    checked_card(folder, models_dir)
    try:
        return joblib.load(folder / MODEL_FILE)
    except Exception as exc:
        raise ModelError(f"cannot load {folder / MODEL_FILE} with this library set ({exc})") from exc


@lru_cache(maxsize=4)
def cached_segmenter(folder: str | None = None):
    """The default tagger, loaded once per process; None (with a warning) if absent."""
    try:
        return load_segmenter(folder)
    except ModelError as exc:
        log.warning("segmenting without the sentence-role tagger: %s", exc)
        return None
