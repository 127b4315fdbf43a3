"""Apply a focused re-annotation: new yes/no judgements on a few labels, for every practice.

Usage:
    python corpus/tools/relabel.py JUDGEMENTS.jsonl... --set principles \
        --labels effective_institutions_coordination social_inclusion_cultural_diversity \
        --guide 3 [-o corpus/practices.jsonl]

When a guide's wording for some labels changes (see ``annotation-guide.md``), the
whole corpus is judged again on those labels alone: one
``{"id": ..., "<label>": true|false, ...}`` per line. This script checks that
every practice got a boolean for every named label (a missing or extra id is
an error, so a half-done pass never lands), then sets or clears each named label
in the record's label list, keeping the other labels and the taxonomy's order.
Each record notes the pass in ``relabelled`` (guide version, labels, and which
of them it had before), so the datasheet can say which labels follow which guide
and how far the passes agree. The corpus file is rewritten
atomically.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_batch import read_records, rows_by_id  # noqa: E402
from pipeline.corpus import load_taxonomy  # noqa: E402
from pipeline.records import write_jsonl  # noqa: E402


def read_judgements(paths: list[str]) -> dict[str, dict]:
    return rows_by_id(paths, twice="judged twice")


def judgement_problems(records: list[dict], judgements: dict[str, dict], labels: list[str]) -> list[str]:
    ids = {r["id"] for r in records}
    problems = [f"no judgement for {i}" for i in sorted(ids - judgements.keys())]
    problems += [f"judgement for unknown id {i}" for i in sorted(judgements.keys() - ids)]
    for i, row in judgements.items():
        for label in labels:
            if not isinstance(row.get(label), bool):
                problems.append(f"{i}: {label} is {row.get(label)!r}, not true or false")
    return problems


def relabel(records: list[dict], judgements: dict[str, dict], label_set: str, labels: list[str],
            order: list[str], guide: int) -> dict[str, tuple[int, int]]:
    """Set or clear ``labels`` in each record's ``label_set``; returns per label (before, after) counts."""
    counts = {label: [0, 0] for label in labels}
    for record in records:
        current = set(record.get(label_set) or [])
        earlier = [p for p in record.get("relabelled") or [] if p.get("guide") == guide]
        # re-applying a pass keeps what the labels were before its first application
        previous = earlier[0]["previous"] if earlier else [label for label in labels if label in current]
        for label in labels:
            counts[label][0] += label in current
            if judgements[record["id"]][label]:
                current.add(label)
            else:
                current.discard(label)
            counts[label][1] += label in current
        record[label_set] = [label for label in order if label in current]
        passes = [p for p in record.get("relabelled") or [] if p.get("guide") != guide]
        record["relabelled"] = passes + [{"guide": guide, "set": label_set, "labels": list(labels),
                                          "previous": previous}]
    return {label: tuple(c) for label, c in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("judgements", nargs="+")
    parser.add_argument("--set", dest="label_set", required=True, choices=("themes", "principles"))
    parser.add_argument("--labels", nargs="+", required=True)
    parser.add_argument("--guide", type=int, required=True, help="annotation-guide version the judgements follow")
    parser.add_argument("-o", "--output", default="corpus/practices.jsonl")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    order = list(taxonomy[args.label_set].labels)
    unknown = [label for label in args.labels if label not in order]
    if unknown:
        sys.exit(f"not {args.label_set} labels in corpus/labels.yaml: {', '.join(unknown)}")
    try:
        records = read_records(args.output)
    except ValueError as exc:
        sys.exit(str(exc))
    judgements = read_judgements(args.judgements)
    problems = judgement_problems(records, judgements, args.labels)
    if problems:
        sys.exit("\n".join(problems[:50]) + f"\n{len(problems)} problem(s): nothing written")
    counts = relabel(records, judgements, args.label_set, args.labels, order, args.guide)
    write_jsonl(args.output, records)
    for label, (before, after) in counts.items():
        print(f"{label}: {before} -> {after} practices", file=sys.stderr)


if __name__ == "__main__":
    main()
