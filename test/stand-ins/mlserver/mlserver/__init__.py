"""TEST STAND-IN for the `mlserver` package of the real seldonio/mlserver image.

Only the surface that DIALS model handlers use is provided: `MLModel` (async load/predict, settings),
`mlserver.types`, `mlserver.codecs.NumpyCodec`, `mlserver.utils.get_model_uri`, and the
`mlserver start <folder>` command (see cli.py).
"""
from .model import MLModel
from .settings import ModelSettings, ModelParameters

__all__ = ["MLModel", "ModelSettings", "ModelParameters"]
__version__ = "1.5.0-standin"
