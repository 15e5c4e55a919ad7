"""Modules written the PyTorch way: forward, hooks, buffers and registration, each compared with
the same model written in PyTorch (names, order, outputs) or with a hand computation."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn, optim
from tinygrad_edu.nn import Module


class Net(Module):
    """Sub-modules, a list of modules, a ModuleList, a Parameter and a plain Tensor that needs
    grad, set in an order that is not sorted, with one layer shared twice."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.full(2, 0.5))
        self.fc2 = nn.Linear(3, 2)
        self.fc1 = nn.Linear(2, 3)
        self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Tanh()])
        self.offset = Tensor(np.zeros(2), requires_grad=True)
        self.constant = Tensor(np.ones(2))  # requires no grad: not a parameter
        self.again = self.fc1  # the same layer under a second name: its parameters count once

    def forward(self, x):
        h = self.fc2(self.fc1(x).relu())
        for block in self.blocks:
            h = block(h)
        return h * self.scale + self.offset


def torch_twin(torch):
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.full((2,), 0.5))
            self.fc2 = torch.nn.Linear(3, 2)
            self.fc1 = torch.nn.Linear(2, 3)
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Tanh()])
            self.offset = torch.nn.Parameter(torch.zeros(2))
            self.again = self.fc1

        def forward(self, x):
            h = self.fc2(torch.relu(self.fc1(x)))
            for block in self.blocks:
                h = block(h)
            return h * self.scale + self.offset

    return TorchNet()


def test_registration_names_and_order_are_pytorchs(torch):
    ours, theirs = Net(), torch_twin(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert len(ours.parameters()) == len({id(p) for p in ours.parameters()}) == 8
    assert list(ours.state_dict()) == list(theirs.state_dict())  # a shared layer under both names
    # the same weights give the same outputs and gradients
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(5, 2))
    y = ours(Tensor(x))
    y.sum().backward()
    y_t = theirs(torch.from_numpy(x))
    y_t.sum().backward()
    np.testing.assert_allclose(y.data, y_t.detach().numpy(), rtol=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, err_msg=name)


def test_a_module_that_forgets_super_init_and_one_without_forward():
    class NoInit(Module):
        def __init__(self):
            self.layer = nn.Linear(2, 1)

        def forward(self, x):
            return self.layer(x)

    model = NoInit()
    assert [n for n, _ in model.named_parameters()] == ["layer.weight", "layer.bias"]
    seen = []
    model.register_forward_hook(lambda m, inputs, out: seen.append(m))
    model(Tensor(np.zeros((1, 2))))
    assert seen == [model]
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        Module()(Tensor([1.0]))


def test_forward_hooks_see_inputs_replace_outputs_and_are_removed():
    layer = nn.Linear(2, 2, rng=np.random.default_rng(1))
    x = Tensor(np.ones((3, 2)))
    calls = []
    first = layer.register_forward_hook(lambda m, inputs, out: calls.append((m, inputs, out.shape)))
    doubling = layer.register_forward_hook(lambda m, inputs, out: out * 2)
    expected = x.data @ layer.weight.data.T + layer.bias.data  # the hand computation
    np.testing.assert_allclose(layer(x).data, 2 * expected)
    assert calls == [(layer, (x,), (3, 2))]
    doubling.remove()
    doubling.remove()  # a second remove does nothing
    np.testing.assert_allclose(layer(x).data, expected)
    first.remove()
    layer(x)
    assert len(calls) == 2
    with pytest.raises(TypeError, match="takes a function, got int"):
        layer.register_forward_hook(3)


def test_first_release_modules_with_their_own_call_keep_working():
    class Old(Module):
        def __init__(self):
            self.inner = nn.Linear(2, 1)

        def __call__(self, x):
            return self.inner(x) * 3

        def named_parameters(self):
            return [("my.w", self.inner.weight), ("my.b", self.inner.bias)]

    class New(Module):
        def __init__(self):
            super().__init__()
            self.old = Old()
            self.head = nn.Linear(1, 1)

        def forward(self, x):
            return self.head(self.old(x))

    model = New()
    assert [n for n, _ in model.named_parameters()] == ["old.my.w", "old.my.b", "head.weight", "head.bias"]
    assert model(Tensor(np.ones((4, 2)))).shape == (4, 1)


def test_buffers_are_state_not_parameters(torch):
    class Counter(Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("running", np.zeros(2))
            self.register_buffer("steps", np.array(0, dtype=np.int64))

        def forward(self, x):
            self.running += x.data.mean(axis=0)
            self.steps += 1
            return self.fc(x)

    model = Counter()
    model(Tensor(np.ones((3, 2))))
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert [n for n, _ in model.named_buffers()] == ["running", "steps"]
    state = model.state_dict()
    assert list(state) == ["running", "steps", "fc.weight", "fc.bias"]  # PyTorch's order: own first
    assert state["steps"].dtype == np.int64 and state["steps"] == 1
    state["running"][:] = 7.0  # a copy: the module keeps its own
    assert model.running.tolist() == [1.0, 1.0]
    twin = Counter()
    twin.load_state_dict(state)
    assert twin.running.tolist() == [7.0, 7.0] and int(twin.steps) == 1
    bad = dict(state, running=np.zeros(3))
    with pytest.raises(ValueError, match=r"'running' has shape \(3,\)"):
        twin.load_state_dict(bad)
    assert twin.running.tolist() == [7.0, 7.0]  # a refused load changes nothing
    with pytest.raises(ValueError, match="without '.'"):
        model.register_buffer("a.b", np.zeros(1))
    with pytest.raises(TypeError, match="numpy array"):
        model.register_buffer("c", [1.0])
    # the same names as a PyTorch module with the same buffers
    t = torch.nn.Module()
    t.register_buffer("running", torch.zeros(2))
    t.register_buffer("steps", torch.tensor(0))
    t.fc = torch.nn.Linear(2, 2)
    assert list(t.state_dict()) == list(state)


def test_a_read_only_parameter_refuses_the_load_before_anything_is_written():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    before = {k: v.copy() for k, v in net.state_dict().items()}
    net[1].bias.data.flags.writeable = False
    new = {k: v + 1.0 for k, v in before.items()}
    with pytest.raises(ValueError, match="'1.bias' is read-only"):
        net.load_state_dict(new)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_sequential_and_modulelist_children_and_modules():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert seq.modules() == [seq, seq[0], seq[1]] and seq.children() == [seq[0], seq[1]]
    blocks = nn.ModuleList()
    blocks.append(nn.Linear(1, 1)).extend([nn.ReLU()])
    assert len(blocks) == 2 and isinstance(blocks[1], nn.ReLU)
    assert [n for n, _ in blocks.named_parameters()] == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match="holds modules, got int"):
        blocks.append(3)


def test_parameter_is_a_leaf_that_an_optimiser_trains():
    w = nn.Parameter(Tensor([3.0]))
    assert isinstance(w, Tensor) and w.requires_grad and w._prev == ()
    frozen = nn.Parameter(np.zeros(1), requires_grad=False)
    assert not frozen.requires_grad
    opt = optim.SGD([w], lr=0.25)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()  # d/dw w^2 = 2w: w <- w - 0.25 * 2w = w / 2
        opt.step()
    assert w.data.tolist() == [0.75]


def test_a_module_that_holds_its_parent_is_walked_once():
    outer = nn.Sequential(nn.Linear(1, 1))
    outer[0].owner = outer  # a back-reference: no endless walk
    assert [n for n, _ in outer.named_modules(remove_duplicate=False)] == ["", "0"]
    assert list(outer.state_dict()) == ["0.weight", "0.bias"]


def test_image_layers_print_as_pytorch_prints_them(torch):
    def build(lib):
        return lib.Sequential(
            lib.ConvTranspose2d(16, 8, 2, stride=2),
            lib.BatchNorm2d(8),
            lib.AvgPool2d(2),
            lib.AdaptiveAvgPool2d(1),
            lib.Upsample(scale_factor=2),
            lib.BatchNorm1d(3),
            lib.ConvTranspose2d(3, 4, 3, padding=1, output_padding=0, bias=False),
            lib.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1),
        )

    assert repr(build(nn)) == repr(build(torch.nn))


def test_recurrent_layers_print_as_pytorch_prints_them(torch):
    def build(lib):
        return lib.Sequential(
            lib.RNNCell(2, 3),
            lib.RNNCell(2, 3, nonlinearity="relu", bias=False),
            lib.LSTMCell(2, 3),
            lib.GRUCell(2, 3, bias=False),
            lib.RNN(2, 3, num_layers=2, nonlinearity="relu", batch_first=True, bias=False),
            lib.LSTM(2, 3, batch_first=True),
            lib.GRU(2, 3, num_layers=3),
        )

    assert repr(build(nn)) == repr(build(torch.nn))
