# TEST STAND-IN for triton_python_backend_utils (Triton python_backend r23.05), used by the
# DISM Studio Triton stand-in image (test/stand-ins/triton/README.md). It provides what model.py
# files use: Tensor, InferenceRequest, InferenceResponse, TritonError, TritonModelException,
# Logger, get_input_tensor_by_name, get_output_tensor_by_name, get_input_config_by_name,
# get_output_config_by_name, triton_to_numpy_type, numpy_to_triton_type, triton_string_to_numpy,
# serialize_byte_tensor, deserialize_bytes_tensor, ModelConfig (auto_complete_config) and
# using_decoupled_model_transaction_policy. BLS (InferenceRequest.exec), decoupled models,
# DLPack and GPU tensors are not implemented.
import json
import struct
import sys
import time
import os

import numpy as np

TRITON_STRING_TO_NUMPY = {
    "TYPE_BOOL": bool,
    "TYPE_UINT8": np.uint8,
    "TYPE_UINT16": np.uint16,
    "TYPE_UINT32": np.uint32,
    "TYPE_UINT64": np.uint64,
    "TYPE_INT8": np.int8,
    "TYPE_INT16": np.int16,
    "TYPE_INT32": np.int32,
    "TYPE_INT64": np.int64,
    "TYPE_FP16": np.float16,
    "TYPE_FP32": np.float32,
    "TYPE_FP64": np.float64,
    "TYPE_STRING": np.object_,
}

# TRITONSERVER_DataType numbering
_TRITON_TYPE_NUMBERS = {
    1: bool, 2: np.uint8, 3: np.uint16, 4: np.uint32, 5: np.uint64, 6: np.int8, 7: np.int16,
    8: np.int32, 9: np.int64, 10: np.float16, 11: np.float32, 12: np.float64, 13: np.object_,
}

# KServe v2 names of numpy dtypes
_NUMPY_TO_PROTOCOL = {
    np.dtype(bool): "BOOL", np.dtype(np.uint8): "UINT8", np.dtype(np.uint16): "UINT16",
    np.dtype(np.uint32): "UINT32", np.dtype(np.uint64): "UINT64", np.dtype(np.int8): "INT8",
    np.dtype(np.int16): "INT16", np.dtype(np.int32): "INT32", np.dtype(np.int64): "INT64",
    np.dtype(np.float16): "FP16", np.dtype(np.float32): "FP32", np.dtype(np.float64): "FP64",
}
_PROTOCOL_TO_NUMPY = {v: k for k, v in _NUMPY_TO_PROTOCOL.items()}


def serialize_byte_tensor(input_tensor):
    """Flattens an object/bytes array into Triton's length-prefixed bytes (as a uint8 array)."""
    if input_tensor.size == 0:
        return np.empty([0], dtype=np.object_)
    out = bytearray()
    for obj in np.nditer(input_tensor, flags=["refs_ok"], order="C"):
        item = obj.item()
        if isinstance(item, str):
            item = item.encode("utf-8")
        elif not isinstance(item, bytes):
            item = str(item).encode("utf-8")
        out += struct.pack("<I", len(item)) + item
    return np.frombuffer(bytes(out), dtype=np.uint8)


def deserialize_bytes_tensor(encoded_tensor):
    """The inverse of serialize_byte_tensor: a 1-D np.object_ array of bytes."""
    strs = []
    buf = bytes(encoded_tensor)
    offset = 0
    while offset < len(buf):
        (length,) = struct.unpack_from("<I", buf, offset)
        offset += 4
        strs.append(buf[offset:offset + length])
        offset += length
    return np.array(strs, dtype=np.object_)


def triton_to_numpy_type(data_type):
    return _TRITON_TYPE_NUMBERS.get(data_type)


def numpy_to_triton_type(data_type):
    dt = np.dtype(data_type)
    if dt.kind in ("O", "S", "U"):
        return 13
    for number, np_type in _TRITON_TYPE_NUMBERS.items():
        if np_type is not np.object_ and np.dtype(np_type) == dt:
            return number
    return None


def triton_string_to_numpy(triton_type_string):
    return TRITON_STRING_TO_NUMPY[triton_type_string]


def protocol_of(array):
    """KServe v2 data type of a numpy array (stand-in helper)."""
    if array.dtype.kind in ("O", "S", "U"):
        return "BYTES"
    name = _NUMPY_TO_PROTOCOL.get(array.dtype)
    if name is None:
        raise TritonModelException("Unsupported numpy type " + str(array.dtype) + " for an output tensor")
    return name


class TritonModelException(Exception):
    pass


class TritonError:
    def __init__(self, message):
        self._message = str(message)

    def message(self):
        return self._message

    def __repr__(self):
        return "TritonError(" + repr(self._message) + ")"


class Tensor:
    def __init__(self, name, data):
        if not isinstance(data, np.ndarray):
            raise TritonModelException("Tensor data must be a numpy array, got " + type(data).__name__)
        if data.dtype.kind not in ("O", "S", "U") and data.dtype not in _NUMPY_TO_PROTOCOL:
            raise TritonModelException("Unsupported numpy type " + str(data.dtype) + " for tensor '" + name + "'")
        self._name = name
        self._array = np.ascontiguousarray(data)

    def name(self):
        return self._name

    def as_numpy(self):
        return self._array

    def shape(self):
        return list(self._array.shape)

    def triton_dtype(self):
        return numpy_to_triton_type(self._array.dtype)

    def is_cpu(self):
        return True

    def to_dlpack(self):
        raise TritonModelException("TEST STAND-IN: DLPack is not implemented")

    @staticmethod
    def from_dlpack(name, capsule):
        raise TritonModelException("TEST STAND-IN: DLPack is not implemented")


class InferenceRequest:
    def __init__(self, request_id="", correlation_id=0, inputs=None, requested_output_names=None,
                 model_name="", model_version=-1, flags=0, timeout=0, parameters="{}"):
        self._request_id = request_id
        self._correlation_id = correlation_id
        self._inputs = list(inputs or [])
        self._requested_output_names = list(requested_output_names or [])
        self._model_name = model_name
        self._model_version = model_version
        self._flags = flags
        self._timeout = timeout
        self._parameters = parameters

    def inputs(self):
        return self._inputs

    def request_id(self):
        return self._request_id

    def correlation_id(self):
        return self._correlation_id

    def flags(self):
        return self._flags

    def timeout(self):
        return self._timeout

    def parameters(self):
        return self._parameters

    def requested_output_names(self):
        return self._requested_output_names

    def exec(self, decoupled=False):
        raise TritonModelException("TEST STAND-IN: BLS requests (InferenceRequest.exec) are not implemented")

    def async_exec(self, decoupled=False):
        raise TritonModelException("TEST STAND-IN: BLS requests (InferenceRequest.async_exec) are not implemented")


class InferenceResponse:
    def __init__(self, output_tensors, error=None):
        if output_tensors is None:
            raise TypeError("InferenceResponse(): output_tensors must not be None")
        self._output_tensors = list(output_tensors)
        self._error = error

    def output_tensors(self):
        return self._output_tensors

    def has_error(self):
        return self._error is not None

    def error(self):
        return self._error


class Logger:
    INFO, WARNING, ERROR, VERBOSE = 0, 1, 2, 3

    @staticmethod
    def log(message, level=0):
        _log({0: "I", 1: "W", 2: "E", 3: "I"}.get(level, "I"), message, sys._getframe(1))

    @staticmethod
    def log_info(message):
        _log("I", message, sys._getframe(1))

    @staticmethod
    def log_warn(message):
        _log("W", message, sys._getframe(1))

    @staticmethod
    def log_error(message):
        _log("E", message, sys._getframe(1))

    @staticmethod
    def log_verbose(message):
        pass


def _log(letter, message, frame):
    now = time.time()
    t = time.gmtime(now)
    micro = int((now % 1) * 1_000_000)
    where = (os.path.basename(frame.f_code.co_filename) + ":" + str(frame.f_lineno)) if frame else "model.py:0"
    # the real stub hands log messages to the server process, which writes them with its own pid
    sys.stdout.write("%s%02d%02d %02d:%02d:%02d.%06d %d %s] %s\n" % (
        letter, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, micro, os.getppid(), where, message))
    sys.stdout.flush()


def get_input_tensor_by_name(inference_request, name):
    for tensor in inference_request.inputs():
        if tensor.name() == name:
            return tensor
    return None


def get_output_tensor_by_name(inference_response, name):
    for tensor in inference_response.output_tensors():
        if tensor.name() == name:
            return tensor
    return None


def get_input_config_by_name(model_config, name):
    for entry in model_config.get("input", []):
        if entry["name"] == name:
            return entry
    return None


def get_output_config_by_name(model_config, name):
    for entry in model_config.get("output", []):
        if entry["name"] == name:
            return entry
    return None


def using_decoupled_model_transaction_policy(model_config):
    return bool(model_config.get("model_transaction_policy", {}).get("decoupled", False))


class ModelConfig:
    """What auto_complete_config(auto_complete_model_config) receives and returns."""

    def __init__(self, model_config):
        self._model_config = json.loads(model_config) if isinstance(model_config, str) else model_config

    def as_dict(self):
        return self._model_config

    def set_max_batch_size(self, max_batch_size):
        current = self._model_config.get("max_batch_size", 0)
        if current != 0 and current != max_batch_size:
            raise ValueError("configuration specified max_batch_size " + str(current) +
                             ", but in auto-complete-config function for model '" +
                             self._model_config.get("name", "") + "' specified max_batch_size " + str(max_batch_size))
        self._model_config["max_batch_size"] = max_batch_size

    def set_dynamic_batching(self):
        self._model_config.setdefault("dynamic_batching", {})

    def _add(self, key, io):
        if not isinstance(io, dict):
            raise ValueError("model " + key + " must be a dict")
        for field in ("name", "data_type", "dims"):
            if field not in io:
                raise ValueError("model " + key + " must specify '" + field + "'")
        for existing in self._model_config.setdefault(key, []):
            if existing["name"] == io["name"]:
                if existing.get("dims") != io["dims"] or existing.get("data_type") != io["data_type"]:
                    raise ValueError("model " + key + " '" + io["name"] + "' is already specified with a different data type or dims")
                return
        self._model_config[key].append(dict(io))

    def add_input(self, input):
        self._add("input", input)

    def add_output(self, output):
        self._add("output", output)
