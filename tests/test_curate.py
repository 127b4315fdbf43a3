"""`hrc review import`: every kind of malformed curated file is reported with file,
line and reason, and nothing is imported; valid files merge once, with provenance."""
import csv
import json
import shutil
from datetime import datetime, timezone

import pytest

from pipeline.config import LABELS_FILE, PRACTICES_FILE
from pipeline.curate import CurationError, review_import, text_key
from pipeline.records import read_jsonl
from pipeline.review import CSV_COLUMNS

HEADER = ",".join(CSV_COLUMNS)
LEGAL = ("Free legal advice at the town hall. The city opened a weekly desk where tenants and workers get "
         "advice from volunteer lawyers and can file complaints about discrimination.")
PARKS = ("Residents planted trees in twelve schoolyards and opened them to the neighbourhood after school "
         "hours, cooling the streets in summer.")


@pytest.fixture
def home(tmp_path):
    """A corpus copy: the label file and the first 40 practices."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(LABELS_FILE, tmp_path / "corpus" / "labels.yaml")
    lines = PRACTICES_FILE.read_text(encoding="utf-8").splitlines()[:40]
    (tmp_path / "corpus" / "practices.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def run(home, *files, **options):
    return review_import([str(f) for f in files], home / "corpus" / "practices.jsonl",
                         home / "corpus" / "labels.yaml", **options)


def write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


def row(text, themes="", principles="", pillar="", practice_id="p-1"):
    cells = [practice_id, "0.9", "report.pdf", "A title", "Lyon", "France", themes, principles, pillar, text]
    out = []
    for cell in cells:
        out.append('"' + cell.replace('"', '""') + '"')
    return ",".join(out)


def problems_of(home, *files):
    before = (home / "corpus" / "practices.jsonl").read_bytes()
    with pytest.raises(CurationError) as caught:
        run(home, *files)
    assert (home / "corpus" / "practices.jsonl").read_bytes() == before, "nothing may be imported"
    return [str(p) for p in caught.value.problems]


def test_every_malformed_row_is_reported_with_file_and_line(home, tmp_path):
    path = write(tmp_path / "curated.csv", "\n".join([
        HEADER,
        row(LEGAL, "access_to_justice;non_discrimination", "right_to_remedy", "caring"),     # line 2
        row("Youth council " + PARKS, "acess_to_justice", "", "inclusion"),                    # line 3
        row(PARKS, "environment_and_climate", "", "caring;inclusion"),                         # line 4
        '"p-4","0.5","x.pdf","t","c","k","migration"',                                         # line 5
        row("   ", "migration", "", "inclusion"),                                              # line 6
        row(LEGAL, "access_to_justice", "right_to_remedy", "caring"),                          # line 7
        row("Multi-line\ntext about a youth council.", "children_and_youth", "", "unknown_pillar"),  # line 8-9
        row(PARKS, "environment_and_climate", "", "caring", practice_id="p-10"),              # line 10
        row(LEGAL, "non_discrimination;access_to_justice", "right_to_remedy", "caring"),     # line 11
    ]) + "\n")
    problems = problems_of(home, path)
    expected = [
        f"{path}:3: unknown themes label 'acess_to_justice' (did you mean 'access_to_justice'?)",
        f"{path}:4: more than one pillar: caring;inclusion (choose one)",
        f"{path}:5: malformed row: 7 fields, the header has 10 (a stray comma or an unclosed quote?)",
        f"{path}:6: empty text",
        f"{path}:8: unknown pillar label 'unknown_pillar' (add it to the label file first: `hrc labels add`)",
    ]
    for message in expected:
        assert message in problems, (message, problems)
    conflict = [p for p in problems if "labelled differently" in p]
    assert any(p.startswith(f"{path}:7: same text as {path}:2 but labelled differently (themes=access_to_justice;")
               for p in conflict), conflict
    assert any(p.startswith(f"{path}:2: same text as {path}:7") for p in conflict), conflict
    assert len(conflict) == 2, "label order does not matter (line 11), an invalid row (line 4) is no conflict"
    assert not any(p.startswith((f"{path}:10:", f"{path}:11:")) for p in problems)


def test_file_level_problems(home, tmp_path):
    no_text = write(tmp_path / "no_text.csv", "practice_id,themes,principles,pillar\np,migration,,inclusion\n")
    assert problems_of(home, no_text) == [
        f"{no_text}:1: missing column(s) text; the header needs text, themes, principles, pillar "
        "(got practice_id, themes, principles, pillar)"]
    latin1 = write(tmp_path / "latin1.csv", HEADER + "\n" + row("Médiation à Besançon for tenants", "access_to_justice")
                   + "\n", encoding="latin-1")
    assert "not UTF-8 text" in problems_of(home, latin1)[0]
    unclosed = write(tmp_path / "unclosed.csv", HEADER + '\n"p","0.1","s","t","c","k","migration","","","text with\n')
    assert problems_of(home, unclosed)[0].startswith(f"{unclosed}:2: malformed CSV row")
    empty = write(tmp_path / "empty.csv", "")
    assert problems_of(home, empty) == [f"{empty}: empty file: no header row"]
    xlsx = write(tmp_path / "sheet.xlsx", "PK")
    assert "unsupported file type .xlsx" in problems_of(home, xlsx)[0]
    missing = tmp_path / "gone.csv"
    assert problems_of(home, missing) == [f"{missing}: no such file"]
    broken = write(tmp_path / "export.json", '[\n {"data": {"text": "x"},\n  "annotations": [}\n]')
    assert problems_of(home, broken)[0].startswith(f"{broken}:3: malformed JSON")
    not_list = write(tmp_path / "object.json", '{"data": {}}')
    assert "expected a JSON list of tasks" in problems_of(home, not_list)[0]


def label_studio_task(text, themes, pillar=None, cancelled=False):
    result = [{"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": themes}}]
    if pillar:
        result.append({"from_name": "pillar", "to_name": "text", "type": "choices", "value": {"choices": [pillar]}})
    return {"id": 1, "data": {"text": text, "title": "T", "practice_id": "p"},
            "annotations": [{"id": 7, "was_cancelled": cancelled, "result": result}]}


def test_label_studio_problems_name_the_task_line(home, tmp_path):
    tasks = [label_studio_task(LEGAL, ["access_to_justice"], "caring"),
             label_studio_task("", ["migration"]),
             "not a task",
             label_studio_task(PARKS, ["climate"], "caring"),
             {"id": 5, "data": {"text": "never annotated"}, "annotations": []}]
    path = write(tmp_path / "ls.json", json.dumps(tasks, indent=1))
    lines = path.read_text().splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line in (" {", ' "not a task",')]
    problems = problems_of(home, path)
    assert f"{path}:{starts[1]}: empty text" in problems
    assert f"{path}:{starts[2]}: malformed task 3: no 'data' object" in problems
    assert any(p.startswith(f"{path}:{starts[3]}: unknown themes label 'climate'") for p in problems)


def test_conflicts_across_two_files(home, tmp_path):
    a = write(tmp_path / "a.csv", HEADER + "\n" + row(LEGAL, "access_to_justice", "", "caring") + "\n")
    b = write(tmp_path / "b.json", json.dumps([label_studio_task(LEGAL, ["social_inclusion"], "caring")]))
    problems = problems_of(home, a, b)
    assert any(p.startswith(f"{b}:1: same text as {a}:2 but labelled differently") for p in problems), problems


def test_skip_invalid_imports_the_valid_rows_and_writes_the_rejected(home, tmp_path):
    path = write(tmp_path / "curated.csv", "\n".join([
        HEADER,
        row(LEGAL, "access_to_justice;non_discrimination", "right_to_remedy", "caring"),
        row(PARKS, "environment_and_climate;nature", "", "caring"),
    ]) + "\n")
    summary = run(home, path, skip_invalid=True)
    assert (summary.added, summary.rejected) == (1, 1)
    with open(tmp_path / "curated.rejected.csv", encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [(r["line"], r["problem"], r["text"]) for r in rejected] == [
        ("3", "unknown themes label 'nature' (add it to the label file first: `hrc labels add`)", PARKS)]
    records = read_jsonl(home / "corpus" / "practices.jsonl")
    added = [r for r in records if r["id"].startswith("cur-")]
    assert len(added) == 1 and added[0]["text"] == LEGAL and added[0]["split"] == "train"
    assert added[0]["themes"] == ["access_to_justice", "non_discrimination"] and added[0]["pillar"] == "caring"
    assert added[0]["source"] == "curated:curated.csv"
    assert added[0]["curation"][0]["file"] == "curated.csv" and added[0]["curation"][0]["line"] == 2


def test_spreadsheet_guard_is_undone_on_import(home, tmp_path):
    text = "- Night buses for shift workers.\nThe city added routes after midnight for care and cleaning staff."
    path = write(tmp_path / "curated.csv", HEADER + "\n" + row("'" + text, "decent_work_and_economy") + "\n")
    assert run(home, path).added == 1
    assert read_jsonl(home / "corpus" / "practices.jsonl")[-1]["text"] == text


def test_import_is_idempotent_and_corrections_keep_id_split_and_history(home, tmp_path):
    corpus = read_jsonl(home / "corpus" / "practices.jsonl")
    target = next(r for r in corpus if r["split"] == "test")
    # a spreadsheet round trip: BOM, CRLF, reflowed whitespace in the text
    path = tmp_path / "curated.csv"
    path.write_bytes(("\ufeff" + HEADER + "\r\n" + row(LEGAL, "access_to_justice", "right_to_remedy", "caring")
                      + "\r\n" + row("  " + target["text"].replace("\n", "\r\n") + " ", "social_inclusion",
                                     "right_to_remedy", "caring") + "\r\n").encode("utf-8"))
    first = run(home, path, now=datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert (first.added, first.updated, first.unchanged) == (1, 1, 0)
    after_first = (home / "corpus" / "practices.jsonl").read_bytes()
    second = run(home, path)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)
    assert (home / "corpus" / "practices.jsonl").read_bytes() == after_first
    records = {text_key(r["text"]): r for r in read_jsonl(home / "corpus" / "practices.jsonl")}
    corrected = records[text_key(target["text"])]
    assert corrected["id"] == target["id"] and corrected["split"] == "test"
    assert corrected["themes"] == ["social_inclusion"]
    assert corrected["curation"] == [{"file": "curated.csv", "path": str(path), "line": 3, "practice_id": "p-1",
                                      "time": "2026-01-02T00:00:00+00:00",
                                      "previous": {"themes": target["themes"], "principles": target["principles"],
                                                   "pillar": target["pillar"]}}]
