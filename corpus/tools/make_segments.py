"""Build corpus/segments.jsonl: multi-practice documents with gold part spans.

Usage: python corpus/tools/make_segments.py [-o corpus/segments.jsonl] [--documents 160]

Each document strings together 1 to 4 written practices of one split that
have challenge and solution parts (their sentences are the writers' own; only
the arrangement is done here). Half the documents label the parts with
headings, drawn from the variants real reports use; half give the same parts
as bare paragraphs, so the parts must be inferred from the prose. Every span
records its practice, part, and character offsets into the document text.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from pipeline.corpus import load_practices  # noqa: E402
from pipeline.records import write_jsonl  # noqa: E402

HEADINGS = {
    "challenge": ["Challenge addressed", "Context", "The problem", "Background"],
    "solution": ["Solution proposed", "Actions", "What the city did", "The response"],
    "takeaways": ["Takeaways", "Lessons learned", "What others can learn"],
}
PART_ORDER = ("challenge", "solution", "takeaways", "quote", "references")


class Writer:
    def __init__(self):
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[dict] = []

    def add(self, text: str, practice: int | None = None, part: str | None = None) -> None:
        if self.parts:
            self.parts.append("\n\n")
            self.pos += 2
        if part is not None:
            self.spans.append({"practice": practice, "part": part, "start": self.pos, "end": self.pos + len(text)})
        self.parts.append(text)
        self.pos += len(text)


def build_document(practices: list[dict], headed: bool, rng: random.Random) -> dict:
    writer = Writer()
    variant = {k: rng.choice(v) for k, v in HEADINGS.items()}
    for index, practice in enumerate(practices):
        start = writer.pos + (2 if writer.parts else 0)
        place = f"{practice['city']}, {practice['country']}"
        if headed:
            writer.add(practice["title"], index, "title")
            writer.add(place, index, "place")
        else:
            writer.add(practice["title"], index, "title")
            if rng.random() < 0.5:
                writer.add(place, index, "place")
        for part in PART_ORDER:
            text = (practice.get("parts") or {}).get(part)
            if not text:
                continue
            if headed and part in HEADINGS:
                writer.add(variant[part])
            writer.add(f"« {text} »" if part == "quote" else text, index, part)
        writer.spans.append({"practice": index, "part": "practice", "start": start, "end": writer.pos})
    return {"text": "".join(writer.parts), "headed": headed, "spans": writer.spans,
            "practice_ids": [p["id"] for p in practices]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--output", default="corpus/segments.jsonl")
    parser.add_argument("--documents", type=int, default=160)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    usable = [p for p in load_practices() if {"challenge", "solution"} <= set(p.get("parts") or {})
              and p["parts"]["challenge"] != p["parts"]["solution"]]
    documents = []
    for split, share in (("train", 0.8), ("test", 0.2)):
        pool = [p for p in usable if p["split"] == split]
        rng.shuffle(pool)
        count = round(args.documents * share)
        for n in range(count):
            size = rng.choice([1, 2, 3, 3, 4])
            chosen = [pool.pop() for _ in range(min(size, len(pool)))] or rng.sample(
                [p for p in usable if p["split"] == split], size)
            document = build_document(chosen, headed=n % 2 == 0, rng=rng)
            document.update(id=f"seg-{split}-{n + 1:03d}", split=split)
            documents.append(document)
            if not pool:
                pool = [p for p in usable if p["split"] == split]
                rng.shuffle(pool)
    write_jsonl(args.output, documents)
    print(f"{len(documents)} documents written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
