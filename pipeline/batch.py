"""The batch jobs behind ``hrc extract``, ``hrc segment`` and ``hrc classify``.

Each input runs through the stages up to the one asked for, in worker processes
(:mod:`pipeline.runner`): all cores by default, or a Dask cluster. An input that
fails, hangs past the time limit or kills its worker becomes an error record
(source, stage, code, reason) and the batch goes on. Records come out in input
order and are streamed to a partial file with a manifest beside the output, so
re-running an interrupted command finishes only what is left; the output file
appears only when the run is complete (atomic rename).
"""
from __future__ import annotations

import copy
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .config import settings as load_settings
from .errors import OutputFailed, PipelineError
from .export import output_format
from .extract import SUFFIX_KINDS, is_url
from .models import TaggerBundle, read_card, resolve
from .runner.state import RunState, run_key
from .runner.work import STAGES, Task, process as process_with_hash

log = logging.getLogger(__name__)
ENGINES = ("local", "dask")


@dataclass
class RunSummary:
    inputs: int = 0
    succeeded: int = 0
    failed: int = 0
    records: int = 0
    resumed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def count(self, status: str, records: int, error: dict[str, Any] | None) -> None:
        self.records += records
        if status == "ok":
            self.succeeded += 1
        else:
            self.failed += 1
            self.errors.append(error)

    def line(self) -> str:
        resumed = f" ({self.resumed} from an interrupted run)" if self.resumed else ""
        return (f"{self.inputs} inputs{resumed}: {self.succeeded} succeeded, {self.failed} failed; "
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
            unit: str = "practice") -> list[dict[str, Any]]:
    """Records for one input, in this process; raises PipelineError (with the stage set) on bad input."""
    return process_with_hash(source, stage, model, settings, unit)[0]


def _model_identity(stage: str, model: str | TaggerBundle | None) -> tuple[Any, str | None]:
    """What the workers load (a folder, or the bundle itself) and what names it in the run key."""
    if stage != "classify":
        return None, None
    if isinstance(model, TaggerBundle):
        return model, f"{model.version}:{model.card.get('model_sha256')}"
    folder = resolve(model)
    card = read_card(folder)   # both files: a served form added later must not mix into a resumed run
    return str(folder), f"{folder.name}:{card.get('model_sha256')}:{card.get('served_sha256')}"


def _engine(name: str, init: dict, settings: dict, workers: int | None, scheduler: Any, inputs: int):
    runner, limits = settings["runner"], settings["limits"]
    common = dict(time_limit=float(limits["max_seconds_per_document"]),
                  crash_retries=int(limits["retries_after_worker_crash"]),
                  start_timeout=float(runner["worker_start_seconds"]))
    if name == "local":
        from .runner.local import LocalEngine
        from .runner.spawn import cores

        count = max(1, min(workers or runner["workers"] or cores(), inputs))  # no idle warm-ups
        return LocalEngine(init, count, window_per_worker=runner["window_per_worker"], **common)
    if name == "dask":
        from .runner.dask_engine import DaskEngine

        address = scheduler or runner.get("scheduler")
        if not address:
            raise PipelineError("the dask engine needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        return DaskEngine(init, address, window_per_worker=runner["window_per_worker"], **common)
    raise ValueError(f"unknown engine {name!r}; use one of {ENGINES}")


def run(inputs: list[str], output: str | Path, stage: str = "classify", model: str | TaggerBundle | None = None,
        unit: str = "practice", quiet: bool = False, strict: bool = False, settings: dict | None = None,
        workers: int | None = None, engine: str = "local", scheduler: Any = None,
        resume: bool = True, explain: bool = False) -> RunSummary:
    """Run ``inputs`` through ``stage`` and write ``output`` (.jsonl, .csv or .parquet).

    ``workers`` worker processes (default: ``runner.workers`` in the settings,
    0 meaning all cores) or, with ``engine="dask"``, the cluster at
    ``scheduler`` (an address or a ``distributed.Client``). An interrupted run
    of the same command is resumed unless ``resume`` is False. ``explain``
    adds to each practice the terms and the sentence behind each predicted label.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    settings = copy.deepcopy(settings or load_settings())
    if explain:  # travels to the workers with the settings, and keys the run
        settings.setdefault("classify", {})["explain"] = True
    fmt = output_format(output)
    worker_model, model_id = _model_identity(stage, model)
    sources = expand_inputs(inputs)
    tasks = [Task(i, s, sys.stdin.buffer.read() if s == "-" else None) for i, s in enumerate(sources)]
    state = RunState(Path(output), run_key(stage, unit, model_id, settings, sources),
                     fsync_every=settings["runner"]["fsync_every_documents"])
    summary = RunSummary(inputs=len(tasks))
    try:
        done = state.open(tasks, resume=resume)
    except OSError as exc:
        raise OutputFailed(f"cannot write beside {output}: {exc}") from exc
    for entry in done:
        summary.count(entry.status, entry.records, entry.error)
    summary.resumed = len(done)
    if strict and summary.failed:
        state.discard()
        raise _as_error(summary.errors[0])
    init = {"stage": stage, "unit": unit, "settings": settings, "model": worker_model, "cwd": os.getcwd(),
            "memory_mb": settings["limits"]["max_worker_memory_mb"],
            "log_level": logging.getLogger().getEffectiveLevel()}
    runner = _engine(engine, init, settings, workers, scheduler, len(tasks) - len(done))
    log.info("%d inputs on the %s engine (%d workers)%s", len(tasks), runner.name, runner.workers,
             f", {len(done)} already done" if done else "")
    progress = tqdm(total=len(tasks), initial=len(done), desc=stage, unit="doc", disable=quiet, file=sys.stderr)
    results = runner.results(tasks[len(done):], len(done))
    try:
        for result in results:
            if strict and result.status == "error":
                state.discard()
                raise _as_error(result.error)
            try:
                state.write(result)
            except OSError as exc:
                raise OutputFailed(f"cannot write {output}: {exc}; run the same command again to resume") from exc
            summary.count(result.status, len(result.records), result.error)
            progress.update()
        try:
            state.finish(fmt)
        except OSError as exc:
            raise OutputFailed(f"cannot write {output}: {exc}; run the same command again to resume") from exc
    finally:
        results.close()   # stops the workers, also on an error or Ctrl-C
        progress.close()
        state.close()
    return summary


def _as_error(record: dict[str, Any]) -> PipelineError:
    error = PipelineError(record["reason"], source=record["source"])
    error.code, error.stage = record["code"], record["stage"]
    return error


def extract(inputs: list[str], output: str | Path, **options) -> RunSummary:
    return run(inputs, output, stage="extract", **options)


def segment(inputs: list[str], output: str | Path, **options) -> RunSummary:
    return run(inputs, output, stage="segment", **options)


def classify(inputs: list[str], output: str | Path, **options) -> RunSummary:
    return run(inputs, output, stage="classify", **options)
