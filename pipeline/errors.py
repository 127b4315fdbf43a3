"""Numbered errors, so a user can look a failure up and a test can assert it.

Every error a stage raises on bad input is a :class:`PipelineError`; the batch
runner turns it into an :class:`~pipeline.document.ErrorRecord` and carries on.
"""
from __future__ import annotations


class PipelineError(Exception):
    """An input or model the pipeline cannot use, with a stable code."""

    code = "E000"

    def __init__(self, message: str, *, source: str | None = None):
        super().__init__(message)
        self.source = source


class InputNotFound(PipelineError):
    code = "E001"


class UnsupportedInput(PipelineError):
    code = "E002"


class EmptyDocument(PipelineError):
    code = "E003"


class CorruptFile(PipelineError):
    code = "E004"


class EncryptedFile(PipelineError):
    code = "E005"


class NoTextLayer(PipelineError):
    code = "E006"


class TooLarge(PipelineError):
    code = "E007"


class FetchFailed(PipelineError):
    code = "E008"


class TimeLimitExceeded(PipelineError):
    code = "E009"


class WorkerCrashed(PipelineError):
    """The worker process died under a document (and again on the retry)."""

    code = "E010"


class OutputFailed(PipelineError):
    """The output could not be written (disk full, removed folder); the run can be resumed."""

    code = "E011"


class ModelError(PipelineError):
    """A model that is missing, tampered with, or made for another taxonomy."""

    code = "E100"


class CorpusError(PipelineError):
    code = "E200"


class NotServable(ValueError):
    """A fitted model uses a part the served form (plain arrays) does not reproduce; it is
    saved and loaded from its pickle only."""
