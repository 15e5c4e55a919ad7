"""Example 9: a feedback loop over sound: an RNN continues a tone; a gated one remembers the pitch.

Run:   python examples/09_recurrent_sound.py [--quick] [--out out/]
Writes: out/recurrent_sound.png (needs matplotlib; its second row compares RNN, GRU and LSTM),
        out/recurrent_sound.wav (a note, then the network's continuation of it),
        out/rnn_unrolled.svg (the graph of three time steps; .dot text without Graphviz's dot)

What it shows: a recurrent network reads a signal one sample at a time and carries what it
has heard in its hidden state h.
  * The data: notes of one pitch, A4 = 440 Hz, sampled at 8,000 Hz (about 18 samples per
    cycle), each with its own loudness, starting phase and brightness (how much of the 2nd and
    3rd harmonic it has). Held-out notes, never seen in training, test the network.
  * The model: ``nn.RNNCell(1, 32)``, h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh), and
    a ``Linear(32, 1)`` readout that predicts the next sample from h_t. A sequence is a plain
    Python loop over the samples; the loop unrolls into one long graph, so backpropagation
    through time (BPTT) is the ordinary ``backward()`` on the loss at the end: the gradient
    flows back through every step into the same four weight arrays, and the steps' shares add.
  * Training in two stages (Adam): first with *teacher forcing*, the network always reads the
    true samples and learns to predict the next one (the mean squared error of that one-step
    prediction); then with its own output fed back in for up to 64 samples after reading 48
    true ones, so it also learns to continue a tone on its own, and the gradient flows
    through the feedback loop too.
  * The test: the one-step prediction error on the held-out notes, against the simplest
    guess, "the next sample equals the last one". Then the network continues each note on its
    own, sample after sample, from nothing but its own previous outputs.

Several pitches: where a gated cell does better. Trained the same way on a range of pitches,
this RNNCell still predicts one step ahead well, but left on its own its continuation fades to
a whisper within a few cycles: to keep going it has to remember *which* pitch it is playing.
The second part measures exactly that, for the plain (Elman) RNN and the two gated cells:
  * The data: notes of any pitch between 220 and 660 Hz (random loudness, phase, brightness;
    the loudness stays the same: the notes do not fade). The network hears the first 32
    samples (teacher forcing: it reads the true samples), then the note goes on for 64 more
    samples while the network hears silence, with a second input that says "hearing" (1) or
    "not hearing" (0). It must go on playing the note from its memory alone: the pitch, the
    loudness and where in the cycle it is.
  * The models: ``nn.RNN(2, 64)``, ``nn.GRU(2, 37)``, ``nn.LSTM(2, 32)`` with a Linear readout,
    about 4,500 parameters each (the RNN gets a wider hidden state to make up for having no
    gates). They are the sequence modules, one graph node for a whole sequence: fast. All
    three see the same 600 batches (Adam, the same schedule); the loss is the squared error of
    every prediction, heard and not heard.
  * Measured on 200 held-out notes (full run): one step ahead while hearing, mean squared
    error RNN 6.7e-3, GRU 3.9e-3, LSTM 4.8e-3; not hearing, rms error over the 64 samples
    RNN 0.333, GRU 0.110, LSTM 0.207, against 0.352 for playing nothing. The plain RNN
    gives up within about 20 samples and plays nearly nothing; the GRU keeps the note going
    with its pitch, the LSTM holds it for a while and then drifts. With two other seeds (other
    initial weights, training and held-out notes; playing nothing 0.348): RNN 0.337 and 0.324,
    GRU 0.128 and 0.153, LSTM 0.156 and 0.183: the gated cells win every time. The gates let the state be kept
    (z near 1 in the GRU, f near 1 in the LSTM) instead of being squashed through tanh at
    every step, and the gradient travels back through the kept state too.
  * What did not work, honestly: feeding the network's own output back in (as in the first
    part) on several pitches, all three faded to silence in our tries: playing nothing is a
    safe answer for the squared error when the pitch is not yet remembered well.
  * ``--quick`` trains each for 60 batches only: too short for the gap to show (all three
    are then near the "playing nothing" error, about 0.35).
"""

import argparse
import wave
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, draw_dot, nn, no_grad, optim
from tinygrad_edu.draw import save_graph

SAMPLE_RATE = 8000  # samples per second
PITCH = 440.0  # Hz: the note A4
HIDDEN = 32
WARM_UP = 8  # the first predictions come from a nearly empty memory: they are not scored


def notes(n, length, rng, pitch=PITCH):
    """n notes of ``length`` samples (n, length): ``pitch`` Hz (one for all, or (n, 1), one per
    note), random loudness, phase and brightness; the loudness stays the same: no fade."""
    loudness = rng.uniform(0.3, 0.9, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    second, third = rng.uniform(0, 0.5, (n, 1)), rng.uniform(0, 0.25, (n, 1))  # harmonics
    angle = 2 * np.pi * pitch * np.arange(length) / SAMPLE_RATE + phase  # (n, length)
    wave_ = np.sin(angle) + second * np.sin(2 * angle) + third * np.sin(3 * angle)
    return loudness * wave_ / (1 + second + third)  # the peak stays below the loudness


class SoundPredictor(nn.Module):
    """An RNNCell and a Linear readout: h_t from (x_t, h_(t-1)), then x_(t+1) predicted from h_t."""

    def __init__(self, hidden=HIDDEN, rng=None):
        super().__init__()
        self.cell = nn.RNNCell(1, hidden, rng=rng)
        self.readout = nn.Linear(hidden, 1, rng=rng)

    def forward(self, primer, n_free=0):
        """Read ``primer`` (batch, T), then feed back ``n_free`` of its own predictions.

        Returns the predictions (batch, T + n_free): entry t predicts sample t + 1. The first
        T read true samples (teacher forcing), the rest read the previous prediction.
        """
        h, states = None, []
        for t in range(primer.shape[1]):
            h = self.cell(Tensor(primer[:, t : t + 1]), h)  # (batch, 1), (batch, hidden) -> (batch, hidden)
            states.append(h)
        for _ in range(n_free):
            h = self.cell(self.readout(h), h)  # the feedback loop: its own prediction read back in
            states.append(h)
        return self.readout(Tensor.stack(states, axis=1))[:, :, 0]  # (batch, T', hidden) -> (batch, T')


def train(model, teacher_steps, feedback_steps, rng, batch=32, lr=0.01, max_free=64):
    """Stage 1: teacher forcing on 64-sample notes; stage 2: 48 true samples, then up to
    ``max_free`` of its own predictions fed back (the loss is over both parts)."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(teacher_steps + feedback_steps):
        if step < teacher_steps:
            n_true, n_free = 64, 0
            optimizer.lr = lr * (1 - 0.9 * step / teacher_steps)
        else:  # the fed-back stretch grows from 4 to max_free samples
            n_true, n_free = 48, min(max_free, 4 + 2 * max_free * (step - teacher_steps) // feedback_steps)
            optimizer.lr = lr / 10
        sound = notes(batch, n_true + n_free + 1, rng)  # (batch, T + 1)
        predicted = model(sound[:, :n_true], n_free)  # (batch, T): samples 1..T
        loss = nn.mse_loss(predicted[:, WARM_UP - 1 :], Tensor(sound[:, WARM_UP:]))
        optimizer.zero_grad()
        loss.backward()  # BPTT: back through every time step of the loop
        optimizer.step()
        losses.append(loss.item())
        if step % 50 == 0 or step == teacher_steps + feedback_steps - 1:
            print(f"  step {step:4d}  {'teacher' if n_free == 0 else 'feedback':>8}  loss {losses[-1]:.6f}")
    return losses


def unrolled_graph(model, rng, steps=3):
    """The graph of ``steps`` time steps of one note and their loss, with the pieces labelled."""
    sound = notes(1, steps + 1, rng)
    for name, p in model.named_parameters():
        p.label = name  # 'cell.weight_hh', 'readout.bias', ...
    h, predictions = Tensor(np.zeros((1, HIDDEN)), label="h0 = 0"), []
    for t in range(steps):
        x = Tensor(sound[:, t : t + 1], label=f"x{t + 1}")
        h = model.cell(x, h)
        h.label = f"h{t + 1}"
        predictions.append(model.readout(h))
        predictions[-1].label = f"prediction of x{t + 2}"
    loss = nn.mse_loss(Tensor.stack(predictions, axis=1)[:, :, 0], Tensor(sound[:, 1:], label="x2..x4"))
    loss.label = "loss"
    loss.backward()
    return draw_dot(loss, rankdir="TB")


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


# ***** several pitches: the plain RNN against the gated cells *****

LOWEST, HIGHEST = 220.0, 660.0  # Hz: A3 to E5, any pitch in between
HEARD, BLIND = 32, 64  # samples the network hears, then samples it must go on without hearing
CELLS = (("RNN", 64), ("GRU", 37), ("LSTM", 32))  # hidden sizes for about 4,500 parameters each


def several_notes(n, length, rng):
    """n notes (n, length) of random pitches between LOWEST and HIGHEST Hz, and the pitches (n,)."""
    pitch = rng.uniform(LOWEST, HIGHEST, (n, 1))
    return notes(n, length, rng, pitch), pitch[:, 0]


def listening(sound):
    """The input (batch, T, 2): the note for the first HEARD samples, then silence; and a second
    channel that says whether the network is hearing (1) or not (0)."""
    x = np.zeros(sound.shape + (2,))  # (batch, T, 2)
    x[:, :HEARD, 0] = sound[:, :HEARD]
    x[:, :HEARD, 1] = 1.0
    return x


class NotePlayer(nn.Module):
    """A sequence module (nn.RNN, nn.GRU or nn.LSTM: one graph node for all time steps) and a
    Linear readout: entry t of the output predicts sample t + 1."""

    def __init__(self, kind, hidden, rng=None):
        super().__init__()
        self.recurrent = getattr(nn, kind)(2, hidden, batch_first=True, rng=rng)
        self.readout = nn.Linear(hidden, 1, rng=rng)

    def forward(self, x):
        hs = self.recurrent(Tensor(x))[0]  # (batch, T, 2) -> (batch, T, hidden); the state is [1]
        return self.readout(hs)[:, :, 0]  # (batch, T, hidden) -> (batch, T)


def train_player(model, steps, rng, batch=32, lr=0.01):
    """Adam on the squared error of every prediction after WARM_UP: the heard part (teacher
    forcing) and the part after the note stops coming in (the network runs free)."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        optimizer.lr = lr * (1 - 0.9 * step / steps)
        sound = several_notes(batch, HEARD + BLIND + 1, rng)[0]  # (batch, T + 1)
        predicted = model(listening(sound[:, :-1]))  # (batch, T): samples 1..T
        loss = nn.mse_loss(predicted[:, WARM_UP - 1 :], Tensor(sound[:, WARM_UP:]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def compare_cells(steps, test_rng):
    """Train the three players on the same notes; measure them on the same held-out notes."""
    test, pitches = several_notes(200, HEARD + BLIND + 1, test_rng)  # (200, T + 1)
    silence = float(np.sqrt(np.mean(test[:, HEARD + 1 :] ** 2)))  # the error of playing nothing
    print(f"\nseveral pitches ({LOWEST:.0f}-{HIGHEST:.0f} Hz): {HEARD} samples heard, then {BLIND} not")
    print(f"  playing nothing after the note stops coming in: rms error {silence:.3f}")
    cells = {}
    for kind, hidden in CELLS:
        model = NotePlayer(kind, hidden, rng=np.random.default_rng(2))
        losses = train_player(model, steps, np.random.default_rng(3))  # the same notes for all
        with no_grad():
            predicted = model(listening(test[:, :-1])).numpy()  # (200, T): samples 1..T
        heard = float(np.mean((predicted[:, WARM_UP - 1 : HEARD] - test[:, WARM_UP : HEARD + 1]) ** 2))
        blind = predicted[:, HEARD:] - test[:, HEARD + 1 :]  # (200, BLIND): samples HEARD+1..
        cells[kind] = {
            "hidden": hidden,
            "parameters": sum(p.data.size for p in model.parameters()),
            "losses": losses,
            "predictions": predicted,
            "heard_error": heard,  # mean squared error, one step ahead while hearing
            "blind_error": float(np.sqrt(np.mean(blind**2))),  # rms error, not hearing
            "blind_curve": np.sqrt(np.mean(blind**2, axis=0)),  # (BLIND,) by samples not heard
            "state": model.state_dict(),
        }
        c = cells[kind]
        print(
            f"  {kind:>4}({hidden:2d}) {c['parameters']:5d} parameters: one step ahead while hearing"
            f" {heard:.2e}, not hearing: rms error {c['blind_error']:.3f}"
        )
    kept = {"test": test, "pitches": pitches, "silence": silence, "heard": HEARD, "blind": BLIND}
    return {**kept, "cells": cells}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, grid = plt.subplots(2, 3, figsize=(15, 7.6), gridspec_kw={"width_ratios": [2.2, 1, 1]})
    axes = grid[0]
    true, continued, n_primer = results["continuation_true"], results["continuation"], results["n_primer"]
    t_ms = np.arange(true.shape[1]) / SAMPLE_RATE * 1000
    for i in range(2):
        offset = 2.0 * (1 - i)
        label = "true note" if i == 0 else None
        axes[0].plot(t_ms, true[i] + offset, color="tab:blue", linewidth=1, label=label)
        axes[0].plot(
            t_ms[n_primer:],
            continued[i, n_primer:] + offset,
            color="tab:orange",
            linewidth=1,
            label="the network on its own" if i == 0 else None,
        )
    axes[0].axvline(t_ms[n_primer], color="grey", linestyle=":")
    axes[0].set_xlabel("time (ms); left of the dotted line the network reads the note")
    axes[0].set_yticks([])
    axes[0].set_title("two held-out notes continued by the feedback loop")
    axes[0].legend(fontsize=8, loc="upper right")
    losses = results["losses"]
    axes[1].plot(losses, linewidth=0.8)
    axes[1].axvline(results["teacher_steps"], color="grey", linestyle=":")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("step (dotted: feedback stage starts)")
    axes[1].set_title("training loss")
    sound, predicted = results["test_notes"][0], results["test_predictions"][0]
    axes[2].plot(sound[1:60], "o-", markersize=3, linewidth=0.8, label="true sample")
    axes[2].plot(predicted[:59], "x", markersize=5, label="one-step prediction")
    axes[2].plot(sound[:59], ".", color="grey", markersize=3, label="last sample again")
    axes[2].set_xlabel("sample")
    axes[2].set_title(f"one step ahead: {results['error_ratio']:.0f}x smaller error")
    axes[2].legend(fontsize=7)
    plot_cells(results["several_pitches"], grid[1])
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


COLORS = {"RNN": "tab:red", "GRU": "tab:green", "LSTM": "tab:purple"}


def plot_cells(comparison, axes):
    """The second row: one held-out note and the three players; errors by samples not heard."""
    test, cells = comparison["test"], comparison["cells"]
    t = np.arange(test.shape[1])
    pitch = comparison["pitches"][0]
    axes[0].plot(t, test[0], color="tab:blue", linewidth=1.5, label=f"true note ({pitch:.0f} Hz)")
    for kind, c in cells.items():
        axes[0].plot(t[1:], c["predictions"][0], color=COLORS[kind], linewidth=0.9, label=kind)
    axes[0].axvspan(HEARD, t[-1], color="grey", alpha=0.12)
    axes[0].set_xlabel(f"sample; in the grey part the network no longer hears the note ({BLIND} samples)")
    axes[0].set_yticks([])
    axes[0].set_title("several pitches: the note goes on, the network must go on from memory")
    axes[0].legend(fontsize=8, loc="lower left", ncol=4)
    for kind, c in cells.items():
        curve, label = c["blind_curve"], f"{kind} ({c['parameters']} par.)"
        axes[1].plot(np.arange(1, len(curve) + 1), curve, color=COLORS[kind], label=label)
    axes[1].axhline(comparison["silence"], color="grey", linestyle="--", label="playing nothing")
    axes[1].set_xlabel("samples since the network stopped hearing")
    axes[1].set_title("rms error on 200 held-out notes")
    axes[1].legend(fontsize=7)
    kinds = list(cells)
    blind = [cells[k]["blind_error"] for k in kinds]
    axes[2].bar(kinds, blind, color=[COLORS[k] for k in kinds])
    axes[2].axhline(comparison["silence"], color="grey", linestyle="--", label="playing nothing")
    for i, value in enumerate(blind):
        axes[2].text(i, value, f"{value:.3f}", ha="center", va="bottom", fontsize=8)
    axes[2].set_title("rms error, not hearing (lower is better)")
    axes[2].legend(fontsize=7, loc="lower right")


def main(out="out", quick=False):
    """Train, test one step ahead, continue held-out notes, write the files; return the numbers."""
    teacher_steps, feedback_steps = (100, 60) if quick else (400, 400)
    rng = np.random.default_rng(0)
    model = SoundPredictor(rng=rng)
    n_params = sum(p.data.size for p in model.parameters())
    print(f"RNNCell(1, {HIDDEN}) + Linear({HIDDEN}, 1): {n_params} parameters")
    losses = train(model, teacher_steps, feedback_steps, rng)

    test_rng = np.random.default_rng(1)  # the held-out notes
    test_notes = notes(100, 200, test_rng)  # (100, 200)
    with no_grad():
        test_predictions = model(test_notes[:, :-1]).numpy()  # (100, 199): samples 1..199
    error = float(np.mean((test_predictions[:, WARM_UP - 1 :] - test_notes[:, WARM_UP:]) ** 2))
    repeat = float(np.mean((test_notes[:, WARM_UP - 1 : -1] - test_notes[:, WARM_UP:]) ** 2))
    print(f"held-out notes, one step ahead: mean squared error {error:.2e}")
    print(f"  'the last sample again': {repeat:.2e}, {repeat / error:.0f}x larger")

    n_primer, n_total = 64, 256
    truth = notes(2, n_total, test_rng)  # two more held-out notes, longer
    with no_grad():
        continued = model(truth[:, :n_primer], n_total - n_primer - 1).numpy()  # samples 1..n_total-1
    continuation = np.concatenate([truth[:, :1], continued], axis=1)  # (2, n_total)
    drift = np.sqrt(np.mean((continuation[:, n_primer:] - truth[:, n_primer:]) ** 2))
    print(f"continued on its own for {n_total - n_primer} samples: rms error {drift:.3f}")

    note = notes(1, SAMPLE_RATE // 10, test_rng)  # 0.1 s of a note, then one second on its own
    with no_grad():
        sound = model(note, SAMPLE_RATE - 1).numpy()[0, note.shape[1] - 1 :]  # samples 800..8799
    files = [write_wav(Path(out) / "recurrent_sound.wav", np.concatenate([note[0], sound]))]
    graph, hint = save_graph(unrolled_graph(model, test_rng), Path(out) / "rnn_unrolled.svg")
    files.append(graph)
    if hint:
        print(hint)
    comparison = compare_cells(60 if quick else 600, np.random.default_rng(4))
    results = {
        "several_pitches": comparison,
        "losses": losses,
        "teacher_steps": teacher_steps,
        "test_notes": test_notes,
        "test_predictions": test_predictions,
        "warm_up": WARM_UP,
        "error": error,
        "repeat_error": repeat,
        "error_ratio": repeat / error,
        "continuation": continuation,
        "continuation_true": truth,
        "n_primer": n_primer,
        "sample_rate": SAMPLE_RATE,
        "pitch": PITCH,
    }
    try:
        files.append(plot(results, Path(out) / "recurrent_sound.png"))
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    print("wrote " + ", ".join(str(f) for f in files))
    results["files"] = files
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="160 + 3 x 60 steps, not 800 + 3 x 600: seconds")
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick)
