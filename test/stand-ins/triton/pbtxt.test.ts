/**
 * The Triton stand-in's config.pbtxt parser and config rules, without Docker. Expected messages
 * are protobuf's and Triton's own wording (text_format.cc, model_config_utils.cc); positions are
 * protobuf's 1-based line:column of the token it stopped at.
 */
import { describe, expect, it } from 'vitest';
import { configPbtxt } from '@/backend/build-local/config-pbtxt';
import type { ResourceView } from '@/backend/build-local/template-source';
import { table } from './server/log';
import { MODEL_CONFIG } from './server/model-config-schema';
import {
  modelConfigJson,
  normalizeInstanceGroup,
  normalizeModelConfig,
  TritonError,
  validateInstanceGroup,
  validateModelConfig,
  validateModelIOConfig,
  instanceNames,
} from './server/model-config';
import { parseTextProto } from './server/pbtxt';

const parse = (text: string) => parseTextProto(text, MODEL_CONFIG);
const firstError = (text: string) => {
  const r = parse(text);
  expect(r.message).toBeUndefined();
  const e = r.errors[0];
  return `${e.line}:${e.column}: ${e.message}`;
};

describe('config.pbtxt parser (TEST STAND-IN, strict like protobuf TextFormat::Parse)', () => {
  it('reads the forms Triton configs use: comments, lists, <> and {} messages, optional ":" before a message, ";" and ","', () => {
    const r = parse(`# a comment
name: "m"   # trailing comment
platform: 'onnxruntime_onnx';
max_batch_size: 0x10,
input [ { name: "a" data_type: TYPE_FP32 dims: [ -1, 3 ] }, < name: "b" data_type: 8 dims: 1 dims: 2 > ]
output { name: "c" data_type: TYPE_BOOL dims: [ 1 ] reshape: { shape: [ ] } }
output: { name: "d" "\\x65" data_type: TYPE_STRING dims: [ 4 ] }
version_policy: { specific: { versions: [1, 3] } }
parameters { key: "k" value: { string_value: "v" } }
parameters: [ { key: "k2" value { string_value: "w" } } ]
instance_group [ { kind: KIND_CPU count: 2 } ]
dynamic_batching { }
optimization { priority: PRIORITY_MAX input_pinned_memory { enable: true } output_pinned_memory { enable: f } }
`);
    expect(r.errors).toEqual([]);
    expect(r.message).toEqual({
      name: 'm',
      platform: 'onnxruntime_onnx',
      max_batch_size: 16,
      input: [
        { name: 'a', data_type: 'TYPE_FP32', dims: [-1, 3] },
        { name: 'b', data_type: 'TYPE_INT32', dims: [1, 2] },
      ],
      output: [
        // an empty repeated field is not stored (proto3 cannot tell it from an absent one)
        { name: 'c', data_type: 'TYPE_BOOL', dims: [1], reshape: {} },
        { name: 'de', data_type: 'TYPE_STRING', dims: [4] },
      ],
      version_policy: { specific: { versions: [1, 3] } },
      parameters: { k: { string_value: 'v' }, k2: { string_value: 'w' } },
      instance_group: [{ kind: 'KIND_CPU', count: 2 }],
      dynamic_batching: {},
      optimization: { priority: 'PRIORITY_MAX', input_pinned_memory: { enable: true }, output_pinned_memory: { enable: false } },
    });
  });

  it('an unknown field is an error naming the field and its message type, at the token after the name', () => {
    expect(firstError('name: "m"\nmax_batch: 4\n')).toBe('2:10: Message type "inference.ModelConfig" has no field named "max_batch".');
    expect(firstError('name: "m"\ninput [\n  {\n    name: "x"\n    shape: [ 1 ]\n  }\n]\n')).toBe(
      '5:10: Message type "inference.ModelInput" has no field named "shape".',
    );
    expect(firstError('parameters { key: "a" val: { string_value: "b" } }')).toBe(
      '1:26: Message type "inference.ModelConfig.ParametersEntry" has no field named "val".',
    );
    // DISM's own template key spelled in a config is not a Triton field
    expect(firstError('name: "m"\nMaxBatchSize: 4')).toBe('2:13: Message type "inference.ModelConfig" has no field named "MaxBatchSize".');
  });

  it('reproduces the position and text of a real Triton log line (tensorrtllm_backend ensemble, line 29: max_batch_size: ${…})', () => {
    const text = `${'# filler\n'.repeat(28)}max_batch_size: \${triton_max_batch_size}\n`;
    expect(firstError(text)).toBe('29:17: Expected integer, got: $');
  });

  it.each([
    ['max_batch_size: "8"', '1:17: Expected integer, got: "8"'],
    ['max_batch_size: 1.5', '1:17: Expected integer, got: 1.5'],
    ['max_batch_size: 99999999999', '1:17: Integer out of range (99999999999)'],
    ['max_batch_size: [ 8 ]', '1:17: Expected integer, got: ['],
    ['name: m', '1:7: Expected string, got: m'],
    ['name "m"', '1:6: Expected ":", found ""m"".'],
    ['input [ { data_type: FP32 } ]', '1:27: Unknown enumeration value of "FP32" for field "data_type".'],
    ['input [ { data_type: "TYPE_FP32" } ]', '1:22: Expected integer or identifier, got: "TYPE_FP32"'],
    ['input [ { dims: [ 2.5 ] } ]', '1:19: Expected integer, got: 2.5'],
    ['input [ { dims: [ 2 3 ] } ]', '1:21: Expected ",", found "3".'],
    ['input [ { optional: yes } ]', '1:25: Invalid value for boolean field "optional". Value: "yes".'],
    ['input [ { optional: 2 } ]', '1:21: Integer out of range (2)'],
    ['output [ { reshape: 5 } ]', '1:21: Expected "{", found "5".'],
    ['instance_group [ { kind: KIND_TPU } ]', '1:35: Unknown enumeration value of "KIND_TPU" for field "kind".'],
    ['version_policy { latest { num_versions: -1 } }', '1:41: Expected integer, got: -'],
  ])('a value of the wrong type is an error: %s', (text, expected) => {
    expect(firstError(text)).toBe(expected);
  });

  it('a non-repeated field given twice, and two members of a oneof, are errors', () => {
    expect(firstError('name: "a"\nname: "b"')).toBe('2:5: Non-repeated field "name" is specified multiple times.');
    // proto3: a field still at its default value does not count as set
    expect(parse('max_batch_size: 0\nmax_batch_size: 4').errors).toEqual([]);
    expect(firstError('dynamic_batching { }\nsequence_batching { }')).toBe(
      '2:19: Field "sequence_batching" is specified along with field "dynamic_batching", another member of oneof "scheduling_choice".',
    );
    expect(firstError('version_policy { latest { } all { } }')).toBe(
      '1:33: Field "all" is specified along with field "latest", another member of oneof "policy_choice".',
    );
  });

  it('unbalanced braces and stray tokens are errors; protobuf counts a tab as up to 8 columns', () => {
    expect(firstError('input [ { name: "x"')).toBe('1:20: Expected identifier, got: ');
    expect(firstError('name: "m" }')).toBe('1:11: Expected identifier, got: }');
    expect(firstError('\tname: "m"\n\tfoo: 1')).toBe('2:12: Message type "inference.ModelConfig" has no field named "foo".');
  });

  it('tokenizer errors fail the parse too', () => {
    expect(firstError('name: "m\n"')).toBe('1:9: String literals cannot cross line boundaries.');
    expect(firstError('max_batch_size: 8abc')).toBe('1:18: Need space between number and identifier.');
  });
});

describe('config rules (TEST STAND-IN, as model_config_utils.cc)', () => {
  const load = (text: string) => {
    const r = parse(text);
    if (!r.message) throw new Error(r.errors[0].message);
    normalizeModelConfig(r.message);
    return r.message;
  };
  const failure = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof TritonError) return err.asString();
      throw err;
    }
    return 'no error';
  };

  it('platform and backend must agree, max_batch_size must not be negative', () => {
    expect(failure(() => validateModelConfig(load('name: "m" platform: "onnx"')))).toBe(
      "Invalid argument: unexpected platform type 'onnx' for m",
    );
    expect(failure(() => validateModelConfig(load('name: "m" platform: "onnxruntime_onnx" backend: "pytorch"')))).toBe(
      "Invalid argument: unexpected 'platform' and 'backend' pair, got:onnxruntime_onnx, pytorch",
    );
    expect(failure(() => validateModelConfig(load('name: "m" backend: "python" max_batch_size: -1')))).toBe(
      "Invalid argument: 'max_batch_size' must be non-negative value for m",
    );
    expect(
      failure(() =>
        validateModelConfig(load('name: "m" backend: "python" max_batch_size: 2 dynamic_batching { preferred_batch_size: [ 4 ] }')),
      ),
    ).toBe('Invalid argument: dynamic batching preferred size must be <= max batch size for m');
  });

  it('inputs and outputs need name, data_type and dims; an empty reshape needs batching and one element', () => {
    const io = (body: string, mbs = 0) =>
      failure(() => validateModelIOConfig(load(`name: "m" backend: "python" max_batch_size: ${mbs} ${body}`)));
    expect(io('input [ { name: "x" dims: [ 1 ] } ]')).toBe("Invalid argument: model output must specify 'data_type' for m");
    expect(io('input [ { name: "x" data_type: TYPE_FP32 } ]')).toBe("Invalid argument: model input must specify 'dims' for m");
    expect(io('input [ { name: "x" data_type: TYPE_FP32 dims: [ 0 ] } ]')).toBe(
      'Invalid argument: model input dimension must be integer >= 1, or -1 to indicate a variable-size dimension for m',
    );
    expect(io('output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] reshape: { shape: [ ] } } ]')).toBe(
      'Invalid argument: model output cannot have empty reshape for non-batching model as scalar tensors are not supported for m',
    );
    expect(io('output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] reshape: { shape: [ ] } } ]', 4)).toBe('no error');
    expect(io('output [ { name: "y" data_type: TYPE_FP32 dims: [ 2 ] reshape: { shape: [ ] } } ]', 4)).toBe(
      'Invalid argument: model output has different size for dims and reshape for m',
    );
    expect(io('input [ { name: "x" data_type: TYPE_FP32 dims: [ 2, -1 ] reshape: { shape: [ -1, 2 ] } } ]')).toBe(
      'Invalid argument: model input has different size for dims and reshape for m',
    );
    expect(io('input [ { name: "x" data_type: TYPE_FP32 dims: [ 2, 3, -1 ] reshape: { shape: [ 6, -1 ] } } ]')).toBe('no error');
  });

  it('instance groups: default names and counts on CPU; KIND_GPU fails on a machine without GPUs', () => {
    const onnx = load('name: "m" backend: "onnxruntime" platform: "onnxruntime_onnx" instance_group [ { kind: KIND_CPU } ]');
    normalizeInstanceGroup(onnx);
    expect(instanceNames(onnx)).toEqual([
      { name: 'm_0_0', kind: 'KIND_CPU' },
      { name: 'm_0_1', kind: 'KIND_CPU' },
    ]);
    const py = load('name: "p" backend: "python"');
    normalizeInstanceGroup(py);
    expect(instanceNames(py)).toEqual([{ name: 'p', kind: 'KIND_CPU' }]);
    const gpu = load('name: "g" backend: "python" instance_group [ { kind: KIND_GPU } ]');
    normalizeInstanceGroup(gpu);
    expect(failure(() => validateInstanceGroup(gpu))).toBe(
      'Invalid argument: instance group g_0 of model g has kind KIND_GPU but no GPUs are available',
    );
  });

  it('the JSON form prints every field of the schema in declaration order with proto3 defaults', () => {
    const cfg = load('name: "m" backend: "python" input [ { name: "x" data_type: TYPE_INT32 dims: [ 2 ] } ]');
    normalizeInstanceGroup(cfg);
    const json = modelConfigJson(cfg);
    expect(Object.keys(json)).toEqual([
      'name',
      'platform',
      'backend',
      'version_policy',
      'max_batch_size',
      'input',
      'output',
      'batch_input',
      'batch_output',
      'optimization',
      'instance_group',
      'default_model_filename',
      'cc_model_filenames',
      'metric_tags',
      'parameters',
      'model_warmup',
    ]);
    expect(json.input).toEqual([
      {
        name: 'x',
        data_type: 'TYPE_INT32',
        format: 'FORMAT_NONE',
        dims: [2],
        is_shape_tensor: false,
        allow_ragged_batch: false,
        optional: false,
      },
    ]);
    expect(json.version_policy).toEqual({ latest: { num_versions: 1 } });
  });
});

describe('config.pbtxt written by DISM Studio (backend/build-local/config-pbtxt.ts) parses and validates for every Triton type', () => {
  const resource = (model: string, props: Record<string, unknown>): ResourceView => ({
    key: 'R',
    type: `InferenceService::Tritonserver::${model}`,
    framework: 'Tritonserver',
    model,
    properties: {
      Name: 'my-model',
      InputSignature: [{ Name: 'BPix2', DataType: 'INT32', Dims: [-1, 58, 72], MonitoringElement: 'A/B' }],
      InputMetadata: [{ Name: 'oms', Endpoint: 'lumisections', Attributes: [{ Name: 'pileup', DataType: 'FP32', Dims: [-1] }] }],
      OutputSignature: [
        { Name: 'score', DataType: 'FP32', Dims: [-1] },
        { Name: 'label', DataType: 'BYTES', Dims: [-1] },
        { Name: 'map', DataType: 'FP32', Dims: [-1, 58, 72] },
      ],
      ...props,
    },
  });

  it.each(['ONNX', 'Python', 'Torchscript', 'TensorflowSavedModel'])('%s, with and without batching', (model) => {
    for (const MaxBatchSize of [0, 8]) {
      const r = parse(configPbtxt(resource(model, { MaxBatchSize })));
      expect(r.errors).toEqual([]);
      const cfg = r.message!;
      normalizeModelConfig(cfg);
      if (model === 'Python') cfg.default_model_filename = 'model.py';
      else cfg.backend = { ONNX: 'onnxruntime', Torchscript: 'pytorch', TensorflowSavedModel: 'tensorflow' }[model]!;
      expect(() => validateModelConfig(cfg)).not.toThrow();
      expect(() => validateModelIOConfig(cfg)).not.toThrow();
      normalizeInstanceGroup(cfg);
      expect(() => validateInstanceGroup(cfg)).not.toThrow();
    }
  });
});

describe("Triton's log tables (TEST STAND-IN TablePrinter)", () => {
  it('sizes columns to their content as the real model table does', () => {
    // the model table from a Triton 22.04 log quoted in triton-inference-server/server#4406
    expect(
      table(
        ['Model', 'Version', 'Status'],
        [
          ['add_sub', '1', 'READY'],
          ['batch_auto_complete', '1', 'READY'],
          ['nobatch_auto_complete', '1', 'READY'],
        ],
      ),
    ).toBe(`
+-----------------------+---------+--------+
| Model                 | Version | Status |
+-----------------------+---------+--------+
| add_sub               | 1       | READY  |
| batch_auto_complete   | 1       | READY  |
| nobatch_auto_complete | 1       | READY  |
+-----------------------+---------+--------+
`);
  });

  it('puts each line of a multi-line status on its own row and wraps a cell wider than its share of 500 columns', () => {
    const t = table(
      ['Model', 'Version', 'Status'],
      [['m', '1', 'UNAVAILABLE: Internal: ValueError: x\n\nAt:\n  /m/1/model.py(6): initialize\n']],
    );
    expect(
      t
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .map((l) => l.trimEnd()),
    ).toEqual([
      '| Model | Version | Status                               |',
      '| m     | 1       | UNAVAILABLE: Internal: ValueError: x |',
      '|       |         |                                      |',
      '|       |         | At:                                  |',
      '|       |         |   /m/1/model.py(6): initialize       |',
    ]);
    const wide = table(['Model', 'Version', 'Status'], [['m', '1', 'x'.repeat(600)]]);
    const rows = wide.split('\n').filter((l) => l.startsWith('| m') || l.startsWith('|   '));
    expect(rows).toHaveLength(2);
    // 500 columns less borders and padding, shared out: 5 + 7 + 477, so lines are 499 wide
    expect(Math.max(...wide.split('\n').map((l) => l.length))).toBe(499);
  });
});
