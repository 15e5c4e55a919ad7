"""What the engine refuses, and how it says so: a TypeError naming the type, a ValueError naming
the value; plus the few results that follow from calculus alone (a**0 is flat) and the reprs
a learner reads in the REPL."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, nn, optim
from tinygrad_edu.nn.losses import cross_entropy


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value(np.bool_(True)), TypeError, "got bool"),  # numpy booleans too
        (lambda: Value(1.0) + "2", TypeError, "str"),
        (lambda: Value(1.0) + None, TypeError, "NoneType"),
        (lambda: Value(1.0) - None, TypeError, "NoneType"),
        (lambda: Value(1.0) * None, TypeError, "NoneType"),
        (lambda: Value(1.0) / None, TypeError, "NoneType"),
        (lambda: Value(1.0) ** None, TypeError, "NoneType"),
        (lambda: Value(1.0).leaky_relu(None), TypeError, "slope must be a number, got NoneType"),
        (lambda: Tensor(Tensor([1.0])), TypeError, "got a Tensor"),
        (lambda: Tensor([[1.0, 2.0], [3.0]]), TypeError, "numeric array from list"),
        (lambda: Tensor([1.0]).sum(keepdims=1), TypeError, "keepdims must be True or False, got int"),
        (lambda: Tensor([1.0]).leaky_relu("0.1"), TypeError, "slope must be a number, got str"),
        (lambda: Tensor([1.0, 2.0])[Tensor([0.5])], IndexError, "whole numbers"),
        (lambda: cross_entropy(Tensor(np.zeros((0, 3))), []), ValueError, "the batch is empty"),
        (
            lambda: nn.Linear(2, 3)([1.0, 2.0]),
            TypeError,
            "Linear takes a Tensor (or a numpy array), got list",
        ),
        (lambda: nn.Linear(2, 3, bias=1), TypeError, "bias must be True or False, got int"),
        (lambda: nn.Neuron(2.0), TypeError, "nin must be an int, got float"),
        (lambda: nn.Layer(2, 0), ValueError, "nout must be at least 1, got 0"),
        (lambda: nn.MLP(2, [3]).train("yes"), TypeError, "True or False, got str"),
        (
            lambda: optim.SGD([Tensor([1.0])], lr=0.1),
            ValueError,
            "parameter 0 is a Tensor with requires_grad=False",
        ),
    ],
)
def test_refusals_name_the_type_or_value(make, error, words):
    with pytest.raises(error) as caught:
        make()
    assert words in str(caught.value)


def test_a_gradient_of_the_wrong_shape_is_an_internal_error():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"internal error: gradient of shape \(3,\) for a tensor of shape \(2,\)"
    ):
        t._add_grad(np.ones(3))


def test_the_power_zero_is_flat_even_at_zero():
    # a**0 = 1 for every a, so d/da = 0 everywhere (torch agrees, including at a = 0)
    x = Tensor([0.0, 2.0, -3.0], requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_adam_leaves_a_parameter_without_a_gradient_alone():
    used, unused = Tensor([1.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    opt = optim.Adam([used, unused], lr=0.1)
    (used * 2.0).sum().backward()  # unused.grad stays None, as for a layer the loss never reached
    opt.step()
    # Adam's first step moves by lr * sign(g) (m/sqrt(v) = g/|g| after bias correction)
    assert used.data.tolist() == pytest.approx([0.9], abs=1e-7)
    assert unused.data.tolist() == [5.0]


def test_loading_a_file_with_names_this_module_lacks_is_refused(tmp_path):
    np.savez(tmp_path / "extra.npz", weight=np.zeros((3, 2)), bias=np.zeros(3), scale=np.ones(1))
    layer = nn.Linear(2, 3)
    before = layer.weight.data.copy()
    with pytest.raises(ValueError, match=r"in the file but not in this Linear: \['scale'\]"):
        layer.load(tmp_path / "extra.npz")
    assert np.array_equal(layer.weight.data, before)  # nothing changed


def test_a_module_held_in_an_attribute_is_a_child():
    class Wrapper(nn.Module):
        def __init__(self):
            self.inner = nn.Linear(2, 2)

    wrapper = Wrapper()
    assert wrapper.named_children() == [("inner", wrapper.inner)]
    assert not wrapper.eval().inner.training


def test_reprs_show_the_sizes():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False), nn.Tanh(), nn.Sigmoid())
    assert repr(net) == (  # PyTorch's layout (checked against torch in test_nn_pytorch_names.py)
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n"
        "  (2): Linear(in_features=3, out_features=1, bias=False)\n  (3): Tanh()\n  (4): Sigmoid()\n)"
    )
    assert repr(nn.MLP(2, [3, 1])) == (
        "MLP(\n  (layers.0): Layer(\n    (neurons.0-2): 3 x Neuron(2, activation='relu')\n  )\n"
        "  (layers.1): Layer(\n    (neurons.0): Neuron(3, activation='linear')\n  )\n)"
    )
