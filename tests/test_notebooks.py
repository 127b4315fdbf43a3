"""The walkthrough notebook runs top to bottom on the committed corpus and model."""
import nbformat
from nbclient import NotebookClient

from tests.conftest import ROOT


def test_walkthrough_notebook_executes():
    path = ROOT / "notebooks" / "walkthrough.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    from pipeline.corpus import load_practices

    assert f"{len(load_practices())} practices" in text and "themes micro-F1" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4
