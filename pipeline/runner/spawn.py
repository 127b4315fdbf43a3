"""Starting worker processes, with nothing of the package imported: so ``hrc`` can start them first.

A worker takes about a quarter of a second to become ready (Python, NumPy, the
model's arrays, the place tables), and ``hrc`` itself about a sixth to import
its own modules before it could start one. The command line therefore calls
:func:`start_early` before those imports, and the workers start up while the
parent is still importing and planning the run; :class:`~.sandbox.Sandbox` then
:func:`take` s an early worker instead of starting a new one. Library callers
that never call :func:`start_early` get workers started on demand, as before.
This module imports only the standard library, or the point would be lost.
"""
from __future__ import annotations

import atexit
import os
import subprocess
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# Numerical libraries start a thread per core in every process; with a worker per core those
# threads only contend (documents ran 20% slower with OpenBLAS's pool, even with one worker).
# A value the user set is kept.
THREAD_LIMITS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def cores() -> int:
    """All the cores this process may use: the local engine's default worker count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class Child:
    """A started worker process and the parent's ends of its two pipes (raw descriptors:
    ``task_fd`` the parent writes tasks to, ``result_fd`` it reads results from), with the
    conditions it was started under: an early worker is only taken by a run under the same."""

    __slots__ = ("process", "task_fd", "result_fd", "started_under")

    def __init__(self, process: subprocess.Popen, task_fd: int, result_fd: int, started_under: tuple):
        self.process, self.task_fd, self.result_fd = process, task_fd, result_fd
        self.started_under = started_under


def _conditions() -> tuple:
    """What a worker inherits at its start and a run may rely on: interpreter, folder, environment."""
    return sys.executable, os.getcwd(), tuple(sorted(os.environ.items()))


def spawn(preload: bool = False) -> Child:
    """Start one worker process (``python -m pipeline.runner.sandbox``); it waits for its init.

    ``preload``: the worker imports its libraries before reading the init, for workers started
    ahead of their run. Otherwise it reads the init first, so the parent's write of a large
    init (a model object, megabytes) never waits for the worker's imports."""
    task_read, task_write = os.pipe()
    try:
        result_read, result_write = os.pipe()
    except BaseException:
        os.close(task_read)
        os.close(task_write)
        raise
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(PACKAGE_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    for name in THREAD_LIMITS:   # one document at a time per core: no thread pools inside a worker
        env.setdefault(name, "1")
    command = [sys.executable, "-m", "pipeline.runner.sandbox", str(task_read), str(result_write)]
    try:
        process = subprocess.Popen(command + (["preload"] if preload else []),
                                   pass_fds=(task_read, result_write), stdin=subprocess.DEVNULL, env=env)
    except BaseException:
        for fd in (task_write, result_read):
            os.close(fd)
        raise
    finally:
        os.close(task_read)
        os.close(result_write)
    return Child(process, task_write, result_read, _conditions())


_EARLY: list[Child] = []
_stop_at_exit_registered = False


def start_early(count: int) -> None:
    """Start ``count`` workers now, for the run this process is about to make. The run takes
    what it needs and calls :func:`release_unused`; any left are stopped when the process exits
    (they would also stop on their own: end of file on their task pipe)."""
    global _stop_at_exit_registered
    if not _stop_at_exit_registered:
        atexit.register(release_unused)
        _stop_at_exit_registered = True
    _EARLY.extend(spawn(preload=True) for _ in range(max(0, count)))


def take() -> Child | None:
    """An early worker that is alive and was started under this process's present conditions."""
    now = _conditions() if _EARLY else None
    while _EARLY:
        child = _EARLY.pop(0)
        if child.process.poll() is None and child.started_under == now:
            return child
        _stop(child)
    return None


def release_unused() -> None:
    """Stop the early workers no run took (a folder held fewer inputs than there are workers, or
    a resumed run had little left), so they do not sit in memory through the run."""
    while _EARLY:
        _stop(_EARLY.pop())


def _stop(child: Child) -> None:
    _close(child)
    if child.process.poll() is None:
        child.process.kill()
    child.process.wait()


def _close(child: Child) -> None:
    for fd in (child.task_fd, child.result_fd):
        try:
            os.close(fd)
        except OSError:
            pass
