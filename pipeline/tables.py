"""Classification runs as analysis tables: wide or long CSV, JSONL, Parquet.

Analysts open the output in a spreadsheet, pandas or R. The *wide* table has one
row per practice with, for every label, a 0/1 column (predicted or not) and a
score column; the *long* table has one row per (practice, label set, label) so
it pivots and filters easily. Filters keep only the practices an analyst asked
for. Every table is written with a data dictionary beside it
(``<file name>.dictionary.md``) saying what each column means, which run and model it
came from, and which filters were applied. Practice ids come from the run, where
they are the source document's content hash plus the practice's position in it,
so they survive a re-run on the same documents.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import LABELS_FILE
from .corpus import Taxonomy, load_taxonomy
from .errors import UnsupportedInput
from .records import atomic_open, atomic_path, read_jsonl

log = logging.getLogger(__name__)
MULTI_SETS = ("themes", "principles")
LAYOUTS = ("wide", "long")
BASE_COLUMNS = {
    "practice_id": "Stable id: the source document's content hash (16 hex digits) and the practice's position in it",
    "doc_id": "Content hash of the source document (first 16 hex digits of SHA-256)",
    "source": "The input the practice was read from (path or URL)",
    "title": "The practice's title as found in the document",
    "city": "City or territory named in the practice",
    "country": "Country named in the practice",
    "population": "Population, where the document gives it",
    "pages": "PDF pages the practice spans, ';'-separated",
    "pillar": "Predicted pillar (at most one)",
    "pillar_score": "Calibrated score of the predicted pillar, 0-1",
    "themes": "Predicted themes, ';'-separated, highest score first",
    "principles": "Predicted principles, ';'-separated, highest score first",
    "model_version": "Model that tagged the practice",
    "text": "The practice's full text",
}
LONG_COLUMNS = {
    "practice_id": BASE_COLUMNS["practice_id"],
    "label_set": "themes, principles or pillar",
    "label": "Label id (see the taxonomy below)",
    "score": "Calibrated score, 0-1 (for the pillar, only the predicted one is kept in a run)",
    "predicted": "1 when the score passes the label's threshold (the model predicts the label), else 0",
}


@dataclass
class Filters:
    """Which practices to keep; empty lists keep everything."""

    themes: list[str] = field(default_factory=list)
    principles: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    min_score: float | None = None

    def describe(self) -> str:
        parts = [f"themes any of {', '.join(self.themes)}" if self.themes else "",
                 f"principles any of {', '.join(self.principles)}" if self.principles else "",
                 f"country any of {', '.join(self.countries)}" if self.countries else "",
                 f"min score {self.min_score}" if self.min_score is not None else ""]
        return "; ".join(p for p in parts if p) or "none"

    def check(self, taxonomy: Taxonomy) -> None:
        for name, wanted in (("themes", self.themes), ("principles", self.principles)):
            unknown = sorted(set(wanted) - set(taxonomy[name].labels))
            if unknown:
                raise UnsupportedInput(f"unknown {name} label(s) in the filter: {', '.join(unknown)}")

    def _label_hit(self, record: dict, name: str, wanted: list[str]) -> bool:
        for s in record.get(name) or []:
            if s["label"] in wanted and (s["score"] >= self.min_score if self.min_score is not None
                                         else s["predicted"]):
                return True
        return False

    def keep(self, record: dict) -> bool:
        if self.countries:
            country = ((record.get("place") or {}).get("country") or "").casefold()
            if country not in {c.casefold() for c in self.countries}:
                return False
        if self.themes and not self._label_hit(record, "themes", self.themes):
            return False
        if self.principles and not self._label_hit(record, "principles", self.principles):
            return False
        if self.min_score is not None and not (self.themes or self.principles):
            return any(s["score"] >= self.min_score for name in MULTI_SETS for s in record.get(name) or [])
        return True


def wide_row(record: dict, taxonomy: Taxonomy) -> dict[str, Any]:
    place = record.get("place") or {}
    pillar = record.get("pillar") or {}
    row = {"practice_id": record.get("practice_id"), "doc_id": record.get("doc_id"), "source": record.get("source"),
           "title": record.get("title"), "city": place.get("city"), "country": place.get("country"),
           "population": place.get("population"),
           "pages": ";".join(map(str, (record.get("provenance") or {}).get("pages") or [])),
           "pillar": pillar.get("label"), "pillar_score": pillar.get("score")}
    for name in MULTI_SETS:
        row[name] = ";".join(s["label"] for s in record.get(name) or [] if s["predicted"])
    row["model_version"] = (record.get("model") or {}).get("version")
    for name in MULTI_SETS:
        by_label = {s["label"]: s for s in record.get(name) or []}
        for label in taxonomy[name].labels:
            s = by_label.get(label)
            row[f"{name}.{label}"] = int(bool(s and s["predicted"]))
            row[f"{name}.{label}.score"] = s["score"] if s else None
    for label in taxonomy["pillar"].labels:
        row[f"pillar.{label}"] = int(pillar.get("label") == label)
    row["text"] = record.get("text")
    return row


def long_rows(record: dict, min_score: float | None) -> list[dict[str, Any]]:
    rows = []
    for name in MULTI_SETS:
        for s in record.get(name) or []:
            if min_score is None or s["score"] >= min_score:
                rows.append({"practice_id": record.get("practice_id"), "label_set": name, "label": s["label"],
                             "score": s["score"], "predicted": int(s["predicted"])})
    pillar = record.get("pillar")
    if pillar and (min_score is None or pillar["score"] >= min_score):
        rows.append({"practice_id": record.get("practice_id"), "label_set": "pillar", "label": pillar["label"],
                     "score": pillar["score"], "predicted": 1})
    return rows


def dictionary_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".dictionary.md")


def wide_columns(taxonomy: Taxonomy) -> dict[str, str]:
    columns = {k: v for k, v in BASE_COLUMNS.items() if k != "text"}
    for name in MULTI_SETS:
        for label in taxonomy[name].labels:
            columns[f"{name}.{label}"] = f"1 if {name[:-1]} '{label}' is predicted, else 0"
            columns[f"{name}.{label}.score"] = f"Calibrated score of {name[:-1]} '{label}', 0-1"
    for label in taxonomy["pillar"].labels:
        columns[f"pillar.{label}"] = f"1 if the predicted pillar is '{label}', else 0"
    columns["text"] = BASE_COLUMNS["text"]
    return columns


def write_dictionary(path: Path, output: Path, run_file: str | Path, fmt: str, layout: str, count: int,
                     filters: Filters, taxonomy: Taxonomy, models: list[str]) -> None:
    if fmt == "jsonl":
        columns = {"(record)": "One classification record per line, as `hrc classify` writes it; see "
                               "pipeline/schema/output.schema.json"}
    else:
        columns = LONG_COLUMNS if layout == "long" else wide_columns(taxonomy)
    lines = [f"# Data dictionary: {output.name}", "",
             f"- made from: `{run_file}` by `hrc export`",
             f"- format: {fmt}{'' if fmt == 'jsonl' else f', {layout} layout'}; {count} "
             f"{'rows' if layout == 'long' and fmt != 'jsonl' else 'practices'}",
             f"- filters: {filters.describe()}",
             f"- model(s): {', '.join(models) or 'unknown'}; taxonomy version {taxonomy.version}",
             "- practice ids are stable: the same document gives the same ids on every run", "",
             "| column | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in columns.items()]
    lines += ["", "## Labels", "", "| label set | label | meaning |", "|---|---|---|"]
    for name in ("themes", "principles", "pillar"):
        for label in taxonomy[name].labels:
            meaning = " ".join(taxonomy[name].descriptions.get(label, "").split()).replace("|", "/")
            lines.append(f"| {name} | `{label}` | {meaning} |")
    with atomic_open(path) as handle:
        handle.write("\n".join(lines) + "\n")


def export(run_file: str | Path, output: str | Path, layout: str = "wide", filters: Filters | None = None,
                 labels_file: str | Path = LABELS_FILE) -> int:
    """Write the run's practices (filtered) as CSV, JSONL or Parquet, with a data dictionary beside it."""
    import pandas as pd

    output = Path(output)
    fmt = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}.get(output.suffix.lower())
    if fmt is None:
        raise UnsupportedInput(f"unknown output format {output.suffix!r}; use .csv, .jsonl or .parquet")
    if layout not in LAYOUTS:
        raise UnsupportedInput(f"unknown layout {layout!r}; use wide or long")
    filters = filters or Filters()
    taxonomy = load_taxonomy(labels_file)
    filters.check(taxonomy)
    records = [r for r in read_jsonl(run_file) if r.get("record_type") == "practice" and filters.keep(r)]
    models = sorted({(r.get("model") or {}).get("version") for r in records} - {None})
    if fmt == "jsonl":
        with atomic_open(output) as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        count = len(records)
    else:
        if layout == "long":
            frame = pd.DataFrame([row for r in records for row in long_rows(r, filters.min_score)],
                                 columns=list(LONG_COLUMNS))
        else:
            frame = pd.DataFrame([wide_row(r, taxonomy) for r in records], columns=list(wide_columns(taxonomy)))
        count = len(frame)
        with atomic_path(output) as tmp:
            if fmt == "csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
    write_dictionary(dictionary_path(output), output, run_file, fmt, layout, count, filters, taxonomy, models)
    log.info("%d %s written to %s", count, "rows" if layout == "long" else "practices", output)
    return count
