"""The whole curation loop through the `hrc` command, on a copy of the corpus and
models: classify -> review export -> edit the CSV as a spreadsheet user would
(including a label that does not exist yet) -> add the label -> import -> train
-> compare -> promote (refused, then forced).

The corpus copy keeps every 4th train and every 3rd test practice, and training
uses tests/fixtures/train-light.yaml, so the test runs in well under a minute.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from pipeline.config import LABELS_FILE, MODELS_DIR, PRACTICES_FILE
from pipeline.models import default_version
from pipeline.records import read_jsonl, write_jsonl
from tests.conftest import EXAMPLES, ROOT

LIGHT = ROOT / "tests" / "fixtures" / "train-light.yaml"
DIGITAL = re.compile(r"\bdigital\b", re.I)


@pytest.fixture
def home(tmp_path):
    corpus = read_jsonl(PRACTICES_FILE)
    train = [r for r in corpus if r["split"] == "train"]
    kept = train[::4] + [r for r in corpus if r["split"] == "test"][::3]
    (tmp_path / "corpus").mkdir()
    shutil.copy(LABELS_FILE, tmp_path / "corpus" / "labels.yaml")
    write_jsonl(tmp_path / "corpus" / "practices.jsonl", kept)
    version = default_version()
    shutil.copytree(MODELS_DIR / version, tmp_path / "models" / version)
    (tmp_path / "models" / "DEFAULT").write_text(version + "\n")
    shutil.copy(MODELS_DIR / "TRUSTED", tmp_path / "models" / "TRUSTED")  # the project's own models stay loadable
    # new documents for the run: practices about digital services the copy does not hold, plus two examples
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    kept_ids = {r["id"] for r in kept}
    for record in [r for r in train if DIGITAL.search(r["text"]) and r["id"] not in kept_ids][:7]:
        (inputs / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")
    for name in ("riverside-digest.txt", "welcome-office.html"):
        shutil.copy(EXAMPLES / name, inputs / name)
    return tmp_path


def hrc(home, *args):
    env = dict(os.environ, HRC_HOME=str(home))
    env.pop("HRC_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT)


def ok(result):
    assert result.returncode == 0, result.stderr
    return result


def edit_like_a_reviewer(path):
    """Open the CSV, correct labels, tag the digital practices with a new theme, save."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    edited = []
    for i, row in enumerate(rows):
        themes = [t for t in row["themes"].split(";") if t]
        if DIGITAL.search(row["text"]):
            themes.append("digital_rights")
        if i == 0 and len(themes) > 1:
            themes = themes[1:]  # the reviewer disagrees with the top prediction
        row["themes"] = ";".join(themes)
        if i == 1:
            row["pillar"] = "caring" if row["pillar"] != "caring" else "inclusion"
        edited.append(row)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:  # as "CSV UTF-8" from a spreadsheet
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(edited)
    return edited


def test_classify_review_import_train_compare_promote(home):
    run = home / "run.jsonl"
    ok(hrc(home, "classify", home / "inputs", "-o", run, "--quiet"))
    practices = [r for r in read_jsonl(run) if r["record_type"] == "practice"]
    assert len(practices) >= 9

    review = home / "review.csv"
    result = ok(hrc(home, "review", "export", run, "-o", review))
    assert f"{len(practices)} practices written" in result.stderr
    rows = edit_like_a_reviewer(review)
    digital_rows = sum("digital_rights" in r["themes"] for r in rows)
    assert digital_rows >= 5

    # the new label is refused until the taxonomy has it
    refused = hrc(home, "review", "import", review)
    assert refused.returncode == 1
    assert "unknown themes label 'digital_rights' (add it to the label file first: `hrc labels add`)" \
        in refused.stderr and "nothing imported" in refused.stderr
    ok(hrc(home, "labels", "add", "themes", "digital_rights", "--description",
           "Access to digital public services, digital skills and privacy."))

    corpus_file = home / "corpus" / "practices.jsonl"
    before = len(read_jsonl(corpus_file))
    imported = ok(hrc(home, "review", "import", review))
    assert f"{len(rows)} rows: {len(rows)} added, 0 updated" in imported.stderr
    snapshot = corpus_file.read_bytes()
    again = ok(hrc(home, "review", "import", review))
    assert f"0 added, 0 updated, {len(rows)} unchanged" in again.stderr
    assert corpus_file.read_bytes() == snapshot, "importing the same file twice changes nothing"
    corpus = read_jsonl(corpus_file)
    assert len(corpus) == before + len(rows)
    curated = [r for r in corpus if r["source"] == "curated:review.csv"]
    assert all(r["split"] == "train" and r["curation"][0]["file"] == "review.csv" for r in curated)
    assert {r["curation"][0]["practice_id"] for r in curated} == {r["practice_id"] for r in practices}

    trained = ok(hrc(home, "train", "--config", LIGHT))
    new_version = re.search(r"model (\S+):", trained.stderr).group(1)
    card = json.loads((home / "models" / new_version / "card.json").read_text())
    assert card["taxonomy_version"] == "2" and "digital_rights" in card["labels"]["themes"]
    assert card["n_curated"] == len(rows) and "digital_rights" in card["thresholds"]["themes"]

    listing = ok(hrc(home, "models", "list")).stdout.splitlines()
    old_version = default_version()
    assert any(line.startswith(f"* {old_version}  taxonomy 1") for line in listing)
    assert any(line.startswith(f"  {new_version}  taxonomy 2") for line in listing)

    compared = ok(hrc(home, "models", "compare", "default", new_version)).stdout
    test_count = sum(r["split"] == "test" for r in corpus)
    assert f"on the same {test_count} test practices" in compared
    assert re.search(r"themes/digital_rights\s+0\s+-\s+0\.0000\s+-", compared), compared
    assert re.search(r"themes/migration\s+\d+\s+0\.\d{4}\s+0\.\d{4}\s+[+-]0\.\d{4}", compared)

    # a model trained on a quarter of the corpus with light settings is worse: refused, then forced
    promoted = hrc(home, "models", "promote", new_version)
    assert promoted.returncode == 1 and "worse than the default" in promoted.stderr and "--force" in promoted.stderr
    assert (home / "models" / "DEFAULT").read_text().strip() == old_version
    ok(hrc(home, "models", "promote", new_version, "--force"))
    assert (home / "models" / "DEFAULT").read_text().strip() == new_version
