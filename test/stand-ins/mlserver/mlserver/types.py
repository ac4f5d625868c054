"""Open Inference Protocol request/response objects (plain classes; the real ones are pydantic)."""


class TensorData(list):
    """The real TensorData is a pydantic RootModel over a list; `.root` gives the list."""

    @property
    def root(self):
        return list(self)

    @property
    def __root__(self):  # pydantic v1 spelling, still used by older handlers
        return list(self)


class RequestInput:
    def __init__(self, name, shape, datatype, data, parameters=None):
        self.name = name
        self.shape = list(shape)
        self.datatype = datatype
        self.data = TensorData(data)
        self.parameters = parameters

    @classmethod
    def from_dict(cls, d):
        for key in ("name", "shape", "datatype", "data"):
            if key not in d:
                raise ValueError(f"input is missing '{key}'")
        return cls(d["name"], d["shape"], d["datatype"], d["data"], d.get("parameters"))


class RequestOutput:
    def __init__(self, name, parameters=None):
        self.name = name
        self.parameters = parameters


class InferenceRequest:
    def __init__(self, inputs, id=None, parameters=None, outputs=None):
        self.id = id
        self.inputs = inputs
        self.parameters = parameters
        self.outputs = outputs

    @classmethod
    def from_dict(cls, d):
        if not isinstance(d, dict) or not isinstance(d.get("inputs"), list):
            raise ValueError("request body must be a JSON object with an 'inputs' list")
        outputs = [RequestOutput(o.get("name"), o.get("parameters")) for o in d.get("outputs") or []]
        return cls([RequestInput.from_dict(i) for i in d["inputs"]], d.get("id"), d.get("parameters"), outputs or None)


class ResponseOutput:
    def __init__(self, name, shape, datatype, data, parameters=None):
        self.name = name
        self.shape = list(shape)
        self.datatype = datatype
        self.data = TensorData(data)
        self.parameters = parameters

    def to_dict(self):
        d = {"name": self.name, "shape": self.shape, "datatype": self.datatype, "data": list(self.data)}
        if self.parameters is not None:
            d["parameters"] = self.parameters
        return d


class InferenceResponse:
    def __init__(self, model_name, outputs, model_version=None, id=None, parameters=None):
        self.model_name = model_name
        self.model_version = model_version
        self.id = id
        self.outputs = outputs
        self.parameters = parameters

    def to_dict(self):
        d = {"model_name": self.model_name, "outputs": [o.to_dict() for o in self.outputs]}
        if self.model_version is not None:
            d["model_version"] = self.model_version
        if self.id is not None:
            d["id"] = self.id
        if self.parameters is not None:
            d["parameters"] = self.parameters
        return d
