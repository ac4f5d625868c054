import type { ModelPreset } from '@/shared/preset/model-preset';
import { AUTOENCODER_EPS, autoencoderScores, encodeAutoencoderOnnx, layerScoreName, normaliseMap } from '../onnx/autoencoder-onnx';
import { trainNmf } from './nmf-train';

/** The Triton demo's model: file, score output (the MetricKey), and the autoencoder's size. */
export const TRITON_DEMO = {
  modelFile: 'triton-model/autoencoder.onnx',
  scoreName: 'anomaly_score',
  resourceKey: 'PixelAutoencoder',
  name: 'pixel-barrel-autoencoder-demo',
  components: 6,
  steps: 60,
} as const;

/**
 * AnomalyThreshold from the clean training maps: this factor times the largest score any of them
 * gets. The demo's outages, hot regions and low-statistics maps score far above it.
 */
const THRESHOLD_OVER_CLEAN = 2;

/** Two significant digits, so the template shows a readable number. */
function roundSignificant(v: number): number {
  return Number(v.toPrecision(2));
}

/**
 * The Triton demo's own files: an NMF autoencoder per barrel layer trained here on the clean
 * training maps (each map divided by its mean), written as one ONNX model with the layers as inputs
 * (backend/onnx/autoencoder-onnx.ts), and its template (Triton ONNX, MetricKey + AnomalyThreshold).
 */
export function tritonDemoFiles(opts: {
  preset: ModelPreset;
  /** Raw training maps per layer (int32, trainingLs × rows × cols). */
  training: Map<string, Int32Array>;
  trainingLs: number;
  seed: number;
  iterations: number;
}): { files: Record<string, Uint8Array | string>; threshold: number } {
  const k = TRITON_DEMO.components;
  const layers = opts.preset.layers.map((l) => {
    const [rows, cols] = l.shape;
    const d = rows * cols;
    const raw = opts.training.get(l.name)!;
    const X = new Float32Array(opts.trainingLs * d);
    for (let i = 0; i < opts.trainingLs; i++) normaliseMap(raw, i * d, d, X, i * d);
    const { H } = trainNmf(X, opts.trainingLs, d, k, { iterations: opts.iterations, seed: opts.seed + 7 * d });
    return { name: l.name, rows, cols, components: H };
  });
  let maxClean = 0;
  layers.forEach((l) => {
    const scores = autoencoderScores(opts.training.get(l.name)!, opts.trainingLs, l, k, TRITON_DEMO.steps);
    for (const v of scores) maxClean = Math.max(maxClean, v);
  });
  const threshold = roundSignificant(THRESHOLD_OVER_CLEAN * maxClean);
  const onnx = encodeAutoencoderOnnx({
    layers,
    nComponents: k,
    steps: TRITON_DEMO.steps,
    eps: AUTOENCODER_EPS,
    scoreName: TRITON_DEMO.scoreName,
    producer: 'dism-studio demo (NMF autoencoder)',
  });
  return {
    files: { [TRITON_DEMO.modelFile]: onnx, 'template.yaml': tritonDemoTemplateYaml(opts.preset, threshold) },
    threshold,
  };
}

/** The Triton demo's DIALS template: the autoencoder on the three barrel maps, served by Triton. */
export function tritonDemoTemplateYaml(preset: ModelPreset, threshold: number): string {
  const inputs = preset.layers
    .map(
      (l) =>
        `        - Name: ${l.name}\n          MonitoringElement: ${l.monitoringElement}\n          DataType: INT32\n          Dims:\n            - -1\n            - ${l.shape[0]}\n            - ${l.shape[1]}\n`,
    )
    .join('');
  const outputs = [TRITON_DEMO.scoreName, ...preset.layers.map((l) => layerScoreName(l.name))]
    .map((n) => `        - Name: ${n}\n          DataType: FP32\n          Dims:\n            - -1\n`)
    .join('');
  return `TemplateFormatVersion: "2025-03-31"
Description: NMF autoencoder for pixel cluster occupancy, served by Triton (DISM Studio demo project)
Resources:
  ${TRITON_DEMO.resourceKey}:
    Type: InferenceService::Tritonserver::ONNX
    Workspace: global
    Properties:

      # general properties
      Description: Spot anomalies in the pixel cluster occupancy (barrel layers) with an NMF autoencoder; demo model trained on synthetic maps
      Name: ${TRITON_DEMO.name}
      # no Image: DIALS serves Triton models with its Triton runtime (nvcr.io/nvidia/tritonserver:23.05-py3)
      # DIALS flags a lumisection when the MetricKey output is above AnomalyThreshold
      # (chosen by DISM Studio: ${THRESHOLD_OVER_CLEAN} × the largest score of a clean training map)
      BuiltinThreshold: false
      MetricKey: ${TRITON_DEMO.scoreName}
      AnomalyThreshold: ${threshold}
      # 0: each request carries its lumisections along the first dimension (-1) of Dims;
      # with MaxBatchSize > 0 Triton would put a second batch dimension in front of Dims
      MaxBatchSize: 0
      # the ONNX model's inputs and outputs have the names below (Triton matches them by name)
      ModelUri: ${TRITON_DEMO.modelFile}

      # set conditions for running inference
      InferenceOnConditions:
        MinRunNumber: 398000
        MaxRunNumber: 999999
        StableBeams: True
        FillType: PROTONS
        MinBField: 3.5
        MinEnergy: 6500
        Clock: LHC
        Sequence: GLOBAL-RUN
        L1KeyMatch: .*collisions.*
        L1MenuMatch: .*_Collisions.*_.*
        HLTConfigMatch: .*/physics/.*
        AllowedPrimaryDatasets:
          - StreamExpress
          - ZeroBias

      # no InputMetadata: with Triton every metadata attribute becomes a model input (<Meta>__<Attr>),
      # and this model reads the maps only

      # input data: one cluster-occupancy map per barrel layer
      InputSignature:
${inputs}      # the anomaly score (largest of the layers) and each layer's score: mean squared reconstruction error
      OutputSignature:
${outputs}      Resources:
        Requests:
          cpu: null
          gpu: null
          memory: null
        Limits:
          cpu: null
          gpu: null
          memory: null
`;
}

export function tritonDemoReadme(n: number, threshold: number): string {
  return `# DISM Studio demo project — Triton

Generated by DISM Studio (deterministic, seeded). The same synthetic cluster-occupancy maps of the
pixel barrel layers BPix2–4 as the MLServer demo (${n} lumisections in two runs), here served by
**Triton** with an **ONNX model**: an NMF autoencoder per layer, trained on clean synthetic maps.

- \`template.yaml\` — the DIALS template (\`InferenceService::Tritonserver::ONNX\`, ModelUri \`${TRITON_DEMO.modelFile}\`)
- \`${TRITON_DEMO.modelFile}\` — inputs BPix2, BPix3, BPix4 (INT32 [N, rows, 72], the counts DIALS sends);
  each map is divided by its mean, encoded by the NMF transform (${TRITON_DEMO.components} components,
  ${TRITON_DEMO.steps} multiplicative updates) and decoded; outputs per lumisection (FP32 [N]):
  \`score_<layer>\`, the mean squared reconstruction error, and \`${TRITON_DEMO.scoreName}\`, the largest of them
- AnomalyThreshold ${threshold}: ${THRESHOLD_OVER_CLEAN} × the largest score of a clean training map; DIALS flags a
  lumisection whose \`${TRITON_DEMO.scoreName}\` is above it
- \`preset.json\`, \`model/\` — the pixel-NMF preview of the same maps (the Preview step)
- \`data/\` — \`raw_<layer>.npy\`, \`run_number.npy\`, \`ls_number.npy\`, OMS and HLT JSON, \`labels.json\` (ground truth)

Build & Run lays out \`.dism-artifacts/build/${TRITON_DEMO.resourceKey}/${TRITON_DEMO.name}/\` (config.pbtxt and
\`1/model.onnx\`) as \`dismcli build\` does, starts Triton on it and sends the sample maps as DIALS does.

From the command line:

    dism-studio build-local template.yaml
    dism-studio start-api template.yaml --resource ${TRITON_DEMO.resourceKey}
`;
}
