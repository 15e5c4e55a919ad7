"""Grad mode is per thread: a thread inside no_grad() never switches off another thread's graph.

The oracle is the same work done one run after the other in one thread: two threads side by
side must end with bit-identical numbers.
"""

import sys
import threading

import numpy as np

from tinygrad_edu import Tensor, is_grad_enabled, nn, no_grad, optim


def run_in_thread(fn):
    """Run ``fn()`` in a new thread; return what it returned (or raise what it raised)."""
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as e:  # handed back to the test's thread
            result["error"] = e

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_a_new_thread_records_a_graph_while_another_is_inside_no_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled() and not (w * 2).requires_grad
        assert run_in_thread(lambda: (is_grad_enabled(), (w * 2).requires_grad)) == (True, True)
    assert is_grad_enabled() and (w * 2).requires_grad


def test_no_grad_in_another_thread_leaves_this_threads_mode_alone():
    w = Tensor([3.0], requires_grad=True)

    def evaluate():
        with no_grad():
            return (w * 2).requires_grad

    assert run_in_thread(evaluate) is False
    assert is_grad_enabled() and (w * 2).requires_grad


def test_one_decorated_function_entered_by_two_threads_restores_each_threads_mode():
    # one no_grad instance (the decorator's) entered by two threads at once: the first to
    # leave gets back its own mode, not the one the other thread saved
    w = Tensor([3.0], requires_grad=True)

    @no_grad()
    def inside(fn):
        return fn()

    entered, leave = threading.Event(), threading.Event()
    seen = []

    def other_thread():
        inside(lambda: (entered.set(), leave.wait(5), seen.append((w * 2).requires_grad)))
        seen.append((w * 2).requires_grad)

    holder = threading.Thread(target=other_thread)
    inside(lambda: (holder.start(), entered.wait(5)))  # this thread leaves first
    try:
        assert is_grad_enabled() and (w * 2).requires_grad
    finally:
        leave.set()
        holder.join()
    assert seen == [False, True]


# ***** two trainings side by side, one of them inside no_grad() in a loop *****


def make_data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 4))
    y = (x[:, :1] * x[:, 1:2] > 0).astype(float)
    return x, y


def train(seed, steps):
    """A small MLP trained with SGD; returns its final parameters and every loss."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 16, rng=rng), nn.Tanh(), nn.Linear(16, 1, rng=rng))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = make_data(seed)
    losses = []
    for _ in range(steps):
        loss = nn.binary_cross_entropy(model(Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return [p.data.copy() for p in model.parameters()], losses


def evaluate_in_no_grad(seed, rounds):
    """Another model trained by hand, every forward pass and update inside no_grad(): the
    gradient is written out by hand (least squares), so nothing here needs a graph."""
    rng = np.random.default_rng(seed)
    w = Tensor(rng.normal(size=(4, 1)), requires_grad=True)
    x, y = make_data(seed)
    outputs = []
    for _ in range(rounds):
        with no_grad():
            pred = Tensor(x) @ w  # (64, 1)
            assert not pred.requires_grad
            w.data -= 0.01 * (x.T @ (pred.data - y)) / len(x)  # dL/dw of the mean squared error / 2
            outputs.append(float(pred.data.sum()))
    return w.data.copy(), outputs


def test_training_beside_a_thread_inside_no_grad_is_bit_identical_to_one_after_the_other():
    steps, rounds = 150, 3000
    alone_train = train(1, steps)
    alone_eval = evaluate_in_no_grad(2, rounds)

    results, errors = {}, []

    def run(name, fn, *args):
        try:
            results[name] = fn(*args)
        except BaseException as e:  # reported below, with the thread's name
            errors.append((name, repr(e)))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so the two runs interleave finely
    try:
        threads = [
            threading.Thread(target=run, args=("eval", evaluate_in_no_grad, 2, rounds)),
            threading.Thread(target=run, args=("train", train, 1, steps)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    params, losses = results["train"]
    assert losses == alone_train[1]  # every loss, bit for bit
    for p, q in zip(params, alone_train[0], strict=True):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(results["eval"][0], alone_eval[0])
    assert results["eval"][1] == alone_eval[1]


def test_many_threads_each_train_their_own_model_as_if_alone():
    workers = 4
    alone = [train(seed, 40) for seed in range(workers)]
    results = [None] * workers

    def run(i):
        results[i] = train(i, 40)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, alone, strict=True):
        assert got[1] == want[1]


# ***** a backward walk reads only its own graph: recurrent cells, whose walks keep terms *****


def train_rnn(seed, steps):
    """An RNNCell unrolled over 12 steps, trained with SGD; returns every loss and the weights."""
    rng = np.random.default_rng(seed)
    cell, head = nn.RNNCell(3, 8, rng=rng), nn.Linear(8, 1, rng=rng)
    params = cell.parameters() + head.parameters()
    opt = optim.SGD(params, lr=0.05)
    xs, target = rng.normal(size=(12, 5, 3)), rng.normal(size=(5, 1))
    losses = []
    for _ in range(steps):
        h = None
        for x in xs:  # (5, 3) per time step
            h = cell(Tensor(x), h)
        loss = nn.mse_loss(head(h), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.data.copy() for p in params]


def trainings_side_by_side(train, seeds, steps):
    """``train(seed, steps)`` for every seed, all at once in threads started together (with
    a short switch interval, so they interleave finely); the results by seed."""
    results, errors = {}, []
    start = threading.Barrier(len(seeds))

    def run(seed):
        try:
            start.wait()
            results[seed] = train(seed, steps)
        except BaseException as e:  # reported below
            errors.append(repr(e))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=run, args=(seed,)) for seed in seeds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    return results


def assert_same_as_alone(results, alone, seeds):
    for seed, (losses, params) in zip(seeds, alone, strict=True):
        assert results[seed][0] == losses
        for p, q in zip(results[seed][1], params, strict=True):
            np.testing.assert_array_equal(p, q)


def test_recurrent_trainings_side_by_side_match_the_runs_one_after_the_other():
    steps, seeds = 60, (3, 4)
    alone = [train_rnn(seed, steps) for seed in seeds]
    assert_same_as_alone(trainings_side_by_side(train_rnn, seeds, steps), alone, seeds)


# ***** nn.LSTM's backward rule reuses its working arrays: one set per thread *****


def train_lstm(seed, steps):
    """nn.LSTM over 20 steps (the same shapes for every seed, so the rules' working arrays would
    be shared if they were not per thread), trained with SGD; returns every loss and the weights."""
    rng = np.random.default_rng(seed)
    lstm, head = nn.LSTM(3, 16, rng=rng), nn.Linear(16, 1, rng=rng)
    params = lstm.parameters() + head.parameters()
    opt = optim.SGD(params, lr=0.05)
    x, target = Tensor(rng.normal(size=(20, 6, 3))), rng.normal(size=(6, 1))
    losses = []
    for _ in range(steps):
        _, (h_n, _) = lstm(x)
        loss = nn.mse_loss(head(h_n[0]), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.data.copy() for p in params]


def test_lstm_trainings_side_by_side_match_the_runs_one_after_the_other():
    steps, seeds = 40, (5, 6, 7)
    alone = [train_lstm(seed, steps) for seed in seeds]
    assert_same_as_alone(trainings_side_by_side(train_lstm, seeds, steps), alone, seeds)
