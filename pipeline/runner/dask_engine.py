"""The Dask engine: the same per-document work on a ``distributed`` cluster.

Every Dask worker thread keeps one sandboxed worker process (see
:mod:`.sandbox`) that loads the model once and is killed and replaced when a
document overruns the time limit, exactly as on the local engine, so the output
is the same record for record. The client keeps work within ``window``
documents of the oldest unfinished one, submits the largest input of that
window first (as the local engine does) and writes results in input order.

Inputs are passed by name: files must be readable at the same path on every
worker (a shared or synced folder); URLs are fetched by the workers.
"""
from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import uuid
from typing import Any, Iterable, Iterator

from .local import Lookahead, Ordered
from .sandbox import Sandbox
from .work import DocumentResult, Task

log = logging.getLogger(__name__)
_local = threading.local()


def run_on_worker(task: Task, init: dict[str, Any], init_key: str, time_limit: float, crash_retries: int,
                  start_timeout: float) -> DocumentResult:
    """Runs inside a Dask worker: one document through this thread's sandbox."""
    sandboxes = getattr(_local, "sandboxes", None)
    if sandboxes is None:
        sandboxes = _local.sandboxes = {}
    sandbox = sandboxes.get(init_key)
    if sandbox is None:
        for old in sandboxes.values():
            old.stop()
        sandboxes.clear()
        sandbox = sandboxes[init_key] = Sandbox(init)
    for attempt in range(crash_retries + 1):
        result = sandbox.call(task, time_limit, start_timeout)
        if result.error is None or result.error["code"] != "E010" or attempt == crash_retries:
            return result
        log.warning("%s: trying again on a fresh worker", task.source)
    return result


class DaskEngine:
    """Runs tasks on the Dask cluster whose scheduler listens at ``scheduler``."""

    name = "dask"

    def __init__(self, init: dict[str, Any], scheduler: Any, time_limit: float, crash_retries: int = 1,
                 window_per_worker: int = 16, start_timeout: float = 300.0):
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the install
            from ..errors import PipelineError

            raise PipelineError("the dask engine needs the optional extra: pip install 'hrc-pipeline[dask]'") from exc
        self.init = init
        self.time_limit = time_limit
        self.crash_retries = crash_retries
        self.start_timeout = start_timeout
        self.client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        self._own_client = not isinstance(scheduler, Client)
        threads = sum(self.client.nthreads().values()) or 1
        self.workers = threads
        self.window = max(1, window_per_worker) * threads

    def results(self, tasks: Iterable[Task], first_index: int) -> Iterator[DocumentResult]:
        from distributed import as_completed

        init_key = hashlib.sha256(pickle.dumps(self.init)).hexdigest()[:16]
        run_id = uuid.uuid4().hex[:8]
        [init_future] = self.client.scatter([self.init], broadcast=True)
        order = Ordered(first_index, self.window)
        ahead = Lookahead(tasks)
        in_flight = as_completed()

        def submit_more() -> None:
            while True:
                ahead.fill(order)
                task = ahead.take_largest(order)
                if task is None:
                    return
                in_flight.add(self.client.submit(
                    run_on_worker, task, init_future, init_key, self.time_limit, self.crash_retries,
                    self.start_timeout, key=f"hrc-{run_id}-{task.index}", pure=False))

        try:
            submit_more()
            for future in in_flight:
                result = future.result()
                future.release()
                yield from order.add(result)
                submit_more()
        finally:
            if self._own_client:
                self.client.close()
