"""Read curated review files back and merge them into the corpus, with provenance.

A reviewer edits the CSV written by ``hrc review export`` (or annotates the
Label Studio tasks and exports them as JSON). :func:`review_import` first checks
*every* row of *every* file and reports all problems at once, each with its file
and line, so one pass of fixes is enough; only when nothing is wrong (or with
``skip_invalid``) does it touch the corpus. Rows are keyed by their text
(whitespace-normalised), so importing the same file twice changes nothing, and a
corrected corpus practice keeps its id and split. New practices join the train
split: the test split stays the same held-out yardstick for every model.
"""
from __future__ import annotations

import csv
import difflib
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .config import LABELS_FILE, PRACTICES_FILE
from .corpus import LABEL_SETS, Taxonomy, load_practices, load_taxonomy
from .errors import CorpusError
from .records import atomic_open, write_jsonl
from .review import LABEL_SEPARATOR, from_spreadsheet

log = logging.getLogger(__name__)
REQUIRED_COLUMNS = ("text", "themes", "principles", "pillar")


class CurationError(CorpusError):
    """A curated file with problems; ``problems`` lists each one."""

    code = "E201"

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the curated file(s); nothing imported:\n"
                         + "\n".join(str(p) for p in problems))


@dataclass
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass
class CuratedRow:
    """One reviewed practice as read from a file, before it is checked."""

    file: str
    line: int
    text: str
    labels: dict[str, list[str]]
    fields: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return text_key(self.text)


@dataclass
class ImportSummary:
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    unreviewed: int = 0
    rejected_file: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def line(self) -> str:
        text = (f"{self.rows} rows: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.rejected} rejected")
        if self.unreviewed:
            text += f", {self.unreviewed} Label Studio tasks without an annotation skipped"
        return text + (f" (see {self.rejected_file})" if self.rejected_file else "")


def text_key(text: str) -> str:
    """Identity of a practice's text: whitespace-normalised, hashed."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def split_labels(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in re.split(r"[;\n]", str(value)) if part.strip()]


# -- reading ----------------------------------------------------------------


def read_csv_rows(path: Path) -> tuple[list[CuratedRow], list[Problem]]:
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem(str(path), None, f"not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                             "save the sheet as 'CSV UTF-8'")]
    reader = csv.reader(raw.splitlines(keepends=True), strict=True)
    rows, problems = [], []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [Problem(str(path), 1, f"malformed CSV header: {exc}")]
    if not header:
        return [], [Problem(str(path), None, "empty file: no header row")]
    header = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [Problem(str(path), 1, f"missing column(s) {', '.join(missing)}; the header needs "
                                          f"{', '.join(REQUIRED_COLUMNS)} (got {', '.join(header)})")]
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(str(path), line, f"malformed CSV row: {exc}"))
            break
        start, line = line, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue  # blank line
        row = CuratedRow(str(path), start, "", {})
        if len(values) != len(header):
            row.problems.append(f"malformed row: {len(values)} fields, the header has {len(header)} "
                                "(a stray comma or an unclosed quote?)")
        cells = {name: from_spreadsheet(value) for name, value in zip(header, values)}
        row.text = cells.get("text", "")
        row.labels = {name: split_labels(cells.get(name)) for name in LABEL_SETS}
        row.fields = {k: v for k, v in cells.items() if k not in REQUIRED_COLUMNS}
        rows.append(row)
    return rows, problems


def _choices(result: list, name: str) -> list[str] | None:
    for item in result:
        if isinstance(item, dict) and item.get("from_name") == name:
            return list((item.get("value") or {}).get("choices") or [])
    return None


def read_label_studio(path: Path) -> tuple[list[CuratedRow], list[Problem], int]:
    """A Label Studio JSON export: the last completed annotation of each task wins."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        return [], [Problem(str(path), None, f"not UTF-8 text ({exc.reason})")], 0
    except json.JSONDecodeError as exc:
        return [], [Problem(str(path), exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})")], 0
    if not isinstance(tasks, list):
        return [], [Problem(str(path), 1, "not a Label Studio export: expected a JSON list of tasks")], 0
    lines = _task_lines(path)
    rows, unreviewed = [], 0
    for index, task in enumerate(tasks):
        line = lines[index] if index < len(lines) else index + 1
        row = CuratedRow(str(path), line, "", {})
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            row.problems.append(f"malformed task {index + 1}: no 'data' object")
            rows.append(row)
            continue
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not annotations:
            unreviewed += 1
            continue
        result = annotations[-1].get("result")
        if not isinstance(result, list):
            row.problems.append(f"malformed task {index + 1}: annotation 'result' is not a list")
        data = task["data"]
        row.text = str(data.get("text") or "")
        row.labels = {name: split_labels(_choices(result if isinstance(result, list) else [], name))
                      for name in LABEL_SETS}
        row.fields = {k: str(v) for k, v in data.items() if k != "text" and v is not None}
        rows.append(row)
    return rows, [], unreviewed


def _task_lines(path: Path) -> list[int]:
    """Line on which each top-level value of the task list starts, for messages."""
    starts, depth, in_string, escape, expect_value = [], 0, False, False, False
    line = 1
    for char in path.read_text(encoding="utf-8-sig"):
        if char == "\n":
            line += 1
        if in_string:
            if escape:
                escape = False
            elif char == "\\":
                escape = True
            elif char == '"':
                in_string = False
            continue
        if expect_value and depth == 1 and not char.isspace() and char not in ",]":
            starts.append(line)
            expect_value = False
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            expect_value = depth == 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 1:
            expect_value = True
    return starts


def read_curated(path: str | Path) -> tuple[list[CuratedRow], list[Problem], int]:
    path = Path(path)
    if not path.is_file():
        return [], [Problem(str(path), None, "no such file")], 0
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows, problems = read_csv_rows(path)
        return rows, problems, 0
    if suffix == ".json":
        return read_label_studio(path)
    return [], [Problem(str(path), None, f"unsupported file type {suffix or '(none)'}: use .csv or a "
                                         "Label Studio .json export")], 0


# -- checking ---------------------------------------------------------------


def check_row(row: CuratedRow, taxonomy: Taxonomy) -> None:
    if not row.text.strip():
        row.problems.append("empty text")
    for name in LABEL_SETS:
        known = taxonomy[name].labels
        for label in row.labels.get(name, []):
            if label not in known:
                close = difflib.get_close_matches(label, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else \
                    " (add it to the label file first: `hrc labels add`)"
                row.problems.append(f"unknown {name} label {label!r}{hint}")
        if len(set(row.labels.get(name, []))) != len(row.labels.get(name, [])):
            row.problems.append(f"{name} label repeated: {LABEL_SEPARATOR.join(row.labels[name])}")
    if len(row.labels.get("pillar", [])) > 1:
        row.problems.append(f"more than one pillar: {LABEL_SEPARATOR.join(row.labels['pillar'])} (choose one)")


def _label_signature(labels: dict[str, list[str]]) -> tuple:
    return tuple(tuple(sorted(labels.get(name, []))) for name in LABEL_SETS)


def check_conflicts(rows: list[CuratedRow]) -> None:
    """The same text labelled differently in two valid rows: both are wrong until one is fixed."""
    first: dict[str, CuratedRow] = {}
    for row in rows:
        if row.problems:  # already wrong for its own reasons; fix those first
            continue
        seen = first.setdefault(row.key, row)
        if seen is not row and _label_signature(seen.labels) != _label_signature(row.labels):
            row.problems.append(f"same text as {seen.file}:{seen.line} but labelled differently "
                                f"({_describe(row.labels)} vs {_describe(seen.labels)})")
            if not any("labelled differently" in p for p in seen.problems):
                seen.problems.append(f"same text as {row.file}:{row.line} but labelled differently")


def _describe(labels: dict[str, list[str]]) -> str:
    return "; ".join(f"{name}={','.join(labels.get(name, [])) or '-'}" for name in LABEL_SETS)


# -- merging ----------------------------------------------------------------


def corpus_labels(row: CuratedRow) -> dict:
    return {"themes": row.labels["themes"], "principles": row.labels["principles"],
            "pillar": row.labels["pillar"][0] if row.labels["pillar"] else None}


def new_record(row: CuratedRow, provenance: dict) -> dict:
    fields = row.fields
    return {
        "id": f"cur-{row.key[:12]}", "style": "curated", "title": fields.get("title") or None,
        "city": fields.get("city") or None, "country": fields.get("country") or None, "population": None,
        "text": row.text, "parts": {}, **corpus_labels(row),
        "source": f"curated:{Path(row.file).name}", "split": "train",
        "curation": [provenance],
    }


def merge(records: list[dict], rows: list[CuratedRow], imported_at: str, summary: ImportSummary) -> list[dict]:
    by_key = {text_key(r["text"]): r for r in records}
    for row in rows:
        provenance = {"file": Path(row.file).name, "path": str(row.file), "line": row.line, "time": imported_at}
        if row.fields.get("practice_id"):
            provenance["practice_id"] = row.fields["practice_id"]
        labels = corpus_labels(row)
        existing = by_key.get(row.key)
        if existing is None:
            record = new_record(row, provenance)
            records.append(record)
            by_key[row.key] = record
            summary.added += 1
        elif all(_same(existing.get(k), v) for k, v in labels.items()):
            summary.unchanged += 1
        else:
            provenance["previous"] = {k: existing.get(k) for k in labels}
            existing.update(labels)
            existing.setdefault("curation", []).append(provenance)
            summary.updated += 1
    return records


def _same(a, b) -> bool:
    return sorted(a) == sorted(b) if isinstance(a, list) and isinstance(b, list) else a == b


def write_rejected(rows: list[CuratedRow], problems: list[Problem], path: Path) -> None:
    with atomic_open(path, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(["file", "line", "problem", *LABEL_SETS, "text"])
        for problem in problems:
            writer.writerow([problem.file, problem.line or "", problem.message, "", "", "", ""])
        for row in rows:
            writer.writerow([row.file, row.line, " | ".join(row.problems),
                             *(LABEL_SEPARATOR.join(row.labels.get(n, [])) for n in LABEL_SETS), row.text])


def review_import(files: list[str | Path], practices_file: str | Path = PRACTICES_FILE,
                  labels_file: str | Path = LABELS_FILE, skip_invalid: bool = False,
                  rejected_file: str | Path | None = None, now: datetime | None = None) -> ImportSummary:
    """Validate curated files, then merge them into the corpus (all or, with ``skip_invalid``, the valid rows)."""
    taxonomy = load_taxonomy(labels_file)
    rows: list[CuratedRow] = []
    summary = ImportSummary()
    for path in files:
        file_rows, file_problems, unreviewed = read_curated(path)
        rows += file_rows
        summary.problems += file_problems
        summary.unreviewed += unreviewed
    for row in rows:
        check_row(row, taxonomy)
    check_conflicts(rows)
    summary.rows = len(rows)
    bad = [row for row in rows if row.problems]
    summary.problems += [Problem(row.file, row.line, message) for row in bad for message in row.problems]
    summary.problems.sort(key=lambda p: (p.file, p.line or 0))
    if summary.problems and not skip_invalid:
        raise CurationError(summary.problems)
    good = [row for row in rows if not row.problems]
    if bad or summary.problems:
        summary.rejected = len(bad)
        rejected_file = Path(rejected_file or Path(files[0]).with_name(Path(files[0]).stem + ".rejected.csv"))
        write_rejected(bad, [p for p in summary.problems if p.line is None or not any(
            r.file == p.file and r.line == p.line for r in bad)], rejected_file)
        summary.rejected_file = str(rejected_file)
    records = load_practices(practices_file)
    before = json.dumps(records, sort_keys=True)
    imported_at = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    records = merge(records, good, imported_at, summary)
    if json.dumps(records, sort_keys=True) != before:
        write_jsonl(practices_file, records)
    log.info("%s", summary.line())
    return summary
