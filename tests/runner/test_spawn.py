"""Workers started early by the command line: taken by the run, never left behind."""
from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from pipeline import batch
from pipeline.runner import spawn
from tests.runner.conftest import fast_settings, read_jsonl, write_variants
from tests.runner.test_local import in_process, sandboxes


@pytest.fixture(autouse=True)
def no_early_workers_left():
    yield
    spawn.release_unused()   # a failed test must not hand its workers to the next one


def test_a_run_uses_the_workers_started_early(tmp_path, monkeypatch):
    sources = write_variants(tmp_path / "in", 4)
    spawn.start_early(2)
    early = {child.process.pid for child in spawn._EARLY}
    started = []
    real_spawn = spawn.spawn
    monkeypatch.setattr("pipeline.runner.sandbox.spawn", lambda: started.append(1) or real_spawn())
    options = fast_settings()
    summary = batch.run(sources, tmp_path / "out.jsonl", stage="extract", settings=options, workers=2, quiet=True)
    assert (summary.succeeded, summary.failed) == (4, 0)
    assert read_jsonl(tmp_path / "out.jsonl") == in_process(sources, "extract", options)
    assert not started, "the run started new workers instead of taking the early ones"
    assert not spawn._EARLY and not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                                        for pid in early)
    assert not sandboxes()


def test_early_workers_a_process_never_used_are_gone_when_it_exits():
    program = ("from pipeline.runner import spawn; spawn.start_early(2); "
               "print(' '.join(str(c.process.pid) for c in spawn._EARLY), flush=True)")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.1)
    assert not any(psutil.pid_exists(p) for p in pids), "an unused early worker outlived its parent"


def test_the_command_line_starts_workers_before_importing_the_batch_machinery():
    """What `hrc` imports before it can start a worker: not the extractors, not NumPy."""
    program = ("import sys, pipeline.cli, pipeline.runner.spawn; "
               "print(sorted(m for m in sys.modules if m.startswith(('pipeline.extract', 'pipeline.batch', "
               "'pipeline.runner.work', 'numpy'))))")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_early_workers_a_run_does_not_need_are_stopped_when_it_starts(tmp_path):
    """A resumed run, or a folder with fewer files than workers: the extra early workers go."""
    sources = write_variants(tmp_path / "in", 1)
    spawn.start_early(3)
    early = [child.process for child in spawn._EARLY]
    summary = batch.run(sources, tmp_path / "out.jsonl", stage="extract", settings=fast_settings(), workers=1,
                        quiet=True)
    assert summary.succeeded == 1
    assert not spawn._EARLY
    assert all(process.poll() is not None for process in early)


def test_an_early_worker_started_under_another_environment_is_not_taken(monkeypatch):
    spawn.start_early(1)
    monkeypatch.setenv("HRC_CONFIG_SOMETHING_ELSE", "1")
    assert spawn.take() is None and not spawn._EARLY
