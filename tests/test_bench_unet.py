"""benchmarks/bench_unet.py runs, and its engines agree: the script checks every engine's first
losses against the hand-written U-Net step (and exits if one disagrees)."""

import numpy as np
from test_bench_rnn import load_script


def test_bench_unet_quick_run_agrees_and_reports_ratios(capsys):
    bench = load_script("bench_unet")
    results = bench.main(["--quick", "--image", "8", "--batch-sizes", "2"])  # torch too, if installed
    ratios = {name: r["ratio"] for name, r in results[2].items()}
    assert ratios["numpy (by hand)"] == 1.0 and ratios["tinygrad_edu.Tensor"] > 0
    assert "tinygrad_edu / numpy" in capsys.readouterr().out


def test_hand_written_unet_step_matches_the_engine():
    # the reference itself is right: two steps of its SGD equal tinygrad_edu's, every parameter
    bench = load_script("bench_unet")
    X, target, weights = bench.make_problem(batch=3, image=8, seed=1)
    by_hand, engine = bench.NumpyStep(X, target, weights), bench.TensorStep(X, target, weights)
    for _ in range(2):
        loss = by_hand()
        assert abs(loss - engine()) < 1e-12 * loss
    for p, q in zip(by_hand.params, engine.params, strict=True):
        np.testing.assert_allclose(p, q.data, rtol=1e-12, atol=1e-14)
    # and the parameters moved: the step did something
    assert max(np.abs(p - w).max() for p, w in zip(by_hand.params, weights, strict=True)) > 1e-4
