"""Test helper, run inside the runtime image with the fixture CodeUri on sys.path: trains a small
PixelNMF-like model on synthetic maps, pickles it, and writes test inputs with scikit-learn's own
reconstruction (transform + inverse_transform) and a float64 numpy run of the ONNX graph's updates.
  usage: make_test_model.py <code dir> <out dir>"""
import os
import sys

sys.path.insert(0, sys.argv[1])
out = sys.argv[2]

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from nmf2d import NMF2D  # noqa: E402
from pixelnmf import PixelNMF  # noqa: E402

ME = "PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_%d"
LAYERS = [(2, 58), (3, 90)]
rng = np.random.default_rng(7)
nmfs, norms, masks = {}, {}, {}
for i, (layer, ny) in enumerate(LAYERS):
    xshape = (ny - 2, 64)
    d = xshape[0] * xshape[1]
    yy, xx = np.meshgrid(np.linspace(-1, 1, xshape[0]), np.linspace(-1, 1, xshape[1]), indexing="ij")
    H = np.stack([np.exp(-(yy - c) ** 2 * 3) * (1.2 + np.cos(6 * xx + c)) for c in (-0.5, 0.0, 0.6)]).reshape(3, d)
    H /= H.mean(axis=1, keepdims=True)
    W = rng.uniform(0.1, 1.0, size=(150, 3))
    X = np.abs(W @ H + rng.normal(0, 0.05, size=(150, d)))
    X /= X.mean(axis=1, keepdims=True)
    model = NMF2D(3, xshape, init="nndsvda", max_iter=500, random_state=0).fit(X.reshape(150, *xshape))
    nmfs[ME % layer] = model
    norms[ME % layer] = rng.uniform(50, 100, size=(ny, 72))
    mask = np.ones((ny, 72), dtype=bool)
    mask[5:7, 10:14] = False
    masks[ME % layer] = mask

    # Test inputs as the preview feeds the model: mean ~1, clipped (>5 -> 5, 0 -> 1).
    Xt = np.abs(rng.uniform(0.2, 1.0, size=(8, 3)) @ H + rng.normal(0, 0.1, size=(8, d)))
    Xt /= Xt.mean(axis=1, keepdims=True)
    Xt[2, : d // 4] = 0  # a dead quarter
    Xt[5, 100:300] = 9  # a hot spot
    Xt[Xt > 5] = 5
    Xt[Xt == 0] = 1
    Xt = Xt.astype(np.float32)
    np.save(os.path.join(out, "x_%d.npy" % i), Xt.reshape(8, *xshape))
    sk = model.nmf
    np.save(os.path.join(out, "sklearn_%d.npy" % i), sk.inverse_transform(sk.transform(Xt.astype(np.float64))).reshape(8, *xshape))
    Hc = sk.components_.astype(np.float64)
    XHt = Xt.astype(np.float64) @ Hc.T
    Wm, HHt = np.maximum(XHt, 0), Hc @ Hc.T
    for _ in range(200):
        Wm = Wm * XHt / (Wm @ HHt + 1e-8)
    np.save(os.path.join(out, "mu_%d.npy" % i), (Wm @ Hc).reshape(8, *xshape))

joblib.dump(PixelNMF(nmfs, local_norms=norms, loss_masks=masks), os.path.join(out, "pixelnmf.joblib"))
joblib.dump({"not": "a model"}, os.path.join(out, "not_pixelnmf.joblib"))
print("made test model")
