"""Example 11: predicting tomorrow's stock price with RNN, GRU and LSTM (sequence modules).

What it shows: the lecture's regression slide for recurrent networks, done honestly. The data are
the daily closing prices of Google from August 2004 to October 2008 that ship inside matplotlib
(``matplotlib.cbook.get_sample_data('goog.npz')``: nothing is downloaded). From a window of the
past 20 days each model predicts the next day's close; the last 20% of the days (mid 2007 to
October 2008, the crash included) are held out and never seen in training.
  * Baselines: "tomorrow = today" (the naive forecast) and a linear autoregression (the next
    value as a weighted sum of the window, least squares).
  * nn.RNN, nn.GRU and nn.LSTM (hidden 16, one layer, batch_first) with a linear readout of the
    last hidden state, trained full-batch with Adam on the mean squared error.
  * Two targets. "price": the window of (standardised) prices in, the next price out. "return":
    the window of daily log returns in, the next return out, turned back into a price as
    today's price x exp(predicted return).
The lesson: prices are close to a random walk, so the naive forecast is very hard to beat, and
nothing here beats it on the held-out stretch (it falls from 700 to 330 $ after rising years).
Measured (RMSE in $, naive 14.98): with 300 epochs (the default) the price models come within
4-16% of it (linear AR 3%); the return models overfit the noise of the training returns (RNN
+13%, GRU and LSTM about +30%), while after the 30 epochs of --quick they still predict returns
near zero, i.e. they rediscover "tomorrow = today" and tie with it (within 2%). What the target
is changes the picture; what a network can learn from yesterday's prices does not.

Run:   python examples/11_stock_prices.py [--quick] [--out out/]
Writes: out/stock_prices.png (needs matplotlib): held-out predictions and their errors
"""

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim

WINDOW, HIDDEN, TEST_SHARE = 20, 16, 0.2
MODELS = ("RNN", "GRU", "LSTM")


def load_prices():
    """Dates and closing prices (1,047 trading days) from matplotlib's sample data."""
    from matplotlib import cbook

    data = cbook.get_sample_data("goog.npz")["price_data"]
    return data["date"], data["close"].astype(np.float64)


def windows(series, window=WINDOW):
    """X (n, window, 1): every run of `window` values; y (n,): the value right after each."""
    n = len(series) - window
    X = np.stack([series[i : i + window] for i in range(n)])[:, :, None]
    return X, series[window:]


class Forecaster(nn.Module):
    """A recurrent layer over the window, then a linear readout of the last hidden state."""

    def __init__(self, kind, rng):
        super().__init__()
        self.rnn = getattr(nn, kind)(1, HIDDEN, batch_first=True, rng=rng)
        self.readout = nn.Linear(HIDDEN, 1, rng=rng)

    def forward(self, x):  # x (batch, window, 1)
        output, _ = self.rnn(x)  # (batch, window, hidden)
        return self.readout(output[:, -1]).reshape(-1)  # (batch,)


def train(kind, X, y, epochs, seed):
    model = Forecaster(kind, np.random.default_rng(seed))
    opt = optim.Adam(model.parameters(), lr=0.01)
    X, y = Tensor(X), Tensor(y)
    losses = []
    for _ in range(epochs):
        opt.zero_grad()
        loss = nn.mse_loss(model(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


def predict(model, X):
    with no_grad():
        return model(Tensor(X)).data


def autoregression(X, y):
    """Least-squares weights w, b of y ~ X w + b (X (n, window))."""
    A = np.hstack([X, np.ones((len(X), 1))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return lambda Z: np.hstack([Z, np.ones((len(Z), 1))]) @ coef


def run_target(target, close, split, epochs):
    """Held-out price predictions of every model for one target ('price' or 'return')."""
    if target == "price":  # standardise with the training days only
        mean, std = close[:split].mean(), close[:split].std()
        series = (close - mean) / std
        to_price = lambda pred, today: pred * std + mean  # noqa: E731
    else:  # log returns r_t = log(p_t / p_(t-1)); the series is one shorter
        series = np.diff(np.log(close)) * 100  # in percent: numbers of order 1 for the networks
        to_price = lambda pred, today: today * np.exp(pred / 100)  # noqa: E731
    X, y = windows(series)
    offset = len(close) - len(y)  # y[i] is the value of day offset + i
    train_rows = np.arange(len(y)) < split - offset
    today = close[offset - 1 : -1]  # the last known close before each target day
    predictions, curves = {}, {}
    ar = autoregression(X[train_rows, :, 0], y[train_rows])
    predictions["linear AR"] = to_price(ar(X[~train_rows, :, 0]), today[~train_rows])
    for seed, kind in enumerate(MODELS):
        model, curves[kind] = train(kind, X[train_rows], y[train_rows], epochs, seed)
        predictions[kind] = to_price(predict(model, X[~train_rows]), today[~train_rows])
    return predictions, curves, offset


def main(out="out", quick=False):
    """Train and test every model on both targets; return the held-out predictions and errors."""
    dates, close = load_prices()
    split = int(len(close) * (1 - TEST_SHARE))  # the held-out stretch: days split .. end
    epochs = 30 if quick else 300
    actual = close[split:]
    results = {"dates": dates[split:], "actual": actual, "split": split, "rmse": {}, "predictions": {}}
    naive = close[split - 1 : -1]  # tomorrow = today
    results["predictions"]["naive"] = naive
    print(f"{len(close)} trading days; held out: {len(actual)} days from {dates[split]} to {dates[-1]}")
    print(
        f"training prices {close[:split].min():.0f}-{close[:split].max():.0f} $, "
        f"held-out {actual.min():.0f}-{actual.max():.0f} $"
    )
    for target in ("price", "return"):
        predictions, curves, offset = run_target(target, close, split, epochs)
        for name, pred in predictions.items():
            results["predictions"][f"{name} ({target})"] = pred[-len(actual) :]
        results[f"curves_{target}"] = curves
    for name, pred in results["predictions"].items():
        results["rmse"][name] = float(np.sqrt(np.mean((pred - actual) ** 2)))
    print(f"\nheld-out error of the next day's close (RMSE, $), {epochs} epochs:")
    for name, rmse in results["rmse"].items():
        ratio = rmse / results["rmse"]["naive"]
        print(f"  {name:<20} {rmse:7.2f}   ({ratio:.2f}x the naive forecast)")
    best = min(results["rmse"], key=results["rmse"].get)
    print(f"best: {best}. Prices are close to a random walk: 'tomorrow = today' is hard to beat.")
    results["files"] = []
    try:
        results["files"].append(plot(results, Path(out) / "stock_prices.png"))
        print(f"picture written to {results['files'][-1]}")
    except ImportError:  # pragma: no cover - matplotlib is needed for the data itself
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    return results


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(3, 1, figsize=(11, 11), sharex=True)
    dates, actual = results["dates"], results["actual"]
    for ax, target in zip(axes[:2], ("price", "return"), strict=True):
        ax.plot(dates, actual, color="black", lw=2, label="actual close")
        ax.plot(dates, results["predictions"]["naive"], color="grey", lw=1, label="naive: tomorrow = today")
        for name, pred in results["predictions"].items():
            if name.endswith(f"({target})"):
                ax.plot(dates, pred, lw=1, label=f"{name}: RMSE {results['rmse'][name]:.1f}")
        ax.set_title(f"held-out stretch, target = {target}")
        ax.set_ylabel("$")
        ax.legend(fontsize=8)
    for name, pred in results["predictions"].items():
        if "(return)" in name or name == "naive":
            axes[2].plot(dates, pred - actual, lw=1, label=name)
    axes[2].axhline(0, color="black", lw=0.5)
    axes[2].set_title("errors (prediction - actual) with returns as target: all close to the naive one")
    axes[2].set_ylabel("$")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the picture (default: out/)")
    parser.add_argument("--quick", action="store_true", help="fewer training epochs: a few seconds")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
