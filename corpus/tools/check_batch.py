"""Check one writer's batch of practices before it joins the corpus.

Usage: python corpus/tools/check_batch.py BATCH.jsonl [--final]

Prints every problem with the record id and exits 1 if there is any. Without
``--final`` only per-record checks run (use it while writing); ``--final`` adds
the batch-level quotas of the writing brief (``corpus/tools/writing-brief.md``):
label minimums, the spread of styles and lengths, and near-duplicates against
the batch itself and the existing corpus.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from pipeline.config import PRACTICES_FILE  # noqa: E402
from pipeline.corpus import load_practices, load_taxonomy, near_duplicates  # noqa: E402

STYLES = {"web_page", "council_record", "news_article", "database_entry", "report",
          "case_study", "news", "summary", "form", "academic", "newsletter", "press_release",
          "plan_excerpt", "short"}
PART_NAMES = {"challenge", "solution", "takeaways", "lede", "quote", "speaker", "references"}
MIN_WORDS, MAX_WORDS = 25, 650
# Umbrella texts get a theme for every area they list (annotation guide, version 2): the corpus
# has practices with up to 10. A cap of 5 made writers of the third round drop listed areas.
MAX_THEMES = 10
BATCH_MINIMUM = {"themes": 5, "principles": 5, "pillar": 12}


def numbered_rows(path: str):
    """(line number, object or None, problem or None) for each non-blank line of a JSONL file."""
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.strip():
            try:
                yield number, json.loads(line), None
            except ValueError as exc:
                yield number, None, f"line {number}: not JSON ({exc})"


def read_records(path: str) -> list[dict]:
    """Every object of a JSONL file; ValueError naming each line that is not JSON."""
    rows = list(numbered_rows(path))
    problems = [problem for _, _, problem in rows if problem]
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return [row for _, row, _ in rows]


def rows_by_id(paths: list[str], twice: str = "given twice") -> dict[str, dict]:
    """The rows of several JSONL files by ``id``; ValueError on a line that is not JSON or an
    id seen before (``twice`` says how, e.g. "judged twice")."""
    rows: dict[str, dict] = {}
    for path in paths:
        for number, row, problem in numbered_rows(path):
            if problem:
                raise ValueError(f"{path}: {problem}")
            if row.get("id") in rows:
                raise ValueError(f"{path}:{number}: id {row.get('id')!r} {twice}")
            rows[row["id"]] = row
    return rows


def label_problems(record: dict, taxonomy) -> list[str]:
    """Themes and principles must be lists of known ids, without repeats; the pillar known or null."""
    problems = []
    for name in ("themes", "principles"):
        values = record.get(name)
        if not isinstance(values, list):
            problems.append(f"{name} must be a list")
            continue
        unknown = [v for v in values if v not in taxonomy[name].labels]
        if unknown:
            problems.append(f"unknown {name}: {unknown}")
        if len(set(values)) != len(values):
            problems.append(f"repeated {name}")
    if record.get("pillar") not in set(taxonomy["pillar"].labels) | {None}:
        problems.append(f"pillar {record.get('pillar')!r} unknown")
    return problems


def record_problems(record: dict, taxonomy) -> list[str]:
    problems = []
    for key in ("id", "style", "title", "city", "country", "text", "themes", "principles"):
        if not record.get(key) and key not in ("themes", "principles"):
            problems.append(f"missing {key}")
    if record.get("style") not in STYLES:
        problems.append(f"style {record.get('style')!r} not one of {sorted(STYLES)}")
    text = record.get("text") or ""
    words = len(text.split())
    if not MIN_WORDS <= words <= MAX_WORDS:
        problems.append(f"{words} words (allowed {MIN_WORDS}-{MAX_WORDS})")
    problems += label_problems(record, taxonomy)
    if len(record.get("themes") or []) > MAX_THEMES:
        problems.append(f"more than {MAX_THEMES} themes")
    if len(record.get("principles") or []) > 4:
        problems.append("more than 4 principles: keep only those the practice clearly embodies")
    parts = record.get("parts") or {}
    if not isinstance(parts, dict):
        problems.append("parts must be an object")
        parts = {}
    for part, value in parts.items():
        if part not in PART_NAMES:
            problems.append(f"part {part!r} unknown")
        elif not isinstance(value, str) or value not in text:
            problems.append(f"part {part!r} is not an exact substring of text")
    return problems


def batch_problems(records: list[dict], taxonomy, corpus: list[dict], min_countries: int = 25) -> list[str]:
    problems = []
    for name, minimum in BATCH_MINIMUM.items():
        counts = Counter(l for r in records for l in (r.get(name) if isinstance(r.get(name), list)
                                                       else [r.get(name)]))
        for label in taxonomy[name].labels:
            if counts[label] < minimum:
                problems.append(f"batch: {name}/{label} has {counts[label]} practices, needs {minimum}")
    words = [len(r["text"].split()) for r in records]
    short = sum(w < 90 for w in words) / len(words)
    long = sum(w > 300 for w in words) / len(words)
    if short < 0.15:
        problems.append(f"batch: only {short:.0%} of texts under 90 words (want at least 15%)")
    if long < 0.15:
        problems.append(f"batch: only {long:.0%} of texts over 300 words (want at least 15%)")
    if len({r["country"] for r in records}) < min_countries:
        problems.append(f"batch: fewer than {min_countries} countries")
    texts = [r["text"] for r in records]
    for i, j, score in near_duplicates(texts + [c["text"] for c in corpus]):
        if i < len(texts):
            other = records[j]["id"] if j < len(texts) else corpus[j - len(texts)]["id"]
            problems.append(f"{records[i]['id']}: near-duplicate of {other} ({score:.2f})")
    ids = Counter(r["id"] for r in records)
    problems += [f"{i}: id used {n} times" for i, n in ids.items() if n > 1]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("batch")
    parser.add_argument("--final", action="store_true")
    parser.add_argument("--min-countries", type=int, default=25,
                        help="countries a batch must span (lower for a batch set in one world region)")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    records, problems = [], []
    for number, record, problem in numbered_rows(args.batch):
        if problem:
            problems.append(problem)
            continue
        records.append(record)
        problems += [f"{record.get('id', f'line {number}')}: {p}" for p in record_problems(record, taxonomy)]
    if args.final and records:
        problems += batch_problems(records, taxonomy, load_practices(PRACTICES_FILE), args.min_countries)
    for problem in problems:
        print(problem)
    styles = Counter(r.get("style") for r in records)
    print(f"{len(records)} records, {len(problems)} problems; styles {dict(styles)}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
