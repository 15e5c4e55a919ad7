"""A small U-Net built from the image-to-image layers: the same outputs and gradients as a
torch twin with copied weights, its nn.summary counts, and the stepper and player on its ops."""

import json
import shutil

import numpy as np
import pytest

from tinygrad_edu import Tensor, backward_steps, draw_dot, nn, play
from tinygrad_edu.tensor_pool import upsample_nearest2d


class TinyUNet(nn.Module):
    """Two levels, a concatenation skip at each, batch norm, both ways of upsampling."""

    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 4, 3, padding=1, rng=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.enc2 = nn.Conv2d(4, 6, 3, padding=1, rng=2)
        self.pool = nn.MaxPool2d(2)
        self.mid = nn.Conv2d(6, 6, 3, padding=1, rng=3)
        self.up2 = nn.ConvTranspose2d(6, 6, 2, stride=2, rng=4)
        self.dec2 = nn.Conv2d(12, 4, 3, padding=1, rng=5)
        self.up1 = nn.Upsample(scale_factor=2)
        self.dec1 = nn.Conv2d(8, 4, 3, padding=1, rng=6)
        self.bn2 = nn.BatchNorm1d(4)
        self.head = nn.Conv2d(4, 1, 1, rng=7)

    def forward(self, x):
        e1 = self.bn1(self.enc1(x)).relu()  # (N, 4, 8, 8)
        e2 = self.enc2(self.pool(e1)).relu()  # (N, 6, 4, 4)
        m = self.mid(self.pool(e2)).relu()  # (N, 6, 2, 2)
        d2 = self.dec2(Tensor.cat([self.up2(m), e2], axis=1)).relu()  # (N, 4, 4, 4)
        d1 = self.dec1(Tensor.cat([self.up1(d2), e1], axis=1))  # (N, 4, 8, 8)
        n, c, h, w = d1.shape
        d1 = self.bn2(d1.reshape(n, c, h * w)).reshape(n, c, h, w).relu()  # BatchNorm1d on (N, C, L)
        return self.head(d1) + d1.avg_pool2d((h, w)).sum(axis=1, keepdims=True)  # global context


def torch_unet():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class Twin(tnn.Module):
        def __init__(self):
            super().__init__()
            self.enc1, self.bn1 = tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4)
            self.enc2, self.pool = tnn.Conv2d(4, 6, 3, padding=1), tnn.MaxPool2d(2)
            self.mid = tnn.Conv2d(6, 6, 3, padding=1)
            self.up2, self.dec2 = tnn.ConvTranspose2d(6, 6, 2, stride=2), tnn.Conv2d(12, 4, 3, padding=1)
            self.up1, self.dec1 = tnn.Upsample(scale_factor=2), tnn.Conv2d(8, 4, 3, padding=1)
            self.bn2, self.head = tnn.BatchNorm1d(4), tnn.Conv2d(4, 1, 1)

        def forward(self, x):
            F = torch.nn.functional
            e1 = F.relu(self.bn1(self.enc1(x)))
            e2 = F.relu(self.enc2(self.pool(e1)))
            m = F.relu(self.mid(self.pool(e2)))
            d2 = F.relu(self.dec2(torch.cat([self.up2(m), e2], dim=1)))
            d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
            n, c, h, w = d1.shape
            d1 = F.relu(self.bn2(d1.reshape(n, c, h * w)).reshape(n, c, h, w))
            return self.head(d1) + F.avg_pool2d(d1, (h, w)).sum(dim=1, keepdim=True)

    return torch, Twin().double()


def test_unet_and_its_torch_twin_agree_on_outputs_gradients_and_state_in_both_modes():
    torch, twin = torch_unet()
    net = TinyUNet()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    assert list(twin.state_dict()) == list(net.state_dict())  # the same names in the same order
    rng = np.random.default_rng(0)
    for mode in ("train", "train", "eval"):
        net.train(mode == "train"), twin.train(mode == "train")
        x, g = rng.standard_normal((3, 1, 8, 8)), rng.standard_normal((3, 1, 8, 8))
        y, yt = net(Tensor(x)), twin(torch.from_numpy(x))
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-9, atol=1e-11)
        net.zero_grad(), twin.zero_grad()
        y.backward(g), yt.backward(torch.from_numpy(g))
        theirs = dict(twin.named_parameters())
        for name, p in net.named_parameters():
            np.testing.assert_allclose(p.grad, theirs[name].grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
        state = twin.state_dict()
        for name, value in net.state_dict().items():
            np.testing.assert_allclose(value, state[name].numpy(), rtol=1e-12, err_msg=name)
    back = TinyUNet()  # and back again: torch's state loads into a fresh net
    back.load_state_dict(twin.state_dict())
    back.eval(), net.eval()
    x = Tensor(rng.standard_normal((2, 1, 8, 8)))
    np.testing.assert_allclose(back(x).data, net(x).data, rtol=1e-10, atol=1e-13)


def test_summary_counts_the_transposed_convolution_over_its_input_pixels():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=0),  # 2 x 4 x 8 x 8 x 1 x 3 x 3
        nn.BatchNorm2d(4),
        nn.AvgPool2d(2),
        nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1, rng=0),  # 2 x 4 x 4x4 x 3 x 3 x 3
        nn.Upsample(2),
        nn.AdaptiveAvgPool2d(1),
    )
    s = nn.summary(model, (2, 1, 8, 8))
    rows = {row["name"]: row for row in s.rows}
    assert rows["0"]["mult_adds"] == 2 * 4 * 8 * 8 * 1 * 3 * 3
    assert rows["3"]["mult_adds"] == 2 * 4 * 4 * 4 * 3 * 3 * 3 and rows["3"]["output_shape"] == (2, 3, 8, 8)
    assert [rows[k]["mult_adds"] for k in "1245"] == [0, 0, 0, 0]
    assert rows["1"]["params"] == 8 and rows["3"]["params"] == 4 * 3 * 9 + 3
    assert rows["5"]["output_shape"] == (2, 3, 1, 1)


def small_graph():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 2, 4, 4)), label="x")
    w = Tensor(rng.standard_normal((2, 3, 2, 2)), requires_grad=True, label="W")
    b = Tensor(rng.standard_normal(3), requires_grad=True, label="b")
    bn = nn.BatchNorm2d(3)
    y = bn(x.conv_transpose2d(w, b, stride=2)).avg_pool2d(2)  # (2, 3, 4, 4)
    loss = (upsample_nearest2d(y, (2, 2)) * Tensor(rng.standard_normal((2, 3, 8, 8)))).sum()
    return loss, [w, b, bn.weight, bn.bias]


def test_backward_steps_know_every_new_op_and_end_with_backwards_gradients():
    loss_a, params_a = small_graph()
    loss_a.backward()
    loss_b, params_b = small_graph()
    lines = [str(step) for step in backward_steps(loss_b)]
    text = "\n".join(lines)
    assert "(the " not in text  # every op has its sentence
    assert "conv_transpose2d(x, W, b): dL/dW += x.T @ the windows of g   (2, 3, 2, 2)" in text
    assert "g / (kh*kw) spread over each window" in text and "g summed over each block" in text
    assert "g * x_hat summed per channel   (3,)" in text
    for p_a, p_b in zip(params_a, params_b, strict=True):
        np.testing.assert_array_equal(p_a.grad, p_b.grad)
    w, b, gamma, beta = params_b
    assert min(np.abs(w.grad).min(), np.abs(gamma.grad).min(), np.abs(beta.grad).min()) > 1e-6
    np.testing.assert_allclose(b.grad, 0.0, atol=1e-12)  # batch norm takes away a bias before it


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_draw_dot_and_play_show_the_new_ops():
    loss, _ = small_graph()
    source = draw_dot(loss).source
    for op in ("conv_transpose2d", "batch_norm", "avg_pool2d", "upsample_nearest2d"):
        assert op in source
    texts = json.dumps(play(loss).document)
    assert "x.T @ the windows of g" in texts and "per channel while training" in texts
