"""The training corpus holds its promised size, coverage and variety."""
import re
from collections import Counter

import pytest

from pipeline.config import CORPUS_DIR, PRACTICES_FILE
from pipeline.corpus import load_practices, load_taxonomy, near_duplicates

MIN_POSITIVES = {"themes": 60, "principles": 45, "pillar": 120}


@pytest.fixture(scope="module")
def practices():
    return load_practices(PRACTICES_FILE)


def test_size_and_split(practices):
    assert len(practices) >= 900
    splits = Counter(p["split"] for p in practices)
    assert set(splits) == {"train", "test"} and 0.15 <= splits["test"] / len(practices) <= 0.25
    assert len({p["id"] for p in practices}) == len(practices)


def test_every_label_has_its_minimum(practices):
    taxonomy = load_taxonomy()
    for name, minimum in MIN_POSITIVES.items():
        counts = Counter(l for p in practices for l in (p[name] if isinstance(p[name], list) else [p[name]]))
        for label in taxonomy[name].labels:
            assert counts[label] >= minimum, f"{name}/{label}: {counts[label]} < {minimum}"
        assert not set(counts) - set(taxonomy[name].labels) - {None}


def test_places_and_styles_are_varied(practices):
    assert len({p["country"] for p in practices}) >= 60
    assert len({(p["city"], p["country"]) for p in practices}) >= 200
    styles = Counter(p["style"] for p in practices)
    registers = {"report", "news", "form", "summary", "case_study", "web_page", "council_record",
                 "news_article", "database_entry", "plan_excerpt", "academic", "newsletter", "short"}
    assert registers <= set(styles)
    assert max(styles.values()) <= 0.25 * len(practices)       # no register dominates
    words = [len(p["text"].split()) for p in practices]
    assert min(words) >= 25 and max(words) <= 650
    assert sum(w < 90 for w in words) >= 0.15 * len(practices)  # real sources are often short ...
    assert sum(w > 300 for w in words) >= 0.1 * len(practices)  # ... and sometimes long
    theme_counts = Counter(len(p["themes"]) for p in practices)
    # most practices work in one to four areas; umbrella policies get a theme per listed area, so a
    # tail has five or more (the gold seeds' Vienna policy has five), but the mean stays where
    # real collections are (the 27 gold seed practices average 2.85 themes)
    assert sum(theme_counts[k] for k in (1, 2, 3, 4)) >= 0.85 * len(practices)
    assert 2.0 <= sum(len(p["themes"]) for p in practices) / len(practices) <= 3.5


def test_no_near_duplicates(practices):
    assert near_duplicates([p["text"] for p in practices], threshold=0.8) == []


def test_parts_are_exact_spans(practices):
    for p in practices:
        for part, value in (p.get("parts") or {}).items():
            assert value in p["text"], (p["id"], part)


def test_datasheet_numbers_match_the_file(practices):
    sheet = (CORPUS_DIR / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"\b{len(practices)} practices\b", sheet)
    for name in ("themes", "principles"):
        counts = Counter(l for p in practices for l in p[name])
        for label, count in counts.items():
            assert re.search(rf"\| `{label}` \| {count} \|", sheet), f"datasheet count for {label}"


def test_segment_documents_have_gold_spans():
    from pipeline.config import SEGMENTS_FILE

    documents = load_practices(SEGMENTS_FILE)
    assert len(documents) >= 150
    assert sum(not d["headed"] for d in documents) >= len(documents) / 2 - 1
    for document in documents:
        parts = {s["part"] for s in document["spans"]}
        assert {"title", "challenge", "solution"} <= parts
        for span in document["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(document["text"])
