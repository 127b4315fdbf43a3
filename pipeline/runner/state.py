"""Resumable output: a partial file and a small manifest beside the output.

While a run goes on, records are appended (in input order) to
``.<output>.partial`` and, once a document's records are flushed, one line is
appended to ``.<output>.manifest.jsonl``: index, source, content hash, status
and the partial file's size after it. A crash or ``kill -9`` can cut either file
anywhere; on the next run of the same command the manifest's last whole,
consistent line tells how far the output is good, the partial file is cut back
to it, and only the remaining documents run. The output itself appears only at
the end, by an atomic rename, so it is never half-written; the manifest then
becomes ``<output>.manifest.jsonl``, the run's ledger: one line per input, so
every document is accounted for, also those that gave no practice.

The first manifest line is a key of everything that decides the output (stage,
unit, model version, settings, the input list); a run with another key starts
afresh rather than mixing two runs.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .work import DocumentResult, Task, source_hash

log = logging.getLogger(__name__)


def run_key(stage: str, unit: str, model_version: str | None, settings: dict, sources: list[str]) -> str:
    """A digest of everything that decides the output of a run (not how many workers run it)."""
    relevant = {k: v for k, v in settings.items() if k != "runner"}
    blob = json.dumps({"stage": stage, "unit": unit, "model": model_version, "settings": relevant,
                       "sources": sources}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Done:
    """A document already written by an earlier, interrupted run."""

    index: int
    source: str
    status: str
    content_hash: str | None
    offset: int
    records: int
    error: dict[str, Any] | None = None


@dataclass
class RunState:
    output: Path
    key: str
    fsync_every: int = 100
    done: list[Done] = field(default_factory=list)

    def __post_init__(self):
        self.output = Path(self.output)
        self.partial = self.output.parent / f".{self.output.name}.partial"
        self.manifest = self.output.parent / f".{self.output.name}.manifest.jsonl"
        self.ledger = self.output.parent / f"{self.output.name}.manifest.jsonl"
        self._data = self._log = None
        self._since_sync = 0

    # -- opening ------------------------------------------------------------
    def open(self, tasks: list[Task], resume: bool = True) -> list[Done]:
        """Open the files, keeping what an earlier run of the same command finished."""
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.done = self._resumable(tasks) if resume else []
        offset = self.done[-1].offset if self.done else 0
        if self.done:
            with open(self.partial, "r+b") as handle:
                handle.truncate(offset)
            self._rewrite_manifest()
            log.info("resuming: %d of %d documents already done", len(self.done), len(tasks))
        else:
            self.partial.write_bytes(b"")
            self._rewrite_manifest()
        self._data = open(self.partial, "ab")
        self._log = open(self.manifest, "a", encoding="utf-8")
        return self.done

    def _rewrite_manifest(self) -> None:
        tmp = self.manifest.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": self.key}) + "\n")
            for entry in self.done:
                handle.write(json.dumps(entry.__dict__, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.manifest)

    def _resumable(self, tasks: list[Task]) -> list[Done]:
        if not (self.manifest.exists() and self.partial.exists()):
            return []
        size = self.partial.stat().st_size
        lines = self.manifest.read_text(encoding="utf-8", errors="replace").splitlines()
        try:
            header = json.loads(lines[0]) if lines else {}
        except ValueError:
            header = {}
        if header.get("key") != self.key:
            log.warning("%s belongs to another run (other inputs, model or settings): starting afresh",
                        self.manifest.name)
            return []
        done: list[Done] = []
        last = 0
        for line in lines[1:]:
            try:
                entry = Done(**json.loads(line))
            except (ValueError, TypeError):
                break                                     # a line cut by the crash
            index = len(done)
            if (entry.index != index or index >= len(tasks) or entry.source != tasks[index].source
                    or not last <= entry.offset <= size):
                break
            if source_hash(tasks[index]) != entry.content_hash:
                log.info("%s changed since the interrupted run: redone from there", entry.source)
                break
            done.append(entry)
            last = entry.offset
        return done

    # -- writing ------------------------------------------------------------
    def write(self, result: DocumentResult) -> None:
        """Append one document's records, then its manifest line (so the line implies the records)."""
        for record in result.records:
            self._data.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        self._data.flush()
        self._since_sync += 1
        if self._since_sync >= self.fsync_every:
            os.fsync(self._data.fileno())
            self._since_sync = 0
        entry = Done(result.index, result.source, result.status, result.content_hash, self._data.tell(),
                     len(result.records), result.error)
        self._log.write(json.dumps(entry.__dict__, ensure_ascii=False) + "\n")
        self._log.flush()
        self.done.append(entry)

    def records(self) -> Iterator[dict[str, Any]]:
        with open(self.partial, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

    def close(self) -> None:
        for handle in (self._data, self._log):
            if handle is not None and not handle.closed:
                handle.close()

    def finish(self, fmt: str) -> None:
        """Put the output in place atomically, then drop the run's bookkeeping."""
        self._data.flush()
        os.fsync(self._data.fileno())
        self.close()
        if fmt == "jsonl":
            os.replace(self.partial, self.output)
        else:
            from ..export import write_records

            write_records(self.records(), self.output)
            self.partial.unlink()
        os.replace(self.manifest, self.ledger)

    def discard(self) -> None:
        """Forget the run entirely (``--strict`` stopped it on purpose)."""
        self.close()
        self.partial.unlink(missing_ok=True)
        self.manifest.unlink(missing_ok=True)
