"""watch: record a network while it trains, then step through the run in a browser page.

    from tinygrad_edu import watch
    w = watch(model, X, y, test=(X_test, y_test))
    ...  # in the training loop, after loss.backward(): w.record(loss)
    w.save('training.html')          # in Jupyter: just `w`

Python computes every frame (``record.py``: losses, gradient norms, weights, heatmaps over a
grid); ``document.py`` packs them into the page's JSON document; the page (``watch.html``,
``watch.css``, ``watch.js``, files in this folder that you can open and read) only shows
them. ``probe.py`` is how the model is looked into without being changed.
"""

from .watcher import Watch, watch

__all__ = ["watch", "Watch"]
