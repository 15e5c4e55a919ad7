"""The README's code runs as written, and its two commands are the first thing in it."""

import re
import shutil
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", TEXT, flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == [
        'pip install -e ".[examples]" && tinygrad-edu demo',
        'pip install -e ".[dev]" && pytest',
    ]
    assert TEXT.index("```bash") < TEXT.index("\n\n", TEXT.index("# tinygrad_edu") + 1) + 3


def test_ci_runs_the_readme_test_command():
    """CI runs the test command the README gives, as written (with its coverage floor)."""
    first_block = re.search(r"```bash\n(.*?)```", TEXT, flags=re.S).group(1)
    test_command = first_block.strip().splitlines()[1].split("#")[0].strip()
    ci_lines = [line.strip() for line in (README.parent / ".ci" / "run").read_text().splitlines()]
    assert f"({test_command})" in ci_lines


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, tmp_path, monkeypatch, capsys):
    code = BLOCKS[index]
    if ".render(" in code and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    if "import torch" in code:
        pytest.importorskip("torch")  # torch is a test dependency, not the package's
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, f"README block {index}", "exec"), namespace)
    printed = capsys.readouterr().out
    if "w1.grad" in code:  # the neuron: dy/dw1 = x1 * (1 - y**2) = 2 * 0.5, dy/dx1 = w1 * 0.5
        assert namespace["w1"].grad == pytest.approx(1.0, abs=1e-6)
        assert namespace["x1"].grad == pytest.approx(-1.5, abs=1e-6)
        assert (tmp_path / "neuron.svg").exists()
    if "accuracy" in code:  # the tensor network learns the moons
        assert namespace["accuracy"] >= 0.95, printed
    if "nn.summary" in code:  # the table shown under the block is what the block prints
        assert printed.strip() and printed.strip() in TEXT, printed
    if "load_state_dict" in code:  # the PyTorch model computes the same numbers
        assert namespace["gap"] < 1e-12, printed
    if "class TwoLayerNet" in code:  # your own model: PyTorch's names and order, and it learns
        names = [name for name, _ in namespace["model"].named_parameters()]
        assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], printed
        assert namespace["loss"].item() < 0.01, printed
