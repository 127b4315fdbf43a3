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
from pipeline.corpus import load_taxonomy  # noqa: E402


def main(records_path: str, labels_path: str) -> int:
    taxonomy = load_taxonomy()
    wanted = [json.loads(line)["id"] for line in open(records_path, encoding="utf-8") if line.strip()]
    seen, problems = set(), []
    for number, line in enumerate(open(labels_path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            problems.append(f"line {number}: not JSON ({exc})")
            continue
        rid = row.get("id")
        if rid not in wanted:
            problems.append(f"line {number}: id {rid!r} is not in {records_path}")
        if rid in seen:
            problems.append(f"line {number}: id {rid!r} labelled twice")
        seen.add(rid)
        for name in ("themes", "principles"):
            values = row.get(name)
            if not isinstance(values, list) or any(v not in taxonomy[name].labels for v in values):
                problems.append(f"{rid}: {name} must be a list of known ids, got {values!r}")
        if row.get("pillar") not in set(taxonomy["pillar"].labels) | {None}:
            problems.append(f"{rid}: pillar {row.get('pillar')!r} unknown")
    missing = [i for i in wanted if i not in seen]
    for problem in problems:
        print(problem)
    print(f"{len(wanted) - len(missing)} of {len(wanted)} labelled, {len(problems)} problems", file=sys.stderr)
    return 1 if problems or missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
