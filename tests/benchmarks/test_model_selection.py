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


def test_a_blends_pillar_is_sharpened_with_a_power_from_the_other_folds_only():
    import numpy as np

    from benchmarks.model_selection import cross_fitted_sharpening
    from pipeline.corpus import load_taxonomy
    from pipeline.evaluate import expected_calibration_error

    taxonomy = load_taxonomy()
    pillars = list(taxonomy["pillar"].labels)
    rng = np.random.default_rng(0)
    records = [{"pillar": pillars[i % 3]} for i in range(90)]
    splits = [(None, list(range(f, 90, 3))) for f in range(3)]
    results = {}
    for k, (_, rows) in enumerate(splits):      # right 80% of the time, but only ever 50% sure: under-confident
        scores = []
        for i in rows:
            truth = pillars.index(records[i]["pillar"])
            top = truth if rng.random() < 0.8 else (truth + 1) % 3
            scores.append([0.5 if j == top else 0.25 for j in range(3)])
        results[k] = {"pillar": {"scores": scores, "fit_s": 0, "predict_s": 0}}
    sharpened = cross_fitted_sharpening(results, splits, 3, records, taxonomy)
    for k, (_, rows) in enumerate(splits):
        before, after = np.array(results[k]["pillar"]["scores"]), np.array(sharpened[k]["pillar"]["scores"])
        onehot = np.eye(3)[[pillars.index(records[i]["pillar"]) for i in rows]]
        assert (before.argmax(axis=1) == after.argmax(axis=1)).all()
        assert after.max(axis=1).mean() > 0.7
        assert expected_calibration_error(onehot, after) < expected_calibration_error(onehot, before)
