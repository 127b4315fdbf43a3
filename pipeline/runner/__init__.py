"""Running a batch: worker processes or a Dask cluster, in input order, resumable.

- :mod:`.work`: the per-document function every engine runs;
- :mod:`.sandbox`: a worker process that loads the model once and can be killed
  when a document overruns the time limit;
- :mod:`.local`: the local engine (N sandboxes, results in input order);
- :mod:`.dask_engine`: the same work on a ``distributed`` cluster;
- :mod:`.state`: the partial output and manifest that make a run resumable.
"""
from .work import DocumentResult, Task, run_document

__all__ = ["DocumentResult", "Task", "run_document"]
