"""Examples 7-9 (the lecture's second half) run in quick mode and their claims hold, checked
independently: gradients from a PyTorch rebuild of the same weights, losses and accuracies
recomputed from the returned predictions against targets made here, the digits' split against
scikit-learn's own copy, the tones' pitch and the .wav's sound from an FFT.

The examples run as in test_examples.py: a fresh interpreter, one BLAS thread, results pickled.
"""

import wave
from pathlib import Path

import numpy as np
import pytest
from test_examples import assert_png, run_example

DEPTH, WIDTH = 20, 16  # example 7's stacks


def torch_gradient_norms(torch, state, x, y, residual, activation):
    """|dL/dW| per layer of example 7's stack, rebuilt in PyTorch from its initial weights."""
    weights = {k: torch.tensor(v, requires_grad=True) for k, v in state.items()}
    phi = torch.tanh if activation == "tanh" else torch.sigmoid
    inner = "1.module.0" if residual else "1.0"
    h = torch.tensor(x) @ weights["0.weight"].T + weights["0.bias"]
    names = ["0.weight"]
    for i in range(1, DEPTH + 1):
        prefix = inner.replace("1", str(i), 1)
        f = phi(h @ weights[f"{prefix}.weight"].T + weights[f"{prefix}.bias"])
        h = h + f if residual else f
        names.append(f"{prefix}.weight")
    last = str(DEPTH + 1)
    out = h @ weights[f"{last}.weight"].T + weights[f"{last}.bias"]
    torch.mean((out - torch.tensor(y)) ** 2).backward()
    names.append(f"{last}.weight")
    return np.array([float(weights[n].grad.norm()) for n in names])


def test_07_skip_connections(tmp_path, torch):
    results, stdout = run_example("07_skip_connections.py", tmp_path)
    x = results["x"]
    y = np.sin(3 * x[:, :1]) * np.cos(2 * x[:, 1:])  # the task, from its formula
    assert np.allclose(results["y"], y)
    # the same parameter count: input layer, 20 hidden layers, output layer (the skip adds none)
    count = (2 * WIDTH + WIDTH) + DEPTH * (WIDTH * WIDTH + WIDTH) + (WIDTH + 1)
    assert results["plain_parameters"] == results["residual_parameters"] == count == 5505
    plain, residual = results["plain_initial_state"], results["residual_initial_state"]
    for key, value in plain.items():  # the same initial weights too
        np.testing.assert_array_equal(residual[key.replace(".0.", ".module.0.", 1)], value)

    norms = results["gradient_norms"]
    for key, state, is_residual, activation in (
        ("plain_tanh", plain, False, "tanh"),
        ("plain_sigmoid", plain, False, "sigmoid"),
        ("residual_tanh", residual, True, "tanh"),
    ):
        expected = torch_gradient_norms(torch, state, x, y, is_residual, activation)
        np.testing.assert_allclose(norms[key], expected, rtol=1e-6, err_msg=key)
    tanh, sigmoid = torch_gradient_norms(torch, plain, x, y, False, "tanh"), norms["plain_sigmoid"]
    assert tanh[0] * 100 <= tanh[-1]  # the claim: vanishing gradients in the plain stack
    assert sigmoid[-1] / sigmoid[0] > 1e6 * tanh[-1] / tanh[0]  # and sigmoid makes it far worse
    assert norms["residual_tanh"][0] * 100 > norms["residual_tanh"][-1]  # the skips carry it down

    plain_loss = float(np.mean((results["plain_predictions"] - y) ** 2))
    residual_loss = float(np.mean((results["residual_predictions"] - y) ** 2))
    assert residual_loss < plain_loss / 10  # clearly lower, after the same training
    assert plain_loss > 0.5 * float(np.var(y))  # the plain stack barely beats predicting the mean
    assert len(results["plain_losses"]) == len(results["residual_losses"]) == results["steps"]
    assert "lower than the plain one" in stdout
    assert_png(results["files"][0])


def test_08_digits(tmp_path):
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed")
    results, stdout = run_example("08_digits.py", tmp_path)
    digits = datasets.load_digits()
    train_index, test_index = results["train_index"], results["test_index"]
    assert len(test_index) == 450 and len(set(test_index) | set(train_index)) == len(digits.target)
    assert not set(test_index) & set(train_index)  # held out
    labels = digits.target[test_index]
    np.testing.assert_array_equal(results["test_labels"], labels)
    np.testing.assert_allclose(results["test_images"][:, 0], digits.images[test_index] / 16)

    accuracy = {name: float(np.mean(p == labels)) for name, p in results["predictions"].items()}
    assert accuracy == pytest.approx(results["accuracy"])
    assert accuracy["CNN"] >= 0.90  # quick mode (the full run reaches 97% and more)
    assert accuracy["CNN"] > accuracy["logistic regression"]
    assert accuracy["ResNet"] >= 0.95  # batch norm, residual blocks, global average pooling
    # parameters and multiply-adds per image, from the layer shapes
    conv1, conv2 = 16 * 1 * 3 * 3, 32 * 16 * 3 * 3  # weights of the two 3x3 convolutions
    assert results["params"] == {
        "logistic regression": 64 * 10 + 10,
        "MLP": (64 * 64 + 64) + (64 * 10 + 10),
        "CNN": (conv1 + 16) + (conv2 + 32) + (128 * 64 + 64) + (64 * 10 + 10),
        "ResNet": 8 * 9 + 4 * 8 * 8 * 9 + 5 * 2 * 8 + (8 * 10 + 10),  # convs, 5 BatchNorms, Linear
    }
    assert results["mult_adds"] == {
        "logistic regression": 640,
        "MLP": 64 * 64 + 64 * 10,
        "CNN": conv1 * 8 * 8 + conv2 * 4 * 4 + 128 * 64 + 64 * 10,  # convolutions: every pixel
        "ResNet": 8 * 9 * 64 + 2 * 8 * 8 * 9 * 64 + 2 * 8 * 8 * 9 * 16 + 8 * 10,
    }
    cnn = results["predictions"]["CNN"]
    counts = results["confusion"]
    assert counts.sum() == 450 and np.trace(counts) == np.sum(cnn == labels)
    for i in range(10):
        assert counts[i].sum() == np.sum(labels == i) and counts[:, i].sum() == np.sum(cnn == i)
    assert [m[0] for m in results["mistakes"]] == np.flatnonzero(cnn != labels).tolist()
    assert all(cnn[i] == p and labels[i] == t for i, p, t in results["mistakes"])
    assert stdout.count("total ") == 4  # one nn.summary table per model
    assert_png(results["files"][0])


def spectrum_peak(signal, sample_rate):
    magnitude = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.fft.rfftfreq(len(signal), 1 / sample_rate)[magnitude.argmax()])


@pytest.fixture(scope="module")
def example_09(tmp_path_factory):
    """Example 9 runs once (quick mode) for both of its tests."""
    return run_example("09_recurrent_sound.py", tmp_path_factory.mktemp("example_09"))


def test_09_recurrent_sound(example_09):
    results, stdout = example_09
    rate, notes, predicted = results["sample_rate"], results["test_notes"], results["test_predictions"]
    assert rate == 8000 and notes.shape == (100, 200) and predicted.shape == (100, 199)
    for note in notes[:10]:  # the held-out notes really are A4: 200 samples are 40 Hz per bin
        assert spectrum_peak(note, rate) == 440.0
    w = results["warm_up"]
    assert w <= 10  # nearly every prediction is scored
    error = float(np.mean((predicted[:, w - 1 :] - notes[:, w:]) ** 2))  # entry t predicts sample t + 1
    repeat = float(np.mean((notes[:, w - 1 : -1] - notes[:, w:]) ** 2))  # "the last sample again"
    assert error == pytest.approx(results["error"])
    assert repeat >= 10 * error  # the claim
    assert f"{repeat / error:.0f}x larger" in stdout

    wav, graph, picture = map(Path, results["files"])
    with wave.open(str(wav)) as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (1, 2, rate)
        sound = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2") / 32767
    assert len(sound) == rate // 10 + rate  # 0.1 s of a note, then one second continued
    end = sound[-rate // 10 :]  # the last 0.1 s the network played on its own
    assert spectrum_peak(end, rate) == pytest.approx(440.0, abs=10)  # still the note
    assert 0.05 < end.std() < 1.0  # neither faded away nor clipping

    text = graph.read_text()  # svg where Graphviz's dot exists, else the DOT text
    assert text.count("rnn_cell") == 3  # three time steps, one fused node each
    for label in ("x1", "x2", "x3", "h1", "h2", "h3", "cell.weight_hh", "loss"):
        assert label in text
    assert_png(picture)


def torch_player(torch, kind, state, x):
    """Example 9's NotePlayer rebuilt in PyTorch (float64) from its trained weights: (batch, T)."""
    hidden = state["readout.weight"].shape[1]
    recurrent = getattr(torch.nn, kind)(2, hidden, batch_first=True).double()
    weights = {k.split(".", 1)[1]: torch.tensor(v) for k, v in state.items() if k.startswith("recurrent.")}
    recurrent.load_state_dict(weights)  # PyTorch's names: weight_ih_l0, weight_hh_l0, bias_ih_l0, ...
    w, b = torch.tensor(state["readout.weight"]), torch.tensor(state["readout.bias"])
    with torch.no_grad():
        hs = recurrent(torch.tensor(x))[0]  # (batch, T, hidden)
        return (hs @ w.T + b)[:, :, 0].numpy()


def test_09_several_pitches_rnn_gru_lstm(example_09, torch):
    results, stdout = example_09
    comparison, rate, w = results["several_pitches"], results["sample_rate"], results["warm_up"]
    test, heard, blind = comparison["test"], comparison["heard"], comparison["blind"]
    assert test.shape == (200, heard + blind + 1) and blind >= heard >= 2 * w
    for note, pitch in zip(test[:10], comparison["pitches"][:10], strict=True):  # each at its own pitch
        padded = np.abs(np.fft.rfft(note * np.hanning(len(note)), rate))  # zero-padded: 1 Hz per bin
        assert abs(padded.argmax() - pitch) < 12 and 220 <= pitch <= 660
    half = test.shape[1] // 2  # no fade: the second half of a note is as loud as the first
    loudness = np.sqrt(np.mean(test[:, half:] ** 2, axis=1) / np.mean(test[:, :half] ** 2, axis=1))
    assert np.all((0.8 < loudness) & (loudness < 1.25))
    silence = np.sqrt(np.mean(test[:, heard + 1 :] ** 2))  # the error of playing nothing
    assert comparison["silence"] == pytest.approx(silence)
    repeat = np.mean((test[:, w - 1 : heard] - test[:, w : heard + 1]) ** 2)  # "the last sample again"

    x = np.zeros((200, test.shape[1] - 1, 2))  # what the network hears: the note, then nothing
    x[:, :heard, 0], x[:, :heard, 1] = test[:, :heard], 1.0
    for kind, gates in (("RNN", 1), ("GRU", 3), ("LSTM", 4)):
        cell = comparison["cells"][kind]
        h = cell["hidden"]
        assert cell["parameters"] == gates * h * (2 + h + 2) + h + 1
        predicted = cell["predictions"]  # entry t predicts sample t + 1
        np.testing.assert_allclose(torch_player(torch, kind, cell["state"], x), predicted, atol=1e-9)
        one_step = np.mean((predicted[:, w - 1 : heard] - test[:, w : heard + 1]) ** 2)
        not_hearing = np.sqrt(np.mean((predicted[:, heard:] - test[:, heard + 1 :]) ** 2))
        assert cell["heard_error"] == pytest.approx(one_step)
        assert cell["blind_error"] == pytest.approx(not_hearing)
        assert one_step < repeat  # even briefly trained, better than the naive guess while hearing
        assert f"{kind:>4}({h:2d}) {cell['parameters']:5d} parameters" in stdout
        assert f"{one_step:.2e}, not hearing: rms error {not_hearing:.3f}" in stdout
