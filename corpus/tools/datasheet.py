"""Rewrite the counts section of corpus/README.md from the corpus files.

Usage: python corpus/tools/datasheet.py
Everything between the COUNTS markers is regenerated; the prose around it is
written by hand. A test checks that the numbers match the files.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from adjudicate import agreement  # noqa: E402
from pipeline.config import CORPUS_DIR, PRACTICES_FILE, SEGMENTS_FILE  # noqa: E402
from pipeline.corpus import load_practices, load_taxonomy  # noqa: E402

START, END = "<!-- COUNTS:START -->", "<!-- COUNTS:END -->"


def table(title: str, counts: Counter, labels, total_test: Counter | None = None) -> list[str]:
    rows = [f"| {title} | practices | in test split |", "|---|---|---|"]
    for label in labels:
        rows.append(f"| `{label}` | {counts[label]} | {total_test[label] if total_test else ''} |")
    return rows + [""]


def agreement_lines(practices: list[dict]) -> list[str]:
    """How far the second annotator's labels (kept) agree with the writer's first pass."""
    both = [p for p in practices if p.get("writer_labels")]
    if not both:
        return []
    lines = [f"Second-pass annotation: {len(both)} practices relabelled by an annotator who had not seen the "
             "writer's labels. Agreement with the writer's first pass:", "",
             "| label set | agreement | labels the annotator added | labels the annotator removed |",
             "|---|---|---|---|"]
    for name in ("themes", "principles"):
        added = removed = kept = 0
        for p in both:
            first, second = set(p["writer_labels"].get(name) or []), set(p[name])
            kept, added, removed = kept + len(first & second), added + len(second - first), removed + len(first - second)
        lines.append(f"| {name} | micro-F1 {2 * kept / max(2 * kept + added + removed, 1):.3f} | {added} | {removed} |")
    same = sum(p["writer_labels"].get("pillar") == p["pillar"] for p in both)
    lines += [f"| pillar | accuracy {same / len(both):.3f} | | |", ""]
    return lines


def relabel_lines(practices: list[dict]) -> list[str]:
    """Focused passes (``relabel.py``): per label, how many practices had it before and after, and
    how far the two judgements agree."""
    passes: dict[tuple, list[tuple[dict, dict]]] = {}
    for p in practices:
        for entry in p.get("relabelled") or []:
            passes.setdefault((entry["guide"], entry["set"], tuple(entry["labels"])), []).append((p, entry))
    lines = []
    for (guide, name, labels), rows in sorted(passes.items()):
        lines += [f"Guide version {guide} pass: {len(rows)} practices judged again on these {name} alone "
                  "(`tools/relabel.py`):", "",
                  "| label | before | after | agreement (F1) |", "|---|---|---|---|"]
        for label in labels:
            before = sum(label in entry["previous"] for _, entry in rows)
            after = sum(label in p[name] for p, _ in rows)
            both = sum(label in entry["previous"] and label in p[name] for p, entry in rows)
            lines.append(f"| `{label}` | {before} | {after} | {2 * both / max(before + after, 1):.3f} |")
        lines.append("")
    return lines


def vote_lines(practices: list[dict]) -> list[str]:
    """The votes (``tools/adjudicate.py``): how far two annotators following the same guide agree,
    and how many labels the adjudicator settled. Batches r1..r14 and b1..b8 voted between a second
    and a third blind pass; the third writing round (r15 and up) between the writer, labelling by
    the guide, and one blind annotator (``passes["second_by"] == "writer"``)."""
    lines = []
    groups = [("blind", "Third-pass annotation: {n} practices labelled again, blind, by a third annotator from "
                        "the same guide; where the second and third pass disagree an adjudicator decided each "
                        "disputed label (`tools/adjudicate.py`). Agreement between the second and third pass, "
                        "the annotators' own noise level:"),
              ("writer", "Third writing round: {n} practices labelled by their writer from the annotation guide "
                         "and again, blind, by an annotator who saw only title and text; an adjudicator decided "
                         "each label the two disagreed on. Agreement between writer and annotator:")]
    for kind, heading in groups:
        voted = [p for p in practices if p.get("passes")
                 and (p["passes"].get("second_by") == "writer") == (kind == "writer")]
        if not voted:
            continue
        lines += [heading.format(n=len(voted)), "",
                  "| label set | agreement | disputed labels | kept by the adjudicator |", "|---|---|---|---|"]
        figures = agreement(voted, {p["id"]: p["passes"]["third"] for p in voted})
        for name in ("themes", "principles"):
            answers = [(p["passes"].get("adjudicated") or {}).get(name) or {} for p in voted]
            disputed, upheld = sum(map(len, answers)), sum(sum(map(bool, a.values())) for a in answers)
            lines.append(f"| {name} | micro-F1 {figures[name]:.3f} | {disputed} | {upheld} |")
        different = len(voted) - round(figures["pillar"] * len(voted))
        lines += [f"| pillar | accuracy {figures['pillar']:.3f} | {different} | |", ""]
    return lines


def counts_section() -> str:
    practices = load_practices(PRACTICES_FILE)
    segments = load_practices(SEGMENTS_FILE) if SEGMENTS_FILE.exists() else []
    taxonomy = load_taxonomy()
    test = [p for p in practices if p["split"] == "test"]
    lines = [f"The corpus holds **{len(practices)} practices** ({len(practices) - len(test)} train, {len(test)} test), "
             f"from {len({p['country'] for p in practices})} countries and "
             f"{len({(p['city'], p['country']) for p in practices})} distinct places; "
             f"{sum(bool(p.get('hard_case')) for p in practices)} are marked as deliberate hard cases.", ""]
    words = sorted(len(p["text"].split()) for p in practices)
    lines += [f"Length: {words[0]} to {words[-1]} words, median {words[len(words) // 2]}.", ""]
    styles = Counter(p["style"] for p in practices)
    lines += ["| style | practices |", "|---|---|"] + [f"| {s} | {n} |" for s, n in styles.most_common()] + [""]
    for name in ("themes", "principles"):
        lines += table(name, Counter(l for p in practices for l in p[name]), taxonomy[name].labels,
                       Counter(l for p in test for l in p[name]))
    lines += table("pillar", Counter(p["pillar"] for p in practices), list(taxonomy["pillar"].labels) + [None],
                   Counter(p["pillar"] for p in test))
    per_practice = Counter(len(p["themes"]) for p in practices)
    lines += ["Themes per practice: " + ", ".join(f"{k}: {per_practice[k]}" for k in sorted(per_practice)), ""]
    batches = Counter(p["id"].split("-")[0] for p in practices)
    lines += ["Practices per writing batch (b: one world region each; r: one register family each; see above): "
              + ", ".join(f"{k}: {v}" for k, v in sorted(batches.items(), key=lambda kv: (kv[0][0], int(kv[0][1:])
                                                                                         if kv[0][1:].isdigit() else 0))),
              ""]
    lines += agreement_lines(practices)
    lines += relabel_lines(practices)
    lines += vote_lines(practices)
    if segments:
        lines += [f"`segments.jsonl` holds **{len(segments)} documents** "
                  f"({sum(d['headed'] for d in segments)} with part headings, "
                  f"{sum(not d['headed'] for d in segments)} without; "
                  f"{sum(d['split'] == 'test' for d in segments)} in the test split) containing "
                  f"{sum(len(d['practice_ids']) for d in segments)} practices.", ""]
    return "\n".join(lines)


def main() -> None:
    path = CORPUS_DIR / "README.md"
    text = path.read_text(encoding="utf-8")
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{counts_section()}\n{END}",
                 text, flags=re.S)
    path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
