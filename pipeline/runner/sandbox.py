"""A worker process that can be stopped: the unit of parallelism and of the time limit.

Each :class:`Sandbox` is a child Python process (started with ``subprocess``, so
it also works inside daemonic Dask workers) that loads the model once and then
runs documents one at a time, sent over a pipe. Given a model folder, it reads
the models' served forms (plain arrays), so it starts without importing
scikit-learn: ready in about 0.35 s instead of 2. A document that overruns the
time limit cannot be interrupted from inside (a C extension may never return to
the interpreter), so the parent kills the whole process and starts a fresh one:
that is the only limit that really holds. The child dies with its parent
(``PR_SET_PDEATHSIG`` on Linux, end-of-file on the pipe elsewhere), so a killed
run leaves no orphans behind.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from ..errors import ModelError, PipelineError, WorkerCrashed
from .spawn import spawn, take
from .work import DocumentResult, Task, failed

log = logging.getLogger(__name__)

class Sandbox:
    """Parent-side handle of one worker process.

    ``init`` is sent first: ``stage``, ``unit``, ``settings``, ``model`` (a
    version name or folder, loaded and hash-checked by the child, or a
    TaggerBundle object) and ``memory_mb`` (0: no cap).
    """

    def __init__(self, init: dict[str, Any]):
        self.init = init
        self.process: subprocess.Popen | None = None
        self.tasks: Connection | None = None
        self.results: Connection | None = None
        self.ready = False
        self.task: Task | None = None
        self.stage = "extract"
        self.started = 0.0
        self.crashes = 0

    # -- life cycle -------------------------------------------------------
    def start(self) -> None:
        child = take() or spawn()   # a worker the command line started early, if there is one
        self.process = child.process
        self.tasks = Connection(child.task_fd, readable=False)
        self.results = Connection(child.result_fd, writable=False)
        self.ready, self.task = False, None
        try:
            self.tasks.send(self.init)
        except OSError:   # it died before reading its init: the EOF on its results says so
            log.debug("worker %s exited before its init was sent", self.process.pid)

    def stop(self, kill: bool = False) -> None:
        """Close the pipes (an idle child then exits); ``kill`` ends a busy one at once."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
        for conn in (self.tasks, self.results):
            try:
                conn.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=None if kill else 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop(kill=True)
        self.start()

    # -- one document -----------------------------------------------------
    def send(self, task: Task) -> None:
        self.task, self.stage, self.started = task, "extract", time.monotonic()
        self.tasks.send(task)

    def overdue(self, limit: float) -> bool:
        return self.task is not None and limit > 0 and time.monotonic() - self.started > limit

    def receive(self) -> DocumentResult | None:
        """Handle one message; a finished document's result, or None (still busy, or now ready).

        Raises ModelError if the child could not load the model, and EOFError if it died.
        """
        kind, payload = self.results.recv()
        if kind == "ready":
            self.ready = True
        elif kind == "stage":
            self.stage = payload
        elif kind == "failed":
            raise ModelError(payload)
        elif kind == "done":
            self.task = None
            return payload
        return None

    def timed_out(self, limit: float) -> DocumentResult:
        """Kill the worker stuck on its document, start a fresh one, and give the document an error."""
        task, stage = self.task, self.stage
        log.warning("%s: over the %g s limit in %s; worker %s killed", task.source, limit, stage, self.process.pid)
        self.restart()
        return failed(task, stage, "E009", f"stopped after {limit:g} s in {stage} (limits.max_seconds_per_document)")

    def died(self) -> DocumentResult | None:
        """The worker died under its document: start a fresh one; the caller retries or records it."""
        code = self.process.poll() if self.process else None
        if code is None and self.process is not None:
            self.process.kill()
            code = self.process.wait()
        task, stage = self.task, self.stage
        self.crashes += 1
        log.warning("worker died (%s) on %s; starting a new one", _describe_exit(code),
                    task.source if task else "no document")
        self.restart()
        if task is None:
            return None
        return failed(task, stage, WorkerCrashed.code, f"worker process died ({_describe_exit(code)}) in {stage}")

    def call(self, task: Task, limit: float, start_timeout: float) -> DocumentResult:
        """Run one document and wait for it (the blocking form the Dask engine uses)."""
        if self.process is None:
            self.start()
        while not self.ready:
            if not self.results.poll(start_timeout):
                raise WorkerCrashed(f"worker did not start within {start_timeout:g} s")
            try:
                self.receive()
            except EOFError as exc:
                raise WorkerCrashed("worker process died while starting") from exc
        self.send(task)
        while True:
            remaining = limit - (time.monotonic() - self.started) if limit > 0 else None
            if remaining is not None and remaining <= 0 or not self.results.poll(remaining):
                return self.timed_out(limit)
            try:
                result = self.receive()
            except EOFError:
                return self.died()
            if result is not None:
                return result


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "unknown exit"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


# -- the child side -------------------------------------------------------
def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _cap_memory(megabytes: int) -> None:
    if megabytes and megabytes > 0:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


WARM_UP_TEXT = (b"Tenant advice desks\n\nIn Lyon, France, the city opened advice desks where tenants facing "
                b"eviction meet a lawyer free of charge, and a mediator calls the landlord the same week.\n")


def _warm_up(init: dict[str, Any], model: Any) -> None:
    """Run a tiny document once, so lazily built tables (places, matchers) exist and the PDF and
    web libraries are imported before the clock of the first real document starts."""
    from ..extract import pdf, web  # noqa: F401
    from .work import run_document

    run_document(Task(-1, "warm-up.txt", WARM_UP_TEXT), init["stage"], model, init["settings"], init["unit"])


def _exit_now() -> None:
    """Leave without the interpreter's tear-down: freeing the model and the place tables object by
    object takes the better part of a second, and an idle worker has nothing left to save."""
    sys.stderr.flush()
    os._exit(0)


def _import_libraries() -> None:
    from ..classify import served  # noqa: F401  (NumPy: what most of a worker's start is)
    from ..extract import pdf, web  # noqa: F401
    from ..models import load_scorer  # noqa: F401
    from .work import run_document  # noqa: F401


def child_main(task_fd: int, result_fd: int, preload: bool = False) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a run stops
    _die_with_parent()
    tasks, results = Connection(task_fd, writable=False), Connection(result_fd, readable=False)
    sys.stdout = sys.stderr  # nothing a library prints may reach the parent's output
    if preload:   # started early (see .spawn): import while the parent still imports its own modules
        _import_libraries()
    try:
        init = tasks.recv()
    except EOFError:
        return
    from ..models import TaggerBundle, load_scorer
    from .work import run_document

    if init.get("cwd") and os.path.isdir(init["cwd"]):
        os.chdir(init["cwd"])  # relative input paths mean what they meant where `hrc` was started
    logging.basicConfig(level=init.get("log_level", logging.WARNING), stream=sys.stderr,
                        format=f"%(levelname)s %(name)s[worker {os.getpid()}]: %(message)s")
    model = init.get("model")
    if init["stage"] == "classify" and not isinstance(model, TaggerBundle):
        try:   # the served arrays when the model has them: no scikit-learn import, no unpickle
            model = load_scorer(model)
        except PipelineError as exc:
            results.send(("failed", str(exc)))
            return
    _warm_up(init, model)
    _cap_memory(init.get("memory_mb", 0))
    results.send(("ready", os.getpid()))
    while True:
        try:
            task = tasks.recv()
        except EOFError:
            _exit_now()
        result = run_document(task, init["stage"], model, init["settings"], init["unit"],
                              on_stage=lambda name: results.send(("stage", name)))
        results.send(("done", result))


if __name__ == "__main__":
    try:
        child_main(int(sys.argv[1]), int(sys.argv[2]), preload=sys.argv[3:4] == ["preload"])
    except (BrokenPipeError, EOFError):
        pass  # the parent went away (run over, stopped or killed): nothing left to report to
