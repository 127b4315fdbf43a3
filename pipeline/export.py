"""Stage 4: documents -> flat records, and records -> CSV, JSONL or Parquet.

One record per practice (or per input with ``unit="document"``), one error
record per input that failed. The record layout is fixed by
``schema/output.schema.json``; a test validates outputs against it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from .document import Document, Practice
from .errors import UnsupportedInput
from .records import atomic_path, read_jsonl

FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def practice_record(doc: Document, practice: Practice, model_card: dict | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "record_type": "practice",
        "doc_id": doc.doc_id,
        "source": doc.source,
        "practice_id": practice.practice_id,
        "title": practice.title,
        "place": {"city": practice.place.city, "country": practice.place.country,
                  "population": practice.place.population},
        "sections": dict(practice.sections),
        "tags": list(practice.tags),
        "references": list(practice.references),
        "text": practice.text,
        "provenance": {
            "source": doc.source, "kind": doc.kind, "content_hash": doc.content_hash,
            "layout": doc.metadata.get("layout"), "pages": list(practice.pages),
            "heading_path": list(practice.heading_path),
            "char_start": practice.start, "char_end": practice.end,
        },
    }
    if practice.labels:
        for name in ("themes", "principles"):
            record[name] = [{"label": s.label, "score": s.score, "predicted": s.predicted}
                            for s in practice.labels.get(name, [])]
        pillar = [s for s in practice.labels.get("pillar", []) if s.predicted]
        record["pillar"] = {"label": pillar[0].label, "score": pillar[0].score} if pillar else None
        record["model"] = {"version": (model_card or {}).get("version"),
                           "taxonomy_version": (model_card or {}).get("taxonomy_version")}
    if practice.explanations:
        record["explanations"] = practice.explanations
    return record


def document_record(doc: Document) -> dict[str, Any]:
    data = doc.to_dict()
    data.pop("practices")
    data.pop("errors")
    return {"record_type": "document", **data}


def error_record(source: str, stage: str, code: str, reason: str) -> dict[str, Any]:
    return {"record_type": "error", "source": source, "stage": stage, "code": code, "reason": reason}


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: nested fields spread into columns, label lists joined by ';'."""
    if record.get("record_type") != "practice":
        return {k: v for k, v in record.items() if not isinstance(v, (dict, list))}
    row = {k: record.get(k) for k in ("record_type", "doc_id", "source", "practice_id", "title")}
    row.update({f"place_{k}": v for k, v in record["place"].items()})
    for name in ("themes", "principles"):
        if name in record:
            row[name] = ";".join(s["label"] for s in record[name] if s["predicted"])
    if "pillar" in record:
        row["pillar"] = (record["pillar"] or {}).get("label")
        row["pillar_score"] = (record["pillar"] or {}).get("score")
    for key, value in record["sections"].items():
        row[f"section_{key}"] = value
    row["tags"] = ";".join(record.get("tags", []))
    row["references"] = " ".join(record.get("references", []))
    row["pages"] = ";".join(map(str, record["provenance"]["pages"]))
    row["char_start"], row["char_end"] = record["provenance"]["char_start"], record["provenance"]["char_end"]
    for name in ("themes", "principles"):
        for s in record.get(name, []):
            row[f"{name}:{s['label']}"] = s["score"]
    if record.get("model"):
        row["model_version"] = record["model"]["version"]
    return row


def output_format(path: str | Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UnsupportedInput(f"unknown output format {Path(path).suffix!r}; use .jsonl, .csv or .parquet")
    return fmt


def write_records(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write records in the format the extension names, atomically."""
    import pandas as pd

    fmt = output_format(path)
    records = list(records)
    with atomic_path(path) as tmp:
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8") as handle:
                for record in records:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            frame = pd.DataFrame([flatten(r) for r in records])
            if fmt == "csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
    return len(records)


def export(run_file: str | Path, output: str | Path, include_errors: bool = False) -> int:
    """Turn a classification output (JSONL) into CSV, JSONL or Parquet."""
    records = [r for r in read_jsonl(run_file) if include_errors or r.get("record_type") == "practice"]
    return write_records(records, output)
