"""examples/walkthrough.ipynb runs top to bottom in a fresh Jupyter kernel, so it never rots.

The notebook is stored without outputs; here it is executed with nbclient on the python3
kernel from ipykernel. Any cell that raises (including the notebook's own asserts) fails the
test with the cell's traceback.
"""

import html
import os
import re
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[dev]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[dev]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e '.[dev]')")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "walkthrough.ipynb"


def test_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells, "the notebook has no code"
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code_cells)


def test_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.skip("no 'python3' Jupyter kernel (python -m ipykernel install --user)")
    # the kernel is a new process: make sure it imports this checkout of tinygrad_edu
    paths = [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "dy/dw1 =  1.0000" in text and "dy/dx1 = -1.5000" in text  # the lecture's numbers
    final = [line for line in text.splitlines() if line.startswith("after training")]
    assert len(final) == 1
    accuracy = int(final[0].rsplit(" ", 1)[1].rstrip("%"))
    assert accuracy >= 85
    # the second half: a chain-rule step with its numbers (dn/dw1 = x1 = 2, dy/dn = 1 - y**2 = 0.5)
    assert "dL/dw1 += 2 * 0.5 = 1" in text
    # the CNN's cost: 3x3 convolutions 1 -> 16 on 8x8 and 16 -> 32 on 4x4, Linear 128 -> 64 -> 10
    params = (16 * 9 + 16) + (32 * 16 * 9 + 32) + (128 * 64 + 64) + (64 * 10 + 10)
    mult_adds = 16 * 9 * 8 * 8 + 32 * 16 * 9 * 4 * 4 + 128 * 64 + 64 * 10
    assert f"CNN: {params:,} parameters, {mult_adds:,} multiply-adds per image" in text
    graphs = [o for o in outputs if o.output_type == "execute_result" and "image/svg+xml" in o.data]
    if shutil.which("dot"):
        assert len(graphs) == 2  # the neuron of part 1 and a trained neuron, displayed inline
        assert all(">w1<" in g.data["image/svg+xml"] for g in graphs)
        # play(y): the step-through player inline, in a sandboxed iframe over a static picture
        pages = [
            o.data["text/html"]
            for o in outputs
            if o.output_type == "execute_result" and "text/html" in o.data
        ]
        framed = [page for page in pages if '<iframe sandbox="allow-scripts" srcdoc="' in page]
        watches = [page for page in framed if page.startswith('<div style="position:relative;height:900px')]
        players = [page for page in framed if page not in watches]
        assert len(players) == 1
        # part 9: watch(...) inline, the training page in a sandboxed iframe over one line of text
        assert len(watches) == 1 and "50 frames over 150 steps" in watches[0]
        assert 'id="watch-data"' in html.unescape(re.search(r'srcdoc="([^"]*)"', watches[0]).group(1))
        srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', players[0]).group(1))
        assert srcdoc.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in srcdoc
        assert "Backpropagation through y" in srcdoc and "dL/dw1 = 1.0000" in srcdoc  # the lecture's numbers
        assert (
            '<img alt="the graph, with its final values and gradients" src="data:image/svg+xml;base64,'
            in players[0]
        )
