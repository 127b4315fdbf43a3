"""The per-document function every engine runs, and what it hands back.

One input in, one :class:`DocumentResult` out: the records for the stage asked
for, or one error record. It never raises for bad input, so whatever runs it (a
local worker process, a Dask worker) only has to ship the result back.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..document import content_hash
from ..errors import PipelineError
from ..export import document_record, error_record, practice_record
from ..extract import extract as extract_document, is_url

log = logging.getLogger(__name__)
STAGES = ("extract", "segment", "classify")


@dataclass
class Task:
    """One input of a batch: its place in the input order, its name, and (for stdin) its bytes."""

    index: int
    source: str
    data: bytes | None = None


@dataclass
class DocumentResult:
    """What one input gave: records in output order, and what the run manifest keeps of it."""

    index: int
    source: str
    status: str                      # "ok" or "error"
    records: list[dict[str, Any]] = field(default_factory=list)
    content_hash: str | None = None
    seconds: float = 0.0

    @property
    def error(self) -> dict[str, Any] | None:
        return self.records[0] if self.status == "error" else None


def failed(task: Task, stage: str, code: str, reason: str, digest: str | None = None) -> DocumentResult:
    """An error result built outside the worker (time limit, crashed worker)."""
    return DocumentResult(task.index, task.source, "error", [error_record(task.source, stage, code, reason)],
                          digest if digest is not None else source_hash(task))


def source_hash(task: Task) -> str | None:
    """SHA-256 of the input's bytes when they can be read locally (files, stdin); None otherwise."""
    if task.data is not None:
        return content_hash(task.data)
    if task.source == "-" or is_url(task.source):
        return None
    try:
        return content_hash(Path(task.source).read_bytes())
    except OSError:
        return None


def process(source: str, stage: str, model, settings: dict, unit: str = "practice", data: bytes | None = None,
            on_stage: Callable[[str], None] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Records for one input and the hash of its content; raises PipelineError (stage set) on bad input."""
    current = "extract"
    try:
        if on_stage:
            on_stage(current)
        doc = extract_document(source, settings, data=data)
        if stage == "extract":
            return [document_record(doc)], doc.content_hash
        current = "segment"
        if on_stage:
            on_stage(current)
        from ..segment import segment as segment_document   # loaded by workers, not by a run's parent

        doc = segment_document(doc, settings, unit=unit)
        if stage == "segment":
            return [practice_record(doc, p) for p in doc.practices], doc.content_hash
        current = "classify"
        if on_stage:
            on_stage(current)
        options = settings.get("classify", {})
        from ..classify import classify as classify_document

        doc = classify_document(doc, model, explain=bool(options.get("explain")),
                                explain_terms=int(options.get("explain_terms", 5)))
        return [practice_record(doc, p, model.card) for p in doc.practices], doc.content_hash
    except PipelineError as exc:
        exc.stage = current
        raise
    except RecursionError as exc:  # deeply nested markup: an input problem, not a bug
        error = PipelineError(f"input nested too deeply to read ({exc})", source=source)
        error.code, error.stage = "E004", current
        raise error from exc
    except MemoryError as exc:
        error = PipelineError("ran out of memory reading this input (over the worker memory limit)", source=source)
        error.code, error.stage = "E007", current
        raise error from exc
    except Exception as exc:  # a bug or an input no check foresaw: record it, keep the batch going
        log.exception("%s: unexpected failure in %s", source, current)
        error = PipelineError(f"unexpected {type(exc).__name__}: {exc}", source=source)
        error.code, error.stage = "E999", current
        raise error from exc


def run_document(task: Task, stage: str, model, settings: dict, unit: str = "practice",
                 on_stage: Callable[[str], None] | None = None) -> DocumentResult:
    """Run one input through ``stage``; bad input becomes an error result, never an exception."""
    started = time.perf_counter()
    try:
        records, digest = process(task.source, stage, model, settings, unit, task.data, on_stage)
        result = DocumentResult(task.index, task.source, "ok", records, digest)
    except PipelineError as exc:
        log.warning("%s: %s (%s)", task.source, exc, exc.code)
        result = failed(task, getattr(exc, "stage", "extract"), exc.code, str(exc))
    result.seconds = time.perf_counter() - started
    return result
