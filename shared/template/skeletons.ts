import { formatScalar } from './edit';
import { TEMPLATE_FORMAT_VERSION, resourceTypeSpec, type ResourceTypeSpec } from './schema';
import type { PresetId } from './preset-list';

/**
 * New-template skeletons: valid, commented template.yaml text for each resource type, and the
 * pixel-barrel NMF preset (BPix2–4 with the real monitoring-element paths, OMS metadata and the
 * run conditions the pixel team uses in production).
 */
export interface SkeletonOptions {
  type: string;
  resourceKey?: string;
  name?: string;
  description?: string;
  workspace?: string;
}

export { PRESETS, type PresetId } from './preset-list';

const q = (v: unknown) => formatScalar(v);

const PIXEL_ME = (layer: number) =>
  `PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_${layer}`;

function dims(values: number[], indent: string): string[] {
  return [`${indent}Dims:`, ...values.map((d) => `${indent}  - ${d}`)];
}

function typeSpecificLines(spec: ResourceTypeSpec, base: string): string[] {
  const lines: string[] = [];
  if (spec.framework === 'Tritonserver') {
    lines.push(
      `${base}# 0: each request carries its lumisections along the first Dims entry (-1). With MaxBatchSize > 0`,
      `${base}# Triton puts a second batch dimension in front of Dims (DISM writes Dims into config.pbtxt as they are)`,
      `${base}MaxBatchSize: 0`,
    );
  }
  switch (spec.model) {
    case 'TensorflowSavedModel':
      lines.push(
        `${base}# folder with saved_model.pb, fingerprint.pb and variables/ (relative to this file)`,
        `${base}SavedModelUri: model/saved_model/`,
      );
      break;
    case 'Python':
      lines.push(
        `${base}# folder with model.py defining class TritonPythonModel`,
        `${base}CodeUri: model/`,
        `${base}ModelUri: model/model.onnx`,
      );
      break;
    case 'Torchscript':
      lines.push(`${base}# paths are relative to this template's folder`, `${base}ModelUri: model/model.pt`);
      break;
    case 'ONNX':
      lines.push(`${base}# paths are relative to this template's folder`, `${base}ModelUri: model/model.onnx`);
      break;
    default:
      lines.push(
        `${base}# CodeUri/app.py must define the Handler class; paths are relative to this template's folder`,
        `${base}CodeUri: mlserver-model/`,
        `${base}Handler: app.Handler`,
        `${base}ModelUri: mlserver-model/model.${spec.model === 'SKLearn' ? 'joblib' : spec.model === 'XGBoost' ? 'json' : 'txt'}`,
      );
  }
  return lines;
}

/** The resource entry (key at column 0), for new templates and for "add resource". */
export function resourceSkeleton(opts: SkeletonOptions): string {
  const spec = resourceTypeSpec(opts.type);
  if (!spec) throw new Error(`Unknown resource type ${opts.type}`);
  const key = opts.resourceKey ?? 'MyModel';
  const p = '    ';
  const builtin = spec.framework === 'MLServer';
  const lines = [
    `${formatScalar(key)}:`,
    `  Type: ${spec.type}`,
    `  # DIALS workspace the model reports to`,
    `  Workspace: ${q(opts.workspace ?? 'global')}`,
    `  Properties:`,
    `${p}Description: ${q(opts.description ?? 'Describe what the model flags')}`,
    `${p}# lowercase letters, digits, '-' and '.', at most 36 characters`,
    `${p}Name: ${q(opts.name ?? 'my-model')}`,
    ...(builtin
      ? [
          `${p}# the model decides: FlaggingKey names the boolean output`,
          `${p}BuiltinThreshold: true`,
          `${p}FlaggingKey: Flag`,
          `${p}MetricKey: Metric`,
        ]
      : [
          `${p}# DIALS flags lumisections whose MetricKey output exceeds AnomalyThreshold`,
          `${p}BuiltinThreshold: false`,
          `${p}AnomalyThreshold: 0.5`,
          `${p}MetricKey: Metric`,
        ]),
    '',
    `${p}# one entry per monitoring element the model reads`,
    `${p}InputSignature:`,
    `${p}  - Name: input_0`,
    `${p}    # replace with the full path of your monitoring element`,
    `${p}    MonitoringElement: Subsystem/Folder/HistogramName`,
    `${p}    DataType: FP32`,
    `${p}    # -1 is the batch (lumisection) dimension, then the histogram's bins`,
    ...dims([-1, 100], `${p}    `),
    `${p}OutputSignature:`,
    ...(builtin ? [`${p}  - Name: Flag`, `${p}    DataType: BOOL`, ...dims([-1], `${p}    `)] : []),
    `${p}  - Name: Metric`,
    `${p}    DataType: FP32`,
    ...dims([-1], `${p}    `),
    ...typeSpecificLines(spec, p),
  ];
  return `${lines.join('\n')}\n`;
}

function header(description: string): string {
  return [
    '# DISM template: describes the model server dismcli builds and DIALS runs.',
    `# Keep the version quoted: unquoted, YAML reads it as a date.`,
    `TemplateFormatVersion: "${TEMPLATE_FORMAT_VERSION}"`,
    `Description: ${q(description)}`,
    'Resources:',
  ].join('\n');
}

const indent = (block: string, n: number) =>
  block
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');

export function templateSkeleton(opts: SkeletonOptions): string {
  return `${header(opts.description ?? 'Anomaly detection model')}\n${indent(resourceSkeleton(opts), 2)}\n`;
}

/** The production pixel-barrel NMF template, with current DataType spellings. */
export function pixelBarrelNmfPreset(opts: { name?: string; resourceKey?: string; workspace?: string } = {}): string {
  const key = opts.resourceKey ?? 'PixelNMF';
  const omsBool = ['cms_active', 'beams_stable', 'bpix_ready', 'fpix_ready', 'tibtid_ready', 'tob_ready', 'tecp_ready', 'tecm_ready'];
  const attr = (name: string, type: string) => [
    `            - Name: ${name}`,
    `              DataType: ${type}`,
    `              Dims:`,
    `                - -1`,
  ];
  const layer = (l: number, nx: number) => [
    `        - Name: BPix${l}`,
    `          MonitoringElement: ${PIXEL_ME(l)}`,
    `          DataType: INT32`,
    `          Dims:`,
    `            - -1`,
    `            - ${nx}`,
    `            - 72`,
  ];
  const lines = [
    header('NMF model for pixel cluster occupancy'),
    `  ${formatScalar(key)}:`,
    '    Type: InferenceService::MLServer::SKLearn',
    `    Workspace: ${q(opts.workspace ?? 'global')}`,
    '    Properties:',
    '',
    '      # general properties',
    '      Description: Spot anomalies in the pixel cluster occupancy (barrel layers)',
    `      Name: ${q(opts.name ?? 'pixel-barrel-nmf')}`,
    '      Image: registry.cern.ch/docker.io/seldonio/mlserver:1.5.0',
    '      # FlaggingKey and MetricKey must name outputs returned by mlserver-model/app.py (postprocess)',
    '      FlaggingKey: Flag',
    '      MetricKey: Metric',
    '      BuiltinThreshold: true',
    '',
    '      # run inference only on good collision runs',
    '      InferenceOnConditions:',
    '        MinRunNumber: 396598 # first run of 2025F',
    '        MaxRunNumber: 999999',
    '        StableBeams: true',
    '        FillType: PROTONS',
    '        MinBField: 3.5',
    '        MinEnergy: 6500',
    '        Clock: LHC',
    '        Sequence: GLOBAL-RUN',
    '        L1KeyMatch: .*collisions.*',
    '        L1MenuMatch: .*_Collisions.*_.*',
    '        HLTConfigMatch: .*/physics/.*',
    '        AllowedPrimaryDatasets:',
    '          - StreamExpress',
    '          - ZeroBias',
    '',
    '      # extra per-lumisection data from OMS (detector readiness, pileup, zero-bias rate)',
    '      InputMetadata:',
    '        - Name: oms_lumisection_info',
    '          Source: OMS',
    '          Endpoint: lumisections',
    '          Attributes:',
    ...attr('run_number', 'INT32'),
    ...attr('lumisection_number', 'INT32'),
    ...attr('pileup', 'FP32'),
    ...omsBool.flatMap((n) => attr(n, 'BOOL')),
    '        - Name: hlt_zerobias',
    '          Source: OMS',
    '          Endpoint: hltpathrates',
    '          Filter:',
    '            - Name: path_name',
    '              Value: HLT_ZeroBias_v\\d+',
    '              Operation: LIST_AND_MATCH',
    '          Attributes:',
    ...attr('rate', 'FP32'),
    '',
    '      # input data: cluster occupancy maps of barrel layers 2-4',
    '      # (BPix1 is left out: too degraded since 2025F)',
    '      InputSignature:',
    ...layer(2, 58),
    ...layer(3, 90),
    ...layer(4, 130),
    '      OutputSignature:',
    '        - Name: Flag',
    '          DataType: BOOL',
    '          Dims:',
    '            - -1',
    '        - Name: Metric',
    '          DataType: FP32',
    '          Dims:',
    '            - -1',
    '      CodeUri: mlserver-model/',
    '      Handler: app.Handler',
    '      ModelUri: mlserver-model/pixelnmf.joblib',
    '      Resources:',
    '        # no requests or limits: DIALS sizes the service automatically',
    '        Requests:',
    '          cpu: null',
    '          gpu: null',
    '          memory: null',
    '        Limits:',
    '          cpu: null',
    '          gpu: null',
    '          memory: null',
  ];
  return `${lines.join('\n')}\n`;
}

export function presetText(id: PresetId, opts: { name?: string; resourceKey?: string; workspace?: string } = {}): string {
  switch (id) {
    case 'pixel-barrel-nmf':
      return pixelBarrelNmfPreset(opts);
  }
}
