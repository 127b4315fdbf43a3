"""Running a batch: worker processes or a Dask cluster, in input order, resumable.

- :mod:`.work`: the per-document function every engine runs;
- :mod:`.sandbox`: a worker process that loads the model once and can be killed
  when a document overruns the time limit;
- :mod:`.local`: the local engine (N sandboxes, results in input order);
- :mod:`.dask_engine`: the same work on a ``distributed`` cluster;
- :mod:`.state`: the partial output and manifest that make a run resumable;
- :mod:`.spawn`: starting worker processes, early when ``hrc`` asks (standard library only).

The names below are imported on first use, so importing :mod:`.spawn` stays cheap.
"""
from importlib import import_module

__all__ = ["DocumentResult", "Task", "run_document"]


def __getattr__(name: str):
    if name in __all__:
        value = getattr(import_module(".work", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
