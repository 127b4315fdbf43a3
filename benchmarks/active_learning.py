"""Does reviewing the most uncertain practices beat reviewing random ones?

A simulation on the corpus, as a reviewer would live it: the labels of the
train split are hidden except for a small seed set; a model trained on the seed
set scores the hidden pool; a reviewer "reveals" the labels of N practices,
either the N most uncertain (``pipeline.review.uncertainty``, as ``hrc review
export`` ranks them) or N drawn at random; the model is retrained on seed + N
and scored on the untouched test split. Repeated over several seeds (a new seed
set each time), reporting mean and spread of the held-out macro-F1.

Run (about 3 minutes per repetition on one free core, longer on a shared one; light estimator settings from
``benchmarks/train-light.yaml``):

    nice python benchmarks/active_learning.py --seeds 10 --seed-size 150 --reveal 100

The result is written to ``benchmarks/results/active_learning.md`` and ``.json``.
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import LABELS_FILE, PRACTICES_FILE, settings as load_settings  # noqa: E402
from pipeline.corpus import load_practices, load_taxonomy, training_text  # noqa: E402
from pipeline.evaluate import evaluate_bundle  # noqa: E402
from pipeline.review import uncertainty  # noqa: E402
from pipeline.train import fit_bundle  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
LIGHT_SETTINGS = ROOT / "benchmarks" / "train-light.yaml"
log = logging.getLogger("active_learning")


def macro_f1(metrics: dict) -> float:
    """The mean of the themes and principles macro-F1: the figure the issue asks about."""
    return (metrics["themes"]["macro_f1"] + metrics["principles"]["macro_f1"]) / 2


def pool_uncertainty(bundle, pool: list[dict], strategy: str, seed: int) -> np.ndarray:
    scored = bundle.score_texts([training_text(r) for r in pool])
    scores = {name: proba for name, (_, proba, _) in scored.items()}
    thresholds = {name: bundle.estimators[name].thresholds_ for name in ("themes", "principles")}
    return uncertainty(scores, thresholds, strategy, seed)


def one_seed(seed: int, train: list[dict], test: list[dict], taxonomy, train_settings: dict,
             seed_size: int, reveal: int, strategies: list[str]) -> dict:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    labelled = [train[i] for i in order[:seed_size]]
    pool = [train[i] for i in order[seed_size:]]
    start = time.perf_counter()
    base = fit_bundle(labelled, taxonomy, train_settings)
    result = {"seed": seed, "seed_only": macro_f1(evaluate_bundle(base, test, taxonomy))}
    for strategy in strategies:
        values = pool_uncertainty(base, pool, strategy, seed)
        picked = np.argsort(-values, kind="stable")[:reveal]
        bundle = fit_bundle(labelled + [pool[i] for i in picked], taxonomy, train_settings)
        metrics = evaluate_bundle(bundle, test, taxonomy)
        result[strategy] = macro_f1(metrics)
        result[f"{strategy}_detail"] = {name: metrics[name]["macro_f1"] for name in ("themes", "principles")}
        result[f"{strategy}_positives"] = int(sum(len(pool[i]["themes"]) + len(pool[i]["principles"]) for i in picked))
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def summarise(runs: list[dict], strategies: list[str]) -> dict:
    summary = {}
    for key in ["seed_only", *strategies]:
        values = [r[key] for r in runs]
        summary[key] = {"mean": round(statistics.mean(values), 4),
                        "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
                        "min": round(min(values), 4), "max": round(max(values), 4)}
    for strategy in strategies:
        if strategy != "random":
            gains = [r[strategy] - r["random"] for r in runs]
            summary[f"{strategy}_minus_random"] = {
                "mean": round(statistics.mean(gains), 4),
                "sd": round(statistics.stdev(gains), 4) if len(gains) > 1 else 0.0,
                "wins": sum(g > 0 for g in gains), "of": len(gains)}
    return summary


def write_markdown(path: Path, args, summary: dict, runs: list[dict], strategies: list[str], n_train: int,
                   n_test: int, seconds: float) -> None:
    lines = [
        "# Active learning: uncertain vs random review",
        "",
        f"Written by `benchmarks/active_learning.py --seeds {args.seeds} --seed-size {args.seed_size} "
        f"--reveal {args.reveal}` (light estimator settings: `{Path(args.config).relative_to(ROOT)}`), "
        f"{seconds / 60:.1f} min wall time.",
        "",
        f"Setup: the corpus train split ({n_train} practices) with its labels hidden except a random seed set of "
        f"{args.seed_size}; a model trained on the seed set scores the rest; the reviewer reveals {args.reveal} "
        "practices, chosen by each strategy; the model is retrained on seed + revealed and scored on the "
        f"untouched test split ({n_test} practices). Figure: mean of themes and principles macro-F1. "
        f"{args.seeds} repetitions, each with a different seed set; the baseline (random review) runs in the "
        "same repetition on the same seed set.",
        "",
        "| strategy | macro-F1 mean | sd | min | max |",
        "|---|---|---|---|---|",
    ]
    names = {"seed_only": f"seed set only ({args.seed_size})", "random": f"+{args.reveal} random (baseline)"}
    for key in ["seed_only", *strategies]:
        s = summary[key]
        lines.append(f"| {names.get(key, f'+{args.reveal} most uncertain ({key})')} | {s['mean']:.4f} | "
                     f"{s['sd']:.4f} | {s['min']:.4f} | {s['max']:.4f} |")
    lines += ["", "| gain over random | mean | sd | repetitions won |", "|---|---|---|---|"]
    for strategy in strategies:
        if strategy != "random":
            g = summary[f"{strategy}_minus_random"]
            lines.append(f"| {strategy} | {g['mean']:+.4f} | {g['sd']:.4f} | {g['wins']} / {g['of']} |")
    lines += ["", "Per repetition (macro-F1; labels revealed = positive theme + principle labels among the "
              "revealed practices):", "",
              "| seed | seed only | " + " | ".join(strategies) + " | labels revealed (" + ", ".join(strategies)
              + ") |", "|---|---|" + "---|" * len(strategies) + "---|"]
    for r in runs:
        lines.append(f"| {r['seed']} | {r['seed_only']:.4f} | " + " | ".join(f"{r[s]:.4f}" for s in strategies)
                     + " | " + ", ".join(str(r[f'{s}_positives']) for s in strategies) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seed-size", type=int, default=150)
    parser.add_argument("--reveal", type=int, default=100)
    parser.add_argument("--strategies", default="margin,entropy,random")
    parser.add_argument("--config", default=str(LIGHT_SETTINGS))
    parser.add_argument("--corpus", default=str(PRACTICES_FILE))
    parser.add_argument("--out", default=str(RESULTS / "active_learning"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    strategies = args.strategies.split(",")
    taxonomy = load_taxonomy(LABELS_FILE)
    records = load_practices(args.corpus)
    train = [r for r in records if r.get("split") == "train"]
    test = [r for r in records if r.get("split") == "test"]
    train_settings = load_settings(args.config)["train"]
    start = time.perf_counter()
    runs = []
    for seed in tqdm(range(args.seeds), desc="repetitions", disable=args.quiet):
        runs.append(one_seed(seed, train, test, taxonomy, train_settings, args.seed_size, args.reveal, strategies))
        log.info("seed %d: %s", seed, {k: v for k, v in runs[-1].items() if not k.endswith(("detail", "positives"))})
    seconds = time.perf_counter() - start
    summary = summarise(runs, strategies)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"args": vars(args) | {"config": str(Path(args.config).name),
                                                                          "corpus": str(Path(args.corpus).name),
                                                                          "out": str(Path(args.out).name)},
                                                    "train_settings": train_settings, "summary": summary,
                                                    "runs": runs, "seconds": round(seconds, 1)}, indent=2) + "\n")
    write_markdown(out.with_suffix(".md"), args, summary, runs, strategies, len(train), len(test), seconds)
    print(out.with_suffix(".md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
