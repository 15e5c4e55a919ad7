"""Example 12 (depth estimation with a U-Net) runs in quick mode and its numbers hold, checked
against the scikit-image scene directly."""

import numpy as np
import pytest
from test_examples import assert_png, run_example


def test_12_depth_estimation(tmp_path):
    data = pytest.importorskip("skimage.data", reason="scikit-image is not installed")
    results, stdout = run_example("12_depth_estimation.py", tmp_path)
    _, _, disparity = data.stereo_motorcycle()
    # depth = focal x baseline / (d + doffs), shrunk 4x; blocks with any missing disparity masked
    d = disparity[:496, :740].reshape(124, 4, 185, 4)
    valid = np.isfinite(d).all(axis=(1, 3))
    depth = (994.978 * 0.193001 / (np.where(np.isfinite(d), d, 1.0) + 31.086)).mean(axis=(1, 3))
    test_mask, test_depth = results["test_mask"], results["test_depth"]
    np.testing.assert_array_equal(test_mask, valid[:, 124:184])
    np.testing.assert_allclose(test_depth[test_mask], depth[:, 124:184][test_mask], rtol=1e-6)
    assert 0.5 < test_mask.mean() < 1 and 2 < test_depth[test_mask].mean() < 5  # metres
    # the scores, recomputed from the predictions over the valid pixels only
    for name, predicted in results["predictions"].items():
        assert predicted.shape == test_depth.shape and np.isfinite(predicted).all()
        error = np.sqrt(np.mean((predicted - test_depth)[test_mask] ** 2))
        assert results["rmse"][name] == pytest.approx(error)
    mean_error = np.sqrt(np.mean((test_depth[test_mask] - results["mean_depth"]) ** 2))
    assert results["rmse"]["predict the mean"] == pytest.approx(mean_error)
    assert results["rmse"]["U-Net"] < 1.5 * mean_error  # quick mode: trained a little, not broken
    assert "held-out root-mean-square error" in stdout
    assert_png(results["files"][0])
