"""`hrc train` reproduces the committed default model exactly."""
import json

from pipeline.models import default_version, read_card
from pipeline.config import MODELS_DIR
from pipeline.train import train


def test_training_reproduces_the_committed_model(tmp_path):
    committed = read_card(MODELS_DIR / default_version())
    bundle = train(models_dir=tmp_path)
    assert bundle.version == committed["version"]
    assert bundle.card["corpus_sha256"] == committed["corpus_sha256"]
    assert json.dumps(bundle.card["metrics"], sort_keys=True) == json.dumps(committed["metrics"], sort_keys=True)
    assert bundle.card["thresholds"] == committed["thresholds"]
