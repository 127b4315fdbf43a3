"""Compare trained models on the same test data and choose the default.

A retrained model is only worth using if it is at least as good as the one in
use. :func:`compare` scores two models on the *current* corpus's test split
(the same practices for both, whatever corpus each was trained on) and lists
per-label F1 deltas; :func:`promote` makes a model the default, refusing when it
is worse than the current default by more than ``models.promote_tolerance``
(``pipeline/defaults.yaml``) on any headline figure, unless forced.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .config import LABELS_FILE, MODELS_DIR, PRACTICES_FILE
from .config import settings as load_settings
from .corpus import LABEL_SETS, Taxonomy, load_practices, load_taxonomy
from .errors import ModelError
from .evaluate import evaluate_bundle
from .models import default_version, load_scorer, read_card, resolve, set_default

log = logging.getLogger(__name__)
#: The figures a promotion must not lose: (label set, metric).
HEADLINE = (("themes", "macro_f1"), ("themes", "micro_f1"), ("principles", "macro_f1"),
            ("principles", "micro_f1"), ("pillar", "accuracy"))


class PromotionRefused(ModelError):
    code = "E101"


@dataclass
class Comparison:
    a: str
    b: str
    n_test: int
    taxonomy: dict[str, str]
    headline: list[dict] = field(default_factory=list)
    per_label: list[dict] = field(default_factory=list)

    def worse(self, tolerance: float) -> list[dict]:
        """Headline figures where B is below A by more than ``tolerance``."""
        return [h for h in self.headline if h["a"] is not None and h["b"] is not None
                and h["b"] < h["a"] - tolerance]

    def lines(self) -> list[str]:
        out = [f"A = {self.a} (taxonomy {self.taxonomy['a']}), B = {self.b} (taxonomy {self.taxonomy['b']}), "
               f"on the same {self.n_test} test practices", "",
               f"{'figure':<28}{'A':>8}{'B':>8}{'B-A':>9}"]
        for h in self.headline:
            out.append(f"{h['set'] + ' ' + h['metric']:<28}{_fmt(h['a'])}{_fmt(h['b'])}{_fmt(h['delta'], True)}")
        out += ["", f"{'label':<48}{'support':>8}{'F1 A':>8}{'F1 B':>8}{'B-A':>9}"]
        for row in self.per_label:
            out.append(f"{row['set'] + '/' + row['label']:<48}{row['support']:>8}{_fmt(row['a'])}{_fmt(row['b'])}"
                       f"{_fmt(row['delta'], True)}")
        return out


def _fmt(value, signed: bool = False) -> str:
    width = 9 if signed else 8
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>+{width}.4f}" if signed else f"{value:>{width}.4f}"


def _load_any_taxonomy(name: str, models_dir: Path):
    """A model whatever taxonomy version it was trained on (comparison only reads scores), read
    as classifying reads it: its served form when it has one."""
    folder = resolve(name, models_dir)
    card = read_card(folder)
    return load_scorer(folder, models_dir, taxonomy=Taxonomy(str(card.get("taxonomy_version")), {}))


def compare(a: str, b: str, practices_file: str | Path = PRACTICES_FILE, models_dir: str | Path = MODELS_DIR,
            labels_file: str | Path = LABELS_FILE) -> Comparison:
    """Score models ``a`` and ``b`` on the corpus's test split; per-label F1 and its change."""
    models_dir = Path(models_dir)
    test = [r for r in load_practices(practices_file) if r.get("split") == "test"]
    if not test:
        raise ModelError(f"{practices_file} has no test practices to compare on")
    taxonomy = load_taxonomy(labels_file)
    bundles = {key: _load_any_taxonomy(name, models_dir) for key, name in (("a", a), ("b", b))}
    metrics = {key: evaluate_bundle(bundle, test, taxonomy) for key, bundle in bundles.items()}
    result = Comparison(bundles["a"].version, bundles["b"].version, len(test),
                        {k: str(v.card.get("taxonomy_version")) for k, v in bundles.items()})
    for name, metric in HEADLINE:
        values = {k: metrics[k].get(name, {}).get(metric) for k in ("a", "b")}
        result.headline.append({"set": name, "metric": metric, **values, "delta": _delta(values)})
    for name in LABEL_SETS:
        per = {k: metrics[k].get(name, {}).get("per_label", {}) for k in ("a", "b")}
        for label in list(dict.fromkeys([*per["a"], *per["b"]])):
            values = {k: per[k][label]["f1"] if label in per[k] else None for k in ("a", "b")}
            support = max(per[k][label]["support"] for k in ("a", "b") if label in per[k])
            result.per_label.append({"set": name, "label": label, "support": support, **values,
                                     "delta": _delta(values)})
    return result


def _delta(values: dict) -> float | None:
    return None if values["a"] is None or values["b"] is None else round(values["b"] - values["a"], 4)


def promote(version: str, force: bool = False, tolerance: float | None = None,
            practices_file: str | Path = PRACTICES_FILE, models_dir: str | Path = MODELS_DIR,
            labels_file: str | Path = LABELS_FILE, settings: dict | None = None) -> Comparison | None:
    """Make ``version`` the default model unless it is worse than the current default."""
    models_dir = Path(models_dir)
    settings = settings or load_settings()
    tolerance = settings["models"]["promote_tolerance"] if tolerance is None else tolerance
    folder = resolve(version, models_dir)
    card = read_card(folder)
    taxonomy = load_taxonomy(labels_file)
    if str(card.get("taxonomy_version")) != taxonomy.version:
        raise PromotionRefused(f"model {folder.name} was trained on taxonomy version {card.get('taxonomy_version')} "
                               f"but the label file is version {taxonomy.version}; it could not be used: "
                               "retrain with `hrc train`")
    try:
        current = default_version(models_dir)
    except ModelError:
        current = None
    comparison = None
    if current and current != folder.name and (models_dir / current).is_dir():
        comparison = compare(current, folder.name, practices_file, models_dir, labels_file)
        worse = comparison.worse(tolerance)
        if worse and not force:
            figures = ", ".join(f"{h['set']} {h['metric']} {h['a']:.4f} -> {h['b']:.4f}" for h in worse)
            raise PromotionRefused(f"{folder.name} is worse than the default {current} by more than {tolerance}: "
                                   f"{figures}; use --force to promote it anyway")
        if worse:
            log.warning("promoting %s although it is worse than %s (forced)", folder.name, current)
    set_default(folder.name, models_dir)
    return comparison


def list_models(models_dir: str | Path = MODELS_DIR) -> list[dict]:
    """Each model folder's card summary, oldest first; ``default`` marks the default."""
    models_dir = Path(models_dir)
    try:
        current = default_version(models_dir)
    except ModelError:
        current = None
    rows = []
    for folder in sorted(p for p in models_dir.iterdir() if (p / "card.json").exists()):
        card = read_card(folder)
        if card.get("kind") == "segmenter":  # the sentence-role tagger is not a tagger version
            continue
        rows.append({"version": folder.name, "default": folder.name == current,
                     "taxonomy_version": card.get("taxonomy_version"), "created": card.get("created"),
                     "n_train": card.get("n_train"), "heldout": card.get("metrics", {}).get("heldout", {}),
                     "served": bool(card.get("served_sha256"))})   # classified from arrays, or from its pickle
    return sorted(rows, key=lambda r: (r["created"] or "", r["version"]))
