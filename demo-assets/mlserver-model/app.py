"""DIALS model server handler for the demo pixel-barrel NMF model (MLServer custom runtime).

Inputs, as DIALS sends them: one INT32 [N, ny, nx] input per InputSignature entry (BPix2, BPix3,
BPix4) and one [N] input per OMS attribute, named `<InputMetadata>__<Attribute>` (for example
`oms_lumisection_info__pileup`, `hlt_zerobias__rate`). Outputs: `Flag` (BOOL [N], after the
lumisection filter) and `Metric` (FP32 [N]: number of bins in the final combined anomaly map).
Only numpy is needed; the pipeline itself is in pixelnmf.py.
"""
import os
import sys

import numpy as np
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pixelnmf import PixelNMFModel  # noqa: E402


class Handler(MLModel):
    async def load(self) -> bool:
        self.pipeline = PixelNMFModel.from_npz(await get_model_uri(self._settings))
        self.ready = True
        return self.ready

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        inputs = {i.name: NumpyCodec.decode_input(i) for i in payload.inputs}
        raws = []
        for layer in self.pipeline.layers:
            if layer.name not in inputs:
                raise ValueError(f"input '{layer.name}' is missing (got: {', '.join(sorted(inputs))})")
            raws.append(inputs[layer.name])
        n = raws[0].shape[0]
        # OMS metadata arrive as <InputMetadata>__<Attribute>; the filter looks them up by attribute.
        metadata = {name.split("__", 1)[1]: np.asarray(value).reshape(n)
                    for name, value in inputs.items() if "__" in name}
        stages = self.pipeline.run(raws, metadata)
        return InferenceResponse(
            model_name=self.name,
            outputs=[
                NumpyCodec.encode_output(name="Flag", payload=np.asarray(stages["flags"], dtype=bool)),
                NumpyCodec.encode_output(name="Metric", payload=np.asarray(stages["score"], dtype=np.float32)),
            ],
        )
