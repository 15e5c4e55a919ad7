"""Every example in examples/ runs in quick mode and its claim holds, checked independently.

Each example runs in a fresh interpreter (as a learner runs it) with numpy's BLAS limited to
one thread: on a busy 2-core machine a multi-threaded BLAS spends its time waiting for the
other core, which made the tensor examples 10-30x slower. The example's ``main(out, quick=True)``
result is pickled back for the assertions. The oracles are written here, not taken from the
examples: derivatives from their formulas, errors recomputed from the returned predictions,
spectral peaks from an FFT.
"""

import math
import os
import pickle
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}

RUNNER = """
import pickle, runpy, sys
example = runpy.run_path(sys.argv[1])            # defines main(); the __main__ block does not run
results = example["main"](out=sys.argv[2], quick=True)
extra = sys.argv[4] if len(sys.argv) > 4 else ""
if extra == "scores":                            # example 4: the trained model's raw scores
    results["scores"] = [results["model"]([float(a), float(b)]).data for a, b in results["X"]]
results.pop("model", None)
with open(sys.argv[3], "wb") as file:
    pickle.dump(results, file)
"""


def environment():
    paths = [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), MPLBACKEND="Agg", **ONE_THREAD)


def run_example(name, tmp_path, extra=""):
    """main(out=tmp_path/'out', quick=True) of examples/<name> in a fresh process: (results, stdout)."""
    result_file = tmp_path / "results.pickle"
    completed = subprocess.run(
        [sys.executable, "-c", RUNNER, str(EXAMPLES / name), str(tmp_path / "out"), str(result_file), extra],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    with open(result_file, "rb") as file:
        return pickle.load(file), completed.stdout


def assert_png(path):
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_examples_folder_has_the_lecture_examples():
    names = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert [n[:3] for n in names][:11] == [f"{i:02d}_" for i in range(1, 12)]  # 01_ ... 11_
    assert "12_depth_estimation.py" in names and all(n[:2].isdigit() and n[2] == "_" for n in names)
    for path in EXAMPLES.glob("*.py"):
        source = path.read_text()
        assert source.startswith('"""') and "Run:" in source.split('"""')[1], path.name
        assert 'if __name__ == "__main__":' in source, path.name


@pytest.mark.parametrize("name", ["01_neuron_equation.py", "02_activations.py"])
def test_examples_run_as_scripts_with_out(name, tmp_path):
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--quick", "--out", str(tmp_path / "pics")],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert any((tmp_path / "pics").iterdir())


def test_01_neuron_equation(tmp_path):
    results, stdout = run_example("01_neuron_equation.py", tmp_path)
    x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
    n = w1 * x1 + w2 * x2 + b
    dy_dn = 1 - math.tanh(n) ** 2
    expected = {"w1": x1 * dy_dn, "x1": w1 * dy_dn, "w2": x2 * dy_dn, "x2": w2 * dy_dn, "b": dy_dn}
    assert results["y"] == pytest.approx(math.tanh(n), abs=1e-12)
    assert results["y"] == pytest.approx(1 / math.sqrt(2), abs=1e-9)
    for name, grad in expected.items():
        assert results["backward"][name] == pytest.approx(grad, abs=1e-12)
        assert results["by_hand"][name] == pytest.approx(grad, abs=1e-12)
    assert results["nudge"] == pytest.approx(expected["w1"], rel=1e-3)
    graph = Path(results["files"][0])
    assert graph.exists()
    if graph.suffix == ".svg":
        text = graph.read_text()
        assert "<svg" in text and all(f">{label}<" in text for label in ("x1", "w2", "b", "n", "y"))
    assert "by hand" in stdout and "backward()" in stdout


def test_02_activations(tmp_path):
    results, _ = run_example("02_activations.py", tmp_path)
    z = results["z"]
    sigmoid = 1 / (1 + np.exp(-z))
    formulas = {  # (phi(z), phi'(z)) from the textbook formulas
        "sigmoid": (sigmoid, sigmoid * (1 - sigmoid)),
        "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
        "relu": (np.maximum(z, 0), (z > 0).astype(float)),
        "leaky_relu (slope 0.1)": (np.where(z > 0, z, 0.1 * z), np.where(z > 0, 1.0, 0.1)),
    }
    assert set(results["curves"]) == set(formulas)
    for name, (values, slopes) in formulas.items():
        np.testing.assert_allclose(results["curves"][name][0], values, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(results["curves"][name][1], slopes, atol=1e-12, err_msg=name)
    assert results["collapse_error"] < 1e-12  # two linear layers == one matrix
    assert results["single_matrix"].shape == (2, 3)
    assert results["superposition_error_linear"] < 1e-12  # linear: superposition holds
    assert results["superposition_error_tanh"] > 1e-2  # tanh in between: it does not
    assert_png(results["files"][0])


def test_03_universal_approximation(tmp_path):
    results, _ = run_example("03_universal_approximation.py", tmp_path)
    x = results["x"]
    y = np.sin(3 * x) + 0.5 * np.sin(7 * x)
    errors = {w: float(np.mean((fit - y) ** 2)) for w, fit in results["width_fits"].items()}
    assert errors == pytest.approx(results["width_errors"])
    assert sorted(errors) == [1, 2, 4, 8, 32]
    assert errors[32] < 0.05 and errors[32] < errors[1] / 5  # wider fits much better
    # equal budgets: 1 -> 197 -> 1 has 197 + 197 + 197 + 1 parameters; 1 -> 16 -> 16 -> 16 -> 1 has
    # (16 + 16) + 2 * (16 * 16 + 16) + (16 + 1)
    assert results["shallow_parameters"] == 3 * 197 + 1 == 592
    assert results["deep_parameters"] == 32 + 2 * 272 + 17 == 593
    shallow = float(np.mean((results["shallow_fit"] - y) ** 2))
    deep = float(np.mean((results["deep_fit"] - y) ** 2))
    assert deep < shallow / 3
    for name in ("shallow", "deep"):
        losses = results[f"{name}_losses"]
        assert losses[-1] < losses[0] / 10
    assert_png(results["files"][0])


def test_04_moons_classification(tmp_path):
    results, _ = run_example("04_moons_classification.py", tmp_path, extra="scores")
    predicted = np.where(np.array(results["scores"]) > 0, 1, -1)
    accuracy = float(np.mean(predicted == results["y"]))
    assert accuracy >= 0.9 and len(results["y"]) == 40
    assert accuracy == pytest.approx(results["accuracy"])
    assert results["losses"][-1] < results["losses"][0] / 3
    assert_png(results["files"][0])


def load_audio_example():
    import runpy

    return runpy.run_path(str(EXAMPLES / "05_audio_waveforms.py"))


def spectral_peaks(signal, sample_rate, threshold=1e-3):
    """Frequencies (Hz) whose magnitude is a local maximum above threshold * the largest."""
    magnitude = np.abs(np.fft.rfft(signal)) / len(signal)
    frequencies = np.fft.rfftfreq(len(signal), 1 / sample_rate)
    big = magnitude > threshold * magnitude.max()
    local_max = np.r_[False, (magnitude[1:-1] >= magnitude[:-2]) & (magnitude[1:-1] >= magnitude[2:]), False]
    return frequencies[big & local_max]


@pytest.mark.parametrize(
    "waveform, f0, step",
    [
        ("square", 440.0, 2),
        ("triangle", 300.0, 2),
        ("sawtooth", 1000.0, 1),
        ("sawtooth", 130.0, 1),
        ("sine", 880.0, 1),
    ],
)
def test_05_synthesis_keeps_every_harmonic_below_nyquist_and_none_above(waveform, f0, step):
    example = load_audio_example()
    rate = example["SAMPLE_RATE"]
    signal = example["synthesize"](waveform, f0, 1.0, rate)  # one second: 1 Hz per FFT bin
    expected = [k * f0 for k in range(1, 1000, step) if k * f0 < rate / 2]
    if waveform == "sine":
        expected = [f0]
    np.testing.assert_allclose(spectral_peaks(signal, rate), expected)
    assert max(expected) < rate / 2  # so the sample rate is above twice the highest harmonic


def test_05_synthesis_has_the_right_shape():
    example = load_audio_example()
    rate, f0 = 8000, 100.0  # 39 harmonics below Nyquist: close to ideal
    t = np.arange(rate // 10) / rate
    phase = (f0 * t) % 1.0  # position in the cycle, 0..1
    ideal = {
        "square": np.where(phase < 0.5, 1.0, -1.0),
        "sawtooth": 2 * ((phase + 0.5) % 1.0) - 1,
        "triangle": 4 * np.abs(((phase - 0.25) % 1.0) - 0.5) - 1,
    }
    for name, target in ideal.items():
        signal = example["synthesize"](name, f0, 1.0, len(t))
        assert np.median(np.abs(signal - target)) < 0.05, name  # the median ignores Gibbs ringing


def test_05_audio_classification(tmp_path):
    results, stdout = run_example("05_audio_waveforms.py", tmp_path)
    predicted, true = results["predicted"], results["test_labels"]
    accuracy = float(np.mean(predicted == true))
    assert accuracy >= 0.9
    assert accuracy == pytest.approx(results["accuracy"])
    counts = results["confusion"]
    assert counts.sum() == len(true) and np.trace(counts) == np.sum(predicted == true)
    for i in range(4):
        assert counts[i].sum() == np.sum(true == i) and counts[:, i].sum() == np.sum(predicted == i)
    assert f"test accuracy: {accuracy:.1%}" in stdout
    assert 110 <= results["test_pitches"].min() and results["test_pitches"].max() <= 880
    wav, picture = map(Path, results["files"])
    with wave.open(str(wav)) as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (1, 2, 8000)
        assert file.getnframes() == 4 * 4000
    assert_png(picture)


def test_06_regression(tmp_path):
    results, _ = run_example("06_regression.py", tmp_path)
    true = results["test_prices"]
    rmse = {
        name: float(np.sqrt(np.mean((results[f"{name}_test_predictions"] - true) ** 2)))
        for name in ("mlp", "linear")
    }
    assert rmse["mlp"] == pytest.approx(results["mlp_test_rmse"])
    mean_only = float(np.sqrt(np.mean((true - true.mean()) ** 2)))  # the best constant guess, even
    assert rmse["mlp"] < 0.5 * mean_only  # knowing the test set's mean
    assert rmse["mlp"] < rmse["linear"]  # the non-linearity pays off
    for curve in ("mlp_train_curve", "mlp_test_curve"):
        assert len(results[curve]) == 400 and results[curve][-1] < results[curve][0] / 3
    assert_png(results["files"][0])
