/**
 * Runs inside the model's runtime image (no network, only CodeUri and the model file mounted,
 * read-only) in two fresh Python processes, one per stage, so the first cannot help the second:
 *
 *   unpickle  — CodeUri on sys.path, the model file loaded with joblib (or pickle);
 *   handler   — the model folder laid out as the build does it (CodeUri entries + the model file +
 *               model-settings.json, as links in /tmp), then the handler loaded exactly as the server
 *               does: MLServer 1.5 (`load_model_settings`, `settings.implementation` — which puts the
 *               folder on sys.path only while it imports the module — the class instantiated with the
 *               settings, `await load()`); Triton's Python backend (version folder, model folder and
 *               backend folder on sys.path, `import <version>.model`, `TritonPythonModel()`,
 *               `initialize(args)`).
 *
 * Each stage writes <out>/<stage>.json: ok, the error (type, message, the traceback's frames,
 * SyntaxError's file/line/text), the warnings raised (scikit-learn's version warning among them) and
 * the library versions of the image.
 *   usage: check.py <stage> <config.json> <out dir>
 */
export const LOAD_SCRIPT = String.raw`
import json, os, sys, traceback, warnings

stage, config_file, out_dir = sys.argv[1:4]
with open(config_file) as f:
    cfg = json.load(f)
result = {"stage": stage, "ok": False, "warnings": [], "versions": {"python": sys.version.split()[0]}}

def finish():
    with open(os.path.join(out_dir, stage + ".json"), "w") as f:
        json.dump(result, f, indent=1)
    sys.exit(0)

def record_error(e):
    tb = traceback.extract_tb(e.__traceback__)
    frames = [[f.filename, f.lineno, f.name, (f.line or "").strip()] for f in tb if not f.filename.startswith("<frozen")]
    err = {"type": type(e).__name__, "message": str(e), "frames": frames[-8:]}
    if isinstance(e, SyntaxError):
        err.update({"file": e.filename, "line": e.lineno, "offset": e.offset, "text": (e.text or "").rstrip("\n"), "message": e.msg})
    if isinstance(e, ImportError) and getattr(e, "name", None):
        err["module"] = e.name
    result["error"] = err
    traceback.print_exc()

def versions():
    for mod, key in (("numpy", "numpy"), ("sklearn", "scikit-learn"), ("joblib", "joblib"), ("mlserver", "mlserver")):
        try:
            result["versions"][key] = __import__(mod).__version__
        except Exception:
            result["versions"][key] = None

def keep_warnings(caught):
    for w in caught:
        entry = {"category": w.category.__name__, "message": str(w.message)}
        original = getattr(w.message, "original_sklearn_version", None)
        if original is None:
            # scikit-learn < 1.3 warns with a plain UserWarning: "... from version X when using version Y ..."
            import re
            m = re.search(r"from version (\S+) when using version", str(w.message))
            original = m.group(1) if m else None
        if original is not None:
            entry["pickledWith"] = str(original)
        if entry not in result["warnings"]:
            result["warnings"].append(entry)

def link_folder(dest, entries_from, model_file):
    os.makedirs(dest, exist_ok=True)
    for e in os.listdir(entries_from):
        os.symlink(os.path.join(entries_from, e), os.path.join(dest, e))
    target = os.path.join(dest, os.path.basename(model_file))
    if not os.path.lexists(target):
        os.symlink(model_file, target)

if stage == "unpickle":
    sys.path.insert(0, cfg["codeDir"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            try:
                import joblib
                loader = "joblib"
            except ImportError:
                joblib = None
                loader = "pickle"
            result["loader"] = loader
            if joblib is not None:
                obj = joblib.load(cfg["modelFile"])
            else:
                import pickle
                with open(cfg["modelFile"], "rb") as f:
                    obj = pickle.load(f)
            result["className"] = "%s.%s" % (type(obj).__module__, type(obj).__name__)
            result["ok"] = True
        except BaseException as e:
            record_error(e)
        keep_warnings(caught)
    versions()
    finish()

if stage == "handler":
    name = cfg["modelName"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if cfg["framework"] == "MLServer":
                folder = os.path.join("/tmp/dism-model", name)
                link_folder(folder, cfg["codeDir"], cfg["modelFile"])
                settings_path = os.path.join(folder, "model-settings.json")
                with open(settings_path, "w") as f:
                    f.write(cfg["settings"])
                os.chdir("/tmp")
                try:
                    from mlserver.repository.load import load_model_settings
                except ImportError:
                    load_model_settings = None
                if load_model_settings is not None:
                    # MLServer itself: implementation imports the module with the folder on sys.path, then takes it off.
                    settings = load_model_settings(settings_path)
                    result["how"] = "mlserver.repository.load"
                    cls = settings.implementation
                else:
                    # Another mlserver package (e.g. a test stand-in): do what MLServer 1.5 does.
                    import importlib
                    from mlserver.settings import ModelSettings
                    reader = getattr(ModelSettings, "parse_file", None) or getattr(ModelSettings, "from_file")
                    settings = reader(settings_path)
                    result["how"] = "emulated MLServer 1.5"
                    module_name, _, class_name = cfg["handler"].rpartition(".")
                    sys.path.insert(0, folder)
                    try:
                        module = importlib.import_module(module_name)
                    finally:
                        sys.path.remove(folder)
                    cls = getattr(module, class_name, None)
                    if cls is None:
                        raise ImportError("module '%s' has no class '%s'" % (module_name, class_name))
                result["imported"] = True
                model = cls(settings)
                result["instantiated"] = True
                import asyncio
                loaded = asyncio.run(asyncio.wait_for(model.load(), cfg.get("loadTimeoutS", 120)))
                result["loadReturned"] = repr(loaded)
                if getattr(model, "ready", True) is False and loaded is False:
                    raise RuntimeError("load() returned False and the model is not ready")
            else:
                model_dir = os.path.join("/tmp/dism-model", name)
                version_dir = os.path.join(model_dir, "1")
                link_folder(version_dir, cfg["codeDir"], cfg["modelFile"])
                for p in (version_dir, model_dir, cfg.get("backendDir") or "/opt/tritonserver/backends/python"):
                    sys.path.append(p)
                sys.path.append("/tmp/dism-model")
                os.chdir("/tmp")
                __import__("1.model")
                result["imported"] = True
                cls = getattr(sys.modules["1.model"], "TritonPythonModel", None)
                if cls is None:
                    raise ImportError("model.py has no class TritonPythonModel")
                model = cls()
                result["instantiated"] = True
                if hasattr(model, "initialize"):
                    args = {"model_config": cfg["tritonConfig"], "model_instance_kind": "CPU", "model_instance_name": name + "_0",
                            "model_instance_device_id": "0", "model_repository": model_dir, "model_version": "1", "model_name": name}
                    model.initialize(args)
            result["ok"] = True
        except BaseException as e:
            record_error(e)
        keep_warnings(caught)
    versions()
    finish()

if stage == "decompress":
    # Only decompression (bz2/lzma/xz/lz4 from the standard library or lz4): nothing is unpickled.
    kind = cfg["compression"]
    try:
        if kind == "bz2":
            import bz2 as m
            opener = m.open
        elif kind in ("lzma", "xz"):
            import lzma as m
            opener = m.open
        else:
            import lz4.frame as m
            opener = m.open
        with opener(cfg["modelFile"], "rb") as src, open(os.path.join(out_dir, "stream.pkl"), "wb") as dst:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)
        result["ok"] = True
    except BaseException as e:
        record_error(e)
    finish()
`;

/**
 * Re-dumps the model from the vendored code: the old module paths the pickle names are mapped to the
 * vendored flat modules while loading (an Unpickler-level rename, nothing else changes), and the object
 * is written back with joblib (same compression as before) or pickle. Run in the runtime image, with
 * the model folder read-only and only the output folder writable.
 *   usage: redump.py <config.json> <out dir>
 */
export const REDUMP_SCRIPT = String.raw`
import json, os, pickle, sys, traceback
config_file, out_dir = sys.argv[1:3]
with open(config_file) as f:
    cfg = json.load(f)
renames = cfg["renames"]  # old module -> new module
sys.path.insert(0, cfg["codeDir"])
result = {"ok": False, "renamed": []}
try:
    import importlib
    seen = set()
    def find(module, name):
        new = renames.get(module)
        if new is not None:
            if (module, new) not in seen:
                seen.add((module, new))
                result["renamed"].append({"from": "%s.%s" % (module, name), "to": "%s.%s" % (new, name)})
            module = new
        return getattr(importlib.import_module(module), name)
    try:
        import joblib
        from joblib import numpy_pickle
    except ImportError:
        joblib = None
    if joblib is not None:
        original = numpy_pickle.NumpyUnpickler.find_class
        numpy_pickle.NumpyUnpickler.find_class = lambda self, module, name: find(module, name)
        obj = joblib.load(cfg["modelFile"])
        numpy_pickle.NumpyUnpickler.find_class = original
        compress = cfg.get("compress") or 0
        if isinstance(compress, list):
            compress = tuple(compress)  # joblib wants ("zlib", 3), JSON has a list
        joblib.dump(obj, os.path.join(out_dir, "model.out"), compress=compress)
    else:
        class Renaming(pickle.Unpickler):
            def find_class(self, module, name):
                return find(module, name)
        with open(cfg["modelFile"], "rb") as f:
            obj = Renaming(f).load()
        with open(os.path.join(out_dir, "model.out"), "wb") as f:
            pickle.dump(obj, f, protocol=cfg.get("protocol") or pickle.DEFAULT_PROTOCOL)
    result["ok"] = True
except BaseException as e:
    traceback.print_exc()
    result["error"] = "%s: %s" % (type(e).__name__, e)
with open(os.path.join(out_dir, "result.json"), "w") as f:
    json.dump(result, f)
`;
