"""Assemble corpus/practices.jsonl from writers' batch files.

Usage: python corpus/tools/assemble.py BATCH.jsonl... [-o corpus/practices.jsonl]

Each practice was written by hand (see corpus/README.md); this script only
merges the batches, checks labels against corpus/labels.yaml, drops
near-duplicates, marks the source as `written`, and assigns the fixed
train/test split by iterative stratification. Existing splits are kept.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from pipeline.corpus import assign_splits, load_taxonomy, near_duplicates  # noqa: E402
from pipeline.records import write_jsonl  # noqa: E402

FIELDS = ("id", "style", "title", "city", "country", "population", "text", "parts",
          "themes", "principles", "pillar", "hard_case", "source", "split")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("batches", nargs="+")
    parser.add_argument("-o", "--output", default="corpus/practices.jsonl")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    records = []
    for batch in args.batches:
        for line in open(batch, encoding="utf-8"):
            if line.strip():
                record = json.loads(line)
                record.setdefault("source", "written")
                for name in ("themes", "principles"):
                    record[name] = [l for l in record.get(name, []) if l in taxonomy[name].labels]
                if record.get("pillar") not in taxonomy["pillar"].labels:
                    record["pillar"] = None
                records.append({k: record.get(k) for k in FIELDS if k in record or k in ("pillar",)})
    dupes = near_duplicates([r["text"] for r in records])
    drop = {j for _, j, _ in dupes}
    for i, j, score in dupes:
        print(f"near-duplicate {records[i]['id']} ~ {records[j]['id']} ({score:.2f}): dropping the second",
              file=sys.stderr)
    records = [r for k, r in enumerate(records) if k not in drop]
    records = assign_splits(records, taxonomy)
    count = write_jsonl(args.output, records)
    print(f"{count} practices written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
