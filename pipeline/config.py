"""Paths and settings, defined once.

Defaults live in ``defaults.yaml`` inside the package; a user's file (``--config``
or ``$HRC_CONFIG``) is merged over them key by key, so it need only name what it
changes. Paths default to the folders of a checkout and can be moved with
``$HRC_HOME``.
"""
from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("HRC_HOME", PACKAGE_DIR.parent))
CORPUS_DIR = PROJECT_DIR / "corpus"
MODELS_DIR = PROJECT_DIR / "models"
LABELS_FILE = CORPUS_DIR / "labels.yaml"
PRACTICES_FILE = CORPUS_DIR / "practices.jsonl"
SEGMENTS_FILE = CORPUS_DIR / "segments.jsonl"
SCHEMA_FILE = PACKAGE_DIR / "schema" / "output.schema.json"


def user_cache_dir() -> Path:
    """Where the pipeline keeps what it can rebuild (fetched pages, the place tables):
    ``$XDG_CACHE_HOME/hrc-pipeline`` (``~/.cache/hrc-pipeline``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hrc-pipeline"


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_yaml(text: str) -> Any:
    """Safe YAML parsing, through libyaml when PyYAML was built with it: the label file and the
    settings are read by every worker at start, and the pure-Python parser takes 30 ms there."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=8)
def _load(user_file: str | None) -> dict[str, Any]:
    settings = read_yaml((PACKAGE_DIR / "defaults.yaml").read_text(encoding="utf-8"))
    if user_file:
        settings = _merge(settings, read_yaml(Path(user_file).read_text(encoding="utf-8")) or {})
    return settings


def settings(user_file: str | None = None) -> dict[str, Any]:
    """The merged settings; a fresh copy, so callers may change it freely."""
    return copy.deepcopy(_load(user_file or os.environ.get("HRC_CONFIG")))
