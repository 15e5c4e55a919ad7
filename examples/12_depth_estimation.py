"""Example 12: depth estimation, regression with a whole image as the output (a small U-Net).

What it shows: the lecture's second regression example, y in [0, inf)^(W x H): from a photo,
predict the distance of every pixel.
  * Data: the real Middlebury 2014 "motorcycle" stereo scene that ships inside scikit-image
    (``skimage.data.stereo_motorcycle()``: nothing is downloaded): the left photo and its
    ground-truth disparity d (pixels). Depth in metres is focal x baseline / (d + doffs), with
    the calibration in that function's docstring (focal 994.978 px, baseline 193.001 mm, and
    doffs = 31.086 px, the offset between the two cameras' principal points, which the
    Middlebury formula adds to d). Pixels without ground truth (inf) are masked out of the
    loss and of every score. Everything is shrunk 4x (block means) to 125 x 185 pixels.
  * Split: the left part of the scene is for training (random 32 x 32 crops), the right part
    is held out and only predicted at the end, as one image (the net is convolutional).
  * Model: a U-Net with two levels: encoder conv 3->8 (32x32), pool, conv 8->16, pool, conv
    16->32 at the bottom; decoder ConvTranspose2d up, concatenation with the encoder's feature
    map of the same size (``Tensor.cat``, the skip), conv, twice; a 1x1 conv to one depth per
    pixel. Compared with the same net WITHOUT its skip connections (the decoder sees only the
    upsampled bottom) and with predicting the mean training depth everywhere.
  * Training: masked mean squared error on depth, Adam, mini-batches of 8 crops.
It prints each model's root-mean-square error on the held-out part and draws the held-out
photo, the true depth, the U-Net's predicted depth and its error.

Run:   python examples/12_depth_estimation.py [--quick] [--out out/]
Writes: out/depth.png (needs matplotlib)
"""

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim

FOCAL, BASELINE, DOFFS = 994.978, 0.193001, 31.086  # px, metres, px (skimage's docstring)
SHRINK, CROP, TRAIN_COLUMNS, TEST_COLUMNS = 4, 32, (0, 116), (124, 184)


def shrink(a, k):
    """(H, W, ...) -> (H // k, W // k, ...): the mean of each k x k block."""
    H, W = a.shape[0] // k * k, a.shape[1] // k * k
    return a[:H, :W].reshape(H // k, k, W // k, k, *a.shape[2:]).mean(axis=(1, 3))


def load_scene():
    """The photo (3, H, W) in [-0.5, 0.5], depth in metres (H, W) and its mask (H, W) of valid
    pixels (a shrunk pixel is valid if all 16 pixels it comes from have ground truth)."""
    from skimage.data import stereo_motorcycle

    left, _, disparity = stereo_motorcycle()  # (500, 741, 3) uint8, (500, 741) float32, inf: none
    valid = np.isfinite(disparity)
    depth = np.where(valid, FOCAL * BASELINE / (np.where(valid, disparity, 0.0) + DOFFS), 0.0)
    image = shrink(left.astype(np.float64) / 255.0 - 0.5, SHRINK).transpose(2, 0, 1)  # (3, 125, 185)
    mask = shrink(valid.astype(np.float64), SHRINK) == 1.0  # (125, 185)
    depth = np.where(mask, shrink(depth, SHRINK), 0.0)
    return image, depth, mask


class UNet(nn.Module):
    """Two levels down, two up; with ``skips`` the decoder also sees the encoder's maps."""

    def __init__(self, skips=True, rng=None):
        super().__init__()
        self.skips = skips
        extra = 1 if skips else 0  # the concatenation doubles the decoder's input channels
        self.enc1 = nn.Conv2d(3, 8, 3, padding=1, rng=rng)  # (N, 8, H, W)
        self.enc2 = nn.Conv2d(8, 16, 3, padding=1, rng=rng)  # (N, 16, H/2, W/2)
        self.bottom = nn.Conv2d(16, 32, 3, padding=1, rng=rng)  # (N, 32, H/4, W/4)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(32, 16, 2, stride=2, rng=rng)  # -> (N, 16, H/2, W/2)
        self.dec2 = nn.Conv2d(16 * (1 + extra), 16, 3, padding=1, rng=rng)
        self.up1 = nn.ConvTranspose2d(16, 8, 2, stride=2, rng=rng)  # -> (N, 8, H, W)
        self.dec1 = nn.Conv2d(8 * (1 + extra), 8, 3, padding=1, rng=rng)
        self.head = nn.Conv2d(8, 1, 1, rng=rng)  # one depth per pixel

    def forward(self, x):
        e1 = self.enc1(x).relu()
        e2 = self.enc2(self.pool(e1)).relu()
        b = self.bottom(self.pool(e2)).relu()
        u2 = self.up2(b)
        d2 = self.dec2(Tensor.cat([u2, e2], axis=1) if self.skips else u2).relu()
        u1 = self.up1(d2)
        d1 = self.dec1(Tensor.cat([u1, e1], axis=1) if self.skips else u1).relu()
        return self.head(d1)  # (N, 1, H, W)


def masked_mse(predicted, target, mask):
    """Mean of (predicted - target)^2 over the valid pixels only."""
    diff = (predicted - Tensor(target)) * Tensor(mask)
    return (diff * diff).sum() / max(float(mask.sum()), 1.0)


def random_crops(image, depth, mask, columns, n, rng):
    """n random CROP x CROP crops inside the given columns: (n, 3, C, C), (n, 1, C, C) twice."""
    rows = rng.integers(0, image.shape[1] - CROP + 1, n)
    cols = rng.integers(columns[0], columns[1] - CROP + 1, n)
    pick = [(slice(r, r + CROP), slice(c, c + CROP)) for r, c in zip(rows, cols, strict=True)]
    x = np.stack([image[:, r, c] for r, c in pick])
    y = np.stack([depth[None, r, c] for r, c in pick])
    m = np.stack([mask[None, r, c] for r, c in pick]).astype(np.float64)
    return x, y, m


def train(model, scene, steps, mean_depth, seed=0, batch=8, lr=3e-3):
    image, depth, mask = scene
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        x, y, m = random_crops(image, depth, mask, TRAIN_COLUMNS, batch, rng)
        loss = masked_mse(model(Tensor(x)) + mean_depth, y, m)  # the net predicts depth - mean
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % max(steps // 4, 1) == 0 or step == steps - 1:
            print(f"    step {step:4d}  loss {loss.item():.4f}")


def held_out(scene):
    """The test part of the scene, cut to a multiple of 4 pixels (two poolings)."""
    image, depth, mask = scene
    H = image.shape[1] // 4 * 4
    c0, c1 = TEST_COLUMNS
    return image[:, :H, c0:c1], depth[:H, c0:c1], mask[:H, c0:c1]


def rmse(predicted, depth, mask):
    return float(np.sqrt(np.mean((predicted[mask] - depth[mask]) ** 2)))


def plot(image, depth, mask, predicted, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = np.where(mask, depth, np.nan)  # no ground truth: blank
    low, high = np.nanpercentile(shown, [1, 99])
    figure, axes = plt.subplots(1, 4, figsize=(12, 5))
    axes[0].imshow(np.clip(image.transpose(1, 2, 0) + 0.5, 0, 1))
    axes[0].set_title("held-out photo (input)")
    for ax, data, title in ((axes[1], shown, "true depth (m)"), (axes[2], predicted, "U-Net's depth (m)")):
        im = ax.imshow(data, cmap="viridis", vmin=low, vmax=high)
        ax.set_title(title)
    figure.colorbar(im, ax=axes[1:3], shrink=0.7)
    error = np.where(mask, np.abs(predicted - depth), np.nan)
    im = axes[3].imshow(error, cmap="magma")
    axes[3].set_title("|error| (m), masked")
    figure.colorbar(im, ax=axes[3], shrink=0.7)
    for ax in axes:
        ax.axis("off")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def main(out="out", quick=False):
    """Train the U-Net with and without skips; return their held-out errors and the files."""
    steps = 150 if quick else 1500
    scene = load_scene()
    image, depth, mask = scene
    train_part = mask[:, TRAIN_COLUMNS[0] : TRAIN_COLUMNS[1]]
    mean_depth = float(depth[:, TRAIN_COLUMNS[0] : TRAIN_COLUMNS[1]][train_part].mean())
    print(f"scene {image.shape[1]}x{image.shape[2]} pixels, {mask.mean():.0%} with ground truth; ", end="")
    print(f"depth {depth[mask].min():.2f} to {depth[mask].max():.2f} m, training mean {mean_depth:.2f} m")
    test_image, test_depth, test_mask = held_out(scene)
    results = {
        "rmse": {"predict the mean": rmse(np.full(test_depth.shape, mean_depth), test_depth, test_mask)}
    }
    predictions = {}
    for name, skips in (("U-Net", True), ("no skips", False)):
        model = UNet(skips=skips, rng=np.random.default_rng(0))
        print(f"\n{name}: {sum(p.data.size for p in model.parameters()):,} parameters")
        train(model, scene, steps, mean_depth)
        with no_grad():
            predicted = model(Tensor(test_image[None])).numpy()[0, 0] + mean_depth
        predictions[name] = predicted
        results["rmse"][name] = rmse(predicted, test_depth, test_mask)
    print("\nheld-out root-mean-square error (m):")
    for name, value in results["rmse"].items():
        print(f"  {name:<17} {value:.3f}")
    results.update(predictions=predictions, test_depth=test_depth, test_mask=test_mask, steps=steps)
    results["mean_depth"], results["files"] = mean_depth, []
    try:
        results["files"].append(
            plot(test_image, test_depth, test_mask, predictions["U-Net"], Path(out) / "depth.png")
        )
        print(f"picture written to {results['files'][-1]}")
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the picture (default: out/)")
    parser.add_argument("--quick", action="store_true", help="150 steps per model, not 1500: seconds")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
