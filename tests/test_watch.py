"""watch: recording a training run, and the page's document.

Oracles: numpy recomputations of the model by hand (tanh(x W^T + b)), losses and accuracies
recomputed from the model's outputs, gradient norms from the gradients read at record time,
and the same run without watch (bit-identical weights)."""

import base64
import copy
import json
import math
import re
import zlib

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, nn, no_grad, optim, watch
from tinygrad_edu.data import TOY_SETS, make_circles, make_gauss, make_moons, make_spiral, make_xor
from tinygrad_edu.watch import watcher as watch_module
from tinygrad_edu.watch.document import build_document, frames_offering
from tinygrad_edu.watch.playground import playground
from tinygrad_edu.watch.probe import Probe, _evaluating
from tinygrad_edu.watch.record import _to_bytes


def moons(n=40, seed=0):
    X, y = make_moons(n, noise=0.1, seed=seed)
    return X, (y > 0).astype(np.int64)


def mlp(seed=0, widths=(2, 6, 5, 2), act=nn.Tanh):
    rng = np.random.default_rng(seed)
    layers = []
    for a, b in zip(widths[:-2], widths[1:-1], strict=False):
        layers += [nn.Linear(a, b, rng=rng), act()]
    return nn.Sequential(*layers, nn.Linear(widths[-2], widths[-1], rng=rng))


def train(model, X, y, steps, w=None, lr=0.05, seen=None, loss_fn=None):
    opt = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        out = model(Tensor(X))
        loss = loss_fn(out) if loss_fn else nn.cross_entropy(out, y)
        opt.zero_grad()
        loss.backward()
        if seen is not None:
            seen.append(
                ([p.data.copy() for p in model.parameters()], [p.grad.copy() for p in model.parameters()])
            )
        if w is not None:
            w.record(loss)
        opt.step()
    return model


def unpack(document):
    floats = np.frombuffer(zlib.decompress(base64.b64decode(document["fblob"])), dtype="<f4")
    deltas = np.frombuffer(zlib.decompress(base64.b64decode(document["bblob"])), dtype=np.uint8)
    F = len(document["steps"])
    images = np.cumsum(deltas.reshape(F, -1).astype(np.int64), axis=0) % 256  # differences -> images
    return floats.reshape(F, -1), images.astype(np.uint8)


def test_frames_every_k_with_steps_losses_and_the_same_final_weights():
    X, y = moons()
    plain = train(mlp(), X, y, 12)
    model = mlp()
    w = watch(model, X, y, every=5)
    losses = []
    train(model, X, y, 12, w, loss_fn=lambda out: losses.append(nn.cross_entropy(out, y)) or losses[-1])
    assert [f["step"] for f in w.frames] == [0, 5, 10]
    assert [f["loss"] for f in w.frames] == [losses[k].item() for k in (0, 5, 10)]
    for a, b in zip(plain.parameters(), model.parameters(), strict=False):
        assert np.array_equal(a.data, b.data)  # bit-identical: recording changed nothing
    assert model.training and all(m.training for m in model.modules())
    assert all(not vars(m).get("_forward_hooks") for m in model.modules())  # no hook left behind
    assert "3 frames of 12 steps" in repr(w)


def test_losses_accuracy_and_gradient_norms_against_recomputation():
    X, y = moons(40)
    Xt, yt = moons(30, seed=3)
    model, seen = mlp(), []
    w = watch(model, X, y, test=(Xt, yt))
    train(model, X, y, 4, w, seen=seen)
    assert w.groups == ["0", "2", "4"]
    for frame, (values, grads) in zip(w.frames, seen, strict=False):
        twin = mlp()
        for p, v in zip(twin.parameters(), values, strict=False):
            p.data = v
        with no_grad():
            out = twin(Tensor(X)).data
            out_t = twin(Tensor(Xt)).data
        logp = out - np.log(np.exp(out).sum(1, keepdims=True))
        assert frame["train_loss"] == pytest.approx(-logp[np.arange(len(y)), y].mean(), rel=1e-12)
        assert frame["train_accuracy"] == pytest.approx(np.mean(out.argmax(1) == y))
        assert frame["test_accuracy"] == pytest.approx(np.mean(out_t.argmax(1) == yt))
        expected = [math.sqrt(np.sum(grads[k] ** 2) + np.sum(grads[k + 1] ** 2)) for k in (0, 2, 4)]
        assert frame["grad_norms"] == pytest.approx(expected, rel=1e-12)


def test_heatmaps_and_boundary_are_the_model_on_the_grid():
    X, y = moons(30)
    model = mlp()
    w = watch(model, X, y)
    train(model, X, y, 2, w)
    doc = build_document(w, "t")
    floats, images = unpack(doc)
    rec = w._recorder
    values = w._snapshots[1]
    h = np.tanh(rec.grid @ values[0].T + values[1])  # (1600, 6)
    h = h.reshape(40, 40, 6)[::2, ::2].reshape(-1, 6)
    scale = np.abs(h).max()
    unit3 = [e for e in doc["images"] if e["what"] == "unit" and e["layer"] == 0 and e["unit"] == 3][0]
    at, n = unit3["at"]
    assert np.array_equal(images[1, at : at + n], _to_bytes(h[:, 3], scale))
    # the boundary: P(class 1) = softmax of the twin's logits on the grid, in bytes
    twin = copy.deepcopy(mlp())
    for p, v in zip(twin.parameters(), values, strict=False):
        p.data = v
    with no_grad():
        logits = twin(Tensor(rec.grid)).data
    p1 = 1 / (1 + np.exp(-(logits[:, 1] - logits[:, 0])))
    entry = [e for e in doc["images"] if e["what"] == "output"][0]
    got = images[1, entry["at"][0] : entry["at"][0] + entry["at"][1]]
    assert np.array_equal(got, np.rint(p1 * 255).astype(np.uint8))
    spot = doc["floats"]["W1"]
    assert np.allclose(floats[1, spot[0] : spot[0] + spot[1]], values[2].ravel(), rtol=1e-6)
    assert doc["grid"]["extent"][0][0] < X[:, 0].min()


class Net(nn.Module):
    """A user's own module: the activation is a method call, not a module."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(1)
        self.fc1 = nn.Linear(2, 4, rng=rng)
        self.fc2 = nn.Linear(4, 1, rng=rng)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


def test_a_users_module_with_hooks_binary_output_and_the_player():
    X, y = moons(20)
    model = Net()
    w = watch(model, X, y)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        loss = nn.binary_cross_entropy(model(Tensor(X)), y[:, None].astype(float))
        opt.zero_grad(), loss.backward(), w.record(loss), opt.step()
    assert type(model) is Net and not vars(model.fc1).get("_forward_hooks")
    z, h = Probe(model, X[:2]).evaluate(X[:3])[1:]
    manual = X[:3] @ model.fc1.weight.data.T + model.fc1.bias.data
    assert np.allclose(z[0], manual) and np.allclose(h[0], np.maximum(manual, 0))
    # the player: one example's loss with frame 0's weights, on a copy (the model keeps its own)
    loss = w._example_loss(0, 3)
    loss.backward()
    W1, b1, W2, b2 = w._snapshots[0]
    a = np.maximum(X[3] @ W1.T + b1, 0)
    s = a @ W2.T + b2
    assert loss.item() == pytest.approx(np.logaddexp(0, s[0]) - y[3] * s[0], rel=1e-12)
    if player_available():
        assert w.player(0, 3).document["title"] == "Backpropagation through L"


def player_available():
    import shutil

    return shutil.which("dot") is not None


def test_the_scalar_mlp_on_a_coarser_grid_and_its_player():
    X, y = moons(12)
    ylab = np.where(y > 0, 1, -1)
    model = nn.MLP(2, [4, 1], activation="tanh")
    w = watch(model, X.tolist(), ylab)
    params = model.parameters()
    for _ in range(2):
        scores = [model(list(map(Value, row))) for row in X]
        loss = sum(((1 + -yi * s).relu() for s, yi in zip(scores, ylab, strict=False)), Value(0.0)) / len(X)
        for p in params:
            p.grad = 0.0
        loss.backward()
        w.record(loss)
        for p in params:
            p.data -= 0.1 * p.grad
    doc = build_document(w, "scalar")
    assert doc["grid"]["side"] == 15 and doc["scalar"]
    _, images = unpack(doc)
    entry = [e for e in doc["images"] if e["what"] == "output"][0]
    values = w._snapshots[1]
    copy_model = copy.deepcopy(model)
    for p, v in zip(copy_model.parameters(), values, strict=False):
        p.data = v
    point = w._recorder.grid[7]
    s = copy_model(list(point)).data
    assert images[1, entry["at"][0] + 7] == round(255 / (1 + math.exp(-s)))
    loss = w._example_loss(1, 2)
    yy = 1.0 if ylab[2] > 0 else -1.0
    assert loss.data == pytest.approx(math.log(1 + math.exp(-yy * copy_model(list(X[2])).data)))
    frame = w.frames[1]
    assert frame["train_accuracy"] == pytest.approx(
        np.mean([(copy_model(list(r)).data > 0) == (t > 0) for r, t in zip(X, ylab, strict=False)])
    )


def test_regression_in_one_dimension_records_the_fitted_curve():
    x = np.linspace(-1, 1, 25)[:, None]
    t = np.sin(3 * x)
    model = mlp(widths=(1, 8, 1))
    w = watch(model, x, t, every=2)
    train(model, x, t, 3, w, loss_fn=lambda out: nn.mse_loss(out, Tensor(t)))
    doc = build_document(w, "curve")
    floats, _ = unpack(doc)
    spot = doc["floats"]["curve"]
    twin = mlp(widths=(1, 8, 1))
    for p, v in zip(twin.parameters(), w._snapshots[1], strict=False):
        p.data = v
    with no_grad():
        expected = twin(Tensor(w._recorder.grid)).data[:, 0]
    assert np.allclose(floats[1, spot[0] : spot[0] + spot[1]], expected, rtol=1e-6)
    assert w.frames[1]["train_loss"] == pytest.approx(np.mean((twin(Tensor(x)).data - t) ** 2))
    assert math.isnan(w.frames[1]["train_accuracy"]) and doc["kind"] == "regression"


def test_image_inputs_show_the_first_layers_weights_and_wide_layers_are_boxes():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 64)), rng.integers(0, 3, 10)
    model = mlp(widths=(64, 40, 3), act=nn.ReLU)
    w = watch(model, X, y)
    train(model, X, y, 1, w)
    doc = build_document(w, "digits")
    filters = [e for e in doc["images"] if e["what"] == "filter"]
    assert len(filters) == 16 and doc["image"] == [8, 8] and doc["grid"]["dim"] == 0
    assert [layer["units"] for layer in doc["layers"]] == [False, True] and not doc["layers"][1]["edges"]
    _, images = unpack(doc)
    W = w._snapshots[0][0]
    at, n = filters[2]["at"]
    assert np.array_equal(images[0, at : at + n], _to_bytes(W[2], np.abs(W).max()))


def test_flags_are_put_back_and_a_model_that_cannot_be_copied_is_evaluated_at_once(monkeypatch):
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5), nn.Tanh(), nn.Linear(3, 2))
    model[1].eval()  # a mixed state must come back as it was
    with _evaluating(model):
        assert not any(m.training for m in model.modules())
    assert [m.training for m in model.modules()] == [True, True, False, True, True]
    monkeypatch.setattr(watch_module, "_twin", lambda m: None)
    X, y = moons(10)
    w = watch(model, X, y)
    loss = nn.cross_entropy(model(Tensor(X)), y)
    loss.backward()
    w.record(loss)
    assert len(w._frames) == 1 and [m.training for m in model.modules()] == [True, True, False, True, True]
    assert watch_module._twin.__name__ == "<lambda>"


def test_a_model_deepcopy_refuses_is_evaluated_on_itself():
    class Locked(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)

        def __deepcopy__(self, memo):
            raise TypeError("no copies")

    w = watch(Locked(), np.zeros((3, 2)), np.array([0, 1, 0]))
    assert w._twin is None


def test_big_models_keep_weights_of_the_first_every_tenth_and_latest_frame(monkeypatch):
    monkeypatch.setattr(watch_module, "SNAPSHOT_ALL", 10)
    X, y = moons(10)
    model = mlp()
    w = watch(model, X, y)
    train(model, X, y, 13, w)
    assert w.offered() == [0, 10, 12] and w._twin is None
    with pytest.raises(ValueError, match="kept no weights"):
        w.player(5)
    assert frames_offering([0, 1, 2, 3, 4, 5, 6, 7, 8]) == [0, 4, 8]


def test_nan_losses_are_recorded_and_written_as_text():
    X, y = moons(10)
    model = mlp()
    w = watch(model, X, y)
    loss = nn.cross_entropy(model(Tensor(X)), y) * float("nan")
    loss.backward()
    w.record(loss)
    assert math.isnan(w.frames[0]["loss"])
    doc = build_document(w, "nan")
    assert doc["series"]["loss"] == ["nan"] and doc["gradnorms"][0][0] == "nan"
    assert "no frames" in watch(mlp(), X, y).summary_line() and "nan" in w.summary_line()


def test_the_page_is_self_contained_and_user_text_stays_text(tmp_path):
    X, y = moons(10)
    model = mlp()
    w = watch(model, X, y)
    train(model, X, y, 2, w)
    evil = '</script><script>alert("x")</script> & <!--'
    page = w.save(tmp_path / "sub" / "t.html", title=evil).read_text()
    assert "<script>alert" not in page and "https://" not in page
    assert not re.search(r"(src|href)\s*=\s*\\?[\"']?\s*(https?:|//)", page)  # nothing to load
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert policy.startswith("default-src 'none'; script-src 'sha256-")
    data = re.search(r'<script type="application/json" id="watch-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)["title"] == evil
    inline = w._repr_html_()
    assert 'sandbox="allow-scripts"' in inline and "&lt;/script&gt;" in inline


def test_a_failed_save_leaves_the_old_page_and_a_lone_surrogate_is_written(tmp_path, monkeypatch):
    X, y = moons(10)
    model = mlp()
    w = watch(model, X, y)
    train(model, X, y, 2, w)
    target = tmp_path / "t.html"
    target.write_text("the old page")

    def broken(title="x"):
        raise RuntimeError("the page could not be built")

    monkeypatch.setattr(w, "html", broken)
    with pytest.raises(RuntimeError):
        w.save(target)
    assert target.read_text() == "the old page" and [p.name for p in tmp_path.iterdir()] == ["t.html"]
    monkeypatch.undo()
    page = w.save(target, title="lone \udc80 surrogate").read_text(encoding="utf-8")
    assert "lone ? surrogate" in page


def test_bad_input_says_what_is_wrong():
    X, y = moons(10)
    model = mlp()
    with pytest.raises(ValueError, match="10 inputs but targets of shape \\(9,\\)"):
        watch(model, X, y[:9])
    with pytest.raises(ValueError, match="every must be at least 1"):
        watch(model, X, y, every=0)
    with pytest.raises(TypeError, match="every must be a whole number"):
        watch(model, X, y, every=1.5)
    with pytest.raises(TypeError, match="nn.Module"):
        watch("model", X, y)
    with pytest.raises(TypeError, match="str"):
        watch(model, "inputs", y)
    with pytest.raises(TypeError, match="numbers"):
        watch(model, np.array([["a", "b"]]), y)
    with pytest.raises(ValueError, match="rectangular"):
        watch(model, [[1.0, 2.0], [1.0]], None)
    with pytest.raises(ValueError, match="\\(N, d\\)"):
        watch(model, np.zeros(3), None)
    with pytest.raises(TypeError, match="pair"):
        watch(model, X, y, test=X)
    with pytest.raises(ValueError, match="rows must match"):
        watch(model, X, y, test=(np.zeros((3, 5)), np.zeros(3, dtype=int)))
    with pytest.raises(ValueError, match="one target per input"):
        watch(model, X, y, test=(X[:3], y[:2]))
    with pytest.raises(ValueError, match="labels must be 0 .. 1"):
        watch(model, X, y + 5)
    with pytest.raises(ValueError, match="two classes"):
        watch(Net(), X, np.arange(10))
    w = watch(model, X, y)
    out = model(Tensor(X))
    with pytest.raises(ValueError, match="one-element loss, got shape \\(10, 2\\)"):
        w.record(out)
    with pytest.raises(TypeError, match="float"):
        w.record(0.5)
    with pytest.raises(ValueError, match="leaf"):
        w.record(Tensor(np.array(1.0), requires_grad=True))
    loss = nn.cross_entropy(out, y)
    loss.backward()
    w.record(loss)
    for frame in (1, -2):
        with pytest.raises(ValueError, match="out of range: 1 frames"):
            w.player(frame)
    with pytest.raises(TypeError, match="whole number"):
        w.player(0.0)
    with pytest.raises(ValueError, match="example 10 is out of range"):
        w.player(0, 10)
    with pytest.raises(TypeError, match="whole number"):
        w.player(0, True)
    w2 = watch(model, X)
    w2.record(loss)
    with pytest.raises(ValueError, match="needs targets"):
        w2.player(0)
    assert build_document(w2, "no targets")["playerNote"].startswith("The backprop view needs targets")


def test_the_toy_sets_have_their_shapes():
    for make in TOY_SETS.values():
        X, y = make(50, noise=0.0, seed=2)
        assert X.shape == (50, 2) and sorted(set(y.tolist())) == [-1, 1]
    X, y = make_xor(200, noise=0.0)
    assert np.all(np.sign(X[:, 0] * X[:, 1]) == y)
    X, y = make_circles(200, noise=0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r[y == 1] <= 0.5) and np.all(r[y == -1] >= 0.7)
    X, y = make_gauss(400, noise=0.0)
    assert np.allclose(X[y == 1].mean(0), [0.4, 0.4], atol=0.05)
    X, y = make_spiral(100, noise=0.0)
    assert np.hypot(X[:, 0], X[:, 1]).max() == pytest.approx(1.0)


def test_playground_trains_and_refuses_bad_settings():
    w = playground("gauss", hidden=[3], steps=20, every=10, weight_decay=0.01)
    assert [f["step"] for f in w.frames] == [0, 10] and w.frames[-1]["train_accuracy"] > 0.9
    for kw in ({"data": "spirals"}, {"activation": "gelu"}, {"lr": 0}, {"hidden": [0]}):
        with pytest.raises(ValueError):
            playground(**{"data": "moons", **kw})


def test_three_classes_a_regression_surface_and_no_targets_on_the_plane():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2))
    y3 = np.arange(12) % 3
    model = mlp(widths=(2, 4, 3))
    w = watch(model, X, y3)
    train(model, X, y3, 1, w)
    doc = build_document(w, "three")
    _, images = unpack(doc)
    entry = next(e for e in doc["images"] if e["what"] == "output")
    with no_grad():
        twin = mlp(widths=(2, 4, 3))
        expected = twin(Tensor(w._recorder.grid)).data.argmax(1)  # same seed: frame 0's weights
    assert np.array_equal(images[0, entry["at"][0] : entry["at"][0] + entry["at"][1]], expected)
    t = X[:, :1] * 2.0
    reg = mlp(widths=(2, 4, 1))
    w = watch(reg, X, t)
    train(reg, X, t, 1, w, loss_fn=lambda out: nn.mse_loss(out, Tensor(t)))
    with no_grad():
        v = mlp(widths=(2, 4, 1))(Tensor(w._recorder.grid)).data[:, 0]
    doc = build_document(w, "surface")
    _, images = unpack(doc)
    mid, half = (t.min() + t.max()) / 2, (t.max() - t.min()) / 2
    assert np.array_equal(images[0, : 40 * 40], _to_bytes(v - mid, half))
    bare = watch(mlp(widths=(2, 4, 1)), X)
    loss = (bare.model(Tensor(X)) ** 2).mean()
    loss.backward()
    bare.record(loss)
    assert math.isnan(bare.frames[0]["train_loss"]) and build_document(bare, "bare")["kind"] == "none"


def test_the_command_line_writes_the_page_and_refuses_bad_arguments(tmp_path, capsys):
    from tinygrad_edu.cli import main

    target = tmp_path / "xor.html"
    args = ["playground", "--data", "xor", "--hidden", "3", "--steps", "4", "--every", "2", "-o", str(target)]
    assert (
        main(args + ["--activation", "relu", "--noise", "0", "--weight-decay", "0.001", "--lr", "0.1"]) == 0
    )
    out = capsys.readouterr().out
    assert "xor: 2 frames over 4 steps" in out and str(target) in out and target.stat().st_size > 1000
    for bad in (["--hidden", "8,x"], ["--hidden", "0"], ["--every", "0"], ["--lr", "0"], ["--steps", "two"]):
        assert main(["playground", *bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error" in err


def _example(name):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / name
    spec = importlib.util.spec_from_file_location(name[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_07_with_watch_shows_the_plain_stacks_gradients_vanish(tmp_path):
    ex = _example("07_skip_connections.py")
    x, y = ex.wavy_surface(64, np.random.default_rng(0))
    spread = {}
    for residual in (False, True):
        model = ex.deep_stack(residual)
        w = watch(model, x, y, every=5)
        ex.train(model, x, y, 8, w=w)
        norms = np.array(w.frames[-1]["grad_norms"])  # input layer ... output layer
        spread[residual] = norms[-1] / norms[0]
        page = w.save(tmp_path / f"skip_{residual}.html")
        assert page.stat().st_size < 3e6
    assert spread[False] > 100 * spread[True]  # plain: the first layer's gradient is far smaller


def test_example_03_main_with_watch_writes_the_page(tmp_path, monkeypatch):
    ex = _example("03_universal_approximation.py")
    monkeypatch.setattr(ex, "WIDTHS", (8,))
    monkeypatch.setattr(ex, "deep_net", lambda: ex.shallow_net(2))
    monkeypatch.setattr(ex, "plot", lambda *a: (_ for _ in ()).throw(ImportError()))
    original = ex.fit
    monkeypatch.setattr(ex, "fit", lambda model, x, y, steps, **kw: original(model, x, y, 20, **kw))
    results = ex.main(str(tmp_path), quick=True, watching=True)
    text = results["page"].read_text()
    assert '"kind":"regression"' in text and '"dim":1' in text
