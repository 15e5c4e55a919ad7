"""Scalar nn: micrograd layout and defaults, the activation keyword, save/load, training."""

import random

import numpy as np
import pytest

from tinygrad_edu import Value, nn, optim
from tinygrad_edu.data import make_moons


def test_micrograd_layout_and_defaults():
    random.seed(0)
    model = nn.MLP(3, [4, 4, 1])
    assert [len(layer.neurons) for layer in model.layers] == [4, 4, 1]
    assert [n.activation for layer in model.layers for n in layer.neurons[:1]] == ["relu", "relu", "linear"]
    neuron = model.layers[0].neurons[0]
    assert len(neuron.w) == 3 and all(-1 <= w.data <= 1 for w in neuron.w) and neuron.b.data == 0.0
    # parameters: layer by layer, neuron by neuron, weights then bias
    expected = [p for layer in model.layers for n in layer.neurons for p in n.w + [n.b]]
    assert model.parameters() == expected and len(expected) == 4 * 4 + 4 * 5 + 5
    assert nn.Neuron(2).activation == "relu"
    assert nn.Neuron(2, nonlin=False).activation == "linear"


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_neuron_computes_phi_of_w_dot_x_plus_b(activation):
    n = nn.Neuron(3, activation=activation)
    n.w[0].data, n.w[1].data, n.w[2].data, n.b.data = 0.5, -1.0, 2.0, 0.25
    x = [1.0, 2.0, -0.5]
    z = 0.5 * 1.0 - 1.0 * 2.0 + 2.0 * -0.5 + 0.25
    phi = {"relu": max(z, 0.0), "tanh": np.tanh(z), "sigmoid": 1 / (1 + np.exp(-z)), "linear": z}
    assert n(x).data == pytest.approx(phi[activation])


def test_activation_keyword_everywhere_and_checked():
    model = nn.MLP(2, [3, 1], activation="tanh")
    assert [n.activation for n in model.layers[0].neurons] == ["tanh"] * 3
    assert model.layers[1].neurons[0].activation == "linear"
    assert all(n.activation == "sigmoid" for n in nn.Layer(2, 2, activation="sigmoid").neurons)
    with pytest.raises(ValueError, match="relu"):
        nn.Neuron(2, activation="softplus")


def test_call_shapes_and_errors():
    layer = nn.Layer(2, 3)
    out = layer([1.0, Value(2.0)])
    assert isinstance(out, list) and len(out) == 3
    assert isinstance(nn.Layer(2, 1)([1.0, 2.0]), Value)
    assert isinstance(nn.MLP(2, [1, 2])([1.0, 2.0]), list)  # a 1-wide hidden layer still works
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        layer([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="str"):
        layer(["a", 1.0])
    with pytest.raises(TypeError):
        nn.MLP(2, 3)


def test_mlp_matches_torch(torch):
    random.seed(1)
    model = nn.MLP(3, [5, 4, 2], activation="tanh")
    x = [0.3, -1.2, 0.8]
    out = model(x)
    loss = out[0] * out[0] + out[1]
    loss.backward()
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)
    ).double()
    with torch.no_grad():
        for layer, tlayer in zip(model.layers, [tmodel[0], tmodel[2], tmodel[4]], strict=True):
            tlayer.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons]))
            tlayer.bias.copy_(torch.tensor([n.b.data for n in layer.neurons]))
    tout = tmodel(torch.tensor(x))
    tloss = tout[0] * tout[0] + tout[1]
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), rel=1e-12)
    for layer, tlayer in zip(model.layers, [tmodel[0], tmodel[2], tmodel[4]], strict=True):
        for i, n in enumerate(layer.neurons):
            assert [w.grad for w in n.w] == pytest.approx(tlayer.weight.grad[i].tolist(), rel=1e-10)
            assert n.b.grad == pytest.approx(tlayer.bias.grad[i].item(), rel=1e-10)


def test_zero_grad():
    model = nn.MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_save_load_roundtrip(tmp_path):
    random.seed(2)
    model = nn.MLP(2, [4, 1])
    model.save(tmp_path / "model.npz")
    other = nn.MLP(2, [4, 1])
    assert [p.data for p in other.parameters()] != [p.data for p in model.parameters()]
    other.load(tmp_path / "model.npz")
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]
    with np.load(tmp_path / "model.npz", allow_pickle=False) as f:
        assert "layers.0.neurons.3.w.1" in f.files and f["layers.1.neurons.0.b"].shape == ()


def test_load_rejects_mismatching_files(tmp_path):
    nn.MLP(2, [4, 1]).save(tmp_path / "small")  # suffix added
    target = nn.MLP(2, [5, 1])
    before = [p.data for p in target.parameters()]
    with pytest.raises(ValueError, match=r"missing from the file: \['layers.0.neurons.4.w.0'") as info:
        target.load(tmp_path / "small.npz")
    assert "layers.1.neurons.0.w.4" in str(info.value)
    assert [p.data for p in target.parameters()] == before  # nothing half-loaded
    np.savez(tmp_path / "bad.npz", **{"w.0": np.zeros(3), "w.1": 0.0, "b": 0.0})
    with pytest.raises(ValueError, match=r"'w.0' has shape \(3,\) in the file"):
        nn.Neuron(2).load(tmp_path / "bad.npz")
    np.savez(tmp_path / "pickled.npz", **{"w.0": np.array([object()]), "w.1": 0.0, "b": 0.0})
    with pytest.raises(ValueError, match="pickle"):
        nn.Neuron(2).load(tmp_path / "pickled.npz")


def test_two_moons_reaches_95_percent():
    random.seed(1337)
    X, y = make_moons(100, noise=0.1, seed=3)
    model = nn.MLP(2, [16, 16, 1])
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    inputs = [[Value(a), Value(b)] for a, b in X.tolist()]
    for _step in range(60):
        scores = [model(x) for x in inputs]
        # SVM max-margin loss + L2, as in micrograd's demo
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores, strict=True)) * (
            1.0 / len(y)
        )
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
    accuracy = np.mean([(s.data > 0) == (yi > 0) for s, yi in zip(scores, y, strict=True)])
    assert accuracy >= 0.95, accuracy
