"""Change the taxonomy - add, rename or drop a label - and keep the corpus in step.

The label file is the users' to edit, but a label change touches two files: the
taxonomy and every corpus practice that carries the label. These functions do
both, bump the taxonomy ``version`` (so models trained on the old labels are
refused instead of silently mislabelling), and log the change in the label
file's ``changes`` list. :func:`check_corpus_labels` runs before training and
names every label the corpus uses but the taxonomy lacks, and every label with
too few examples to learn.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import yaml

from .config import LABELS_FILE, PRACTICES_FILE, read_yaml
from .corpus import LABEL_SETS, Taxonomy, load_practices
from .errors import CorpusError
from .records import atomic_open, write_jsonl

log = logging.getLogger(__name__)
LABEL_ID = re.compile(r"^[a-z][a-z0-9_]*$")
HEADER = """# The label sets the pipeline tags practices with.
# Edit this file to add, rename or drop a label (or use `hrc labels add|rename|drop`,
# which also updates the corpus), then run `hrc train`.
# `version` is recorded on every trained model's card; a model trained on
# another version is refused, so bump it whenever the label ids change.
"""


def _read(labels_file: Path) -> dict:
    return read_yaml(Path(labels_file).read_text(encoding="utf-8"))


def _write(labels_file: Path, data: dict) -> None:
    with atomic_open(labels_file) as handle:
        handle.write(HEADER)
        yaml.safe_dump(data, handle, sort_keys=False, allow_unicode=True, width=100)


def next_version(version: str) -> str:
    """"1" -> "2", "1.4" -> "1.5", anything else gets ".1" appended."""
    match = re.match(r"^(.*?)(\d+)$", str(version))
    return f"{match.group(1)}{int(match.group(2)) + 1}" if match else f"{version}.1"


def _label_section(data: dict, label_set: str, labels_file: Path) -> dict:
    if label_set not in LABEL_SETS:
        raise CorpusError(f"unknown label set {label_set!r}; choose one of {', '.join(LABEL_SETS)}")
    return data[label_set].setdefault("labels", {})


def _bump(data: dict, change: str) -> str:
    data["version"] = next_version(str(data.get("version", "0")))
    data.setdefault("changes", []).append({"version": data["version"], "change": change,
                                           "date": datetime.now(timezone.utc).date().isoformat()})
    log.info("taxonomy version %s: %s", data["version"], change)
    return data["version"]


def _relabel(practices_file: Path, label_set: str, mapping: dict[str, str | None]) -> int:
    """Apply ``old -> new`` (None drops) to every practice; returns how many changed."""
    records = load_practices(practices_file)
    changed = 0
    for record in records:
        value = record.get(label_set)
        if isinstance(value, list):
            new = list(dict.fromkeys(mapping.get(v, v) for v in value if mapping.get(v, v) is not None))
        else:
            new = mapping.get(value, value) if value is not None else None
        if new != value:
            record[label_set] = new
            changed += 1
    if changed:
        write_jsonl(practices_file, records)
    return changed


def labels_add(label_set: str, label: str, name: str = "", description: str = "",
               labels_file: str | Path = LABELS_FILE) -> str:
    """Add a label to the taxonomy; curated examples then teach it. Returns the new version."""
    labels_file = Path(labels_file)
    data = _read(labels_file)
    labels = _label_section(data, label_set, labels_file)
    if not LABEL_ID.match(label):
        raise CorpusError(f"label id {label!r} must be lower case letters, digits and underscores")
    if label in labels:
        raise CorpusError(f"{label_set} already has a label {label!r}")
    labels[label] = {"name": name or label.replace("_", " ").capitalize(), "description": description}
    version = _bump(data, f"add {label_set}/{label}")
    _write(labels_file, data)
    return version


def labels_rename(label_set: str, old: str, new: str, labels_file: str | Path = LABELS_FILE,
                  practices_file: str | Path = PRACTICES_FILE) -> tuple[str, int]:
    """Rename a label in the taxonomy and in every corpus practice. Returns (version, practices changed)."""
    labels_file = Path(labels_file)
    data = _read(labels_file)
    labels = _label_section(data, label_set, labels_file)
    if old not in labels:
        raise CorpusError(f"{label_set} has no label {old!r}")
    if new in labels:
        raise CorpusError(f"{label_set} already has a label {new!r}; to merge the two, drop {old!r} instead")
    if not LABEL_ID.match(new):
        raise CorpusError(f"label id {new!r} must be lower case letters, digits and underscores")
    data[label_set]["labels"] = {new if k == old else k: v for k, v in labels.items()}
    version = _bump(data, f"rename {label_set}/{old} -> {new}")
    changed = _relabel(Path(practices_file), label_set, {old: new})
    _write(labels_file, data)
    return version, changed


def labels_drop(label_set: str, label: str, labels_file: str | Path = LABELS_FILE,
                practices_file: str | Path = PRACTICES_FILE) -> tuple[str, int]:
    """Drop a label from the taxonomy and from every corpus practice. Returns (version, practices changed)."""
    labels_file = Path(labels_file)
    data = _read(labels_file)
    labels = _label_section(data, label_set, labels_file)
    if label not in labels:
        raise CorpusError(f"{label_set} has no label {label!r}")
    if len(labels) <= 2:
        raise CorpusError(f"{label_set} would keep fewer than two labels; nothing to learn")
    del labels[label]
    version = _bump(data, f"drop {label_set}/{label}")
    changed = _relabel(Path(practices_file), label_set, {label: None})
    _write(labels_file, data)
    return version, changed


def check_corpus_labels(records: list[dict], taxonomy: Taxonomy, min_examples: int) -> None:
    """Refuse to train on labels the taxonomy lacks, or on labels with too few examples."""
    problems = []
    for name in LABEL_SETS:
        known = set(taxonomy[name].labels)
        counts = Counter(label for r in records
                         for label in (r.get(name) if isinstance(r.get(name), list) else [r.get(name)])
                         if label is not None)
        for label in sorted(set(counts) - known):
            problems.append(f"{name} label {label!r} is used by {counts[label]} practice(s) but is not in the "
                            f"label file (rename or drop it: `hrc labels rename|drop {name} {label} ...`)")
        for label in taxonomy[name].labels:
            if counts[label] < min_examples:
                problems.append(f"{name} label {label!r} has {counts[label]} training example(s); at least "
                                f"{min_examples} are needed (curate more, or drop it)")
    if problems:
        raise CorpusError("the corpus does not fit the taxonomy:\n  " + "\n  ".join(problems))
