"""The model-selection script's fold cache: reused only for the data it was computed on."""
from benchmarks.model_selection import training_fingerprint

RECORDS = [{"id": "r1-001", "title": "Night shelter", "text": "The council opened a night shelter with forty beds.",
            "themes": ["right_to_housing"], "principles": ["right_to_the_city"], "pillar": "caring"},
           {"id": "r1-002", "title": "Youth council", "text": "Pupils elect a youth council that advises the mayor.",
            "themes": ["children_and_youth", "participatory_democracy"], "principles": [], "pillar": "recognition"}]


def test_relabelled_practices_or_another_fold_plan_invalidate_cached_folds():
    same = training_fingerprint([dict(r) for r in RECORDS], 3, 2, 13)
    assert same == training_fingerprint(RECORDS, 3, 2, 13)
    relabelled = [RECORDS[0], dict(RECORDS[1], principles=["participatory_democracy_accountability"])]
    assert training_fingerprint(relabelled, 3, 2, 13) != same
    assert training_fingerprint(RECORDS, 5, 2, 13) != same
    assert training_fingerprint(RECORDS, 3, 2, 14) != same
