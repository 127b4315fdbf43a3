"""Human rights cities pipeline: extract -> segment -> classify -> export.

The stage functions take and return a :class:`~pipeline.document.Document`::

    from pipeline import extract, segment, classify
    doc = classify(segment(extract("report.pdf")))

Batch jobs over many inputs (with error records and atomic output) are in
:mod:`pipeline.batch`; training in :mod:`pipeline.train`.
"""
from importlib import import_module

#: Public names and the modules they live in, imported on first use: a batch run's parent
#: process needs none of the models' libraries, and a second of import time per run adds up.
_EXPORTS = {"extract": ".extract", "segment": ".segment", "classify": ".classify",
            "load_model": ".models", "Document": ".document", "Practice": ".document"}

__all__ = ["extract", "segment", "classify", "load_model", "Document", "Practice"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
