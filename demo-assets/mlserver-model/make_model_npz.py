"""Write model.npz for app.py from per-layer .npy files, with the pixel-barrel preset's thresholds.

usage: python3 make_model_npz.py OUT.npz LAYER=COMPONENTS.npy,LOCAL_NORM.npy,LOSS_MASK.npy [...]
Layers are combined in the order given (the first one sets the combined map's shape). The keys
written are documented in README.md; edit the constants below for other presets.
"""
import sys

import numpy as np

MIN_ENTRIES = {"BPix1": 0.0, "BPix2": 2.5e5, "BPix3": 5e5 / 3, "BPix4": 1.25e5}
CROSS_ROWS = {"BPix1": (12, 14), "BPix2": (28, 30), "BPix3": (44, 46), "BPix4": (64, 66)}
CROSS_COLS = (32, 40)
OMS_FLAGS = ["beams_stable", "cms_active", "bpix_ready", "fpix_ready", "tibtid_ready", "tob_ready",
             "tecp_ready", "tecm_ready"]


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    out, specs = argv[0], argv[1:]
    arrays = {}
    names = []
    for spec in specs:
        name, _, files = spec.partition("=")
        comp, norm, mask = files.split(",")
        names.append(name)
        local_norm = np.load(norm).astype(np.float64)
        arrays[f"{name}/components"] = np.load(comp).astype(np.float32)
        arrays[f"{name}/local_norm"] = local_norm
        arrays[f"{name}/loss_mask"] = np.load(mask).astype(bool)
        ny = local_norm.shape[0]
        arrays[f"{name}/cross_rows"] = np.array(CROSS_ROWS.get(name, (ny // 2 - 1, ny // 2 + 1)), dtype=np.int64)
        arrays[f"{name}/cross_cols"] = np.array(CROSS_COLS, dtype=np.int64)
        arrays[f"{name}/min_entries"] = np.array(MIN_ENTRIES.get(name, 0.0))
    arrays.update({
        "layers": np.array(names),
        "nmf_steps": np.array(200, dtype=np.int64),
        "cluster/loss_thresholds": np.array([0.04]),
        "cluster/filter_thresholds": np.array([1.5]),
        "cluster/pattern_0": np.ones((2, 16)),
        "combine/min_layers": np.array(2.0),
        "flag/pattern_0": np.ones((1, 8)),
        "flag/pattern_1": np.ones((2, 4)),
        "flag/threshold": np.array(1e-3),
        "filter/oms_flags": np.array(OMS_FLAGS),
        "filter/min_pileup": np.array(25.0),
        "filter/min_hlt_rate": np.array(5.0),
    })
    np.savez(out, **arrays)
    print(f"wrote {out}: layers {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
