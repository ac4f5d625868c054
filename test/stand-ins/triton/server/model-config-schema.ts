/**
 * TEST STAND-IN: the schema of Triton's `inference.ModelConfig` (model_config.proto of
 * triton-inference-server/common, release r23.05), written out by hand so the stand-in's
 * protobuf text-format parser can be as strict as protobuf's own: every message, field, field
 * type, label, enum value and oneof of the real schema is listed, so a field the real Triton
 * accepts is accepted here and anything else is an "unknown field" load error.
 *
 * Field numbers are not needed (text format addresses fields by name) and are left out.
 */

export type ScalarType = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'float' | 'double';

export type FieldType =
  | { kind: 'scalar'; scalar: ScalarType }
  | { kind: 'enum'; enumName: string }
  | { kind: 'message'; messageName: string }
  /** `map<K, V>`: in text format a repeated message with fields `key` and `value`. */
  | { kind: 'map'; key: ScalarType; value: { kind: 'scalar'; scalar: ScalarType } | { kind: 'message'; messageName: string } };

export interface FieldSpec {
  name: string;
  type: FieldType;
  repeated: boolean;
  oneof?: string;
}

export interface MessageSpec {
  /** Full protobuf name, as protobuf prints it in errors (e.g. `inference.ModelInput`). */
  fullName: string;
  fields: FieldSpec[];
}

export interface EnumSpec {
  fullName: string;
  values: Array<[name: string, number: number]>;
}

// Compact field notation: 'string' | 'enum:X' | 'msg:X' | 'map:K:V' (V scalar or msg:X); '[]' suffix = repeated.
type FieldNotation = [name: string, type: string, oneof?: string];

function parseType(t: string): FieldType {
  if (t.startsWith('enum:')) return { kind: 'enum', enumName: t.slice(5) };
  if (t.startsWith('msg:')) return { kind: 'message', messageName: t.slice(4) };
  if (t.startsWith('map:')) {
    const [, key, ...rest] = t.split(':');
    const v = rest.join(':');
    return {
      kind: 'map',
      key: key as ScalarType,
      value: v.startsWith('msg:') ? { kind: 'message', messageName: v.slice(4) } : { kind: 'scalar', scalar: v as ScalarType },
    };
  }
  return { kind: 'scalar', scalar: t as ScalarType };
}

const MESSAGES: Record<string, FieldNotation[]> = {
  'inference.ModelRateLimiter': [
    ['resources', 'msg:inference.ModelRateLimiter.Resource[]'],
    ['priority', 'uint32'],
  ],
  'inference.ModelRateLimiter.Resource': [
    ['name', 'string'],
    ['global', 'bool'],
    ['count', 'uint32'],
  ],
  'inference.ModelInstanceGroup': [
    ['name', 'string'],
    ['kind', 'enum:inference.ModelInstanceGroup.Kind'],
    ['count', 'int32'],
    ['rate_limiter', 'msg:inference.ModelRateLimiter'],
    ['gpus', 'int32[]'],
    ['secondary_devices', 'msg:inference.ModelInstanceGroup.SecondaryDevice[]'],
    ['profile', 'string[]'],
    ['passive', 'bool'],
    ['host_policy', 'string'],
  ],
  'inference.ModelInstanceGroup.SecondaryDevice': [
    ['kind', 'enum:inference.ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind'],
    ['device_id', 'int64'],
  ],
  'inference.ModelTensorReshape': [['shape', 'int64[]']],
  'inference.ModelInput': [
    ['name', 'string'],
    ['data_type', 'enum:inference.DataType'],
    ['format', 'enum:inference.ModelInput.Format'],
    ['dims', 'int64[]'],
    ['reshape', 'msg:inference.ModelTensorReshape'],
    ['is_shape_tensor', 'bool'],
    ['allow_ragged_batch', 'bool'],
    ['optional', 'bool'],
  ],
  'inference.ModelOutput': [
    ['name', 'string'],
    ['data_type', 'enum:inference.DataType'],
    ['dims', 'int64[]'],
    ['reshape', 'msg:inference.ModelTensorReshape'],
    ['label_filename', 'string'],
    ['is_shape_tensor', 'bool'],
  ],
  'inference.BatchInput': [
    ['kind', 'enum:inference.BatchInput.Kind'],
    ['target_name', 'string[]'],
    ['data_type', 'enum:inference.DataType'],
    ['source_input', 'string[]'],
  ],
  'inference.BatchOutput': [
    ['target_name', 'string[]'],
    ['kind', 'enum:inference.BatchOutput.Kind'],
    ['source_input', 'string[]'],
  ],
  'inference.ModelVersionPolicy': [
    ['latest', 'msg:inference.ModelVersionPolicy.Latest', 'policy_choice'],
    ['all', 'msg:inference.ModelVersionPolicy.All', 'policy_choice'],
    ['specific', 'msg:inference.ModelVersionPolicy.Specific', 'policy_choice'],
  ],
  'inference.ModelVersionPolicy.Latest': [['num_versions', 'uint32']],
  'inference.ModelVersionPolicy.All': [],
  'inference.ModelVersionPolicy.Specific': [['versions', 'int64[]']],
  'inference.ModelOptimizationPolicy': [
    ['graph', 'msg:inference.ModelOptimizationPolicy.Graph'],
    ['priority', 'enum:inference.ModelOptimizationPolicy.ModelPriority'],
    ['cuda', 'msg:inference.ModelOptimizationPolicy.Cuda'],
    ['execution_accelerators', 'msg:inference.ModelOptimizationPolicy.ExecutionAccelerators'],
    ['input_pinned_memory', 'msg:inference.ModelOptimizationPolicy.PinnedMemoryBuffer'],
    ['output_pinned_memory', 'msg:inference.ModelOptimizationPolicy.PinnedMemoryBuffer'],
    ['gather_kernel_buffer_threshold', 'uint32'],
    ['eager_batching', 'bool'],
  ],
  'inference.ModelOptimizationPolicy.Graph': [['level', 'int32']],
  'inference.ModelOptimizationPolicy.Cuda': [
    ['graphs', 'bool'],
    ['busy_wait_events', 'bool'],
    ['graph_spec', 'msg:inference.ModelOptimizationPolicy.Cuda.GraphSpec[]'],
    ['output_copy_stream', 'bool'],
  ],
  'inference.ModelOptimizationPolicy.Cuda.GraphSpec': [
    ['batch_size', 'int32'],
    ['input', 'map:string:msg:inference.ModelOptimizationPolicy.Cuda.GraphSpec.Shape'],
    ['graph_lower_bound', 'msg:inference.ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound'],
  ],
  'inference.ModelOptimizationPolicy.Cuda.GraphSpec.Shape': [['dim', 'int64[]']],
  'inference.ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound': [
    ['batch_size', 'int32'],
    ['input', 'map:string:msg:inference.ModelOptimizationPolicy.Cuda.GraphSpec.Shape'],
  ],
  'inference.ModelOptimizationPolicy.ExecutionAccelerators': [
    ['gpu_execution_accelerator', 'msg:inference.ModelOptimizationPolicy.ExecutionAccelerators.Accelerator[]'],
    ['cpu_execution_accelerator', 'msg:inference.ModelOptimizationPolicy.ExecutionAccelerators.Accelerator[]'],
  ],
  'inference.ModelOptimizationPolicy.ExecutionAccelerators.Accelerator': [
    ['name', 'string'],
    ['parameters', 'map:string:string'],
  ],
  'inference.ModelOptimizationPolicy.PinnedMemoryBuffer': [['enable', 'bool']],
  'inference.ModelQueuePolicy': [
    ['timeout_action', 'enum:inference.ModelQueuePolicy.TimeoutAction'],
    ['default_timeout_microseconds', 'uint64'],
    ['allow_timeout_override', 'bool'],
    ['max_queue_size', 'uint32'],
  ],
  'inference.ModelDynamicBatching': [
    ['preferred_batch_size', 'int32[]'],
    ['max_queue_delay_microseconds', 'uint64'],
    ['preserve_ordering', 'bool'],
    ['priority_levels', 'uint32'],
    ['default_priority_level', 'uint32'],
    ['default_queue_policy', 'msg:inference.ModelQueuePolicy'],
    ['priority_queue_policy', 'map:uint32:msg:inference.ModelQueuePolicy'],
  ],
  'inference.ModelSequenceBatching': [
    ['direct', 'msg:inference.ModelSequenceBatching.StrategyDirect', 'strategy_choice'],
    ['oldest', 'msg:inference.ModelSequenceBatching.StrategyOldest', 'strategy_choice'],
    ['max_sequence_idle_microseconds', 'uint64'],
    ['control_input', 'msg:inference.ModelSequenceBatching.ControlInput[]'],
    ['state', 'msg:inference.ModelSequenceBatching.State[]'],
  ],
  'inference.ModelSequenceBatching.Control': [
    ['kind', 'enum:inference.ModelSequenceBatching.Control.Kind'],
    ['int32_false_true', 'int32[]'],
    ['fp32_false_true', 'float[]'],
    ['bool_false_true', 'bool[]'],
    ['data_type', 'enum:inference.DataType'],
  ],
  'inference.ModelSequenceBatching.ControlInput': [
    ['name', 'string'],
    ['control', 'msg:inference.ModelSequenceBatching.Control[]'],
  ],
  'inference.ModelSequenceBatching.InitialState': [
    ['data_type', 'enum:inference.DataType'],
    ['dims', 'int64[]'],
    ['zero_data', 'bool', 'state_data'],
    ['data_file', 'string', 'state_data'],
    ['name', 'string'],
  ],
  'inference.ModelSequenceBatching.State': [
    ['input_name', 'string'],
    ['output_name', 'string'],
    ['data_type', 'enum:inference.DataType'],
    ['dims', 'int64[]'],
    ['initial_state', 'msg:inference.ModelSequenceBatching.InitialState[]'],
  ],
  'inference.ModelSequenceBatching.StrategyDirect': [
    ['max_queue_delay_microseconds', 'uint64'],
    ['minimum_slot_utilization', 'float'],
  ],
  'inference.ModelSequenceBatching.StrategyOldest': [
    ['max_candidate_sequences', 'int32'],
    ['preferred_batch_size', 'int32[]'],
    ['max_queue_delay_microseconds', 'uint64'],
  ],
  'inference.ModelEnsembling': [['step', 'msg:inference.ModelEnsembling.Step[]']],
  'inference.ModelEnsembling.Step': [
    ['model_name', 'string'],
    ['model_version', 'int64'],
    ['input_map', 'map:string:string'],
    ['output_map', 'map:string:string'],
    ['model_namespace', 'string'],
  ],
  'inference.ModelParameter': [['string_value', 'string']],
  'inference.ModelWarmup': [
    ['name', 'string'],
    ['batch_size', 'uint32'],
    ['inputs', 'map:string:msg:inference.ModelWarmup.Input'],
    ['count', 'uint32'],
  ],
  'inference.ModelWarmup.Input': [
    ['data_type', 'enum:inference.DataType'],
    ['dims', 'int64[]'],
    ['zero_data', 'bool', 'input_data_type'],
    ['random_data', 'bool', 'input_data_type'],
    ['input_data_file', 'string', 'input_data_type'],
  ],
  'inference.ModelOperations': [['op_library_filename', 'string[]']],
  'inference.ModelTransactionPolicy': [['decoupled', 'bool']],
  'inference.ModelRepositoryAgents': [['agents', 'msg:inference.ModelRepositoryAgents.Agent[]']],
  'inference.ModelRepositoryAgents.Agent': [
    ['name', 'string'],
    ['parameters', 'map:string:string'],
  ],
  'inference.ModelResponseCache': [['enable', 'bool']],
  'inference.ModelConfig': [
    ['name', 'string'],
    ['platform', 'string'],
    ['backend', 'string'],
    ['version_policy', 'msg:inference.ModelVersionPolicy'],
    ['max_batch_size', 'int32'],
    ['input', 'msg:inference.ModelInput[]'],
    ['output', 'msg:inference.ModelOutput[]'],
    ['batch_input', 'msg:inference.BatchInput[]'],
    ['batch_output', 'msg:inference.BatchOutput[]'],
    ['optimization', 'msg:inference.ModelOptimizationPolicy'],
    ['dynamic_batching', 'msg:inference.ModelDynamicBatching', 'scheduling_choice'],
    ['sequence_batching', 'msg:inference.ModelSequenceBatching', 'scheduling_choice'],
    ['ensemble_scheduling', 'msg:inference.ModelEnsembling', 'scheduling_choice'],
    ['instance_group', 'msg:inference.ModelInstanceGroup[]'],
    ['default_model_filename', 'string'],
    ['cc_model_filenames', 'map:string:string'],
    ['metric_tags', 'map:string:string'],
    ['parameters', 'map:string:msg:inference.ModelParameter'],
    ['model_warmup', 'msg:inference.ModelWarmup[]'],
    ['model_operations', 'msg:inference.ModelOperations'],
    ['model_transaction_policy', 'msg:inference.ModelTransactionPolicy'],
    ['model_repository_agents', 'msg:inference.ModelRepositoryAgents'],
    ['response_cache', 'msg:inference.ModelResponseCache'],
  ],
};

const ENUMS: Record<string, string[]> = {
  'inference.DataType': [
    'TYPE_INVALID',
    'TYPE_BOOL',
    'TYPE_UINT8',
    'TYPE_UINT16',
    'TYPE_UINT32',
    'TYPE_UINT64',
    'TYPE_INT8',
    'TYPE_INT16',
    'TYPE_INT32',
    'TYPE_INT64',
    'TYPE_FP16',
    'TYPE_FP32',
    'TYPE_FP64',
    'TYPE_STRING',
    'TYPE_BF16',
  ],
  'inference.ModelInstanceGroup.Kind': ['KIND_AUTO', 'KIND_GPU', 'KIND_CPU', 'KIND_MODEL'],
  'inference.ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind': ['KIND_NVDLA'],
  'inference.ModelInput.Format': ['FORMAT_NONE', 'FORMAT_NHWC', 'FORMAT_NCHW'],
  'inference.BatchInput.Kind': [
    'BATCH_ELEMENT_COUNT',
    'BATCH_ACCUMULATED_ELEMENT_COUNT',
    'BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO',
    'BATCH_MAX_ELEMENT_COUNT_AS_SHAPE',
    'BATCH_ITEM_SHAPE',
    'BATCH_ITEM_SHAPE_FLATTEN',
  ],
  'inference.BatchOutput.Kind': ['BATCH_SCATTER_WITH_INPUT_SHAPE'],
  'inference.ModelOptimizationPolicy.ModelPriority': ['PRIORITY_DEFAULT', 'PRIORITY_MAX', 'PRIORITY_MIN'],
  'inference.ModelQueuePolicy.TimeoutAction': ['REJECT', 'DELAY'],
  'inference.ModelSequenceBatching.Control.Kind': [
    'CONTROL_SEQUENCE_START',
    'CONTROL_SEQUENCE_READY',
    'CONTROL_SEQUENCE_END',
    'CONTROL_SEQUENCE_CORRID',
  ],
};

export const MESSAGE_SPECS: Record<string, MessageSpec> = Object.fromEntries(
  Object.entries(MESSAGES).map(([fullName, fields]) => [
    fullName,
    {
      fullName,
      fields: fields.map(([name, t, oneof]) => {
        const repeated = t.endsWith('[]');
        const type = parseType(repeated ? t.slice(0, -2) : t);
        // Map fields are repeated entries in text format.
        return { name, type, repeated: repeated || type.kind === 'map', ...(oneof ? { oneof } : {}) };
      }),
    },
  ]),
);

/** Enum values are numbered in declaration order in model_config.proto (all start at 0, no gaps). */
export const ENUM_SPECS: Record<string, EnumSpec> = Object.fromEntries(
  Object.entries(ENUMS).map(([fullName, names]) => [fullName, { fullName, values: names.map((n, i) => [n, i] as [string, number]) }]),
);

export const MODEL_CONFIG = 'inference.ModelConfig';

/** The synthetic message protobuf generates for a map field (`<Field>Entry`, CamelCased), for error messages. */
export function mapEntryName(parent: string, field: string): string {
  return `${parent}.${field
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('')}Entry`;
}
