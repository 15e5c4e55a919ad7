"""Learning-rate schedules save and resume as torch.optim.lr_scheduler's do: state_dict() holds
PyTorch's entries under PyTorch's names, each library loads the other's, a resumed run takes
the same steps as an uninterrupted one, and a refused load changes nothing."""

import pytest
from optim_helpers import run, tensor_problem

from tinygrad_edu import Value, optim

SCHEDULES = {
    "step": ("StepLR", dict(step_size=3, gamma=0.5)),
    "cosine": ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
}
TORCH_ONLY = {"_step_count", "_is_initial", "_get_lr_called_within_step", "verbose"}


def make(lib, params, kind, lr=0.2):
    """An SGD optimiser on ``params`` and the schedule ``kind``, from tinygrad_edu or torch."""
    name, kwargs = SCHEDULES[kind]
    opt = lib.SGD([{"params": params[:1]}, {"params": params[1:], "lr": lr / 4}], lr=lr, momentum=0.9)
    return opt, getattr(lib.lr_scheduler, name)(opt, **kwargs)


def assert_same_entries(ours, theirs):
    for name, value in ours.items():
        assert value == pytest.approx(theirs[name], rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("kind", SCHEDULES)
def test_state_dict_is_torchs_and_each_loads_the_others(torch, kind):
    opt, sched = make(optim, [Value(1.0), Value(2.0)], kind)
    t_opt, t_sched = make(torch.optim, [torch.zeros(1, requires_grad=True) for _ in range(2)], kind)
    for _ in range(5):
        for stepper in (opt, sched, t_opt, t_sched):
            stepper.step()
    ours, theirs = sched.state_dict(), t_sched.state_dict()
    assert set(ours) <= set(theirs) and set(theirs) - set(ours) <= TORCH_ONLY
    assert_same_entries(ours, theirs)
    # fresh optimisers and schedules, each loading the other library's saved state
    opt2, sched2 = make(optim, [Value(1.0), Value(2.0)], kind, lr=0.7)
    t_opt2, t_sched2 = make(torch.optim, [torch.zeros(1, requires_grad=True) for _ in range(2)], kind, lr=0.7)
    opt2.load_state_dict(opt.state_dict())
    t_opt2.load_state_dict(t_opt.state_dict())
    sched2.load_state_dict(theirs)
    t_sched2.load_state_dict(ours)
    assert_same_entries(sched2.state_dict(), theirs)
    for _ in range(6):  # past T_max: the cosine climbs back
        for stepper in (opt2, sched2, t_opt2, t_sched2):
            stepper.step()
        assert sched2.get_last_lr() == pytest.approx(t_sched2.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in opt2.param_groups] == pytest.approx(t_sched2.get_last_lr(), rel=1e-12)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_a_resumed_run_takes_the_same_steps(torch, kind):
    straight, _, straight_loss, _ = tensor_problem(torch)
    opt, sched = make(optim, straight.parameters(), kind)
    run(opt, straight_loss, 4, sched)
    saved = opt.state_dict(), sched.state_dict(), [p.data.copy() for p in straight.parameters()]
    run(opt, straight_loss, 5, sched)
    resumed, _, resumed_loss, _ = tensor_problem(torch)
    opt2, sched2 = make(optim, resumed.parameters(), kind, lr=0.9)
    for p, data in zip(resumed.parameters(), saved[2], strict=True):
        p.data[...] = data
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    run(opt2, resumed_loss, 5, sched2)
    assert sched2.state_dict() == sched.state_dict()
    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        assert (p.data == q.data).all()


@pytest.mark.parametrize(
    "mutate,error,match",
    [
        (lambda sd: [1, 2], TypeError, "takes the dict that state_dict"),
        (
            lambda sd: {k: v for k, v in sd.items() if k != "base_lrs"},
            ValueError,
            r"missing entries \['base_lrs'\]",
        ),
        (lambda sd: {**sd, "momentum": 0.9}, ValueError, r"unexpected entries \['momentum'\]"),
        (lambda sd: {**sd, "base_lrs": [0.1]}, ValueError, "'base_lrs' must hold 2 learning rates"),
        (lambda sd: {**sd, "_last_lr": [0.1, "fast"]}, TypeError, "_last_lr must be a number"),
        (lambda sd: {**sd, "last_epoch": -1}, ValueError, "last_epoch must be at least 0"),
        (lambda sd: {**sd, "step_size": 0}, ValueError, "step_size must be at least 1"),
        (lambda sd: {**sd, "gamma": "half"}, TypeError, "gamma must be a number"),
    ],
)
def test_a_refused_load_changes_nothing(mutate, error, match):
    opt, sched = make(optim, [Value(1.0), Value(2.0)], "step")
    other_opt, other = make(optim, [Value(1.0), Value(2.0)], "step")
    for _ in range(4):
        other_opt.step()
        other.step()
    before = sched.state_dict()
    with pytest.raises(error, match=match):
        sched.load_state_dict(mutate(other.state_dict()))
    assert sched.state_dict() == before


def test_the_saved_state_is_a_copy():
    opt, sched = make(optim, [Value(1.0), Value(2.0)], "cosine")
    saved = sched.state_dict()
    saved["base_lrs"][0] = 99.0
    assert sched.base_lrs[0] == 0.2
    sched.load_state_dict(saved)
    saved["base_lrs"][0] = 1.0
    assert sched.base_lrs[0] == 99.0
