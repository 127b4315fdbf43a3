"""Shared fixtures: the shared/ folder (skipped cleanly when absent), generated
PDFs, and the committed default model."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "corpus" / "examples"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is absent ({path} not found): real-document tests skipped")
    return path


@pytest.fixture(scope="session")
def corpus_test_size() -> int:
    """Practices in the corpus's held-out split (the yardstick of held-out figures)."""
    from pipeline.corpus import load_practices

    return sum(r.get("split") == "test" for r in load_practices())


@pytest.fixture(scope="session")
def gold_practices() -> list[dict]:
    path = shared_path("seeds", "gold", "practices.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def default_model():
    from pipeline.models import load_model

    return load_model()


@pytest.fixture
def model_copy(tmp_path):
    """A copy of the default model folder, with a DEFAULT pointer, to damage or edit."""
    import shutil

    from pipeline.config import MODELS_DIR
    from pipeline.models import default_version

    version = default_version()
    shutil.copytree(MODELS_DIR / version, tmp_path / version)
    (tmp_path / "DEFAULT").write_text(version)
    return tmp_path / version


@pytest.fixture(scope="session")
def pdf_dir(tmp_path_factory) -> Path:
    from tests.fixtures.make_pdfs import build_all

    folder = tmp_path_factory.mktemp("pdfs")
    build_all(folder)
    return folder


@pytest.fixture(autouse=True, scope="session")
def _private_cache_home(tmp_path_factory):
    """Fetch caches and host locks go to a temporary folder, never the user's ~/.cache."""
    import os

    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous
