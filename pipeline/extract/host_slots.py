"""A polite per-host limit that holds across worker processes.

Each host gets ``per_host_limit`` slot files in a lock folder; a request holds
an exclusive ``flock`` on one of them while it runs, so however many worker
processes a batch starts, no host sees more than that many requests at once.
A slot also remembers when it was last released, and the next request on that
slot waits until ``per_host_delay_seconds`` have passed.
"""
from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to no cross-process limit
    fcntl = None

_POLL_SECONDS = 0.05


@contextmanager
def host_slot(host: str, folder: Path, limit: int, delay_seconds: float, wait_seconds: float) -> Iterator[int]:
    """Hold one of ``limit`` slots for ``host``; yields the slot number.

    Raises TimeoutError when no slot frees up within ``wait_seconds``.
    """
    if fcntl is None or limit <= 0:
        yield 0
        return
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(host.lower().encode()).hexdigest()[:16]
    deadline = time.monotonic() + wait_seconds
    while True:
        for slot in range(limit):
            path = folder / f"{key}.{slot}.lock"
            if not path.exists():
                path.touch()
                os.utime(path, (0, 0))  # never used: no delay owed
            handle = open(path, "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                _wait_for_delay(path, delay_seconds)
                yield slot
            finally:
                os.utime(path)  # the release time is the file's mtime
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no free connection slot for {host} within {wait_seconds:.0f} s")
        time.sleep(_POLL_SECONDS)


def _wait_for_delay(path: Path, delay_seconds: float) -> None:
    if delay_seconds <= 0:
        return
    since = time.time() - path.stat().st_mtime
    if since < delay_seconds:
        time.sleep(delay_seconds - since)
