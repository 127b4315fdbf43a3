"""Segmentation on the real seed documents, checked against hand-made gold."""
from pipeline.extract import extract
from pipeline.segment import segment
from pipeline.segment.roles import split_sentences
from tests.conftest import EXAMPLES, shared_path


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _seed(name: str):
    return segment(extract(str(shared_path("seeds", name))))


def test_headed_report_seed_003(gold_practices):
    doc = _seed("003_2583e8cf1e614978.txt")
    gold = [g for g in gold_practices if g["id"].startswith("003")]
    assert doc.metadata["layout"] == "headed_report"
    assert len(doc.practices) == len(gold) == 20
    for practice, expected in zip(doc.practices, gold):
        assert _collapse(practice.title or "") == _collapse(expected["title"])
        assert practice.place.city == expected["city"]
        assert practice.place.country == expected["country"]
    # >= 95% of the gold sentences sit in the same part of our practice
    right = total = 0
    for practice, expected in zip(doc.practices, gold):
        for part, text in expected["sections"].items():
            for a, b in split_sentences(text):
                total += 1
                right += _collapse(text[a:b]) in _collapse(practice.sections.get(part, ""))
    assert right / total >= 0.95, (right, total)


def test_news_digest_seed_000(gold_practices):
    doc = _seed("000_1ccfdedd36e56ea0.txt")
    gold = [g for g in gold_practices if g["id"].startswith("000")]
    assert doc.metadata["layout"] == "digest"
    assert len(doc.practices) == 7
    for practice, expected in zip(doc.practices, gold):
        assert practice.title == expected["title"]
        assert practice.place.city == expected["city"]
        assert practice.place.population == expected["population"]
        assert practice.tags == expected["tags"]
        assert _collapse(practice.sections.get("quote", "")) == _collapse(expected["sections"].get("quote", ""))
        assert practice.sections.get("speaker") == expected["speaker"]


def test_example_page_single_practice_with_headed_parts():
    doc = segment(extract(str(EXAMPLES / "welcome-office.html")))
    assert len(doc.practices) == 1
    practice = doc.practices[0]
    assert practice.place.city == "Gothenburg" and practice.place.country == "Sweden"
    assert practice.sections["challenge"].startswith("People who arrive in Gothenburg")
    assert "central library" in practice.sections["solution"]
    assert "follow-up call" in practice.sections["takeaways"]


def test_unit_document_keeps_one_practice_per_input():
    doc = segment(extract(str(EXAMPLES / "riverside-digest.txt")), unit="document")
    assert len(doc.practices) == 1 and doc.practices[0].text == doc.text


def test_practice_ids_are_stable_across_runs():
    first = segment(extract(str(EXAMPLES / "riverside-digest.txt")))
    second = segment(extract(str(EXAMPLES / "riverside-digest.txt")))
    assert [p.practice_id for p in first.practices] == [p.practice_id for p in second.practices]
    assert len({p.practice_id for p in first.practices}) == 3


def test_pages_without_part_headings_are_split_into_practices():
    """Seeds 002 and 004 label no parts: practices come from the trained sentence roles."""
    committee = _seed("002_ea45a370af1f908d.txt")
    assert committee.metadata["layout"] == "paragraphs" and len(committee.practices) >= 3
    assert any((p.title or "").startswith("Facilitating a monitoring programme") for p in committee.practices)
    report = _seed("004_ed11af76145a1752.txt")
    assert len(report.practices) >= 4
    titles = [p.title for p in report.practices]
    assert "Motivations to join the Global Campaign" in titles
    # every practice has some text in a part, and practices do not overlap
    for doc in (committee, report):
        assert all(p.sections for p in doc.practices)
        assert all(a.end <= b.start for a, b in zip(doc.practices, doc.practices[1:]))
