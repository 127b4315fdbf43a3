"""Check a second-pass annotation file against the records it labels.

Usage: python corpus/tools/check_annotation.py RECORDS.jsonl LABELS.jsonl

Each line of LABELS is {"id", "themes", "principles", "pillar"} for one record
of RECORDS (same ids, any order). Prints every problem; exits 1 if any, or if
records are still unlabelled (it says how many, so it can be run while working).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_batch import label_problems, numbered_rows  # noqa: E402
from pipeline.corpus import load_taxonomy  # noqa: E402


def main(records_path: str, labels_path: str) -> int:
    taxonomy = load_taxonomy()
    wanted = [json.loads(line)["id"] for line in open(records_path, encoding="utf-8") if line.strip()]
    seen, problems = set(), []
    for number, row, problem in numbered_rows(labels_path):
        if problem:
            problems.append(problem)
            continue
        rid = row.get("id")
        if rid not in wanted:
            problems.append(f"line {number}: id {rid!r} is not in {records_path}")
        if rid in seen:
            problems.append(f"line {number}: id {rid!r} labelled twice")
        seen.add(rid)
        problems += [f"{rid}: {p}" for p in label_problems(row, taxonomy)]
    missing = [i for i in wanted if i not in seen]
    for problem in problems:
        print(problem)
    print(f"{len(wanted) - len(missing)} of {len(wanted)} labelled, {len(problems)} problems", file=sys.stderr)
    return 1 if problems or missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
