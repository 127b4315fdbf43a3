"""The batch jobs end to end through the `hrc` command, as a user runs them."""
import json
import subprocess
import sys

import jsonschema
import pandas as pd

from pipeline.config import SCHEMA_FILE
from tests.conftest import EXAMPLES

VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def hrc(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, input=stdin)


def read(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_classify_examples_gives_tagged_valid_records(tmp_path):
    out = tmp_path / "tagged.jsonl"
    result = hrc("classify", str(EXAMPLES), "-o", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    records = read(out)
    assert len(records) == 6 and all(r["record_type"] == "practice" for r in records)
    for record in records:
        VALIDATOR.validate(record)
        scores = [t["score"] for t in record["themes"]]
        assert scores == sorted(scores, reverse=True)
    by_city = {r["place"]["city"]: r for r in records}
    assert set(by_city) == {"Nairobi", "Surabaya", "Lyon", "Medellín", "Dakar", "Gothenburg"}
    assert by_city["Nairobi"]["provenance"]["pages"] == [1] and by_city["Surabaya"]["provenance"]["pages"] == [2]
    predicted = {c: {t["label"] for t in r["themes"] if t["predicted"]} for c, r in by_city.items()}
    assert "access_to_justice" in predicted["Nairobi"]
    assert "migration" in predicted["Gothenburg"]
    assert "right_to_housing" in predicted["Lyon"]
    assert "participatory_democracy" in predicted["Dakar"]


def test_bad_inputs_become_error_records_and_the_batch_goes_on(tmp_path, pdf_dir):
    out = tmp_path / "run.jsonl"
    inputs = [str(EXAMPLES / "riverside-digest.txt"), str(pdf_dir / "encrypted.pdf"), str(pdf_dir / "scanned.pdf"),
              str(pdf_dir / "truncated.pdf"), str(pdf_dir / "empty.pdf"), str(tmp_path / "missing.html")]
    result = hrc("classify", *inputs, "-o", str(out))
    assert result.returncode == 1
    assert "6 inputs: 1 succeeded, 5 failed" in result.stderr
    records = read(out)
    for record in records:
        VALIDATOR.validate(record)
    errors = {r["source"].rsplit("/", 1)[-1]: r for r in records if r["record_type"] == "error"}
    assert errors["encrypted.pdf"]["code"] == "E005" and errors["encrypted.pdf"]["stage"] == "extract"
    assert errors["scanned.pdf"]["reason"].startswith("no text layer")
    assert errors["truncated.pdf"]["code"] == "E004"
    assert errors["empty.pdf"]["code"] == "E003"
    assert errors["missing.html"]["code"] == "E001"
    assert sum(r["record_type"] == "practice" for r in records) == 3


def test_strict_stops_and_leaves_no_partial_output(tmp_path, pdf_dir):
    out = tmp_path / "run.jsonl"
    result = hrc("classify", str(EXAMPLES / "riverside-digest.txt"), str(pdf_dir / "encrypted.pdf"),
                 "-o", str(out), "--strict", "--quiet")
    assert result.returncode == 1 and not out.exists()
    assert not list(tmp_path.glob(".*tmp"))


def test_usage_errors_exit_2(tmp_path):
    assert hrc("classify", "-o", str(tmp_path / "x.jsonl")).returncode == 2
    assert hrc("classify", str(EXAMPLES), "--unit", "sentence", "-o", str(tmp_path / "x.jsonl")).returncode == 2


def test_unit_document_stdin_and_csv(tmp_path):
    out = tmp_path / "docs.csv"
    text = (EXAMPLES / "riverside-digest.txt").read_text(encoding="utf-8")
    result = hrc("classify", "-", str(EXAMPLES / "welcome-office.html"), "--unit", "document", "-o", str(out), "-q",
                 stdin=text)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 2 and frame.loc[0, "source"] == "-"
    assert {"themes", "principles", "pillar", "place_city", "themes:migration"} <= set(frame.columns)


def test_extract_and_segment_commands_write_their_stage(tmp_path, pdf_dir):
    extracted = tmp_path / "extracted.jsonl"
    assert hrc("extract", str(pdf_dir / "report.pdf"), "-o", str(extracted), "-q").returncode == 0
    [doc] = read(extracted)
    VALIDATOR.validate(doc)
    assert doc["record_type"] == "document" and doc["pages"] == 2 and doc["blocks"][0]["page"] == 1
    segmented = tmp_path / "segmented.jsonl"
    assert hrc("segment", str(pdf_dir / "report.pdf"), "-o", str(segmented), "-q").returncode == 0
    practices = read(segmented)
    assert [p["place"]["city"] for p in practices] == ["Porto", "Ghent"]
    assert all("themes" not in p and set(p["sections"]) >= {"challenge", "solution", "takeaways"} for p in practices)


def test_export_to_parquet_and_csv(tmp_path):
    run = tmp_path / "run.jsonl"
    assert hrc("classify", str(EXAMPLES), "-o", str(run), "-q").returncode == 0
    for suffix in ("parquet", "csv"):
        out = tmp_path / f"out.{suffix}"
        assert hrc("export", str(run), "-o", str(out)).returncode == 0
        frame = pd.read_parquet(out) if suffix == "parquet" else pd.read_csv(out)
        assert len(frame) == 6 and frame["practice_id"].is_unique
