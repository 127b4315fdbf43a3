"""Assemble corpus/practices.jsonl from writers' batch files.

Usage: python corpus/tools/assemble.py BATCH.jsonl... [--annotations LABELS.jsonl...] [-o corpus/practices.jsonl]

Each practice was written by hand (see corpus/README.md); this script only
merges the batches (the current corpus file may be one of them), checks labels
against corpus/labels.yaml, drops near-duplicates, marks the source as
`written`, and assigns the fixed train/test split by iterative stratification.
Existing splits are kept.

``--annotations`` applies a second annotator's labels (see
``annotation-guide.md``; one {"id", "themes", "principles", "pillar"} per line):
they become the record's labels, and the writer's first-pass labels are kept
in ``writer_labels`` so the agreement between the passes stays measurable.
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
          "themes", "principles", "pillar", "hard_case", "source", "split", "writer_labels", "relabelled", "passes", "curation")
LABEL_FIELDS = ("themes", "principles", "pillar")


def apply_annotations(records: list[dict], paths: list[str]) -> int:
    """Second-pass labels replace the writer's, which are kept in ``writer_labels``."""
    second = {}
    for path in paths:
        for line in open(path, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                second[row["id"]] = row
    applied = 0
    for record in records:
        row = second.get(record["id"])
        if row is None:
            continue
        record.setdefault("writer_labels", {k: record.get(k) for k in LABEL_FIELDS})
        for key in LABEL_FIELDS:
            record[key] = row.get(key)
        applied += 1
    return applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("batches", nargs="+")
    parser.add_argument("--annotations", nargs="*", default=[])
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
    if args.annotations:
        print(f"second-pass labels applied to {apply_annotations(records, args.annotations)} practices",
              file=sys.stderr)
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
