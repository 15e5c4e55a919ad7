"""Example 8: image recognition on real handwriting, and the cost-vs-accuracy chart (tensor engine).

What it shows: four classifiers of handwritten digits, from the simplest to a small
residual network, and what each costs.
  * Data: scikit-learn's bundled ``load_digits``, 1,797 real 8x8 scans of handwritten digits
    (grey levels 0-16, shipped inside scikit-learn: nothing is downloaded). A fixed, stratified
    split keeps 450 of them aside as the test set; no model sees them while training.
  * Models, all reading a batch of images shaped (N, 1, 8, 8) (batch, channels, height, width):
      - logistic regression: Flatten, then ONE Linear 64 -> 10 (a weighted sum per class);
      - an MLP: Flatten, Linear 64 -> 64, ReLU, Linear 64 -> 10;
      - a LeNet-style CNN: two blocks of Conv2d (3x3 kernels, padding 1), ReLU and
        MaxPool2d(2) (8x8 -> 4x4 -> 2x2), then Flatten and two Linear layers. A convolution
        slides the same small kernel over every position, so a stroke is recognised wherever
        it is, with few weights that are used many times;
      - a small ResNet: a 3x3 convolution with batch normalisation, then two residual blocks
        (conv, BatchNorm, ReLU, conv, BatchNorm, plus the block's input: the skip connection)
        with a max-pool between them, then global average pooling (one number per channel,
        whatever the image size) and ONE Linear 8 -> 10. Batch normalisation uses the
        batch's statistics while training and its running averages when evaluating
        (``model.eval()``).
    Each is printed with ``nn.summary``: output shapes, parameters and multiply-adds per layer.
  * Training: the cross-entropy loss, Adam on mini-batches of 64, a decaying learning rate.
It draws the lecture's chart (test accuracy against multiply-adds per image, log axis, marker
size by parameters) from our own runs, the CNN's confusion matrix, and the test digits the CNN
gets wrong with their predicted and true labels.

Run:   python examples/08_digits.py [--quick] [--out out/]
Writes: out/digits.png (needs matplotlib): the cost-vs-accuracy chart, confusion matrix, mistakes
"""

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim

MODELS = ("logistic regression", "MLP", "CNN", "ResNet")


def load_digit_images(test_size=450, seed=0):
    """The digits as (N, 1, 8, 8) images scaled to [0, 1], split into training and test sets.

    Returns train_x, train_y, test_x, test_y and the two index arrays into ``load_digits()``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images[:, None, :, :] / 16.0  # (1797, 1, 8, 8), grey levels 0..16 -> 0..1
    train_index, test_index = train_test_split(
        np.arange(len(digits.target)), test_size=test_size, random_state=seed, stratify=digits.target
    )
    return (
        images[train_index],
        digits.target[train_index],
        images[test_index],
        digits.target[test_index],
        train_index,
        test_index,
    )


class ResidualBlock(nn.Module):
    """x -> relu(x + bn2(conv2(relu(bn1(conv1(x)))))): the block learns a correction to x."""

    def __init__(self, channels, rng):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False, rng=rng)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False, rng=rng)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):  # (N, C, H, W) -> (N, C, H, W)
        h = self.bn1(self.conv1(x)).relu()
        return (x + self.bn2(self.conv2(h))).relu()  # the skip connection


class SmallResNet(nn.Module):
    """Stem, residual block, pool, residual block, global average pooling, one Linear."""

    def __init__(self, rng, channels=8):
        super().__init__()
        self.stem = nn.Conv2d(1, channels, 3, padding=1, bias=False, rng=rng)  # (N, 8, 8, 8)
        self.bn = nn.BatchNorm2d(channels)
        self.block1 = ResidualBlock(channels, rng)  # (N, 8, 8, 8)
        self.pool = nn.MaxPool2d(2)  # -> (N, 8, 4, 4)
        self.block2 = ResidualBlock(channels, rng)  # (N, 8, 4, 4)
        self.gap = nn.AdaptiveAvgPool2d(1)  # -> (N, 8, 1, 1): each channel's mean
        self.fc = nn.Linear(channels, 10, rng=rng)

    def forward(self, x):
        h = self.bn(self.stem(x)).relu()
        h = self.block2(self.pool(self.block1(h)))
        return self.fc(self.gap(h).flatten(1))  # (N, 8) -> (N, 10)


def build(name, rng):
    """One of MODELS, with its initial weights drawn from ``rng``."""
    if name == "ResNet":
        return SmallResNet(rng)
    if name == "logistic regression":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 10, rng=rng))
    if name == "MLP":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 64, rng=rng), nn.ReLU(), nn.Linear(64, 10, rng=rng))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng),  # (N, 1, 8, 8) -> (N, 16, 8, 8)
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> (N, 16, 4, 4)
        nn.Conv2d(16, 32, 3, padding=1, rng=rng),  # -> (N, 32, 4, 4)
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> (N, 32, 2, 2)
        nn.Flatten(),  # -> (N, 128)
        nn.Linear(128, 64, rng=rng),
        nn.ReLU(),
        nn.Linear(64, 10, rng=rng),
    )


LEARNING_RATES = {"logistic regression": 0.05, "MLP": 0.01, "CNN": 0.005, "ResNet": 0.01}


def train(model, images, labels, steps, lr, seed=0, batch=64):
    """Adam on random mini-batches, the learning rate falling linearly to a tenth."""
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    model.train()  # batch normalisation: the batch's own statistics
    for step in range(steps):
        rows = rng.integers(0, len(labels), batch)
        loss = nn.cross_entropy(model(Tensor(images[rows])), labels[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = lr * (1 - 0.9 * step / steps)
        optimizer.step()
        if step % (steps // 3) == 0 or step == steps - 1:
            print(f"    step {step:4d}  loss {loss.item():.4f}")


def predict(model, images):
    model.eval()  # batch normalisation: the running statistics, so each image counts alone
    with no_grad():
        return model(Tensor(images)).numpy().argmax(axis=1)


def confusion_matrix(true, predicted, n_classes=10):
    """counts[i, j] = how many digits i were read as j."""
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (true, predicted), 1)
    return counts


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(15, 4.6))
    grid = figure.add_gridspec(2, 10, width_ratios=[1.5] * 3 + [1.3] * 3 + [0.8] * 4)
    chart = figure.add_subplot(grid[:, 0:3])
    for name in MODELS:
        cost, params, accuracy = (results[k][name] for k in ("mult_adds", "params", "accuracy"))
        chart.scatter(cost, 100 * accuracy, s=params / 15, alpha=0.6)
        chart.annotate(
            f"{name}\n{params:,} parameters",
            (cost, 100 * accuracy),
            xytext=(0, 14),
            textcoords="offset points",
            fontsize=8,
            ha="center",
        )
    chart.set_xscale("log")
    chart.set_xlim(200, 2e6)
    low = min(100 * a for a in results["accuracy"].values())
    chart.set_ylim(low - 2, 100.5)
    chart.set_xlabel("multiply-adds per image (log scale)")
    chart.set_ylabel("test accuracy (%)")
    chart.set_title("cost vs accuracy (marker area: parameters)")
    counts = results["confusion"]
    matrix = figure.add_subplot(grid[:, 3:6])
    matrix.imshow(counts, cmap="Blues")
    for (i, j), n in np.ndenumerate(counts):
        if n:
            colour = "white" if n > counts.max() / 2 else "black"
            matrix.text(j, i, str(n), ha="center", va="center", fontsize=7, color=colour)
    matrix.set_xticks(range(10))
    matrix.set_yticks(range(10))
    matrix.set_xlabel("predicted")
    matrix.set_ylabel("true")
    matrix.set_title(f"CNN on {counts.sum()} test digits: {np.trace(counts)} right")
    wrong = results["mistakes"][:8]
    for k in range(8):
        ax = figure.add_subplot(grid[k // 4, 6 + k % 4])
        ax.axis("off")
        if k < len(wrong):
            index, predicted, true = wrong[k]
            ax.imshow(results["test_images"][index, 0], cmap="gray_r")
            ax.set_title(f"{predicted} (is {true})", fontsize=9, color="crimson")
    shown = f"{len(wrong)} of {len(results['mistakes'])}"
    figure.text(0.84, 0.95, f"the CNN's mistakes ({shown}): predicted (true)", ha="center", fontsize=10)
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def main(out="out", quick=False):
    """Train the four models; return accuracies, costs, the CNN's predictions and the files."""
    steps = 400 if quick else 3000  # mini-batches of 64, for every model
    train_x, train_y, test_x, test_y, train_index, test_index = load_digit_images()
    print(f"{len(train_y)} training digits, {len(test_y)} test digits, each 8x8 pixels")
    results = {name: {} for name in ("accuracy", "params", "mult_adds", "predictions")}
    for name in MODELS:
        model = build(name, np.random.default_rng(0))
        summary = nn.summary(model, (1, 1, 8, 8))  # one image: costs per image
        print(f"\n{name}:\n{summary}")
        train(model, train_x, train_y, steps, LEARNING_RATES[name])
        predicted = predict(model, test_x)
        results["predictions"][name] = predicted
        results["accuracy"][name] = float(np.mean(predicted == test_y))
        results["params"][name] = summary.total_params
        results["mult_adds"][name] = summary.total_mult_adds
        print(f"  test accuracy: {results['accuracy'][name]:.1%}")
    cnn = results["predictions"]["CNN"]
    results["confusion"] = confusion_matrix(test_y, cnn)
    results["mistakes"] = [(int(i), int(cnn[i]), int(test_y[i])) for i in np.flatnonzero(cnn != test_y)]
    print("\nmodel                  params  mult-adds/image  test accuracy")
    for name in MODELS:
        print(
            f"{name:<20} {results['params'][name]:>8,} {results['mult_adds'][name]:>16,}"
            f"  {results['accuracy'][name]:.1%}"
        )
    results.update(test_images=test_x, test_labels=test_y, train_index=train_index, test_index=test_index)
    results["files"] = []
    try:
        results["files"].append(plot(results, Path(out) / "digits.png"))
        print(f"picture written to {results['files'][-1]}")
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="400 steps per model, not 3000: seconds")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
