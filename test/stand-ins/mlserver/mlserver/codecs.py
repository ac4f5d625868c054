"""NumpyCodec / NumpyRequestCodec with MLServer's datatype mapping."""
import numpy as np

from .types import ResponseOutput

_TO_NUMPY = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64, "BYTES": np.object_,
}


def to_datatype(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "BOOL"
    if dtype.kind in "SUO":
        return "BYTES"
    return {
        np.dtype(np.uint8): "UINT8", np.dtype(np.uint16): "UINT16", np.dtype(np.uint32): "UINT32",
        np.dtype(np.uint64): "UINT64", np.dtype(np.int8): "INT8", np.dtype(np.int16): "INT16",
        np.dtype(np.int32): "INT32", np.dtype(np.int64): "INT64", np.dtype(np.float16): "FP16",
        np.dtype(np.float32): "FP32", np.dtype(np.float64): "FP64",
    }[dtype]


class NumpyCodec:
    ContentType = "np"

    @classmethod
    def decode_input(cls, request_input):
        if request_input.datatype not in _TO_NUMPY:
            raise ValueError(f"input {request_input.name}: unsupported datatype {request_input.datatype}")
        arr = np.array(list(request_input.data), dtype=_TO_NUMPY[request_input.datatype])
        expected = int(np.prod(request_input.shape)) if request_input.shape else 1
        if arr.size != expected:
            raise ValueError(
                f"input {request_input.name}: shape {request_input.shape} needs {expected} values, got {arr.size}")
        return arr.reshape(request_input.shape)

    @classmethod
    def encode_output(cls, name, payload, **kwargs):
        arr = np.asarray(payload)
        datatype = to_datatype(arr.dtype)
        data = arr.flatten().tolist()
        if datatype == "BYTES":
            data = [x.decode() if isinstance(x, bytes) else str(x) for x in data]
        return ResponseOutput(name=name, shape=list(arr.shape), datatype=datatype, data=data)


class NumpyRequestCodec:
    ContentType = "np"

    @classmethod
    def decode_request(cls, request):
        return NumpyCodec.decode_input(request.inputs[0])
