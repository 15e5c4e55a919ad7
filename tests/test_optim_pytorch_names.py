"""PyTorch's everyday optimiser names: SGD with Nesterov momentum and dampening, RMSprop (every
option), parameter groups, state_dict round trips, zero_grad(set_to_none), and the StepLR and
CosineAnnealingLR schedules, each against torch.optim step by step in float64."""

import numpy as np
import pytest
from optim_helpers import START, assert_same, assert_values_follow, loss_of, run, tensor_problem

from tinygrad_edu import Tensor, Value, nn, optim

STEPS = 30

CONFIGS = {
    "sgd_nesterov": (optim.SGD, "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgd_nesterov_decay": (optim.SGD, "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    "sgd_dampening": (optim.SGD, "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    "rmsprop": (optim.RMSprop, "RMSprop", dict()),
    "rmsprop_alpha_eps": (optim.RMSprop, "RMSprop", dict(lr=0.02, alpha=0.9, eps=1e-3)),
    "rmsprop_momentum": (optim.RMSprop, "RMSprop", dict(lr=0.01, momentum=0.9)),
    "rmsprop_centered": (optim.RMSprop, "RMSprop", dict(lr=0.01, centered=True)),
    "rmsprop_all": (
        optim.RMSprop,
        "RMSprop",
        dict(lr=0.01, alpha=0.95, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True),
    ),
    "adam": (optim.Adam, "Adam", dict(lr=0.05, betas=(0.8, 0.95))),
    "adamw": (optim.AdamW, "AdamW", dict(lr=0.05)),
}


@pytest.mark.parametrize("kind", CONFIGS)
def test_values_follow_torch(torch, kind):
    ours_cls, name, kwargs = CONFIGS[kind]
    ours = [Value(x) for x in START]
    theirs = [torch.tensor(x, requires_grad=True) for x in START]
    opt, t_opt = ours_cls(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    assert_values_follow(opt, t_opt, ours, theirs, STEPS)
    assert abs(ours[0].data - START[0]) > 1e-3  # it moved


@pytest.mark.parametrize("kind", CONFIGS)
def test_tensors_follow_torch(torch, kind):
    ours_cls, name, kwargs = CONFIGS[kind]
    ours, theirs, our_loss, their_loss = tensor_problem(torch)
    opt = ours_cls(ours.parameters(), **kwargs)
    t_opt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    for _ in range(STEPS):
        run(opt, our_loss, 1)
        run(t_opt, their_loss, 1)
        assert_same(ours.parameters(), theirs.parameters())


def test_nesterov_differs_from_heavy_ball_by_hand():
    # one step from w = 1 on w**2 (g = 2): heavy ball moves by lr * g, Nesterov by lr * (g + m * g)
    for nesterov, expected in [(False, 1 - 0.1 * 2), (True, 1 - 0.1 * (2 + 0.9 * 2))]:
        w = Value(1.0)
        opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=nesterov)
        (w * w).backward()
        opt.step()
        assert w.data == pytest.approx(expected, abs=1e-15)


def test_param_groups_with_their_own_lr_and_lr_written_there(torch):
    ours, theirs, our_loss, their_loss = tensor_problem(torch)
    p, q = ours.parameters(), list(theirs.parameters())
    opt = optim.SGD([{"params": p[:2]}, {"params": p[2:], "lr": 0.01}], lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD([{"params": q[:2]}, {"params": q[2:], "lr": 0.01}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[0]["params"] == p[:2] and opt.param_groups[1]["momentum"] == 0.9
    for step in range(12):
        if step == 5:  # what a hand-written schedule does
            for group, t_group in zip(opt.param_groups, t_opt.param_groups, strict=True):
                group["lr"] = t_group["lr"] = group["lr"] / 4
        run(opt, our_loss, 1)
        run(t_opt, their_loss, 1)
        assert_same(p, q)
    assert opt.lr == 0.025  # the first group's


def test_old_optimizer_lr_attribute_still_sets_every_group():
    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    opt.lr = np.float32(0.25)
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.25] and type(opt.lr) is float
    (a * 2 + b * 4).sum().backward()
    opt.step()
    assert (a.data[0], b.data[0]) == (0.5, 0.0)
    assert opt.momentum == 0.0 and opt.nesterov is False
    with pytest.raises(AttributeError, match="no attribute 'betas'"):
        opt.betas  # noqa: B018


@pytest.mark.parametrize("kind", ["sgd_nesterov", "sgd_dampening", "rmsprop_all", "rmsprop_momentum", "adam"])
@pytest.mark.parametrize("params", ["values", "tensors"])
def test_state_dict_round_trip_continues_the_same_trajectory(torch, kind, params):
    ours_cls, _, kwargs = CONFIGS[kind]

    def problem():
        if params == "values":
            ps = [Value(x) for x in START]
            return ps, lambda: loss_of(ps)
        model, _, loss, _ = tensor_problem(torch)
        return model.parameters(), loss

    straight, straight_loss = problem()
    opt = ours_cls(straight, **kwargs)
    run(opt, straight_loss, 6)
    saved_state, saved_params = opt.state_dict(), [np.array(p.data) for p in straight]
    run(opt, straight_loss, 6)  # continuing must not change what was saved
    resumed, resumed_loss = problem()
    for p, a in zip(resumed, saved_params, strict=True):
        if isinstance(p, Value):
            p.data = float(a)
        else:
            p.data[...] = a
    opt2 = ours_cls(resumed, **{k: (0.5 if k == "lr" else v) for k, v in kwargs.items()})
    opt2.load_state_dict(saved_state)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]  # hyper-parameters come back too
    run(opt2, resumed_loss, 6)
    for p, r in zip(straight, resumed, strict=True):
        np.testing.assert_array_equal(np.asarray(p.data), np.asarray(r.data))


def test_state_dict_layout_is_pytorchs(torch):
    ours, theirs, our_loss, their_loss = tensor_problem(torch)
    opt = optim.RMSprop(ours.parameters(), momentum=0.9, centered=True)
    t_opt = torch.optim.RMSprop(theirs.parameters(), momentum=0.9, centered=True)
    run(opt, our_loss, 2)
    run(t_opt, their_loss, 2)
    mine, theirs_sd = opt.state_dict(), t_opt.state_dict()
    assert mine["param_groups"][0]["params"] == theirs_sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert sorted(mine["state"]) == sorted(theirs_sd["state"])
    for i, entry in mine["state"].items():
        assert set(entry) == set(theirs_sd["state"][i])
        assert entry["step"] == 2
        for name in ("square_avg", "momentum_buffer", "grad_avg"):
            np.testing.assert_allclose(
                entry[name], theirs_sd["state"][i][name].numpy(), rtol=1e-9, atol=1e-14
            )


def _fresh_sgd():
    p = [Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(3), requires_grad=True)]
    opt = optim.SGD(p, lr=0.1, momentum=0.9)
    (p[0].sum() + p[1].sum()).backward()
    opt.step()
    return opt


@pytest.mark.parametrize(
    "mutate,error,match",
    [
        (lambda sd: [1, 2], TypeError, "takes the dict that state_dict"),
        (lambda sd: {"state": sd["state"]}, ValueError, "'state' and 'param_groups'"),
        (lambda sd: {**sd, "param_groups": "x"}, TypeError, "must be a list"),
        (lambda sd: {**sd, "param_groups": sd["param_groups"] * 2}, ValueError, "2 parameter groups"),
        (lambda sd: {**sd, "param_groups": [7]}, TypeError, r"param_groups\[0\] must be a dict"),
        (
            lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "params": [0]}]},
            ValueError,
            "holds 1 parameters in the saved optimiser and 2",
        ),
        (
            lambda sd: optim.Adam(
                [Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)]
            ).state_dict(),
            ValueError,
            "another optimiser's",
        ),
        (
            lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "lr": "fast"}]},
            TypeError,
            "lr must be a number, got str",
        ),
        (
            lambda sd: {**sd, "state": {5: sd["state"][0]}},
            ValueError,
            "state key 5 is not a parameter position 0..1",
        ),
        (lambda sd: {**sd, "state": {"0": sd["state"][0]}}, ValueError, "state key '0'"),
        (lambda sd: {**sd, "state": {0: 1.0}}, TypeError, r"state\[0\] must be a dict"),
        (
            lambda sd: {**sd, "state": {0: {"exp_avg": np.zeros((2, 3))}}},
            ValueError,
            "keeps \\['momentum_buffer'\\]",
        ),
        (
            lambda sd: {**sd, "state": {0: {"momentum_buffer": np.zeros(3)}}},
            ValueError,
            "shape \\(3,\\).*\\(2, 3\\)",
        ),
        (lambda sd: {**sd, "state": {0: {"momentum_buffer": "zeros"}}}, ValueError, "is str"),
        (lambda sd: {**sd, "state": {0: {"step": -1}}}, ValueError, "step'\\] must be >= 0"),
    ],
)
def test_load_state_dict_rejects_bad_input_and_changes_nothing(mutate, error, match):
    opt = _fresh_sgd()
    before = opt.state_dict()
    with pytest.raises(error, match=match):
        opt.load_state_dict(mutate(opt.state_dict()))
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["momentum_buffer"], before["state"][0]["momentum_buffer"])


def test_zero_grad_set_to_none():
    w, v = Tensor([1.0, 2.0], requires_grad=True), Value(3.0)
    unused = Tensor([1.0], requires_grad=True)
    opt = optim.Adam([w, v, unused])
    ((w * w).sum() + 0.0).backward()
    (v * v).backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0] and grad.tolist() == [2.0, 4.0]  # a new array of zeros
    assert v.grad == 0.0 and unused.grad is None  # no grad stays no grad, as in PyTorch
    (w * w).sum().backward()
    opt.zero_grad()
    assert w.grad is None and v.grad == 0.0
    with pytest.raises(TypeError, match="set_to_none must be True or False"):
        opt.zero_grad(set_to_none=None)


def test_a_parameter_given_twice_is_refused():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameter 1 is parameter 0 again"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="parameter 1 is parameter 0 again"):
        optim.Adam([{"params": [w]}, {"params": [w], "lr": 0.1}])
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with pytest.raises(ValueError, match="parameter 2 is parameter 0 again"):
        optim.SGD(model.parameters() + model.parameters(), lr=0.1)


@pytest.mark.parametrize("lr", [np.float32(0.1), np.float64(0.1), np.int64(1), 1, 0.1])
def test_numpy_and_python_numbers_are_accepted(lr):
    w = Value(1.0)
    for make in (optim.SGD, optim.Adam, optim.RMSprop):
        opt = make([w], lr=lr)
        assert type(opt.lr) is float and opt.lr == float(lr)


@pytest.mark.parametrize(
    "make,error,match",
    [
        (lambda w: optim.SGD(w[0], lr=0.1), TypeError, "one Tensor: pass \\[p\\]"),
        (lambda w: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda w: optim.SGD([{"params": []}], lr=0.1), ValueError, "empty parameter list"),
        (lambda w: optim.SGD([{"parameters": w}], lr=0.1), TypeError, "'params' list"),
        (lambda w: optim.SGD([{"params": w, "betas": (0.9, 0.9)}]), ValueError, "no hyper-parameter 'betas'"),
        (lambda w: optim.SGD(w, lr=0.1, nesterov=True), ValueError, "nesterov=True needs a momentum"),
        (lambda w: optim.SGD(w, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "dampening 0"),
        (lambda w: optim.SGD(w, nesterov=1), TypeError, "nesterov must be True or False"),
        (lambda w: optim.SGD(w, lr=True), TypeError, "lr must be a number, got bool"),
        (lambda w: optim.SGD(w, lr=float("nan")), ValueError, "lr must be >= 0"),
        (lambda w: optim.RMSprop(w, alpha=1.5), ValueError, "alpha must be in \\[0, 1\\]"),
        (lambda w: optim.RMSprop(w, centered="yes"), TypeError, "centered must be True or False"),
        (lambda w: optim.Adam(w, betas=(0.9, 1.0)), ValueError, "betas\\[1\\] must be in"),
        (lambda w: optim.Adam(w, betas=0.9), ValueError, "two numbers"),
        (
            lambda w: optim.SGD([np.ones(2)]),
            TypeError,
            "parameter 0 must be a Value or a Tensor, got ndarray",
        ),
        (lambda w: optim.SGD([Tensor([1.0])]), ValueError, "requires_grad=False"),
    ],
)
def test_bad_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make([Tensor([1.0], requires_grad=True)])


def test_a_bad_lr_written_into_a_group_is_caught_at_the_next_step():
    w = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    opt.param_groups[0]["lr"] = "0.1"
    (w * 1.0).sum().backward()
    with pytest.raises(TypeError, match="lr must be a number, got str"):
        opt.step()


# ***** schedules *****

SCHEDULES = {
    "step": ("StepLR", dict(step_size=3, gamma=0.5)),
    "step_default_gamma": ("StepLR", dict(step_size=2)),
    "cosine": ("CosineAnnealingLR", dict(T_max=5)),
    "cosine_eta_min": ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
}


@pytest.mark.parametrize("kind", SCHEDULES)
def test_schedules_follow_torch(torch, kind):
    name, kwargs = SCHEDULES[kind]
    ours, theirs, our_loss, their_loss = tensor_problem(torch)
    p, q = ours.parameters(), list(theirs.parameters())
    opt = optim.SGD([{"params": p[:2]}, {"params": p[2:], "lr": 0.05}], lr=0.2, momentum=0.9, nesterov=True)
    t_opt = torch.optim.SGD(
        [{"params": q[:2]}, {"params": q[2:], "lr": 0.05}], lr=0.2, momentum=0.9, nesterov=True
    )
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    t_sched = getattr(torch.optim.lr_scheduler, name)(t_opt, **kwargs)
    seen = set()
    for _ in range(14):  # past T_max: the cosine climbs back
        np.testing.assert_allclose(sched.get_last_lr(), t_sched.get_last_lr(), rtol=1e-12, atol=1e-15)
        seen.add(round(sched.get_last_lr()[0], 9))
        run(opt, our_loss, 1, sched)
        run(t_opt, their_loss, 1, t_sched)
        assert_same(p, q)
    assert len(seen) >= 4 and sched.last_epoch == 14 and sched.base_lrs == [0.2, 0.05]


def test_cosine_closed_form_by_hand():
    opt = optim.Adam([Value(1.0)], lr=1.0)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.2)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(8):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    half = 0.2 + 0.8 * (1 + np.cos(np.pi / 4)) / 2
    assert lrs == pytest.approx([1.0, half, 0.6, 1.2 - half, 0.2, 1.2 - half, 0.6, half, 1.0], abs=1e-12)


@pytest.mark.parametrize(
    "make,error,match",
    [
        (lambda o: optim.lr_scheduler.StepLR("opt", 2), TypeError, "takes an optimiser"),
        (lambda o: optim.lr_scheduler.StepLR(o, 0), ValueError, "step_size must be at least 1"),
        (lambda o: optim.lr_scheduler.StepLR(o, 2.0), TypeError, "step_size must be an int"),
        (lambda o: optim.lr_scheduler.StepLR(o, 2, gamma=-1), ValueError, "gamma must be >= 0"),
        (lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=None), TypeError, "T_max must be an int"),
        (lambda o: optim.lr_scheduler.CosineAnnealingLR(o, 3, eta_min="0"), TypeError, "eta_min"),
    ],
)
def test_schedule_arguments_are_checked(make, error, match):
    with pytest.raises(error, match=match):
        make(optim.SGD([Value(1.0)], lr=0.1))


def test_a_group_may_hold_one_tensor_and_params_lists_them_all():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    opt = optim.SGD([{"params": a}], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert opt.params == [a, b] and [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    (a * 1.0 + b * 1.0).sum().backward()
    opt.step()
    assert (a.data[0], b.data[0]) == (0.9, 1.5)
