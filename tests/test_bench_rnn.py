"""benchmarks/bench_rnn.py runs, and its engines agree: the script checks every engine's first
losses against the hand-written BPTT (and exits if one disagrees)."""

import importlib.util
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_script(name="bench_rnn"):
    """The script benchmarks/<name>.py as a module (its main() not run)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_rnn_quick_run_agrees_and_reports_ratios(capsys):
    results = load_script().main(["--quick", "--no-torch", "--hidden-sizes", "5"])
    ratios = {name: r["ratio"] for name, r in results[5].items()}
    assert ratios["numpy (by hand)"] == 1.0 and ratios["tinygrad_edu RNNCell loop"] > 0
    assert ratios["tinygrad_edu nn.RNN"] > 0
    assert "tinygrad_edu / numpy" in capsys.readouterr().out


def test_hand_written_bptt_gradient_matches_the_engine():
    # the reference itself is right: one step of its SGD equals tinygrad_edu's step
    bench = load_script()
    X, y, weights = bench.make_problem(hidden=3, seed=1)
    by_hand, engine = bench.NumpyStep(X, y, weights), bench.TinygradStep(X, y, weights)
    assert abs(by_hand() - engine()) < 1e-12
    for p, q in zip(by_hand.params, engine.cell.parameters() + engine.readout.parameters(), strict=True):
        np.testing.assert_allclose(p, q.data, rtol=1e-12, atol=1e-14)


def test_bench_lstm_quick_run_agrees_and_reports_ratios(capsys):
    results = load_script("bench_lstm").main(["--quick", "--hidden-sizes", "5"])  # torch too, if installed
    ratios = {name: r["ratio"] for name, r in results[5].items()}
    assert ratios["numpy (by hand)"] == 1.0 and ratios["tinygrad_edu nn.LSTM"] > 0
    assert ratios["tinygrad_edu LSTMCell loop"] > 0
    assert "tinygrad_edu / numpy" in capsys.readouterr().out
