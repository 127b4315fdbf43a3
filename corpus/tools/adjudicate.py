"""A third, blind annotation pass and the adjudication of what the two annotators disagree on.

Usage:
    python corpus/tools/adjudicate.py agreement THIRD.jsonl...
    python corpus/tools/adjudicate.py questions THIRD.jsonl... --chunks 8 --out-dir DIR
    python corpus/tools/adjudicate.py apply THIRD.jsonl... --answers ANSWERS.jsonl... [-o corpus/practices.jsonl] [--second-by writer]

Why: one annotator's labels are noisy (two annotators following the same guide
agree on about 85% of theme labels), and a model trained and scored on one
annotator's labels learns that annotator's slips as well as the rules. A third
pass labels every practice again from ``annotation-guide.md``, seeing only
title and text (one {"id", "themes", "principles", "pillar"} per line, the
``check_annotation.py`` format). Where the second and third pass agree, that is
the label. Where they disagree, an adjudicator answers a yes/no question per
disputed label (and picks between the two pillars), seeing the text and the
disputed labels but not who proposed which: ``questions`` writes those
questions, ``apply`` takes the answers, one {"id", "themes": {label: bool},
"principles": {label: bool}, "pillar": value} per line. Every question must be
answered, and nothing else, or nothing is written.

In the third writing round (batches r15 and up) the writer labelled each practice from the
guide and one blind annotator labelled it again; the vote is the same, with the writer's labels
in the place of the second pass (``--second-by writer`` records that in ``passes``).

Each record keeps its provenance in ``passes``: the second and third pass's
labels and the adjudicated answers, so the datasheet can report the agreement
and anyone can rebuild or undo the vote. The corpus file is rewritten
atomically.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_batch import label_problems, read_records, rows_by_id  # noqa: E402
from pipeline.corpus import load_taxonomy  # noqa: E402
from pipeline.records import write_jsonl  # noqa: E402

SETS = ("themes", "principles")


def second_pass(record: dict) -> dict:
    """The second annotator's labels: kept in ``passes`` once a vote has been applied."""
    earlier = (record.get("passes") or {}).get("second")
    return earlier if earlier else {name: record.get(name) for name in (*SETS, "pillar")}


def third_pass_problems(records: list[dict], third: dict[str, dict], taxonomy) -> list[str]:
    ids = {r["id"] for r in records}
    problems = [f"no third-pass labels for {i}" for i in sorted(ids - third.keys())]
    problems += [f"third-pass labels for unknown id {i}" for i in sorted(third.keys() - ids)]
    for i, row in third.items():
        problems += [f"{i}: {p}" for p in label_problems(row, taxonomy)]
    return problems


def disputes(second: dict, third: dict) -> dict:
    """The labels only one of the two passes gave, per set, and the two pillars if they differ."""
    out = {name: sorted(set(second.get(name) or []) ^ set(third.get(name) or [])) for name in SETS}
    out["pillar"] = sorted({str(second.get("pillar")), str(third.get("pillar"))}) \
        if second.get("pillar") != third.get("pillar") else []
    return out


def agreement(records: list[dict], third: dict[str, dict]) -> dict:
    """Micro-F1 between the second and third pass per label set, pillar accuracy, disputed counts."""
    figures = {}
    for name in SETS:
        kept = either = 0
        for record in records:
            a, b = set(second_pass(record).get(name) or []), set(third[record["id"]].get(name) or [])
            kept, either = kept + len(a & b), either + len(a) + len(b)
        figures[name] = 2 * kept / max(either, 1)
    figures["pillar"] = sum(second_pass(r).get("pillar") == third[r["id"]].get("pillar")
                            for r in records) / max(len(records), 1)
    figures["disputed_practices"] = sum(any(disputes(second_pass(r), third[r["id"]]).values()) for r in records)
    return figures


def questions(records: list[dict], third: dict[str, dict]) -> list[dict]:
    """One question row per practice with any dispute; the labels are listed in taxonomy order,
    never by who proposed them."""
    rows = []
    for record in records:
        disputed = disputes(second_pass(record), third[record["id"]])
        if any(disputed.values()):
            rows.append({"id": record["id"], "title": record["title"], "text": record["text"], **disputed})
    return rows


def answer_problems(asked: list[dict], answers: dict[str, dict]) -> list[str]:
    wanted = {q["id"]: q for q in asked}
    problems = [f"no answer for {i}" for i in sorted(wanted.keys() - answers.keys())]
    problems += [f"answer for {i}, which was not asked" for i in sorted(answers.keys() - wanted.keys())]
    for i in sorted(wanted.keys() & answers.keys()):
        question, answer = wanted[i], answers[i]
        for name in SETS:
            given = answer.get(name) or {}
            if set(given) != set(question[name]):
                problems.append(f"{i}: {name} answers {sorted(given)} but asked {question[name]}")
            problems += [f"{i}: {name}.{label} is {value!r}, not true or false"
                         for label, value in given.items() if not isinstance(value, bool)]
        if question["pillar"] and str(answer.get("pillar")) not in question["pillar"]:
            problems.append(f"{i}: pillar {answer.get('pillar')!r} is not one of {question['pillar']}")
    return problems


def apply_vote(records: list[dict], third: dict[str, dict], answers: dict[str, dict], taxonomy) -> dict:
    """Agreed labels stay; disputed ones follow the adjudicator. Returns per set the (before, after)
    label counts, and how many pillars changed."""
    counts = {name: [0, 0] for name in SETS}
    pillars_changed = 0
    for record in records:
        second, other = second_pass(record), third[record["id"]]
        disputed, answer = disputes(second, other), answers.get(record["id"], {})
        for name in SETS:
            agreed = set(second.get(name) or []) & set(other.get(name) or [])
            chosen = agreed | {label for label in disputed[name] if answer[name][label]}
            counts[name][0] += len(second.get(name) or [])
            record[name] = [label for label in taxonomy[name].labels if label in chosen]
            counts[name][1] += len(record[name])
        if disputed["pillar"]:
            pillar = answer.get("pillar")
            record["pillar"] = None if pillar in (None, "None") else pillar
        pillars_changed += record["pillar"] != second.get("pillar")
        record["passes"] = {"second": second,
                            "third": {name: other.get(name) for name in (*SETS, "pillar")},
                            "adjudicated": {name: answer.get(name) for name in (*SETS, "pillar")} if answer else None}
    return {**{name: tuple(c) for name, c in counts.items()}, "pillars changed": pillars_changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("agreement", "questions", "apply"))
    parser.add_argument("third", nargs="+", help="third-pass label files")
    parser.add_argument("--answers", nargs="*", default=[])
    parser.add_argument("--chunks", type=int, default=1)
    parser.add_argument("--out-dir", default=".")
    parser.add_argument("-o", "--output", default="corpus/practices.jsonl")
    parser.add_argument("--second-by", choices=("annotator", "writer"), default="annotator",
                        help="whose labels the records hold: a second blind annotator's, or (third writing "
                             "round) the writer's, given from the guide; recorded in passes")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    try:
        records, third = read_records(args.output), rows_by_id(args.third)
        answers = rows_by_id(args.answers)
    except ValueError as exc:
        sys.exit(str(exc))
    problems = third_pass_problems(records, third, taxonomy)
    if problems:
        sys.exit("\n".join(problems[:50]) + f"\n{len(problems)} problem(s)")
    if args.command == "agreement":
        print(json.dumps({k: round(v, 3) for k, v in agreement(records, third).items()}, indent=1))
    elif args.command == "questions":
        asked = questions(records, third)
        out = Path(args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for k in range(args.chunks):
            write_jsonl(out / f"questions-{k + 1}.jsonl", asked[k::args.chunks])
        print(f"{len(asked)} practices with disputes in {args.chunks} file(s) under {out}", file=sys.stderr)
    else:
        problems = answer_problems(questions(records, third), answers)
        if problems:
            sys.exit("\n".join(problems[:50]) + f"\n{len(problems)} problem(s): nothing written")
        earlier = {r["id"]: r.get("passes") for r in records}
        counts = apply_vote(records, third, answers, taxonomy)
        for record in records:   # a re-run without the flag keeps what an earlier one recorded
            if args.second_by == "writer" or (earlier.get(record["id"]) or {}).get("second_by") == "writer":
                record["passes"]["second_by"] = "writer"
        write_jsonl(args.output, records)
        for name in SETS:
            print(f"{name}: {counts[name][0]} -> {counts[name][1]} labels", file=sys.stderr)
        print(f"pillars changed: {counts['pillars changed']}", file=sys.stderr)


if __name__ == "__main__":
    main()
