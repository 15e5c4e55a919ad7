"""state_dict / load_state_dict: PyTorch's names and shapes, so a model moves to PyTorch and
back computing the same numbers (float64, 1e-12); strict checks list every problem and change
nothing; strict=False returns what PyTorch returns; save/load share the names."""

import random

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, nn, optim


def our_mlp(rng):
    return nn.Sequential(
        nn.Linear(3, 5, rng=rng), nn.Tanh(), nn.Linear(5, 4, rng=rng), nn.ReLU(), nn.Linear(4, 2, rng=rng)
    )


def torch_mlp(torch):
    L = torch.nn.Linear
    return torch.nn.Sequential(L(3, 5), torch.nn.Tanh(), L(5, 4), torch.nn.ReLU(), L(4, 2))


def outputs_agree(torch, ours, theirs, x):
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(Tensor(x)).data, expected, rtol=1e-12, atol=1e-12)


def test_our_state_dict_loads_into_pytorch(torch):
    rng = np.random.default_rng(0)
    ours, theirs = our_mlp(rng), torch_mlp(torch)
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())  # same names, same order
    assert {k: v.shape for k, v in state.items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    # the README's line; torch's strict load would refuse any other name or shape
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    outputs_agree(torch, ours, theirs, rng.standard_normal((7, 3)))


def test_pytorch_state_dict_loads_into_ours(torch):
    rng = np.random.default_rng(1)
    ours, theirs = our_mlp(rng), torch_mlp(torch)
    x = rng.standard_normal((6, 3))
    assert not np.allclose(ours(Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy())
    result = ours.load_state_dict(theirs.state_dict())  # torch tensors as they come
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []
    outputs_agree(torch, ours, theirs, x)
    # named_parameters() has requires_grad tensors (their .numpy() refuses): detached for us
    ours2 = our_mlp(rng)
    ours2.load_state_dict(dict(theirs.named_parameters()))
    outputs_agree(torch, ours2, theirs, x)


def test_nested_sequential_and_no_bias_names_match_pytorch(torch):
    ours = nn.Sequential(nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU()), nn.Linear(3, 1))
    theirs = torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False), torch.nn.ReLU()), torch.nn.Linear(3, 1)
    )
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0.0.weight", "1.weight", "1.bias"]
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    outputs_agree(torch, ours, theirs, np.random.default_rng(2).standard_normal((4, 2)))


def test_state_dict_is_a_copy_in_parameter_order():
    model = our_mlp(np.random.default_rng(3))
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    state["0.weight"][...] = 7.0
    assert not np.any(model[0].weight.data == 7.0)
    assert all(a is not p.data for a, p in zip(state.values(), model.parameters(), strict=True))
    float32 = nn.Linear(2, 2)
    float32.weight.data = float32.weight.data.astype(np.float32)
    assert float32.state_dict()["weight"].dtype == np.float32


def test_scalar_modules_keep_their_dotted_names_as_0d_arrays():
    random.seed(4)
    model, other = nn.MLP(2, [3, 1]), nn.MLP(2, [3, 1])
    state = model.state_dict()
    assert list(state)[:4] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
    ]
    assert all(v.shape == () and v.dtype == np.float64 for v in state.values())
    assert [float(v) for v in state.values()] == [p.data for p in model.parameters()]
    other.load_state_dict(state)
    assert other([0.3, -0.7]).data == model([0.3, -0.7]).data
    assert all(type(p.data) is float for p in other.parameters())


def test_strict_lists_every_problem_and_changes_nothing():
    model = our_mlp(np.random.default_rng(5))
    before = [p.data.copy() for p in model.parameters()]
    state = model.state_dict()
    del state["2.bias"], state["4.weight"]
    state["extra.weight"] = np.zeros(3)
    state["0.weight"] = np.zeros((3, 5))  # transposed
    state["0.bias"] = np.array(["a"] * 5)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    for part in [
        "missing from the state dict: ['2.bias', '4.weight']",
        "in the state dict but not in this Sequential: ['extra.weight']",
        "'0.weight' has shape (3, 5) in the state dict, this module expects (5, 3)",
        "'0.bias' is not an array of numbers",
    ]:
        assert part in message, message
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)


def test_non_strict_loads_what_matches_and_returns_what_pytorch_returns(torch):
    rng = np.random.default_rng(6)
    ours, theirs = our_mlp(rng), torch_mlp(torch)
    source = {k: v * 0 + 0.5 for k, v in ours.state_dict().items()}
    del source["2.weight"], source["4.bias"]
    source["5.weight"], source["running"] = np.ones((2, 2)), np.zeros(1)
    kept = ours[2].weight.data.copy()
    result = ours.load_state_dict(source, strict=False)
    expected = theirs.load_state_dict({k: torch.from_numpy(v) for k, v in source.items()}, strict=False)
    assert result.missing_keys == expected.missing_keys == ["2.weight", "4.bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["5.weight", "running"]
    assert np.all(ours[0].weight.data == 0.5) and np.all(ours[4].weight.data == 0.5)
    np.testing.assert_array_equal(ours[2].weight.data, kept)
    # a wrong shape is an error even when not strict (PyTorch refuses it too)
    with pytest.raises(ValueError, match=r"'0.bias' has shape \(4,\)"):
        ours.load_state_dict({"0.bias": np.zeros(4)}, strict=False)
    with pytest.raises(RuntimeError, match="size mismatch"):
        theirs.load_state_dict({"0.bias": torch.zeros(4)}, strict=False)


def test_loading_is_in_place_so_the_optimiser_keeps_working():
    rng = np.random.default_rng(7)
    model, donor = our_mlp(rng), our_mlp(rng)
    arrays = [p.data for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=0.1)
    model.load_state_dict(donor.state_dict())
    assert all(p.data is a for p, a in zip(model.parameters(), arrays, strict=True))
    x = rng.standard_normal((5, 3))
    model(Tensor(x)).sum().backward()
    opt.step()  # moves the loaded weights, so the model and the donor now differ
    assert not np.allclose(model(Tensor(x)).data, donor(Tensor(x)).data)


def test_accepts_tensors_lists_and_numbers():
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": Tensor([[1.0, 2.0]]), "bias": [3]})
    assert layer.weight.data.tolist() == [[1.0, 2.0]] and layer.bias.data.tolist() == [3.0]
    neuron = nn.Neuron(1)
    neuron.load_state_dict({"w.0": 2, "b": np.float32(0.25)})
    assert (neuron.w[0].data, neuron.b.data) == (2.0, 0.25)
    with pytest.raises(ValueError, match=r"'w.0' is not an array of numbers in the state dict \(list: "):
        neuron.load_state_dict({"w.0": [[1.0], [2.0, 3.0]], "b": 0.0})
    with pytest.raises(ValueError, match=r"'w.0' is not an array of numbers .*dtype object"):
        neuron.load_state_dict({"w.0": Value(1.0), "b": 0.0})


def test_argument_types():
    with pytest.raises(TypeError, match="dict of name -> array, got list"):
        nn.Linear(1, 1).load_state_dict([("weight", np.zeros((1, 1)))])
    with pytest.raises(TypeError, match="strict must be True or False, got str"):
        nn.Linear(1, 1).load_state_dict({}, strict="no")


def test_save_and_load_use_the_same_names(tmp_path):
    model, other = our_mlp(np.random.default_rng(8)), our_mlp(np.random.default_rng(9))
    model.save(tmp_path / "model")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as npz:
        assert npz.files == list(model.state_dict())
    other.load(tmp_path / "model.npz")
    for p, q in zip(model.parameters(), other.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    np.savez(tmp_path / "wrong.npz", **{"0.weight": np.zeros((5, 3)), "9.bias": np.zeros(1)})
    with pytest.raises(ValueError, match=r"cannot load '.*wrong.npz' into Sequential: missing from the file"):
        other.load(tmp_path / "wrong.npz")


# ***** the layers of the second half: convolution and recurrence *****


def our_convnet(rng):
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 3, (3, 2), stride=(1, 2), bias=False, rng=rng),
        nn.Flatten(),
        nn.Linear(3 * 2 * 2, 5, rng=rng),
    )


def torch_convnet(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(2, 4, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(4, 3, (3, 2), stride=(1, 2), bias=False),
        tnn.Flatten(),
        tnn.Linear(3 * 2 * 2, 5),
    )


def test_conv_net_moves_to_pytorch_and_back(torch):
    rng = np.random.default_rng(10)
    ours, theirs = our_convnet(rng), torch_convnet(torch)
    x = rng.standard_normal((3, 2, 8, 8))  # (N, C, H, W)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    outputs_agree(torch, ours, theirs, x)
    fresh, other = our_convnet(rng), torch_convnet(torch)
    fresh.load_state_dict(other.state_dict())
    outputs_agree(torch, fresh, other, x)


def test_rnn_cell_moves_to_pytorch_and_back(torch):
    rng = np.random.default_rng(11)
    xs = rng.standard_normal((4, 3, 2))  # 4 time steps, batch 3, 2 features

    def run_ours(cell):
        h = None
        for x in xs:
            h = cell(Tensor(x), h)
        return h.data

    def run_torch(cell):
        h = None
        with torch.no_grad():
            for x in xs:
                h = cell(torch.from_numpy(x), h)
        return h.numpy()

    for kwargs in [{}, dict(bias=False, nonlinearity="relu")]:
        ours, theirs = nn.RNNCell(2, 5, rng=rng, **kwargs), torch.nn.RNNCell(2, 5, **kwargs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
        np.testing.assert_allclose(run_ours(ours), run_torch(theirs), rtol=1e-12, atol=1e-12)
        ours, theirs = nn.RNNCell(2, 5, rng=rng, **kwargs), torch.nn.RNNCell(2, 5, **kwargs)
        ours.load_state_dict(theirs.state_dict())
        np.testing.assert_allclose(run_ours(ours), run_torch(theirs), rtol=1e-12, atol=1e-12)


def test_residual_and_dropout_names():
    rng = np.random.default_rng(12)
    model = nn.Sequential(nn.Residual(nn.Sequential(nn.Linear(3, 3, rng=rng), nn.Tanh())), nn.Dropout(0.5))
    assert list(model.state_dict()) == ["0.module.0.weight", "0.module.0.bias"]
    other = nn.Sequential(nn.Residual(nn.Sequential(nn.Linear(3, 3, rng=rng), nn.Tanh())), nn.Dropout(0.5))
    other.load_state_dict(model.state_dict())
    x = Tensor(rng.standard_normal((2, 3)))
    np.testing.assert_array_equal(model.eval()(x).data, other.eval()(x).data)
