"""The Dask engine on a real ``distributed`` LocalCluster: same output as the local engine."""
from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline import batch
from tests.conftest import EXAMPLES, ROOT
from tests.runner.conftest import fast_settings, read_jsonl, write_slow_page, write_variants

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def cluster():
    """Two single-thread workers in this process, reachable over TCP (so `hrc` can connect)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as local:
        with distributed.Client(local) as client:
            yield local, client


def test_hrc_classify_on_dask_writes_what_the_local_engine_writes(tmp_path, cluster):
    local_cluster, _ = cluster
    inputs = [str(EXAMPLES), *write_variants(tmp_path / "in", 6)]
    here, there = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    batch.run(inputs, here, stage="classify", workers=1, quiet=True)
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "classify", *inputs, "-o", str(there), "-q",
                             "--engine", "dask", "--scheduler", local_cluster.scheduler_address],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert there.read_bytes() == here.read_bytes()
    assert len(read_jsonl(there)) == 6 + 6 * 3


def test_the_time_limit_holds_on_dask_workers_too(tmp_path, cluster):
    _, client = cluster
    small = write_variants(tmp_path / "in", 2)
    hang = write_slow_page(tmp_path / "endless.html")
    out = tmp_path / "out.jsonl"
    summary = batch.run([small[0], hang, small[1]], out, stage="extract", engine="dask", scheduler=client,
                        quiet=True, settings=fast_settings(max_seconds_per_document=2))
    records = read_jsonl(out)
    assert [r["source"] for r in records] == [small[0], hang, small[1]]
    assert records[1]["code"] == "E009" and records[0]["record_type"] == "document"
    assert (summary.succeeded, summary.failed) == (2, 1)


def test_dask_without_a_scheduler_is_a_clear_error(tmp_path):
    from pipeline.errors import PipelineError

    with pytest.raises(PipelineError, match="--scheduler"):
        batch.run(write_variants(tmp_path / "in", 1), tmp_path / "o.jsonl", stage="extract", engine="dask")
