import json
import os


class ModelParameters:
    def __init__(self, uri=None, version=None, extra=None, **_ignored):
        self.uri = uri
        self.version = version
        self.extra = extra or {}


class ModelSettings:
    """What MLServer reads from model-settings.json (the fields DIALS handlers touch)."""

    def __init__(self, name, implementation, parameters=None, folder=".", **_ignored):
        self.name = name
        self.implementation = implementation
        self.parameters = ModelParameters(**(parameters or {}))
        self._source = folder

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        for key in ("name", "implementation"):
            if key not in raw:
                raise ValueError(f"{path}: missing required field '{key}'")
        return cls(folder=os.path.dirname(os.path.abspath(path)), **raw)
