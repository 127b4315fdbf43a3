"""The local engine: documents spread over worker processes on this machine.

Results come back in input order whatever order the workers finish in: a
finished document waits in a small buffer until those before it are out, and
no document more than ``window`` places ahead of the oldest unfinished one is
handed out, so memory stays flat however long the batch. Within that window
the largest input goes first (longest-processing-time-first scheduling): a big
PDF started early runs beside many small files instead of alone at the end of
the batch, where it would leave the other workers idle. A worker over the time
limit is killed and replaced; a worker that dies under a document (out of
memory, killed by hand) is replaced and the document tried again, once by
default, then recorded as an error: every input comes out exactly once.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path
from multiprocessing.connection import wait
from typing import Any, Iterable, Iterator

from ..errors import PipelineError, WorkerCrashed
from .sandbox import Sandbox
from .spawn import release_unused
from .work import DocumentResult, Task

log = logging.getLogger(__name__)


class Ordered:
    """Hands results on in input order; says how far ahead new work may start."""

    def __init__(self, first: int, window: int):
        self.next, self.window, self.waiting = first, window, {}

    def add(self, result: DocumentResult) -> Iterator[DocumentResult]:
        self.waiting[result.index] = result
        while self.next in self.waiting:
            yield self.waiting.pop(self.next)
            self.next += 1

    def may_start(self, index: int) -> bool:
        return index < self.next + self.window


def input_size(task: Task) -> int:
    """Bytes of the input, the stand-in for how long it will take (0 when unknown: URLs)."""
    if task.data is not None:
        return len(task.data)
    try:
        return Path(task.source).stat().st_size
    except (OSError, ValueError):
        return 0


class Lookahead:
    """The inputs drawn from the stream but not yet handed out, largest first on request."""

    def __init__(self, tasks: Iterable[Task]):
        self.tasks, self.waiting = iter(tasks), {}
        self.next_task: Task | None = None       # drawn from the stream, not yet inside the window
        self.exhausted = False

    def fill(self, order: "Ordered") -> None:
        """Draw inputs from the stream while they fall inside the window."""
        while not self.exhausted:
            if self.next_task is None:
                self.next_task = next(self.tasks, None)
                if self.next_task is None:
                    self.exhausted = True
                    return
            if not order.may_start(self.next_task.index):
                return
            task, self.next_task = self.next_task, None
            self.waiting[task.index] = (input_size(task), task)

    def take_largest(self, order: "Ordered") -> Task | None:
        startable = [(size, -index) for index, (size, _) in self.waiting.items() if order.may_start(index)]
        if not startable:
            return None
        _, negative_index = max(startable)
        return self.waiting.pop(-negative_index)[1]

    def __bool__(self) -> bool:
        return bool(self.waiting) or self.next_task is not None or not self.exhausted


class LocalEngine:
    """Runs tasks on ``workers`` sandboxed processes; see the module docstring."""

    name = "local"

    def __init__(self, init: dict[str, Any], workers: int, time_limit: float, crash_retries: int = 1,
                 window_per_worker: int = 4, start_timeout: float = 300.0):
        self.init = init
        self.workers = max(1, workers)
        self.time_limit = time_limit
        self.crash_retries = crash_retries
        self.window = max(1, window_per_worker) * self.workers
        self.start_timeout = start_timeout

    def results(self, tasks: Iterable[Task], first_index: int) -> Iterator[DocumentResult]:
        """Results for ``tasks`` (indexed from ``first_index`` without gaps), in input order."""
        ahead = Lookahead(tasks)
        pending: deque[Task] = deque()   # tasks to retry before drawing new ones
        attempts: dict[int, int] = {}
        order = Ordered(first_index, self.window)
        pool = [Sandbox(self.init) for _ in range(self.workers)]
        launched = time.monotonic()
        try:
            for sandbox in pool:
                sandbox.start()
            release_unused()   # workers the command line started early that this run does not need
            while True:
                self._hand_out(pool, ahead, pending, order)
                busy = [s for s in pool if s.task is not None]
                if not ahead and not pending and not busy:
                    return
                if not any(s.ready for s in pool) and time.monotonic() - launched > self.start_timeout:
                    raise WorkerCrashed(f"no worker started within {self.start_timeout:g} s")
                finished: list[DocumentResult] = []
                for conn in wait([s.results for s in pool], timeout=self._wait_seconds(busy)):
                    sandbox = next(s for s in pool if s.results is conn)
                    done = self._receive(sandbox, attempts, pending)
                    if done is not None:
                        finished += order.add(done)
                for sandbox in pool:
                    if sandbox.overdue(self.time_limit):
                        finished += order.add(sandbox.timed_out(self.time_limit))
                # Idle workers get their next document before the caller writes these results:
                # otherwise every write (and each fsync) leaves a worker waiting for the parent.
                self._hand_out(pool, ahead, pending, order)
                yield from finished
        finally:
            for sandbox in pool:
                sandbox.stop(kill=sandbox.task is not None)

    @staticmethod
    def _hand_out(pool: list[Sandbox], ahead: Lookahead, pending: deque[Task], order: Ordered) -> None:
        """Give every idle, ready worker a document: a retry first, else the largest startable."""
        ahead.fill(order)
        for sandbox in pool:
            if sandbox.ready and sandbox.task is None:
                task = pending.popleft() if pending else ahead.take_largest(order)
                if task is not None:
                    sandbox.send(task)

    def _wait_seconds(self, busy: list[Sandbox]) -> float | None:
        if self.time_limit <= 0 or not busy:
            return 1.0
        soonest = min(s.started for s in busy) + self.time_limit - time.monotonic()
        return max(0.0, min(soonest, 1.0))

    def _receive(self, sandbox: Sandbox, attempts: dict[int, int], pending: deque[Task]) -> DocumentResult | None:
        task = sandbox.task
        try:
            return sandbox.receive()
        except EOFError:
            if task is None and not sandbox.ready:
                # died while starting: something is wrong with the setup, not with a document
                sandbox.crashes += 1
                if sandbox.crashes > 3:
                    raise WorkerCrashed("worker processes keep dying while starting; see the log above")
                sandbox.restart()
                return None
            error = sandbox.died()
            if task is None:
                return None
            attempts[task.index] = attempts.get(task.index, 0) + 1
            if attempts[task.index] <= self.crash_retries:
                log.warning("%s: trying again on a fresh worker", task.source)
                pending.appendleft(task)
                return None
            return error
        except PipelineError:
            raise
