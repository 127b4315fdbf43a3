"""How fast classification alone runs on one core.

Usage:
    nice python benchmarks/classify_speed.py [--model VERSION] [--practices 4000] [--quiet]

Times ``score_texts`` (all three label sets: every score and every ``predicted``
flag) of the default model's served form (the arrays ``hrc classify`` reads, see
``pipeline/served.py``) and of the full scikit-learn model it was exported from,
on the corpus's held-out practices, repeated to
``--practices`` texts, pinned to one CPU and one BLAS/torch thread, counted in
CPU time of this process (the machines are shared, so wall time would measure
the neighbours); best of ``--rounds``. Two call patterns: one large batch, and documents of 10
practices each (how ``hrc classify`` calls it). Beside it, in the same run:

* ``floor: word TF-IDF only`` — just the default model's word vectoriser, the
  least any bag-of-words tagger must spend reading the text;
* ``MiniLM encoding`` — sentence embeddings for the same texts, when the
  ``[embeddings]`` extra is installed (what an embedding model would add).

Results go to ``benchmarks/results/classify_speed.{json,md}``. The requirement
is at least 2,000 practices per second.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from threadpoolctl import threadpool_limits  # noqa: E402
from tqdm import tqdm  # noqa: E402

from pipeline.corpus import load_practices, training_text  # noqa: E402
from pipeline.models import load_model, load_scorer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
REQUIRED = 2000.0
DOCUMENT_SIZE = 10


def best_rate(work, texts: list[str], rounds: int, batch: int) -> float:
    """Practices per second, best of ``rounds``, calling ``work`` on batches."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for i in range(0, len(texts), batch):
            work(texts[i:i + batch])
        best = min(best, time.process_time() - start)
    return len(texts) / best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--practices", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS / "classify_speed")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    bundle = load_model(args.model)
    served = load_scorer(args.model)
    base = [training_text(r) for r in load_practices() if r.get("split") == "test"]
    texts = (base * (args.practices // len(base) + 1))[:args.practices]
    words = bundle.estimators["themes"].features_.transformer_list[0][1]
    rows = []
    cases = [(f"default model {bundle.version}, served form (what classifying uses)", served.score_texts),
             (f"default model {bundle.version}, full scikit-learn model", bundle.score_texts),
             ("floor: word TF-IDF only (scikit-learn's vectoriser)", words.transform)]
    try:
        from pipeline.classify.alternatives import packaged_minilm

        encoder = packaged_minilm()
        import torch

        torch.set_num_threads(1)
        cases.append(("MiniLM encoding (embeddings extra)",
                      lambda batch: encoder.encode(batch, batch_size=32, show_progress_bar=False)))
    except ImportError:
        pass
    with threadpool_limits(1):
        for name, work in tqdm(cases, desc="speed", disable=args.quiet, file=sys.stderr):
            work(texts[:50])  # warm up
            sample = texts if not name.startswith("MiniLM") else texts[:200]  # slow: a sample suffices
            rows.append({"case": name,
                         "batch_per_second": round(best_rate(work, sample, args.rounds, 1000)),
                         "documents_per_second": round(best_rate(work, sample, args.rounds, DOCUMENT_SIZE)),
                         "practices": len(sample)})
    meta = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(), "cores_used": 1, "required": REQUIRED,
            "mean_words": round(sum(len(t.split()) for t in base) / len(base))}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps({"rows": rows, "meta": meta}, indent=2) + "\n")
    lines = ["# Classification speed", "",
             f"Practices per CPU-second, one core, one thread; held-out corpus practices (mean {meta['mean_words']} words) repeated; best of "
             f"{args.rounds}; {meta['date']}, Python {meta['python']}. Reproduce: `nice python benchmarks/classify_speed.py`.",
             "", "| case | practices/s, batches of 1000 | practices/s, documents of 10 | practices timed |",
             "|---|---|---|---|"]
    lines += [f"| {r['case']} | {r['batch_per_second']:,} | {r['documents_per_second']:,} | {r['practices']} |" for r in rows]
    verdict = "meets" if rows[0]["batch_per_second"] >= REQUIRED else "misses"
    lines += ["", f"The default model {verdict} the requirement of {REQUIRED:,.0f} practices/s on one core "
              "(batched). Times are CPU time of the benchmark process: the machine was shared with other jobs.", ""]
    args.output.with_suffix(".md").write_text("\n".join(lines))
    if not args.quiet:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
