"""The batch jobs behind ``hrc extract``, ``hrc segment`` and ``hrc classify``.

Each input runs through the stages up to the one asked for. An input that fails
becomes an error record (source, stage, code, reason) and the batch goes on;
the output file appears only when the run is complete (atomic rename).
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from tqdm import tqdm

from .classify import classify as classify_document
from .config import settings as load_settings
from .errors import PipelineError
from .export import document_record, error_record, output_format, practice_record, write_records
from .extract import SUFFIX_KINDS, extract as extract_document, is_url
from .models import TaggerBundle, load_model
from .records import atomic_path
from .segment import segment as segment_document

log = logging.getLogger(__name__)
STAGES = ("extract", "segment", "classify")


@dataclass
class RunSummary:
    inputs: int = 0
    succeeded: int = 0
    failed: int = 0
    records: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.inputs} inputs: {self.succeeded} succeeded, {self.failed} failed; "
                f"{self.records} records written")


def expand_inputs(inputs: list[str]) -> list[str]:
    """Folders are recursed for supported files (sorted); other inputs pass as given."""
    out: list[str] = []
    for item in inputs:
        path = Path(item)
        if item != "-" and not is_url(item) and path.is_dir():
            out.extend(str(p) for p in sorted(path.rglob("*"))
                       if p.is_file() and p.suffix.lower() in SUFFIX_KINDS and not p.name.startswith("."))
        else:
            out.append(item)
    return out


def process(source: str, stage: str, model: TaggerBundle | None, settings: dict,
            unit: str = "practice", explain: bool = False) -> list[dict[str, Any]]:
    """Records for one input; raises PipelineError (with the stage set) on bad input."""
    current = "extract"
    try:
        doc = extract_document(source, settings)
        if stage == "extract":
            return [document_record(doc)]
        current = "segment"
        doc = segment_document(doc, settings, unit=unit)
        if stage == "segment":
            return [practice_record(doc, p) for p in doc.practices]
        current = "classify"
        doc = classify_document(doc, model, explain=explain,
                                explain_terms=settings.get("classify", {}).get("explain_terms", 5))
        return [practice_record(doc, p, model.card) for p in doc.practices]
    except PipelineError as exc:
        exc.stage = current
        raise
    except Exception as exc:  # a bug or an input no check foresaw: record it, keep the batch going
        log.exception("%s: unexpected failure in %s", source, current)
        error = PipelineError(f"unexpected {type(exc).__name__}: {exc}", source=source)
        error.code, error.stage = "E999", current
        raise error from exc


def iter_records(inputs: list[str], stage: str, model: TaggerBundle | None, settings: dict,
                 summary: RunSummary, unit: str = "practice", quiet: bool = False,
                 strict: bool = False, explain: bool = False) -> Iterator[dict[str, Any]]:
    sources = expand_inputs(inputs)
    summary.inputs = len(sources)
    for source in tqdm(sources, desc=stage, unit="doc", disable=quiet, file=sys.stderr):
        try:
            records = process(source, stage, model, settings, unit, explain)
        except PipelineError as exc:
            record = error_record(source, getattr(exc, "stage", stage), exc.code, str(exc))
            summary.failed += 1
            summary.errors.append(record)
            log.warning("%s: %s (%s)", source, exc, exc.code)
            if strict:
                raise
            yield record
            continue
        summary.succeeded += 1
        yield from records


def run(inputs: list[str], output: str | Path, stage: str = "classify", model: str | TaggerBundle | None = None,
        unit: str = "practice", quiet: bool = False, strict: bool = False,
        settings: dict | None = None, explain: bool = False) -> RunSummary:
    """Run ``inputs`` through ``stage`` and write ``output`` (JSONL streamed; CSV/Parquet at the end).
    ``explain`` adds to each practice the terms and sentence behind each predicted label."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    settings = settings or load_settings()
    fmt = output_format(output)
    bundle = None
    if stage == "classify":
        bundle = model if isinstance(model, TaggerBundle) else load_model(model)
    summary = RunSummary()
    records = iter_records(inputs, stage, bundle, settings, summary, unit, quiet, strict, explain)
    if fmt == "jsonl":
        with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                summary.records += 1
    else:
        summary.records = write_records(records, output)
    return summary


def extract(inputs: list[str], output: str | Path, **options) -> RunSummary:
    return run(inputs, output, stage="extract", **options)


def segment(inputs: list[str], output: str | Path, **options) -> RunSummary:
    return run(inputs, output, stage="segment", **options)


def classify(inputs: list[str], output: str | Path, **options) -> RunSummary:
    return run(inputs, output, stage="classify", **options)
