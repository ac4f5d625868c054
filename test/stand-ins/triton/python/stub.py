# TEST STAND-IN for Triton's Python backend stub (triton_python_backend_stub, python_backend r23.05),
# part of the DISM Studio Triton stand-in image (test/stand-ins/triton/README.md).
#
#   python3 stub.py <path/to/<version>/model.py> <version> <instance name>
#
# Like the real stub it puts the version folder, the model folder and the backend folder on
# sys.path, imports "<version>.model" and instantiates TritonPythonModel; errors are reported in
# pybind11's format ("ValueError: message\n\nAt:\n  file(line): function\n"). It talks to the
# server over fd 3 (commands) and fd 4 (replies); stdout/stderr are the container log.
import asyncio
import json
import os
import struct
import sys
import traceback

import numpy as np

import triton_python_backend_utils as pb_utils

# The real 23.05 image has Ubuntu's python3.10 with pip's numpy and nothing else; the stand-in's
# Debian base image also carries scikit-learn and its dependencies. Models must not see them, or a
# model.py that only works here would pass the tests.
ABSENT_FROM_REAL_IMAGE = {"sklearn", "scipy", "joblib", "threadpoolctl", "pythran", "gast", "beniget", "decorator", "ply", "omp"}


class _HideExtraPackages:
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in ABSENT_FROM_REAL_IMAGE:
            raise ModuleNotFoundError("No module named '" + fullname + "'", name=fullname)
        return None


sys.meta_path.insert(0, _HideExtraPackages())

STUB_FILE = os.path.abspath(__file__)


class StubError(Exception):
    """A check of the stub itself (the real stub throws PythonBackendException: message only)."""


def error_text(exc):
    """pybind11 error_already_set::what(): type, message, then the Python frames innermost first."""
    if isinstance(exc, StubError):
        return str(exc)
    text = type(exc).__name__ + ": " + str(exc)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != STUB_FILE and not f.filename.startswith("<frozen importlib")]
    if frames:
        text += "\n\nAt:\n" + "".join("  %s(%d): %s\n" % (f.filename, f.lineno, f.name) for f in reversed(frames))
    return text


def read_exact(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(stream):
    lens = read_exact(stream, 8)
    if lens is None:
        return None, None
    header_len, payload_len = struct.unpack("<II", lens)
    header = json.loads(read_exact(stream, header_len).decode("utf-8"))
    payload = read_exact(stream, payload_len) if payload_len else b""
    return header, payload


def write_frame(stream, header, arrays=()):
    parts = []
    wire = []
    offset = 0
    for name, array in arrays:
        datatype = pb_utils.protocol_of(array)
        if datatype == "BYTES":
            raw = pb_utils.serialize_byte_tensor(array).tobytes()
        else:
            raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        wire.append({"name": name, "datatype": datatype, "shape": list(array.shape), "offset": offset, "length": len(raw)})
        parts.append(raw)
        offset += len(raw)
    if wire:
        header = dict(header, tensors=wire)
    h = json.dumps(header).encode("utf-8")
    stream.write(struct.pack("<II", len(h), offset) + h + b"".join(parts))
    stream.flush()


def to_array(t, payload):
    raw = payload[t["offset"]:t["offset"] + t["length"]]
    if t["datatype"] == "BYTES":
        return pb_utils.deserialize_bytes_tensor(raw).reshape(t["shape"])
    dtype = pb_utils._PROTOCOL_TO_NUMPY[t["datatype"]]
    return np.frombuffer(raw, dtype=dtype).reshape(t["shape"]).copy()


def load_model_class(model_path, version):
    model_dir = os.path.dirname(model_path)
    sys.path.append(model_dir)
    sys.path.append(os.path.dirname(model_dir))
    sys.path.append(os.path.dirname(os.path.abspath(pb_utils.__file__)))
    module_name = os.path.basename(model_path)
    if not module_name.endswith(".py"):
        raise StubError('Model name must end with \'.py\'. Model name is "' + module_name + '".')
    # __import__ (the C import path, as the real stub's py::module_::import) drops importlib's own
    # frames from the traceback of an import error
    name = version + "." + module_name[:-3]
    __import__(name)
    return sys.modules[name].TritonPythonModel


def execute(model, instance_name, header, payload):
    inputs = [pb_utils.Tensor(t["name"], to_array(t, payload)) for t in header.get("tensors", [])]
    request = pb_utils.InferenceRequest(
        request_id=header.get("request_id", ""),
        inputs=inputs,
        requested_output_names=header.get("requested_output_names", []),
        parameters=json.dumps(header.get("parameters", {})),
    )
    result = model.execute([request])
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    if not isinstance(result, list):
        raise StubError("Expected a list in the execute return, found type '" + str(type(result)) + "'.")
    if len(result) != 1:
        raise StubError(
            "Number of InferenceResponse objects do not match the number of InferenceRequest objects. "
            "InferenceRequest(s) size is:1, and InferenceResponse(s) size is:" + str(len(result)) + "\n")
    response = result[0]
    if not isinstance(response, pb_utils.InferenceResponse):
        raise StubError(
            "Expected an 'InferenceResponse' object in the execute function return list, found type '" + str(type(response)) + "'.")
    if response.has_error():
        err = response.error()
        return {"response_error": err.message() if isinstance(err, pb_utils.TritonError) else str(err)}, []
    requested = set(request.requested_output_names())
    arrays = [(t.name(), t.as_numpy()) for t in response.output_tensors() if not requested or t.name() in requested]
    return {}, arrays


def main():
    model_path, version, instance_name = sys.argv[1], sys.argv[2], sys.argv[3]
    commands = os.fdopen(3, "rb", buffering=0)
    replies = os.fdopen(4, "wb")
    model_class = None
    model = None
    load_error = None
    try:
        model_class = load_model_class(model_path, version)
    except BaseException as exc:  # noqa: BLE001 - reported to the server like the real stub does
        load_error = error_text(exc)
    while True:
        header, payload = read_frame(commands)
        if header is None:
            break
        cmd = header.get("cmd")
        try:
            if load_error is not None and cmd != "finalize":
                write_frame(replies, {"error": load_error})
                continue
            if cmd == "auto_complete":
                config = pb_utils.ModelConfig(header["model_config"])
                if hasattr(model_class, "auto_complete_config"):
                    config = model_class.auto_complete_config(config)
                    if not isinstance(config, pb_utils.ModelConfig):
                        raise StubError(
                            "auto_complete_config function in model '" + instance_name + "' must return a valid pb.ModelConfig object.")
                write_frame(replies, {"config": config.as_dict()})
            elif cmd == "initialize":
                model = model_class()
                if hasattr(model, "initialize"):
                    model.initialize(header["args"])
                write_frame(replies, {"ok": True})
            elif cmd == "execute":
                reply, arrays = execute(model, instance_name, header, payload)
                write_frame(replies, reply, arrays)
            elif cmd == "finalize":
                if model is not None and hasattr(model, "finalize"):
                    model.finalize()
                write_frame(replies, {"ok": True})
                break
            else:
                write_frame(replies, {"error": "unknown stub command " + str(cmd)})
        except BaseException as exc:  # noqa: BLE001
            write_frame(replies, {"error": error_text(exc)})


if __name__ == "__main__":
    main()
