"""Write model.npz for app.py from per-layer .npy files and a model preset.

usage: python3 make_model_npz.py OUT.npz [--preset PRESET.json] LAYER=COMPONENTS.npy,LOCAL_NORM.npy,LOSS_MASK.npy [...]
Without --preset the pixel-barrel preset values are used for the layers given (in that order;
the first layer sets the combined map's shape). DISM Studio's demo generator writes the same keys.
"""
import json
import sys

import numpy as np

ME = "PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_"
MIN_ENTRIES = {"BPix1": 5e5, "BPix2": 2.5e5, "BPix3": 5e5 / 3, "BPix4": 1.25e5}
CROSS_ROWS = {"BPix1": [12, 14], "BPix2": [28, 30], "BPix3": [44, 46], "BPix4": [64, 66]}


def pixel_barrel_preset(layers, shapes):
    return {
        "kind": "dism-studio.pixel-nmf-preset", "version": 1, "name": "pixel barrel",
        "layers": [{"name": n, "monitoringElement": ME + n.replace("BPix", ""), "shape": list(shapes[n]),
                    "cross": {"rows": CROSS_ROWS.get(n, [shapes[n][0] // 2 - 1, shapes[n][0] // 2 + 1]), "columns": [32, 40]},
                    "onnx": f"model/nmf_{n}.onnx", "localNorm": f"model/local_norm_{n}.npy",
                    "lossMask": f"model/loss_mask_{n}.npy"} for n in layers],
        "reconstructionInput": {"max": 5, "zeroValue": 1},
        "thresholds": [{"lossThreshold": 0.04, "pattern": {"ones": [2, 16]}, "filterThreshold": 1.5}],
        "combine": {"minLayers": 2},
        "flagging": {"patterns": [{"ones": [1, 8]}, {"ones": [2, 4]}], "threshold": 1e-3},
        "filters": {
            "minEntries": {n: MIN_ENTRIES.get(n, 0.0) for n in layers},
            "omsBooleans": ["beams_stable", "cms_active", "bpix_ready", "fpix_ready", "tibtid_ready", "tob_ready",
                            "tecp_ready", "tecm_ready"],
            "minPileup": 25,
            "hlt": {"triggerGlob": "HLT_ZeroBias_v*", "minRate": 5},
        },
    }


def main(argv):
    preset = None
    if "--preset" in argv:
        i = argv.index("--preset")
        with open(argv[i + 1], encoding="utf-8") as f:
            preset = json.load(f)
        argv = argv[:i] + argv[i + 2:]
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    out, specs = argv[0], argv[1:]
    arrays, names, shapes = {}, [], {}
    for spec in specs:
        name, _, files = spec.partition("=")
        comp, norm, mask = files.split(",")
        names.append(name)
        arrays[f"components_{name}"] = np.load(comp).astype(np.float32)
        arrays[f"local_norm_{name}"] = np.load(norm).astype(np.float64)
        arrays[f"loss_mask_{name}"] = np.load(mask).astype(bool)
        shapes[name] = arrays[f"local_norm_{name}"].shape
    preset = preset or pixel_barrel_preset(names, shapes)
    arrays["preset_json"] = np.frombuffer(json.dumps(preset).encode("utf-8"), dtype=np.uint8)
    np.savez(out, **arrays)
    print(f"wrote {out}: layers {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
