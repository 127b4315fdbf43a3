"""`hrc export`: wide and long tables, filters, a data dictionary, and practice ids
that survive a re-run on the same documents."""
import shutil

import pandas as pd
import pytest

from pipeline import batch
from pipeline.corpus import load_taxonomy
from pipeline.errors import UnsupportedInput
from pipeline.records import read_jsonl
from pipeline.tables import Filters, dictionary_path, export
from tests.conftest import EXAMPLES

TAXONOMY = load_taxonomy()


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    out = folder / "run.jsonl"
    batch.run([str(EXAMPLES / "riverside-digest.txt"), str(EXAMPLES / "welcome-office.html")], out, quiet=True)
    return out


def test_practice_ids_survive_a_rerun_in_another_order_and_place(run_file, tmp_path):
    moved = tmp_path / "renamed"
    moved.mkdir()
    shutil.copy(EXAMPLES / "welcome-office.html", moved / "office.html")
    shutil.copy(EXAMPLES / "riverside-digest.txt", moved / "digest.txt")
    rerun = tmp_path / "rerun.jsonl"
    batch.run([str(moved / "office.html"), str(moved / "digest.txt")], rerun, quiet=True)
    first = {r["practice_id"]: r["title"] for r in read_jsonl(run_file)}
    second = {r["practice_id"]: r["title"] for r in read_jsonl(rerun)}
    assert first == second and len(first) >= 4


def test_wide_csv_has_a_flag_and_a_score_per_label(run_file, tmp_path):
    out = tmp_path / "wide.csv"
    records = read_jsonl(run_file)
    assert export(run_file, out) == len(records)
    frame = pd.read_csv(out)
    assert frame["practice_id"].tolist() == [r["practice_id"] for r in records]
    for name in ("themes", "principles"):
        for label in TAXONOMY[name].labels:
            assert set(frame[f"{name}.{label}"]) <= {0, 1}
            assert frame[f"{name}.{label}.score"].between(0, 1).all()
    for i, record in enumerate(records):
        predicted = {s["label"] for s in record["themes"] if s["predicted"]}
        assert {l for l in TAXONOMY["themes"].labels if frame.loc[i, f"themes.{l}"] == 1} == predicted
    dictionary = dictionary_path(out).read_text(encoding="utf-8")
    assert "| `themes.migration.score` | Calibrated score of theme 'migration', 0-1 |" in dictionary
    assert "| themes | `migration` | Policies for people on the move" in dictionary
    assert "filters: none" in dictionary and f"{len(records)} practices" in dictionary


def test_filters_and_long_layout(run_file, tmp_path):
    records = read_jsonl(run_file)
    theme = next(s["label"] for s in records[0]["themes"] if s["predicted"])
    expected = [r["practice_id"] for r in records
                if any(s["label"] == theme and s["predicted"] for s in r["themes"])]
    out = tmp_path / "theme.parquet"
    assert export(run_file, out, filters=Filters(themes=[theme])) == len(expected)
    assert pd.read_parquet(out)["practice_id"].tolist() == expected
    country = records[0]["place"]["country"]
    out = tmp_path / "country.jsonl"
    export(run_file, out, filters=Filters(countries=[country.upper()]))
    assert {r["place"]["country"] for r in read_jsonl(out)} == {country}
    long = tmp_path / "long.csv"
    count = export(run_file, long, layout="long", filters=Filters(min_score=0.5))
    frame = pd.read_csv(long)
    assert len(frame) == count and list(frame.columns) == ["practice_id", "label_set", "label", "score", "predicted"]
    assert (frame["score"] >= 0.5).all() and set(frame["label_set"]) <= {"themes", "principles", "pillar"}
    high = {(r["practice_id"], s["label"]) for r in records for s in r["themes"] if s["score"] >= 0.5}
    assert {(p, l) for p, s, l in zip(frame["practice_id"], frame["label_set"], frame["label"]) if s == "themes"} == high
    assert "min score 0.5" in dictionary_path(long).read_text(encoding="utf-8")


def test_unknown_filter_label_and_format_are_refused(run_file, tmp_path):
    with pytest.raises(UnsupportedInput, match="unknown themes label"):
        export(run_file, tmp_path / "x.csv", filters=Filters(themes=["housing"]))
    with pytest.raises(UnsupportedInput, match="unknown output format"):
        export(run_file, tmp_path / "x.xlsx")
