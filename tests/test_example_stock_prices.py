"""Example 11 (stock prices) runs in quick mode, and its numbers are recomputed here from the
returned predictions and matplotlib's own copy of the data."""

import numpy as np
from test_examples import assert_png, run_example


def test_11_stock_prices(tmp_path):
    from matplotlib import cbook

    results, stdout = run_example("11_stock_prices.py", tmp_path)
    close = cbook.get_sample_data("goog.npz")["price_data"]["close"]
    split = results["split"]
    assert split == int(len(close) * 0.8) and len(close) == 1047
    actual = close[split:]
    np.testing.assert_array_equal(results["actual"], actual)
    np.testing.assert_array_equal(results["predictions"]["naive"], close[split - 1 : -1])  # tomorrow = today
    names = ["naive"] + [
        f"{m} ({t})" for t in ("price", "return") for m in ("linear AR", "RNN", "GRU", "LSTM")
    ]
    assert sorted(results["predictions"]) == sorted(names)
    for name, pred in results["predictions"].items():
        assert pred.shape == actual.shape and np.all(np.isfinite(pred))
        rmse = np.sqrt(np.mean((pred - actual) ** 2))
        assert abs(results["rmse"][name] - rmse) < 1e-9
        assert f"{name:<20} {rmse:7.2f}" in stdout
    naive = results["rmse"]["naive"]
    # the lesson: with returns as target every model ties with "tomorrow = today" (within 10%)
    for m in ("linear AR", "RNN", "GRU", "LSTM"):
        assert 0.9 * naive < results["rmse"][f"{m} (return)"] < 1.1 * naive
    for t in ("price", "return"):  # every network trained: its loss went down
        for m in ("RNN", "GRU", "LSTM"):
            curve = results[f"curves_{t}"][m]
            assert curve[-1] < curve[0]
    assert_png(results["files"][0])
