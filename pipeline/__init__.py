"""Human rights cities pipeline: extract -> segment -> classify -> export.

The stage functions take and return a :class:`~pipeline.document.Document`::

    from pipeline import extract, segment, classify
    doc = classify(segment(extract("report.pdf")))

Batch jobs over many inputs (with error records and atomic output) are in
:mod:`pipeline.batch`; training in :mod:`pipeline.train`.
"""
from .classify import classify
from .document import Document, Practice
from .extract import extract
from .models import load_model
from .segment import segment

__all__ = ["extract", "segment", "classify", "load_model", "Document", "Practice"]
__version__ = "0.1.0"
