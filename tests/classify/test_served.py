"""The tagger's served form scores as the full model does, loads without a pickle, and is checked."""
import shutil
import subprocess
import sys

import numpy as np
import pytest

from pipeline.classify import classify
from pipeline.classify.served import ServedTagger
from pipeline.config import MODELS_DIR
from pipeline.corpus import load_practices, training_text
from pipeline.document import Document, Practice
from pipeline.errors import ModelError
from pipeline.models import TaggerBundle, default_version, load_scorer
from pipeline.served import SERVED_FILE
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def served():
    return load_scorer()


def test_default_model_is_served_from_arrays(served):
    assert isinstance(served, ServedTagger)
    assert served.version == default_version()


def test_served_scores_equal_the_full_models_on_held_out_practices(default_model, served):
    texts = [training_text(r) for r in load_practices() if r.get("split") == "test"]
    texts += ["", "A short line.", "Ünïcödé façade of İstanbul's city hall ™ " * 3]
    full, fast = default_model.score_texts(texts), served.score_texts(texts)
    assert full.keys() == fast.keys()
    for name in full:
        labels, proba, predicted = full[name]
        assert fast[name][0] == labels
        np.testing.assert_allclose(fast[name][1], proba, atol=1e-5)
        assert (fast[name][2] == predicted).all(), name


def test_explanations_load_the_full_model(served):
    assert isinstance(load_scorer(explain=True), TaggerBundle)
    doc = Document(doc_id="d1", source="desks.txt", kind="text", practices=[Practice("d1-01", title="Tenant desks", text=(
        "The city opened advice desks where tenants facing eviction meet a lawyer free of charge."))])
    with pytest.raises(ModelError, match="full model"):
        classify(doc, served, explain=True)


@pytest.fixture
def model_copy(tmp_path):
    version = default_version()
    shutil.copytree(MODELS_DIR / version, tmp_path / version)
    (tmp_path / "DEFAULT").write_text(version)
    return tmp_path / version


def test_a_damaged_served_file_is_refused(model_copy):
    path = model_copy / SERVED_FILE
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ModelError, match="truncated or tampered"):
        load_scorer(model_copy)


def test_a_folder_from_elsewhere_is_served_without_trusting_its_pickle(model_copy, tmp_path, served):
    """Arrays cannot run code, so a foreign model's served form loads (its hash still checked);
    its pickle stays refused until trusted."""
    elsewhere = tmp_path / "empty-models-dir"
    elsewhere.mkdir()
    foreign = load_scorer(model_copy, models_dir=elsewhere)
    texts = ["Residents vote on part of the district budget in open assemblies."]
    np.testing.assert_array_equal(foreign.score_texts(texts)["themes"][1], served.score_texts(texts)["themes"][1])


def test_a_worker_that_classifies_never_imports_sklearn():
    """What makes a worker start in half a second: scoring and segmenting read arrays only."""
    script = (
        "import sys\n"
        "from pipeline.config import settings\n"
        "from pipeline.models import load_scorer\n"
        "from pipeline.runner.sandbox import _warm_up\n"
        "_warm_up({'stage': 'classify', 'settings': settings(), 'unit': 'practice'}, load_scorer())\n"
        "heavy = sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "none", out.stdout
