/**
 * The template.yaml schema as DISM's validator (dism_core, newest version) defines it, as data:
 * the validator, the form and the skeletons all read these tables so they cannot drift apart.
 */

export const TEMPLATE_FORMAT_VERSION = '2025-03-31';
export const SUPER_TYPE = 'InferenceService';
export const FRAMEWORKS = ['Tritonserver', 'MLServer'] as const;
export const MODEL_TYPES = ['Torchscript', 'TensorflowSavedModel', 'ONNX', 'Python', 'XGBoost', 'LightGBM', 'SKLearn'] as const;

export type PathKind = 'file' | 'dir';

export interface ResourceTypeSpec {
  type: string;
  framework: (typeof FRAMEWORKS)[number];
  model: (typeof MODEL_TYPES)[number];
  label: string;
  /** Keys this type requires beyond the common properties. */
  required: string[];
  /** Keys this type accepts (required + optional), beyond the common properties. */
  accepted: string[];
  /** Keys that name files or folders, resolved relative to the template's folder. */
  paths: Record<string, PathKind>;
}

const triton = (
  model: ResourceTypeSpec['model'],
  label: string,
  required: string[],
  paths: Record<string, PathKind>,
): ResourceTypeSpec => ({
  type: `${SUPER_TYPE}::Tritonserver::${model}`,
  framework: 'Tritonserver',
  model,
  label,
  required: ['MaxBatchSize', ...required],
  accepted: ['MaxBatchSize', 'ModelRepositoryUri', ...required],
  paths: { ModelRepositoryUri: 'dir', ...paths },
});

const mlserver = (model: ResourceTypeSpec['model'], label: string): ResourceTypeSpec => ({
  type: `${SUPER_TYPE}::MLServer::${model}`,
  framework: 'MLServer',
  model,
  label,
  required: ['CodeUri', 'Handler', 'ModelUri'],
  accepted: ['CodeUri', 'Handler', 'ModelUri'],
  paths: { CodeUri: 'dir', ModelUri: 'file' },
});

export const RESOURCE_TYPES: ResourceTypeSpec[] = [
  triton('Torchscript', 'Triton · TorchScript', ['ModelUri'], { ModelUri: 'file' }),
  triton('TensorflowSavedModel', 'Triton · TensorFlow SavedModel', ['SavedModelUri'], { SavedModelUri: 'dir' }),
  triton('ONNX', 'Triton · ONNX', ['ModelUri'], { ModelUri: 'file' }),
  triton('Python', 'Triton · Python backend', ['CodeUri', 'ModelUri'], { CodeUri: 'dir', ModelUri: 'file' }),
  mlserver('XGBoost', 'MLServer · XGBoost'),
  mlserver('LightGBM', 'MLServer · LightGBM'),
  mlserver('SKLearn', 'MLServer · scikit-learn'),
];

export const SUPPORTED_TYPES = RESOURCE_TYPES.map((t) => t.type);

export function resourceTypeSpec(type: unknown): ResourceTypeSpec | undefined {
  return RESOURCE_TYPES.find((t) => t.type === type);
}

export const DATA_TYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
/** Older DISM required Triton's spelling; dism_core still reads it by stripping the prefix. */
export const LEGACY_DATA_TYPE_PREFIX = 'TYPE_';

export const METADATA_SOURCES = ['OMS'] as const;
export const METADATA_ENDPOINTS = ['lumisections', 'hltpathrates', 'datasetrates'] as const;
export const FILTER_OPERATIONS = ['EQ', 'LIST_AND_MATCH'] as const;

/** Kubernetes-style name DISM requires for Properties.Name (it becomes part of the service name). */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const NAME_MAX_LENGTH = 36;
export const TAG_NAME_PATTERN = '^[a-z0-9\\-_]+$';
export const TAG_NAME_MAX_LENGTH = 63;
/** ResourceKey becomes a folder under .dism-artifacts/build/. */
export const RESOURCE_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';

export type ScalarKind = 'string' | 'int' | 'number' | 'bool' | 'regex' | 'stringList';

export interface FieldSpec {
  key: string;
  kind: ScalarKind;
  help: string;
}

export const CONDITION_FIELDS: FieldSpec[] = [
  { key: 'MinRunNumber', kind: 'int', help: 'Run inference only from this run on' },
  { key: 'MaxRunNumber', kind: 'int', help: 'Run inference only up to this run' },
  { key: 'MinNumberOfLumisection', kind: 'int', help: 'Skip runs with fewer lumisections' },
  { key: 'MinDeliveredLuminosity', kind: 'number', help: 'Minimum delivered luminosity' },
  { key: 'MinRecordedLuminosity', kind: 'number', help: 'Minimum recorded luminosity' },
  { key: 'MinBField', kind: 'number', help: 'Minimum magnetic field (T)' },
  { key: 'MinEnergy', kind: 'number', help: 'Minimum beam energy (GeV)' },
  { key: 'FillType', kind: 'string', help: 'LHC fill type, e.g. PROTONS' },
  { key: 'Clock', kind: 'string', help: 'Clock type, e.g. LHC' },
  { key: 'Sequence', kind: 'string', help: 'Run sequence, e.g. GLOBAL-RUN' },
  { key: 'StableBeams', kind: 'bool', help: 'Require stable beams' },
  { key: 'NoComponentOut', kind: 'bool', help: 'Require every detector component in the run' },
  { key: 'L1KeyMatch', kind: 'regex', help: 'Regex the L1 key must match' },
  { key: 'L1MenuMatch', kind: 'regex', help: 'Regex the L1 menu must match' },
  { key: 'HLTConfigMatch', kind: 'regex', help: 'Regex the HLT configuration must match' },
  { key: 'AllowedComponentsOut', kind: 'stringList', help: 'Components that may be out of the run' },
  { key: 'AllowedPrimaryDatasets', kind: 'stringList', help: 'Primary datasets to run on' },
];

/** Keys every inference-service resource's Properties accept, in the order the form and skeletons use. */
export const COMMON_PROPERTY_KEYS = [
  'Description',
  'Name',
  'Tags',
  'Image',
  'BuiltinThreshold',
  'AnomalyThreshold',
  'FlaggingKey',
  'MetricKey',
  'InferenceOnConditions',
  'InputMetadata',
  'InputSignature',
  'OutputSignature',
  'MaxBatchSize',
  'ModelRepositoryUri',
  'CodeUri',
  'Handler',
  'ModelUri',
  'SavedModelUri',
  'Resources',
] as const;

export const BASE_PROPERTY_KEYS = [
  'Description',
  'Name',
  'Tags',
  'Image',
  'BuiltinThreshold',
  'AnomalyThreshold',
  'FlaggingKey',
  'MetricKey',
  'InferenceOnConditions',
  'InputMetadata',
  'InputSignature',
  'OutputSignature',
  'Resources',
];

/** Keys known at each level of the document, for unknown-key warnings with "did you mean". */
export const KNOWN_KEYS = {
  top: ['TemplateFormatVersion', 'Description', 'Resources'],
  resource: ['Type', 'Workspace', 'Properties'],
  tag: ['Name', 'Value'],
  inputSignature: ['Name', 'MonitoringElement', 'DataType', 'Dims'],
  outputSignature: ['Name', 'DataType', 'Dims'],
  attribute: ['Name', 'DataType', 'Dims'],
  computeResources: ['Requests', 'Limits'],
  resourceSpec: ['cpu', 'memory', 'gpu', 'nvidia.com/gpu'],
  conditions: CONDITION_FIELDS.map((f) => f.key),
  metadata: ['Name', 'Source', 'Endpoint', 'Attributes', 'Filter'],
  filter: ['Name', 'Value', 'Operation'],
} as const;

/** Every key any resource type accepts in Properties (used when the Type is not known). */
export const ALL_PROPERTY_KEYS = [...new Set([...BASE_PROPERTY_KEYS, ...RESOURCE_TYPES.flatMap((t) => t.accepted)])];

/**
 * Bin counts of the monitoring elements DISM Studio knows (pixel barrel cluster occupancy maps),
 * so Dims can be checked without sample data.
 */
export const KNOWN_ME_SHAPES: Record<string, [number, number]> = {
  'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_1': [26, 72],
  'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_2': [58, 72],
  'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_3': [90, 72],
  'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_4': [130, 72],
};
