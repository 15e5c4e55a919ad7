"""Example 5: tell sine, square, sawtooth and triangle tones apart (tensor engine).

What it shows: classification on sound.
  * Synthesis: every tone is a sum of sines, its Fourier series, at a random pitch
    (110-880 Hz, log-uniform) and loudness. A digital signal sampled at rate fs can only hold
    frequencies below the Nyquist frequency fs/2; a harmonic above it would fold back
    (alias) to a wrong, lower pitch. So we keep only the harmonics k*f0 < fs/2 and check it.
        square   = 4/pi   * sum over odd k  of sin(k w t) / k
        sawtooth = 2/pi   * sum over all k  of (-1)**(k+1) sin(k w t) / k
        triangle = 8/pi^2 * sum over odd k  of (-1)**((k-1)/2) sin(k w t) / k**2
  * Features: the magnitude spectrum |rfft| of a Hann-windowed frame, normalised to its peak
    (so loudness does not matter) and put on a log (decibel-like) scale.
  * Model: an MLP 257 -> 64 -> 4 trained with the cross-entropy loss and Adam on
    mini-batches; the class is the largest of the 4 outputs (logits).
It prints the test accuracy, draws waveforms, spectra and the confusion matrix, and writes a
.wav file with one tone of each kind, so you can listen to what the network hears.

Run:   python examples/05_audio_waveforms.py [--quick] [--out out/]
Writes: out/audio_waveforms.png (needs matplotlib), out/audio_tones.wav
"""

import argparse
import wave
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim

SAMPLE_RATE = 8000  # samples per second: Nyquist frequency 4000 Hz
FRAME = 512  # samples per example (64 ms): rfft gives 257 frequency bins
WAVEFORMS = ("sine", "square", "sawtooth", "triangle")


def fourier_series(waveform, f0, sample_rate=SAMPLE_RATE):
    """The harmonics k (multiples of f0) and their amplitudes, keeping only k*f0 < Nyquist.

    >>> fourier_series("square", 1000.0)[0].tolist()  # 5000 Hz and up would alias
    [1, 3]
    """
    nyquist = sample_rate / 2
    k = np.arange(1, int(nyquist // f0) + 1)
    k = k[k * f0 < nyquist]
    if waveform == "sine":
        k, amplitudes = k[:1], np.ones(1)
    elif waveform == "square":
        k = k[k % 2 == 1]
        amplitudes = 4 / (np.pi * k)
    elif waveform == "sawtooth":
        amplitudes = 2 / (np.pi * k) * (-1.0) ** (k + 1)
    elif waveform == "triangle":
        k = k[k % 2 == 1]
        amplitudes = 8 / (np.pi**2 * k**2) * (-1.0) ** ((k - 1) // 2)
    else:
        raise ValueError(f"unknown waveform {waveform!r}; choose from {WAVEFORMS}")
    assert sample_rate > 2 * k.max() * f0, "a harmonic at or above Nyquist would alias"
    return k, amplitudes


def synthesize(waveform, f0, loudness, n_samples, rng=None, sample_rate=SAMPLE_RATE, noise=0.01):
    """``n_samples`` of a tone by additive synthesis, starting at a random point of its cycle."""
    k, amplitudes = fourier_series(waveform, f0, sample_rate)
    start = 0.0 if rng is None else rng.uniform(0, 1 / f0)
    t = start + np.arange(n_samples) / sample_rate  # (n_samples,) seconds
    partials = amplitudes[:, None] * np.sin(2 * np.pi * f0 * k[:, None] * t)  # (harmonics, n_samples)
    signal = loudness * partials.sum(axis=0)
    if rng is not None and noise:
        signal = signal + rng.normal(scale=noise * loudness, size=n_samples)  # a little hiss
    return signal


def spectrum_features(signal):
    """Log magnitude spectrum in [0, 1]: 0 is 60 dB below the strongest frequency, 1 is it."""
    magnitude = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))  # (FRAME // 2 + 1,)
    magnitude = magnitude / magnitude.max()
    return (np.log10(magnitude + 1e-3) + 3) / 3


def make_dataset(n, rng):
    """``n`` random tones: features (n, 257), labels (n,) indexing WAVEFORMS, and the pitches."""
    labels = rng.integers(0, len(WAVEFORMS), n)
    pitches = np.exp(rng.uniform(np.log(110), np.log(880), n))  # A2 to A5, log-uniform
    loudness = rng.uniform(0.2, 1.0, n)
    features = np.stack(
        [
            spectrum_features(synthesize(WAVEFORMS[c], f0, a, FRAME, rng))
            for c, f0, a in zip(labels, pitches, loudness, strict=True)
        ]
    )
    return features, labels, pitches


def train(features, labels, steps, rng, batch=64, lr=5e-3):
    np.random.seed(0)  # nn.Linear's initial weights
    model = nn.Sequential(nn.Linear(features.shape[1], 64), nn.ReLU(), nn.Linear(64, len(WAVEFORMS)))
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        rows = rng.integers(0, len(labels), batch)  # a random mini-batch
        loss = nn.cross_entropy(model(Tensor(features[rows])), labels[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = lr * (1 - 0.9 * step / steps)
        optimizer.step()
        if step % (steps // 5) == 0 or step == steps - 1:
            print(f"  step {step:4d}  loss {loss.item():.4f}")
    return model


def confusion_matrix(true, predicted, n_classes):
    """counts[i, j] = how many tones of class i were predicted as class j."""
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (true, predicted), 1)
    return counts


def write_wav(path, signal, sample_rate=SAMPLE_RATE):
    """A mono 16-bit .wav file (Python's wave module)."""
    pcm = np.round(np.clip(signal, -1, 1) * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(sample_rate)
        file.writeframes(pcm.tobytes())
    return path


def plot(counts, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    frequencies = np.fft.rfftfreq(FRAME, 1 / SAMPLE_RATE)
    t_ms = np.arange(FRAME) / SAMPLE_RATE * 1000
    for i, name in enumerate(WAVEFORMS):
        signal = synthesize(name, 220.0, 0.8, FRAME)
        axes[0].plot(t_ms[:80], signal[:80] + 2.2 * (3 - i), label=name)
        axes[1].plot(frequencies, spectrum_features(signal) + 1.1 * (3 - i), linewidth=0.8, label=name)
    axes[0].set_title("four tones at 220 Hz")
    axes[0].set_xlabel("time (ms)")
    axes[0].set_yticks([])
    axes[0].legend(fontsize=7, loc="upper right")
    axes[1].set_title("features: log magnitude spectra")
    axes[1].set_xlabel("frequency (Hz), Nyquist = 4000")
    axes[1].set_yticks([])
    axes[2].imshow(counts, cmap="Blues")
    for (i, j), n in np.ndenumerate(counts):
        axes[2].text(
            j, i, str(n), ha="center", va="center", color="white" if n > counts.max() / 2 else "black"
        )
    axes[2].set_xticks(range(len(WAVEFORMS)), WAVEFORMS, fontsize=8)
    axes[2].set_yticks(range(len(WAVEFORMS)), WAVEFORMS, fontsize=8)
    axes[2].set_xlabel("predicted")
    axes[2].set_ylabel("true")
    axes[2].set_title(f"test set: {np.trace(counts) / counts.sum():.1%} correct")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def main(out="out", quick=False):
    """Synthesize, train, test; return the test accuracy, the confusion matrix and the files."""
    rng = np.random.default_rng(0)
    n_train, steps = (2000, 1200) if quick else (4000, 2000)
    train_x, train_y, _ = make_dataset(n_train, rng)
    test_x, test_y, test_pitches = make_dataset(1000, rng)
    print(f"{n_train} training tones, {len(test_y)} test tones, {train_x.shape[1]} spectrum features each")
    model = train(train_x, train_y, steps, rng)
    with no_grad():
        predicted = model(Tensor(test_x)).numpy().argmax(axis=1)  # (n_test,)
    accuracy = float(np.mean(predicted == test_y))
    counts = confusion_matrix(test_y, predicted, len(WAVEFORMS))
    print(f"test accuracy: {accuracy:.1%}")
    print("confusion matrix (rows: true, columns: predicted):")
    for name, row in zip(WAVEFORMS, counts, strict=True):
        print(f"  {name:>9} " + " ".join(f"{n:4d}" for n in row))

    tones = np.concatenate([synthesize(name, 220.0, 0.5, SAMPLE_RATE // 2) for name in WAVEFORMS])
    files = [write_wav(Path(out) / "audio_tones.wav", tones)]
    try:
        files.append(plot(counts, Path(out) / "audio_waveforms.png"))
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    print("wrote " + ", ".join(str(f) for f in files))
    return {
        "accuracy": accuracy,
        "confusion": counts,
        "predicted": predicted,
        "test_labels": test_y,
        "test_pitches": test_pitches,
        "files": files,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="fewer tones and steps: a few seconds")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
