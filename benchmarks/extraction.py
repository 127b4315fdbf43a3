"""Extraction measured against real documents, with baselines run beside us.

Reads ``realdocs/`` from the shared folder (web pages and PDFs with gold main
text; see its README and SOURCES.tsv) and, for every document, runs

* ours: ``pipeline.extract.extract(path)``; the text is ``Document.text``, the
  blocks joined in reading order;
* for web pages, trafilatura's default ``trafilatura.extract(html)``, and our
  fallback alone (``ours-walk-only``: the page body walked, furniture left out);
* for PDFs, raw pdfplumber ``page.extract_text()`` and pypdfium2
  ``get_textpage().get_text_range()`` page by page.

Each text is scored against the gold with a token-level bag-of-words overlap
(:mod:`benchmarks.metrics`), because PDF gold was made by other tools with their
own conventions. Documents without gold report success, size and time only.
Results go to a Markdown table and a JSON file beside it.

    python benchmarks/extraction.py [--quiet] [--shared PATH] [--out benchmarks/results/extraction.md] [--repeat 3]
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout: import this checkout's pipeline
    sys.path.insert(0, str(ROOT))

from tqdm import tqdm  # noqa: E402

from benchmarks.metrics import token_overlap  # noqa: E402

DEFAULT_SHARED = ROOT.parent / "shared"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "extraction.md"
SOURCE_NAMES = {
    "aeb": "article-extraction-benchmark (HTML, human gold)",
    "rdb": "mozilla/readability (HTML, Readability.js gold)",
    "dl": "docling (PDF, docling Markdown gold)",
    "pbx": "pdfbox (PDF, PDFTextStripper gold)",
    "plb": "pdfplumber (PDF, public records; gold for 1)",
    "gen": "generated reports (PDF, exact gold: one/two/label columns, headers, hyphens, links)",
}
GENERATED_SEEDS = range(5000, 5024)  # never the seeds the tests use


@dataclass
class Run:
    """One extractor on one document."""

    ok: bool
    seconds: float
    chars: int = 0
    error: str = ""
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None


@dataclass
class DocResult:
    file: str
    kind: str
    source: str
    pages: int
    has_gold: bool
    gold_tokens: int = 0
    runs: dict[str, Run] = field(default_factory=dict)


# -- extractors: each takes a path and returns the text ------------------------

def ours(path: Path) -> str:
    from pipeline.extract import extract

    return extract(str(path)).text


def ours_page_walk(path: Path) -> str:
    """Our fallback alone (the page body walked, furniture left out), to show what it is worth."""
    from trafilatura import load_html

    from pipeline.extract.page import find_furniture, page_walk
    from pipeline.extract.web import decode_html

    tree = load_html(decode_html(path.read_bytes()))
    return "\n\n".join(block.text for block in page_walk(tree, find_furniture(tree))[0])


def ours_pdfplumber(path: Path) -> str:
    """Our layout logic on pdfplumber's words instead of pdfium's."""
    from pipeline.config import settings
    from pipeline.extract import extract

    config = settings()
    config["pdf"]["engine"] = "pdfplumber"
    return extract(str(path), config).text


def trafilatura_default(path: Path) -> str:
    import trafilatura

    return trafilatura.extract(path.read_bytes()) or ""


def pdfplumber_raw(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def pypdfium2_raw(path: Path) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        pdf.close()


EXTRACTORS: dict[str, dict[str, Callable[[Path], str]]] = {
    "html": {"ours": ours, "trafilatura": trafilatura_default, "ours-walk-only": ours_page_walk},
    "pdf": {"ours": ours, "ours-pdfplumber": ours_pdfplumber, "pdfplumber": pdfplumber_raw,
            "pypdfium2": pypdfium2_raw},
}


def page_count(path: Path, kind: str) -> int:
    if kind != "pdf":
        return 1
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def run_one(extractor: Callable[[Path], str], path: Path, gold: str | None, repeat: int = 1) -> Run:
    """Score the first run; time the fastest of ``repeat`` runs (other work on the machine only adds time)."""
    timings = []
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        try:
            text = extractor(path)
        except Exception as error:  # a benchmark records failures and goes on
            return Run(ok=False, seconds=time.perf_counter() - start, error=f"{type(error).__name__}: {error}"[:200])
        timings.append(time.perf_counter() - start)
    run = Run(ok=bool(text.strip()), seconds=min(timings), chars=len(text))
    if gold is not None:
        score = token_overlap(text, gold)
        run.precision, run.recall, run.f1 = score.precision, score.recall, score.f1
    return run


def read_sources(realdocs: Path) -> list[dict]:
    with open(realdocs / "SOURCES.tsv", encoding="utf-8", newline="") as handle:
        return sorted(csv.DictReader(handle, delimiter="\t"), key=lambda row: row["file"])


def warm_up(rows: list[dict], realdocs: Path) -> None:
    """Import every library and run each extractor once, untimed, so import costs do not land on one file."""
    for kind, extractors in EXTRACTORS.items():
        first = next((row for row in rows if row["kind"] == kind), None)
        if first:
            for extractor in extractors.values():
                try:
                    extractor(realdocs / first["file"])
                except Exception:
                    pass


def generated_documents(folder: Path) -> list[tuple[Path, str]]:
    """Report PDFs made here with their exact gold (see tests/fixtures/pdf_layouts.py)."""
    from tests.fixtures.pdf_layouts import build

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for seed in GENERATED_SEEDS:
        path = folder / f"gen-{seed}.pdf"
        out.append((path, build(path, seed).gold_text))
    return out


def benchmark(realdocs: Path, quiet: bool = False, repeat: int = 1, generated: Path | None = None) -> list[DocResult]:
    rows = read_sources(realdocs)
    warm_up(rows, realdocs)
    items = []
    for row in rows:
        path = realdocs / row["file"]
        gold_path = realdocs / "gold" / (path.stem + ".txt")
        items.append((path, row["kind"], gold_path.read_text(encoding="utf-8") if gold_path.exists() else None))
    if generated is not None:
        items += [(path, "pdf", gold) for path, gold in generated_documents(generated)]
    results = []
    for path, kind, gold in tqdm(items, desc="extraction benchmark", unit="doc", disable=quiet):
        row = {"file": str(path.relative_to(realdocs) if path.is_relative_to(realdocs) else path.name), "kind": kind}
        result = DocResult(file=row["file"], kind=row["kind"], source=path.stem.split("-", 1)[0],
                           pages=page_count(path, row["kind"]), has_gold=gold is not None)
        if gold is not None:
            result.gold_tokens = token_overlap("", gold).gold_tokens
        for name, extractor in EXTRACTORS[row["kind"]].items():
            result.runs[name] = run_one(extractor, path, gold, repeat)
        results.append(result)
    return results


# -- summaries -----------------------------------------------------------------

def summarise(results: list[DocResult], kind: str, source: str | None = None) -> dict:
    """Mean P/R/F1 over documents with gold (macro), success count and throughput per extractor."""
    chosen = [r for r in results if r.kind == kind and (source is None or r.source == source)]
    summary = {"documents": len(chosen), "with_gold": sum(r.has_gold for r in chosen),
               "pages": sum(r.pages for r in chosen), "extractors": {}}
    for name in EXTRACTORS[kind]:
        runs = [r.runs[name] for r in chosen]
        scored = [r.runs[name] for r in chosen if r.has_gold]
        seconds = sum(run.seconds for run in runs)
        summary["extractors"][name] = {
            "succeeded": sum(run.ok for run in runs),
            "precision": _mean(run.precision for run in scored),
            "recall": _mean(run.recall for run in scored),
            "f1": _mean(run.f1 for run in scored),
            "median_f1": statistics.median(run.f1 for run in scored) if scored else None,
            "seconds": seconds,
            "per_second": summary["pages"] / seconds if seconds else None,
        }
    return summary


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _cell(run: Run, has_gold: bool) -> str:
    """F1 when there is gold; otherwise whether the extractor produced text."""
    if not run.ok:
        return f"failed: {run.error[:60]}" if run.error else "failed: no text"
    return _fmt(run.f1) if has_gold else "ok"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render_markdown(results: list[DocResult], meta: dict) -> str:
    out = ["# Extraction benchmark: real documents, ours beside baselines", "",
           f"Run {meta['date']} on {meta['machine']}; `python benchmarks/extraction.py` "
           f"(shared folder `{meta['realdocs']}`).", "",
           "Scores are token-level (bag of `\\w+` tokens after NFKC and case folding) precision, recall and F1 "
           "against the gold text, averaged over the documents that have gold. Speed is documents (HTML) or "
           f"pages (PDF) per second of wall time (the fastest of {meta['repeat']} runs of each document), summed over "
           "every document, gold or not. "
           "Baselines: `trafilatura.extract(html)` with default options for web pages; raw pdfplumber "
           "`page.extract_text()` and pypdfium2 `get_text_range()` for PDFs. `ours-walk-only` is our web "
           "fallback on its own (the page body walked, furniture left out), which `ours` uses only when the "
           "main text is missing, tiny or flat. Gold conventions differ by source (see benchmarks/README.md).", ""]
    for kind, unit in (("html", "docs/s"), ("pdf", "pages/s")):
        names = list(EXTRACTORS[kind])
        out += [f"## {kind.upper()} by source", "",
                "| source | docs (gold) | " + " | ".join(f"{n} F1 (P/R)" for n in names) + " | "
                + " | ".join(f"{n} {unit}" for n in names) + " |",
                "|---|---|" + "---|" * (2 * len(names))]
        sources = sorted({r.source for r in results if r.kind == kind})
        for source in sources + [None]:
            s = summarise(results, kind, source)
            label = f"**all {kind.upper()}**" if source is None else f"{source}: {SOURCE_NAMES.get(source, source)}"
            cells = [f"{_fmt(e['f1'])} ({_fmt(e['precision'], 2)}/{_fmt(e['recall'], 2)})"
                     for e in s["extractors"].values()]
            speeds = [_fmt(e["per_second"], 1) for e in s["extractors"].values()]
            out.append(f"| {label} | {s['documents']} ({s['with_gold']}) | " + " | ".join(cells) + " | "
                       + " | ".join(speeds) + " |")
        out.append("")
        if kind == "pdf":
            s = summarise(results, "pdf")["extractors"]
            base = s["pdfplumber"]["per_second"]
            if base:
                ratios = " : ".join(f"{_fmt((e['per_second'] or 0) / base, 2)}" for e in s.values())
                out += [f"PDF speed ratio {' : '.join(s)} (pages/s, pdfplumber = 1) = {ratios}", ""]
        out += [f"### {kind.upper()} per file", "",
                "| file | pages | gold tokens | " + " | ".join(f"{n} F1" for n in names) + " | "
                + " | ".join(f"{n} P/R" for n in names) + " | " + " | ".join(f"{n} s" for n in names) + " | " + " | ".join(f"{n} chars" for n in names) + " |",
                "|---|---|---|" + "---|" * (4 * len(names))]
        for r in (r for r in results if r.kind == kind):
            f1s = [_cell(run, r.has_gold) for run in r.runs.values()]
            prs = [f"{_fmt(run.precision, 2)}/{_fmt(run.recall, 2)}" for run in r.runs.values()]
            secs = [_fmt(run.seconds, 2) for run in r.runs.values()]
            out.append(f"| {Path(r.file).stem} | {r.pages} | {r.gold_tokens or '–'} | " + " | ".join(f1s) + " | "
                       + " | ".join(prs) + " | " + " | ".join(secs) + " | "
                       + " | ".join(str(run.chars) for run in r.runs.values()) + " |")
        out.append("")
    failures = [(r.file, name, run.error) for r in results for name, run in r.runs.items() if not run.ok]
    if failures:
        out += ["## Failures (no text or an error)", ""]
        out += [f"- `{file}` {name}: {error or 'empty text'}" for file, name, error in failures]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder holding realdocs/")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown results; JSON is written beside it")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--repeat", type=int, default=3, help="time the fastest of this many runs per document")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # it logs every page it finds too short
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    realdocs = args.shared / "realdocs"
    if not (realdocs / "SOURCES.tsv").exists():
        print(f"no realdocs found at {realdocs} (pass --shared PATH)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        results = benchmark(realdocs, quiet=args.quiet, repeat=args.repeat, generated=Path(scratch))
    import pdfplumber
    import pypdfium2
    import trafilatura

    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
                   f"trafilatura {trafilatura.__version__}, pdfplumber {pdfplumber.__version__}, "
                   f"pypdfium2 {pypdfium2.version.PYPDFIUM_INFO}",
        "realdocs": str(realdocs),
        "repeat": args.repeat,
    }
    markdown = render_markdown(results, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(args.out, markdown + "\n")
    summary = {kind: {source or "all": summarise(results, kind, source)
                      for source in sorted({r.source for r in results if r.kind == kind}) + [None]}
               for kind in EXTRACTORS}
    payload = {"meta": meta, "summary": summary, "documents": [asdict(r) for r in results]}
    _write_atomic(args.out.with_suffix(".json"), json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    if not args.quiet:
        print(markdown.split("### HTML per file")[0])
        print(f"written {args.out} and {args.out.with_suffix('.json')}")
    return 0


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
