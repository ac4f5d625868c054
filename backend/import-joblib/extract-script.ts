/**
 * Runs inside the model's own runtime image (which has numpy, scikit-learn and joblib), with the
 * template's CodeUri on sys.path, so the pickled PixelNMF and its classes load exactly as in
 * MLServer. It writes result.json (and .npy arrays) to the output folder; errors are reported
 * there with a kind the app turns into a readable message, and the script's output is kept.
 *   usage: extract.py <joblib file> <code dir> <output dir>
 */
export const EXTRACT_SCRIPT = String.raw`
import json, os, sys, traceback, warnings

model_path, code_dir, out_dir = sys.argv[1:4]
result = {"ok": False, "warnings": [], "versions": {"python": sys.version.split()[0]}}

def finish(code):
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    sys.exit(code)

def fail(kind, message):
    result["error"] = {"kind": kind, "message": message}
    print("extract: %s: %s" % (kind, message), file=sys.stderr)
    finish(1)

try:
    import numpy as np
    import joblib
    import sklearn
except Exception as e:
    fail("runtime", "the image lacks the Python packages the model needs (%s: %s)" % (type(e).__name__, e))
result["versions"].update({"numpy": np.__version__, "sklearn": sklearn.__version__, "joblib": joblib.__version__})
sys.path.insert(0, code_dir)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        obj = joblib.load(model_path)
    except Exception as e:
        traceback.print_exc()
        version_msgs = [str(w.message) for w in caught if "version" in type(w.message).__name__.lower() or "version" in str(w.message).lower()]
        if version_msgs:
            fail("version-mismatch", "%s: %s (pickled with other library versions: %s)" % (type(e).__name__, e, "; ".join(version_msgs)))
        fail("unpickle", "%s: %s" % (type(e).__name__, e))
    for w in caught:
        original = getattr(w.message, "original_sklearn_version", None)
        if original is not None:
            result["versions"]["pickledWithSklearn"] = str(original)
        result["warnings"].append("%s: %s" % (type(w.message).__name__, w.message))

nmfs = getattr(obj, "nmfs", None)
if not isinstance(nmfs, dict) or not nmfs:
    attrs = ", ".join(sorted(k for k in vars(obj))[:20]) if hasattr(obj, "__dict__") else "none"
    fail("not-pixelnmf", "the file holds a %s.%s, not a PixelNMF (no 'nmfs' dictionary of NMF models; attributes: %s)" % (type(obj).__module__, type(obj).__name__, attrs))
result["className"] = "%s.%s" % (type(obj).__module__, type(obj).__name__)
menames = list(getattr(obj, "menames", None) or nmfs.keys())

def first_attr(o, names):
    for n in names:
        v = getattr(o, n, None) if o is not None else None
        if v is not None:
            return v
    return None

def save(name, arr):
    np.save(os.path.join(out_dir, name), arr)
    return name

preprocessors = getattr(obj, "preprocessors", None) or {}
local_norms = getattr(obj, "local_norms", None) or {}
loss_masks = getattr(obj, "loss_masks", None) or {}
layers = []
for i, me in enumerate(menames):
    model = nmfs[me]
    sk = model if hasattr(model, "components_") else getattr(model, "nmf", None)
    if sk is None or not hasattr(sk, "components_"):
        fail("not-pixelnmf", "the model for %s is a %s without fitted NMF components (expected an NMF2D whose .nmf is a fitted scikit-learn NMF)" % (me, type(model).__name__))
    comps = np.asarray(sk.components_, dtype=np.float32)
    xshape = first_attr(model, ["xshape"])
    if xshape is None:
        fail("not-pixelnmf", "the model for %s has no xshape (the 2-D shape of its input maps)" % me)
    xshape = [int(v) for v in xshape]
    if int(np.prod(xshape)) != comps.shape[1]:
        fail("not-pixelnmf", "the model for %s has xshape %s but its components have %d features" % (me, xshape, comps.shape[1]))
    layer = {"me": me, "xshape": xshape, "nComponents": int(comps.shape[0]), "nmfClass": type(sk).__name__,
             "components": save("components_%d.npy" % i, comps)}
    norm = first_attr(preprocessors.get(me) if isinstance(preprocessors, dict) else None, ["local_norm", "localnorm", "norm"])
    if norm is None and isinstance(local_norms, dict):
        norm = local_norms.get(me)
    if norm is not None:
        layer["localNorm"] = save("local_norm_%d.npy" % i, np.asarray(norm, dtype=np.float64).squeeze())
    mask = loss_masks.get(me) if isinstance(loss_masks, dict) else None
    if mask is not None:
        layer["lossMask"] = save("loss_mask_%d.npy" % i, np.asarray(mask).astype(bool).squeeze())
    layers.append(layer)
result["layers"] = layers

combined = getattr(obj, "loss_mask", None)
if combined is not None:
    result["combinedLossMask"] = save("loss_mask_combined.npy", np.asarray(combined, dtype=np.float64).reshape(np.asarray(combined).shape[-2:]))
tp = getattr(obj, "threshold_patterns", None)
if tp is not None:
    result["thresholdPatterns"] = [{"lossThreshold": float(t["loss_threshold"]), "pattern": np.asarray(t["pattern"], dtype=float).tolist(),
                                    "filterThreshold": float(t["filter_threshold"])} for t in tp]
fp = getattr(obj, "flagging_patterns", None)
if fp is not None:
    result["flaggingPatterns"] = [np.atleast_2d(np.asarray(p, dtype=float)).tolist() for p in fp]
result["ok"] = True
print("extract: %d monitoring elements: %s" % (len(layers), ", ".join(menames)))
finish(0)
`;
