import pytest

from benchmarks.metrics import token_overlap, tokens


def test_tokens_fold_case_ligatures_and_punctuation():
    assert tokens("The ﬁnal Report, 2024 — São Paulo's") == ["the", "final", "report", "2024", "são", "paulo", "s"]


def test_identical_texts_with_different_layout_score_one():
    gold = "Free legal clinics\n\nThe city opened clinics in markets."
    predicted = "FREE LEGAL CLINICS The city opened\nclinics in markets"
    score = token_overlap(predicted, gold)
    assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)


def test_boilerplate_costs_precision_and_missing_text_costs_recall():
    gold = "one two three four"
    noisy = token_overlap("menu login one two three four", gold)
    assert noisy.recall == 1.0 and noisy.precision == pytest.approx(4 / 6)
    short = token_overlap("one two", gold)
    assert short.precision == 1.0 and short.recall == 0.5
    assert short.f1 == pytest.approx(2 * 0.5 / 1.5)


def test_repeated_tokens_match_only_as_often_as_in_gold():
    score = token_overlap("city city city council", "city council")
    assert score.precision == pytest.approx(2 / 4) and score.recall == 1.0


def test_empty_texts():
    assert token_overlap("", "some gold").f1 == 0.0
    assert token_overlap("text", "").f1 == 0.0
    assert token_overlap("", "").f1 == 1.0


def test_right_to_left_tokens_match_in_either_letter_order():
    from benchmarks.metrics import token_overlap

    logical = "تحسين الإنتاجية"
    visual = " ".join(word[::-1] for word in logical.split())
    assert token_overlap(logical, visual).f1 == 1.0
    assert token_overlap("final", "lanif").f1 == 0.0  # left-to-right words keep their direction
