"""Throughput and peak memory of `hrc classify` by batch size, worker count and engine.

Documents are generated from the project's examples and, when ../shared/realdocs
is present, its smaller real PDFs and web pages (round-robin, each copy made
distinct by a trailing comment so no two share a content hash). Every
configuration runs `python -m pipeline.cli classify` as a child process, with
1 and 2 workers in the same run as each other's baseline; peak memory is the
largest sum of resident memory over the child and all its workers, sampled
every 0.1 s. The machine's load average is kept beside each figure: on a shared
machine the 2-worker speedup is only as good as the cores that were free.

    python benchmarks/scale.py         # 100 and 1,000 mixed docs x 1 and 2 workers; dask vs local on 200;
                                       # 500 and 5,000 small docs x 2 workers (peak memory)
    python benchmarks/scale.py --sizes 60 --dask-size 60 --memory-sizes 100 400 --quiet   # a loaded machine

Results: benchmarks/results/scale.md and scale.json.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from itertools import repeat
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # the Dask workers of the local cluster unpickle this checkout's pipeline
EXAMPLES = ROOT / "corpus" / "examples"
REALDOCS = ROOT.parent / "shared" / "realdocs"
RESULTS = ROOT / "benchmarks" / "results"
MAX_REAL_BYTES = 150_000          # "small documents": keeps the 5,000-document run to minutes


def source_pool(small: bool = False) -> list[Path]:
    """Mixed: examples + small real documents; ``small``: the three example documents only."""
    pool = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".pdf", ".html", ".txt"))
    for sub in ("html", "pdf") if not small else ():
        folder = REALDOCS / sub
        if folder.is_dir():
            pool += sorted(p for p in folder.iterdir() if p.stat().st_size <= MAX_REAL_BYTES)
    return pool


def make_documents(folder: Path, count: int, pool: list[Path]) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        source = pool[i % len(pool)]
        data = source.read_bytes()
        marker = {".pdf": b"\n%% copy %d\n", ".html": b"\n<!-- copy %d -->\n"}.get(source.suffix, b"\n\n(copy %d)\n")
        (folder / f"{i:05d}-{source.stem[:40]}{source.suffix}").write_bytes(data + marker % i)


class PeakMemory(threading.Thread):
    """Samples the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root, self.peak, self.stop = psutil.Process(pid), 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                tree = [self.root] + self.root.children(recursive=True)
                total = 0
                for process in tree:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            time.sleep(0.1)


def run_classify(folder: Path, out: Path, extra: list[str]) -> dict:
    command = [sys.executable, "-m", "pipeline.cli", "classify", str(folder), "-o", str(out), "-q", *extra]
    manifest = out.parent / f".{out.name}.manifest.jsonl"
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    sampler = PeakMemory(child.pid)
    sampler.start()
    first = None
    while child.poll() is None:                  # when the first document is written
        if first is None and manifest.exists() and len(manifest.read_text().splitlines()) > 1:
            first = time.perf_counter() - started
        time.sleep(0.02)
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    stderr = child.stderr.read()
    if child.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-2000:]}")
    ledger = [json.loads(line) for line in open(out.parent / f"{out.name}.manifest.jsonl", encoding="utf-8")][1:]
    docs = len(ledger)
    first = first if first is not None else wall
    return {"documents": docs, "errors": sum(e["status"] == "error" for e in ledger),
            "records": sum(e["records"] for e in ledger), "wall_s": round(wall, 2),
            "startup_s": round(first, 2), "docs_per_s": round(docs / wall, 2),
            "docs_per_s_after_startup": round((docs - 1) / max(wall - first, 1e-9), 2),
            "peak_rss_mb": round(sampler.peak / 2**20), "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2)}


_CLUSTERS: dict[int, object] = {}


def dask_cluster(workers: int):
    """One LocalCluster per worker count for the whole benchmark, as a cluster is used: started once,
    then given run after run. Its workers keep their sandboxed processes between runs with the same
    model and settings, so the first run on it pays their start and later runs do not."""
    from distributed import LocalCluster

    if workers not in _CLUSTERS:
        _CLUSTERS[workers] = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                                          protocol="tcp", host="127.0.0.1", dashboard_address=None)
    return _CLUSTERS[workers]


def close_clusters() -> None:
    while _CLUSTERS:
        _CLUSTERS.popitem()[1].close()


def run_one(work: Path, size: int, workers: int, engine: str) -> dict:
    """One `hrc classify` run of a prepared folder; ``engine``: local, dask, fixed (the tiny
    fixed-cost folder) or small (the small-documents folder)."""
    out = work / f"out-{size}-{workers}-{engine}.jsonl"
    for stale in [*out.parent.glob(f"{out.name}*"), *out.parent.glob(f".{out.name}*")]:   # output, manifest, partial
        stale.unlink()
    folder = work / {"small": f"small-{size}", "fixed": f"fixed-{workers}"}.get(engine, f"docs-{size}")
    extra, fresh = ["--workers", str(workers)], None
    if engine == "dask":
        fresh = workers not in _CLUSTERS
        extra = ["--engine", "dask", "--scheduler", dask_cluster(workers).scheduler_address]
    measured = run_classify(folder, out, extra)
    if fresh is not None:
        measured["fresh_cluster"] = fresh
    return {"size": size, "workers": workers, "engine": "local" if engine in ("small", "fixed") else engine,
            "documents_kind": {"small": "small", "fixed": "fixed cost"}.get(engine, "mixed"), **measured}


def fastest(tried: dict[tuple, list[dict]], order: list[tuple]) -> list[dict]:
    """Per configuration, its fastest run, with every run's wall time beside it; local runs also
    get their throughput beyond the fixed cost (the fastest fixed-cost run of that worker count)."""
    rows = []
    for key in order:
        if key not in tried:
            continue
        row = dict(min(tried[key], key=lambda r: r["wall_s"]), walls=[r["wall_s"] for r in tried[key]],
                   fresh=[bool(r.get("fresh_cluster")) for r in tried[key]])
        rows.append(row)
    for row in rows:
        fixed = next((r["wall_s"] for r in rows if r["documents_kind"] == "fixed cost" and r["workers"] == row["workers"]),
                     None)
        if row["engine"] == "local" and row["documents_kind"] == "mixed" and fixed is not None:
            # throughput once the run is under way: documents over the time beyond a run's fixed cost
            row["docs_per_s_beyond_fixed"] = round(row["size"] / max(row["wall_s"] - fixed, 1e-9), 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000],
                        help="mixed documents, run with 1 and 2 workers")
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[500, 5000],
                        help="small documents (the examples), run with 2 workers")
    parser.add_argument("--dask-size", type=int, default=200)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds of the timed comparisons; the fastest run of each is kept")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.md")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--from-json", type=Path, help="only re-render the Markdown from a results JSON")
    args = parser.parse_args()
    if args.from_json:
        kept = json.loads(args.from_json.read_text())
        names = lambda key: [Path(n) for n in kept[key]]  # noqa: E731
        return report(kept["runs"], names("pool"), names("small_pool"), args.out)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    pool, small = source_pool(), source_pool(small=True)
    say(f"{len(pool)} source documents in the mixed pool, {len(small)} in the small one")
    if sys.dont_write_bytecode:
        # As an installed package has it: with PYTHONDONTWRITEBYTECODE set (as on this project's
        # machines) every worker would otherwise compile the package's modules afresh at each start.
        compileall.compile_dir(ROOT / "pipeline", quiet=1)
        say("compiled the package's bytecode (PYTHONDONTWRITEBYTECODE is set)")
    work = Path(tempfile.mkdtemp(prefix="hrc-scale-"))
    try:
        for size in sorted(set(args.sizes) | ({args.dask_size} - {0})):
            make_documents(work / f"docs-{size}", size, pool)
        for size in args.memory_sizes:
            make_documents(work / f"small-{size}", size, small)
        for workers in (1, 2):   # the fixed cost of a run: start, load the model, one tiny document per worker
            make_documents(work / f"fixed-{workers}", workers, [EXAMPLES / "riverside-digest.txt"])
        # Timed comparisons run in rounds, 1 and 2 workers side by side in each, and keep the fastest of
        # --repeats (other work on a shared machine only ever adds time): one run of each drifts 15%.
        compared = [(workers, workers, "fixed") for workers in (1, 2)]
        compared += [(size, workers, "local") for size in args.sizes for workers in (1, 2)]
        if not args.no_dask:
            compared += [(args.dask_size, 2, "local"), (args.dask_size, 2, "dask")]
        once = [(size, 2, "small") for size in args.memory_sizes]
        tried: dict[tuple, list[dict]] = {}
        rounds = [compared] * max(1, args.repeats) + [once]
        for number, plan in enumerate(rounds, 1):
            for size, workers, engine in plan:
                say(f"round {number}/{len(rounds)}: {size} documents, {workers} workers, {engine} engine ...")
                row = run_one(work, size, workers, engine)
                say(json.dumps(row))
                tried.setdefault((size, workers, engine), []).append(row)
            rows = fastest(tried, compared + once)
            report(rows, pool, small, args.out)     # after every round, so an interrupted benchmark keeps its figures
    finally:
        close_clusters()
        shutil.rmtree(work, ignore_errors=True)


def report(rows: list[dict], pool: list[Path], small: list[Path], out: Path) -> None:
    def find(size, workers, engine="local", kind="mixed"):
        return next((r for r in rows if (r["size"], r["workers"], r["engine"], r["documents_kind"])
                     == (size, workers, engine, kind)), None)

    def paired(slow: dict, fast: dict) -> str:
        """The ratio within each round (the two runs minutes apart, so under the same load) and
        their median: steadier than fastest over fastest when one lucky run sets a fastest."""
        pairs = zip(slow.get("walls", []), fast.get("walls", []), slow.get("fresh") or repeat(False))
        ratios = [round(a / b, 2) for a, b, fresh in pairs if not fresh]   # a fresh cluster's run is listed apart
        return f"{statistics.median(ratios):.2f} ({', '.join(map(str, ratios))})" if len(ratios) > 1 else "-"

    checks = []
    for size in sorted({r["size"] for r in rows}):
        one, two = find(size, 1), find(size, 2)
        if one and two:
            check = {"check": f"2 workers vs 1 at {size} docs (wall)", "ratio": round(one["wall_s"] / two["wall_s"], 2),
                     "target": ">= 1.8", "paired": paired(one, two)}
            f1, f2 = find(1, 1, kind="fixed cost"), find(2, 2, kind="fixed cost")
            if f1 and f2:   # the best a perfect split of the work could give, with these fixed costs
                work = one["wall_s"] - f1["wall_s"]
                check["bound"] = round(one["wall_s"] / (f2["wall_s"] + work / 2), 2)
            checks.append(check)
            if "docs_per_s_beyond_fixed" in one and "docs_per_s_beyond_fixed" in two:
                checks.append({"check": f"2 workers vs 1 at {size} docs (throughput beyond the fixed cost of a run)",
                               "ratio": round(two["docs_per_s_beyond_fixed"] / one["docs_per_s_beyond_fixed"], 2),
                               "target": ">= 1.8"})
    few, many = find(500, 2, kind="small"), find(5000, 2, kind="small")
    if few and many:
        checks.append({"check": "peak memory 5,000 docs / 500 docs (2 workers, small documents)",
                       "ratio": round(many["peak_rss_mb"] / few["peak_rss_mb"], 2), "target": "<= 1.2"})
    dask = next((r for r in rows if r["engine"] == "dask"), None)
    if dask:
        local = find(dask["size"], 2)
        checks.append({"check": f"dask (LocalCluster, 2 workers) / local engine time at {dask['size']} docs",
                       "ratio": round(dask["wall_s"] / local["wall_s"], 2), "target": "<= 1.3",
                       "paired": paired(dask, local)})
        if len(dask.get("walls", [])) > 1:   # the first run met a fresh cluster: its workers started then
            checks.append({"check": "the same, first run on a freshly started cluster",
                           "ratio": round(dask["walls"][0] / local["wall_s"], 2), "target": "-"})
    machine = {"cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)), "python": platform.python_version(),
               "platform": platform.platform(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "bytecode_compiled_first": sys.dont_write_bytecode}
    fixed_rows = [r for r in rows if r["documents_kind"] == "fixed cost"]
    fixed_text = " and ".join(f"{r['wall_s']} s with {r['workers']} worker{'s' if r['workers'] > 1 else ''}"
                              for r in fixed_rows) or "not measured in this run"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"machine": machine, "pool": [p.name for p in pool],
                                                    "small_pool": [p.name for p in small],
                                                    "runs": rows, "checks": checks}, indent=2) + "\n")
    lines = ["# Scale benchmark: `hrc classify` by batch size, workers and engine", "",
             f"Generated by `python benchmarks/scale.py` on {machine['date']}: {machine['usable_cpus']} usable cores, "
             f"{machine['memory_gb']} GB, Python {machine['python']}. Mixed documents: {len(pool)} sources "
             "(project examples + real PDFs/pages up to 150 KB from ../shared/realdocs) copied round-robin; "
             "small documents: the 3 project examples (PDF, web page, text digest) copied round-robin.", "",
             "Load = 1-minute load average before / after the run (other jobs share this machine).", "",
             "| docs | kind | workers | engine | wall s (fastest) | every run's wall s | first document s | docs/s (wall) | docs/s beyond the fixed cost | peak RSS MB (all processes) | errors | load |",
             "|---:|---|---:|---|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['size']} | {r['documents_kind']} | {r['workers']} | {r['engine']} | {r['wall_s']} | {', '.join(map(str, r.get('walls', [r['wall_s']])))} | {r['startup_s']} | {r['docs_per_s']} | "
                     f"{r.get('docs_per_s_beyond_fixed', '-')} | {r['peak_rss_mb']} | {r['errors']} | {r['load_before']} / {r['load_after']} |")
    lines += ["", "| check | measured (fastest / fastest) | per round: median (each round) | target | best possible with this run's fixed costs |",
              "|---|---:|---|---|---:|"]
    lines += [f"| {c['check']} | {c['ratio']} | {c.get('paired', '-')} | {c['target']} | {c.get('bound', '-')} |" for c in checks]
    lines += ["", "Notes:", "",
              f"- A load average above the {machine['usable_cpus']} usable cores means other jobs held the CPU: "
              "each process then gets a share of a core, and a second worker buys only its own share, so the "
              "2-worker speedup measured here is a floor set by the machine, not by the runner. Compare runs "
              "whose load columns are close to the core count or below.",
              "- Fixed cost = the wall time of a run over one tiny document per worker (start `hrc`, start the "
              "workers, import, load the served model arrays, warm up, build the place tables, write, exit): "
              f"{fixed_text}, about the same for 1 and 2 workers, since the workers start side by side. "
              "Throughput beyond it = documents / (wall - fixed cost): what a second worker buys once a run is "
              "under way. The wall ratio also counts the fixed cost, which no worker count can shorten: with "
              "fixed cost F and one worker's work W it cannot exceed (F + W) / (F + W / 2).",
              "- Each configuration ran in rounds beside the others and the fastest run is kept (every run's "
              "wall time is listed): on this shared machine the same run varies by 10-20% from one minute to "
              "the next.",
              "- First document = time to the first written document (the largest inputs start first, so this "
              "is no longer a start-up time): each worker loads the model and the place tables once.",
              "- `hrc` starts its workers before it imports its own batch machinery, so their start overlaps "
              "the parent's imports. "
              + ("PYTHONDONTWRITEBYTECODE was set on this machine, so the benchmark compiled the package's "
                 "bytecode first, as an installed package has it: otherwise every worker compiles each module "
                 "afresh at every start (about 40 ms here). "
                 if machine["bytecode_compiled_first"] else ""),
              "- The dask runs share one LocalCluster, started before the first of them, as a cluster is "
              "used: its workers keep their sandboxed processes (model loaded) from one run to the next, so the "
              "first run pays their start and the later ones do not; the first run's ratio is listed apart.",
              "- Peak RSS of the dask row counts the `hrc` client only: the LocalCluster's workers (and their "
              "worker processes) live inside the benchmark process."]
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
