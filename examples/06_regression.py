"""Example 6: regression with the tensor engine: what is a second-hand guitar worth?

What it shows: regression predicts a real number, here a price, instead of a class. The
output layer is linear (no activation: any value is allowed) and the loss is the mean
squared error. The data are synthetic but price-like: the price depends on the guitar's age,
condition, maker tier and whether it comes with a case, in a non-linear way (prices halve
every ~28 years, except that top-tier guitars turn "vintage" after 30 years and gain value),
times multiplicative noise: the same guitar sells for a bit more or less on different days.
We split the data into a training and a test set and record both losses at every step: the
training loss measures fit, the test loss generalisation. A linear model (one nn.Linear)
trained the same way is the baseline the MLP has to beat. In the full run, watch the MLP's
test curve: it reaches its lowest point and then creeps up again while the training loss keeps
falling; the network has begun to fit the noise of its 600 guitars (overfitting).

Run:   python examples/06_regression.py [--quick] [--out out/]
Writes: out/regression.png (needs matplotlib): train/test loss curves and predicted vs true prices
"""

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim

FEATURES = ("age (years)", "condition (0-1)", "maker tier (0-2)", "has a case (0/1)")


def guitar_prices(n, rng, noise=0.15):
    """n guitars: features (n, 4) and prices in euros (n,)."""
    age = rng.uniform(0, 60, n)
    condition = rng.uniform(0, 1, n)
    tier = rng.integers(0, 3, n).astype(float)
    has_case = rng.integers(0, 2, n).astype(float)
    price = 250 * 2.2**tier  # better makers cost more...
    price = price * (0.4 + condition)  # ...so does a guitar in good shape...
    price = price * 0.5 ** (age / 28)  # ...it loses value with age...
    vintage = (tier == 2) & (age > 30)
    price = price * np.where(vintage, 1 + (age - 30) / 15, 1.0)  # ...unless it is a vintage top model
    price = price + 120 * has_case
    price = price * np.exp(rng.normal(0, noise, n))  # the market's mood
    return np.stack([age, condition, tier, has_case], axis=1), price


class Standardizer:
    """Shift and scale each column to mean 0 and standard deviation 1 (fitted on training data)."""

    def __init__(self, data):
        self.mean, self.std = data.mean(axis=0), data.std(axis=0)

    def __call__(self, data):
        return (data - self.mean) / self.std

    def undo(self, data):
        return data * self.std + self.mean


def train(model, x_train, y_train, x_test, y_test, steps, lr=0.01, batch=64, seed=0):
    """Adam on mini-batches; returns the full training and test MSE after every step."""
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    train_curve, test_curve = [], []
    for step in range(steps):
        rows = rng.integers(0, len(y_train), batch)
        loss = nn.mse_loss(model(Tensor(x_train[rows])), Tensor(y_train[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = lr * (1 - 0.9 * step / steps)
        optimizer.step()
        with no_grad():  # evaluation: no graph needed
            train_curve.append(nn.mse_loss(model(Tensor(x_train)), Tensor(y_train)).item())
            test_curve.append(nn.mse_loss(model(Tensor(x_test)), Tensor(y_test)).item())
    return train_curve, test_curve


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, color in (("mlp", "C0"), ("linear", "C1")):
        left.plot(results[f"{name}_train_curve"], color=color, label=f"{name}: train")
        left.plot(results[f"{name}_test_curve"], "--", color=color, label=f"{name}: test")
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_title("mean squared error (standardized prices)")
    left.legend(fontsize=8)
    true, predicted = results["test_prices"], results["mlp_test_predictions"]
    right.scatter(true, results["linear_test_predictions"], s=8, color="C1", alpha=0.6, label="linear")
    right.scatter(true, predicted, s=8, color="C0", alpha=0.8, label="MLP")
    top = max(true.max(), predicted.max())
    right.plot([0, top], [0, top], color="grey", linewidth=0.8)
    right.set_xlabel("true price (EUR)")
    right.set_ylabel("predicted price (EUR)")
    right.set_title("test set")
    right.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def main(out="out", quick=False):
    """Train an MLP and a linear baseline; return errors, curves, predictions and files."""
    rng = np.random.default_rng(0)
    n_train, steps = (300, 400) if quick else (600, 1500)
    x_train_raw, price_train = guitar_prices(n_train, rng)
    x_test_raw, price_test = guitar_prices(300, rng)
    scale_x = Standardizer(x_train_raw)  # statistics of the training set only:
    scale_y = Standardizer(price_train)  # the test set stays unseen
    x_train, x_test = scale_x(x_train_raw), scale_x(x_test_raw)  # (n, 4)
    y_train, y_test = scale_y(price_train)[:, None], scale_y(price_test)[:, None]  # (n, 1)

    results = {"test_prices": price_test}
    np.random.seed(0)
    models = {
        "mlp": nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)),
        "linear": nn.Linear(4, 1),
    }
    for name, model in models.items():
        train_curve, test_curve = train(model, x_train, y_train, x_test, y_test, steps)
        with no_grad():
            predictions = scale_y.undo(model(Tensor(x_test)).numpy()[:, 0])  # back to euros
        rmse = float(np.sqrt(np.mean((predictions - price_test) ** 2)))
        results.update(
            {
                f"{name}_train_curve": train_curve,
                f"{name}_test_curve": test_curve,
                f"{name}_test_predictions": predictions,
                f"{name}_test_rmse": rmse,
            }
        )
        best = int(np.argmin(test_curve))
        print(
            f"{name:>6}: final MSE train {train_curve[-1]:.3f}, test {test_curve[-1]:.3f} "
            f"(lowest test {test_curve[best]:.3f} at step {best}); test RMSE {rmse:4.0f} EUR"
        )
    baseline = float(np.sqrt(np.mean((price_train.mean() - price_test) ** 2)))
    results["mean_baseline_rmse"] = baseline
    print(f"always predicting the average training price: test RMSE {baseline:4.0f} EUR")

    results["files"] = []
    try:
        results["files"].append(plot(results, Path(out) / "regression.png"))
        print(f"picture written to {results['files'][-1]}")
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="fewer guitars and steps: a few seconds")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
