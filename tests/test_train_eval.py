"""Module.training, train() and eval() on every kind of module, scalar and tensor, and the
module tree they walk (named_children, named_modules)."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn

# every module kind, built fresh for each test (a factory, so no test sees another's mode)
KINDS = {
    "Neuron": lambda: nn.Neuron(3),
    "Layer": lambda: nn.Layer(3, 2),
    "MLP": lambda: nn.MLP(3, [4, 4, 1]),
    "Linear": lambda: nn.Linear(3, 2),
    "ReLU": nn.ReLU,
    "Tanh": nn.Tanh,
    "Sigmoid": nn.Sigmoid,
    "Dropout": lambda: nn.Dropout(0.3),
    "RNNCell": lambda: nn.RNNCell(3, 2),
    "Residual": lambda: nn.Residual(nn.Linear(2, 2)),
    "Sequential": lambda: nn.Sequential(nn.Linear(3, 3), nn.Dropout(), nn.Sequential(nn.Tanh())),
}


def every_module_by_hand(m):
    """The module and everything inside it, found from each class's own attributes (not from
    named_modules, which is under test)."""
    found, todo = [], [m]
    while todo:
        m = todo.pop()
        found.append(m)
        if isinstance(m, nn.MLP):
            todo += m.layers
        elif isinstance(m, nn.Layer):
            todo += m.neurons
        elif isinstance(m, nn.Sequential):
            todo += list(m)
        elif isinstance(m, nn.Residual):
            todo.append(m.module)
    return found


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_new_modules_train_and_eval_set_every_module_inside(kind):
    model = KINDS[kind]()
    inside = every_module_by_hand(model)
    assert all(m.training is True for m in inside)  # training when created
    assert model.eval() is model  # returns the module itself, for chaining
    assert all(m.training is False for m in inside)
    assert model.train() is model
    assert all(m.training is True for m in inside)
    assert model.train(False) is model
    assert all(m.training is False for m in inside)
    assert model.train(True) is model and all(m.training is True for m in inside)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("mode", [1, 0, "eval", None, 1.0, np.bool_(True)])
def test_train_takes_only_a_bool(kind, mode):
    model = KINDS[kind]()
    with pytest.raises(TypeError, match=type(mode).__name__):
        model.train(mode)
    assert model.training is True  # nothing changed


def test_mode_of_one_module_does_not_leak_to_others_or_the_class():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    a.eval()
    assert a.training is False and b.training is True and nn.Linear(2, 2).training is True
    assert nn.Module.training is True


def test_eval_on_a_child_leaves_the_parent_and_siblings_alone():
    inner = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    outer = nn.Sequential(nn.Residual(inner), nn.Dropout())
    inner.eval()
    assert [m.training for m in (outer, outer[0], inner, inner[0], inner[1], outer[1])] == [
        True,
        True,
        False,
        False,
        False,
        True,
    ]
    outer.train()
    assert all(m.training for m in every_module_by_hand(outer))


def test_nested_dropout_behaves_by_the_mode_set_at_the_top():
    rng = np.random.default_rng(0)
    deep = nn.Sequential(
        nn.Residual(nn.Sequential(nn.Linear(8, 8, rng=rng), nn.Dropout(0.5, rng=1))),
        nn.Sequential(nn.Sequential(nn.Dropout(0.5, rng=2))),
    )
    x = Tensor(np.ones((20, 8)))
    lin = deep[0].module[0]
    expected = x.data + (x.data @ lin.weight.data.T + lin.bias.data)  # both dropouts off
    np.testing.assert_allclose(deep.eval()(x).data, expected, rtol=1e-14)
    assert np.any(deep.train()(x).data == 0)  # the outer dropout zeroes entries again


def test_named_children_and_named_modules_give_pytorch_style_paths():
    mlp = nn.MLP(2, [3, 1])
    assert [n for n, _ in mlp.named_children()] == ["layers.0", "layers.1"]
    assert [n for n, _ in mlp.named_modules()] == [
        "",
        "layers.0",
        "layers.0.neurons.0",
        "layers.0.neurons.1",
        "layers.0.neurons.2",
        "layers.1",
        "layers.1.neurons.0",
    ]
    net = nn.Sequential(nn.Residual(nn.Sequential(nn.Linear(2, 2), nn.ReLU())), nn.RNNCell(2, 2))
    named = list(net.named_modules())
    assert [n for n, _ in named] == ["", "0", "0.module", "0.module.0", "0.module.1", "1"]
    assert named[3][1] is net[0].module[0]
    assert nn.Neuron(2).named_children() == [] and nn.Dropout().named_children() == []
    assert [n for n, _ in nn.Linear(2, 2).named_modules(prefix="fc")] == ["fc"]


def test_train_and_eval_walk_a_very_deep_tree_without_recursion():
    model = nn.Linear(1, 1)
    innermost = model
    for _ in range(5000):
        model = nn.Sequential(model)
    assert model.eval() is model and innermost.training is False
    assert model.train() is model and innermost.training is True
