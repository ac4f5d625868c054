import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deleteAt, setValue } from './edit';
import type { PathSegment, TemplateProblem } from './problems';
import { templateSkeleton, pixelBarrelNmfPreset } from './skeletons';
import { SUPPORTED_TYPES } from './schema';
import { validateTemplateText } from './validate/index';

const FIXTURE = readFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', 'utf8');
const P: PathSegment[] = ['Resources', 'PixelNMF', 'Properties'];

const problemsOf = (text: string) => validateTemplateText(text).problems;
const errorsOf = (text: string) => problemsOf(text).filter((p) => p.severity === 'error');
const set = (text: string, path: PathSegment[], value: unknown) => setValue(text, path, value).text;
const del = (text: string, path: PathSegment[]) => deleteAt(text, path).text;

function expectProblem(text: string, path: string, message: string | RegExp, severity: 'error' | 'warning' = 'error'): TemplateProblem {
  const found = problemsOf(text).filter((p) => p.path === path && p.severity === severity);
  const hit = found.find((p) => (typeof message === 'string' ? p.message === message : message.test(p.message)));
  if (!hit)
    throw new Error(
      `no ${severity} ${String(message)} at ${path}; got:\n${problemsOf(text)
        .map((p) => `${p.severity} ${p.path}: ${p.message}`)
        .join('\n')}`,
    );
  return hit;
}

describe('production template (pixel-barrel-nmf)', () => {
  it('parses and validates with only TYPE_* warnings, no errors', () => {
    const problems = problemsOf(FIXTURE);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(problems.length).toBe(17);
    expect(new Set(problems.map((p) => p.rule))).toEqual(new Set(['legacy-datatype']));
    const first = problems.find((p) => p.path === 'Resources.PixelNMF.Properties.InputSignature[0].DataType')!;
    expect(first).toMatchObject({ line: 111, column: 21, message: expect.stringContaining('TYPE_INT32') });
    expect(first.fix?.kind).toBe('migrate-legacy-datatypes');
  });
});

describe('skeletons', () => {
  it.each(SUPPORTED_TYPES)('the %s skeleton is valid', (type) => {
    expect(errorsOf(templateSkeleton({ type }))).toEqual([]);
  });
  it('the pixel NMF preset is valid without warnings', () => {
    expect(problemsOf(pixelBarrelNmfPreset())).toEqual([]);
  });
});

describe('one failing example per rule (message and path)', () => {
  it('TemplateFormatVersion wrong value', () => {
    expectProblem(
      set(FIXTURE, ['TemplateFormatVersion'], '2024-01-01'),
      'TemplateFormatVersion',
      /^'2024-01-01' is not a valid TemplateFormatVersion/,
    );
  });
  it('TemplateFormatVersion unquoted reads as a date', () => {
    const p = expectProblem(
      FIXTURE.replace('"2025-03-31"', '2025-03-31'),
      'TemplateFormatVersion',
      /^datetime\.date\(2025, 3, 31\) is not a valid TemplateFormatVersion/,
    );
    expect(p).toMatchObject({ line: 1, column: 24 });
  });
  it('top-level Description and Resources required', () => {
    expectProblem(del(FIXTURE, ['Description']), 'Description', /^Field required/);
    expectProblem('TemplateFormatVersion: "2025-03-31"\nDescription: x\n', 'Resources', /^Field required/);
  });
  it('ResourceKey must be filesystem-safe', () => {
    expectProblem(
      FIXTURE.replace('  PixelNMF:', '  "Pixel NMF":'),
      'Resources.Pixel NMF',
      /cannot be used as a folder name under \.dism-artifacts\/build\//,
    );
  });
  it('Type format', () => {
    expectProblem(
      set(FIXTURE, ['Resources', 'PixelNMF', 'Type'], 'InferenceService::SKLearn'),
      'Resources.PixelNMF.Type',
      /^Invalid Type format: InferenceService::SKLearn\. Expected format: 'SuperType::Framework::Model'\./,
    );
  });
  it('unsupported Type', () => {
    expectProblem(
      set(FIXTURE, ['Resources', 'PixelNMF', 'Type'], 'InferenceService::MLServer::Torchscript'),
      'Resources.PixelNMF.Type',
      /^Resource of type InferenceService::MLServer::Torchscript is not supported\./,
    );
    const typo = expectProblem(
      set(FIXTURE, ['Resources', 'PixelNMF', 'Type'], 'InferenceService::MLServer::Sklearn'),
      'Resources.PixelNMF.Type',
      /Did you mean InferenceService::MLServer::SKLearn\?/,
    );
    expect(typo.fix).toMatchObject({ kind: 'set-value', value: 'InferenceService::MLServer::SKLearn' });
  });
  it('Workspace required', () => {
    expectProblem(del(FIXTURE, ['Resources', 'PixelNMF', 'Workspace']), 'Resources.PixelNMF.Workspace', /^Field required/);
  });
  it('Properties Description and Name required', () => {
    expectProblem(del(FIXTURE, [...P, 'Description']), 'Resources.PixelNMF.Properties.Description', /^Field required/);
    expectProblem(del(FIXTURE, [...P, 'Name']), 'Resources.PixelNMF.Properties.Name', /^Field required/);
  });
  it('Name at most 36 characters', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Name'], 'a'.repeat(37)),
      'Resources.PixelNMF.Properties.Name',
      /^String should have at most 36 characters/,
    );
  });
  it('Name is an RFC 1123 subdomain', () => {
    const p = expectProblem(
      set(FIXTURE, [...P, 'Name'], 'Pixel_NMF'),
      'Resources.PixelNMF.Properties.Name',
      'String violates RFC 1123 subdomain naming conventions. Validation is done by ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    );
    expect(p).toMatchObject({ line: 11, column: 13, fix: { value: 'pixel-nmf' } });
  });
  it('Tag names', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Tags'], [{ Name: 'Layer 2', Value: 'x' }]),
      'Resources.PixelNMF.Properties.Tags[0].Name',
      'String must contain only lowercase alphanumeric characters, hyphens, or underscores',
    );
    expectProblem(
      set(FIXTURE, [...P, 'Tags'], [{ Name: 'a'.repeat(64), Value: 'x' }]),
      'Resources.PixelNMF.Properties.Tags[0].Name',
      /^String should have at most 63 characters/,
    );
  });
  it('BuiltinThreshold required and boolean', () => {
    expectProblem(del(FIXTURE, [...P, 'BuiltinThreshold']), 'Resources.PixelNMF.Properties.BuiltinThreshold', /^Field required/);
    expectProblem(
      set(FIXTURE, [...P, 'BuiltinThreshold'], 'maybe'),
      'Resources.PixelNMF.Properties.BuiltinThreshold',
      'Input should be a valid boolean, unable to interpret input',
    );
  });
  it('threshold: FlaggingKey forbidden with BuiltinThreshold false', () => {
    let t = set(FIXTURE, [...P, 'BuiltinThreshold'], false);
    t = set(t, [...P, 'AnomalyThreshold'], 0.5);
    expectProblem(
      t,
      'Resources.PixelNMF.Properties.FlaggingKey',
      'Invalid configuration.\nFlaggingKey cannot be set if BuiltinThreshold = false',
    );
  });
  it('threshold: AnomalyThreshold forbidden with BuiltinThreshold true', () => {
    expectProblem(
      set(FIXTURE, [...P, 'AnomalyThreshold'], 0.5),
      'Resources.PixelNMF.Properties.AnomalyThreshold',
      'Invalid configuration.\nAnomalyThreshold cannot be set if BuiltinThreshold = true',
    );
  });
  it('threshold: neither option', () => {
    expectProblem(
      del(FIXTURE, [...P, 'FlaggingKey']),
      'Resources.PixelNMF.Properties.BuiltinThreshold',
      'Invalid configuration. You must specify either:\n- AnomalyThreshold (not None) and MetricKey (not None) with BuiltinThreshold = False\nOR\n- BuiltinThreshold = True and FlaggingKey (not None).',
    );
  });
  it('FlaggingKey / MetricKey must name an output', () => {
    expectProblem(
      set(FIXTURE, [...P, 'FlaggingKey'], 'X'),
      'Resources.PixelNMF.Properties.FlaggingKey',
      /^FlaggingKey "X" not found in OutputSignature/,
    );
    expectProblem(
      set(FIXTURE, [...P, 'MetricKey'], 'Score'),
      'Resources.PixelNMF.Properties.MetricKey',
      /^MetricKey "Score" not found in OutputSignature/,
    );
  });
  it('InputSignature required', () => {
    expectProblem(del(FIXTURE, [...P, 'InputSignature']), 'Resources.PixelNMF.Properties.InputSignature', /^Field required/);
  });
  it('DataType must be one of DISM’s types', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InputSignature', 0, 'DataType'], 'FLOAT32'),
      'Resources.PixelNMF.Properties.InputSignature[0].DataType',
      /^Input should be 'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64' or 'BYTES'/,
    );
  });
  it('legacy TYPE_* DataType is a warning', () => {
    expectProblem(FIXTURE, 'Resources.PixelNMF.Properties.OutputSignature[1].DataType', /^Legacy DataType "TYPE_FP32"/, 'warning');
  });
  it('Dims must be integers', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InputSignature', 0, 'Dims', 1], 'wide'),
      'Resources.PixelNMF.Properties.InputSignature[0].Dims[1]',
      'Input should be a valid integer, unable to parse string as an integer',
    );
  });
  it('Dims batch dimension, rank and known ME shape', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InputSignature', 0, 'Dims', 0], 1),
      'Resources.PixelNMF.Properties.InputSignature[0].Dims[0]',
      /^Dims should start with -1/,
      'warning',
    );
    expectProblem(
      set(FIXTURE, [...P, 'InputSignature', 0, 'Dims'], [-1, 58, 72, 3]),
      'Resources.PixelNMF.Properties.InputSignature[0].Dims',
      /1D or 2D histogram/,
      'warning',
    );
    expectProblem(
      set(FIXTURE, [...P, 'InputSignature', 1, 'Dims', 1], 58),
      'Resources.PixelNMF.Properties.InputSignature[1].Dims',
      /is a 90×72 histogram, so Dims should be \[-1, 90, 72\]/,
      'warning',
    );
  });
  it('conditions: types', () => {
    const C = [...P, 'InferenceOnConditions'];
    expectProblem(
      set(FIXTURE, [...C, 'MinRunNumber'], 'first'),
      'Resources.PixelNMF.Properties.InferenceOnConditions.MinRunNumber',
      'Input should be a valid integer, unable to parse string as an integer',
    );
    expectProblem(
      set(FIXTURE, [...C, 'MinEnergy'], 'high'),
      'Resources.PixelNMF.Properties.InferenceOnConditions.MinEnergy',
      'Input should be a valid number, unable to parse string as a number',
    );
    expectProblem(
      set(FIXTURE, [...C, 'StableBeams'], 'sometimes'),
      'Resources.PixelNMF.Properties.InferenceOnConditions.StableBeams',
      'Input should be a valid boolean, unable to interpret input',
    );
    expectProblem(
      set(FIXTURE, [...C, 'AllowedPrimaryDatasets'], 'ZeroBias'),
      'Resources.PixelNMF.Properties.InferenceOnConditions.AllowedPrimaryDatasets',
      'Input should be a valid list of strings',
    );
  });
  it('conditions: regex fields must compile', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InferenceOnConditions', 'L1KeyMatch'], '.*collisions(.*'),
      'Resources.PixelNMF.Properties.InferenceOnConditions.L1KeyMatch',
      /^L1KeyMatch is not a valid regular expression/,
    );
  });
  it('conditions: NoComponentOut with AllowedComponentsOut', () => {
    let t = set(FIXTURE, [...P, 'InferenceOnConditions', 'NoComponentOut'], true);
    t = set(t, [...P, 'InferenceOnConditions', 'AllowedComponentsOut'], ['ctpps']);
    expectProblem(
      t,
      'Resources.PixelNMF.Properties.InferenceOnConditions.NoComponentOut',
      'The `NoComponentOut` field cannot be declared if `AllowedComponentsOut` is provided.',
    );
  });
  it('metadata: Source, Endpoint and Operation enums', () => {
    const M = [...P, 'InputMetadata', 0];
    expectProblem(
      set(FIXTURE, [...M, 'Source'], 'DIALS'),
      'Resources.PixelNMF.Properties.InputMetadata[0].Source',
      "Input should be 'OMS'",
    );
    expectProblem(
      set(FIXTURE, [...M, 'Endpoint'], 'lumisection'),
      'Resources.PixelNMF.Properties.InputMetadata[0].Endpoint',
      /^Input should be 'lumisections', 'hltpathrates' or 'datasetrates'\. Did you mean 'lumisections'\?/,
    );
    expectProblem(
      set(FIXTURE, [...P, 'InputMetadata', 1, 'Filter', 0, 'Operation'], 'MATCH'),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Operation',
      /^Input should be 'EQ' or 'LIST_AND_MATCH'/,
    );
  });
  it('metadata: LIST_AND_MATCH only with hltpathrates and path_name', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InputMetadata', 1, 'Endpoint'], 'datasetrates'),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Operation',
      "LIST_AND_MATCH operation can only be used with Endpoint 'hltpathrates'. Got 'datasetrates' instead.",
    );
    expectProblem(
      set(FIXTURE, [...P, 'InputMetadata', 1, 'Filter', 0, 'Name'], 'path'),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Operation',
      /^LIST_AND_MATCH operation can only be used with Endpoint 'hltpathrates'\. Got 'hltpathrates' instead\. \(and only with Filter Name 'path_name'/,
    );
  });
  it('metadata: LIST_AND_MATCH value must compile as a regex', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InputMetadata', 1, 'Filter', 0, 'Value'], 'HLT_ZeroBias_v[0-9+'),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Value',
      /^Filter Value is not a valid regular expression/,
    );
  });
  it('MLServer types need CodeUri, Handler and ModelUri', () => {
    expectProblem(del(FIXTURE, [...P, 'Handler']), 'Resources.PixelNMF.Properties.Handler', /^Field required/);
    expectProblem(del(FIXTURE, [...P, 'CodeUri']), 'Resources.PixelNMF.Properties.CodeUri', /^Field required/);
    expectProblem(del(FIXTURE, [...P, 'ModelUri']), 'Resources.PixelNMF.Properties.ModelUri', /^Field required/);
    expectProblem(
      set(FIXTURE, [...P, 'Handler'], 'Handler'),
      'Resources.PixelNMF.Properties.Handler',
      /^Handler "Handler" must be 'module\.Class'/,
    );
  });
  it('Triton types need MaxBatchSize (int) and their model path', () => {
    const onnx = templateSkeleton({ type: 'InferenceService::Tritonserver::ONNX', resourceKey: 'M' });
    const MP = ['Resources', 'M', 'Properties'];
    expectProblem(del(onnx, [...MP, 'MaxBatchSize']), 'Resources.M.Properties.MaxBatchSize', /^Field required/);
    expectProblem(
      set(onnx, [...MP, 'MaxBatchSize'], 1.5),
      'Resources.M.Properties.MaxBatchSize',
      'Input should be a valid integer, got a number with a fractional part',
    );
    expectProblem(del(onnx, [...MP, 'ModelUri']), 'Resources.M.Properties.ModelUri', /^Field required/);
    const tf = templateSkeleton({ type: 'InferenceService::Tritonserver::TensorflowSavedModel', resourceKey: 'M' });
    expectProblem(del(tf, [...MP, 'SavedModelUri']), 'Resources.M.Properties.SavedModelUri', /^Field required/);
    const py = templateSkeleton({ type: 'InferenceService::Tritonserver::Python', resourceKey: 'M' });
    expectProblem(del(py, [...MP, 'CodeUri']), 'Resources.M.Properties.CodeUri', /^Field required/);
  });
  it('compute resources are strings', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Resources', 'Limits', 'cpu'], 2),
      'Resources.PixelNMF.Properties.Resources.Limits.cpu',
      /^Input should be a valid string: Kubernetes quantities are strings, write cpu: "2"/,
    );
  });
  it('unknown keys warn with "did you mean"', () => {
    const p = expectProblem(
      FIXTURE.replace('      FlaggingKey: Flag', '      FlagingKey: Flag'),
      'Resources.PixelNMF.Properties.FlagingKey',
      'Unknown key "FlagingKey" (DISM ignores it). Did you mean "FlaggingKey"?',
      'warning',
    );
    expect(p.fix).toMatchObject({ kind: 'rename-key', newKey: 'FlaggingKey' });
    expectProblem(
      set(FIXTURE, [...P, 'SavedModelUri'], 'x/'),
      'Resources.PixelNMF.Properties.SavedModelUri',
      /^SavedModelUri is not used by resources of type InferenceService::MLServer::SKLearn/,
      'warning',
    );
  });
  it('document shape: empty, not a mapping, empty Resources', () => {
    expectProblem('', '', /^The template is empty/);
    expectProblem('- a\n- b\n', '', /^Input should be a valid dictionary: the template must be a mapping/);
    expectProblem('TemplateFormatVersion: "2025-03-31"\nDescription: x\nResources: {}\n', 'Resources', /^Resources is empty/);
    expectProblem(
      'TemplateFormatVersion: "2025-03-31"\nDescription: x\nResources: [a]\n',
      'Resources',
      /^Input should be a valid dictionary: Resources maps each ResourceKey/,
    );
  });
  it('strings must be strings (YAML reads 12 and true as other types)', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Description'], 12),
      'Resources.PixelNMF.Properties.Description',
      'Input should be a valid string (YAML reads "12" as a number: put it in quotes)',
    );
  });
  it('OutputSignature required, metadata Attributes required', () => {
    expectProblem(del(FIXTURE, [...P, 'OutputSignature']), 'Resources.PixelNMF.Properties.OutputSignature', /^Field required/);
    expectProblem(
      del(FIXTURE, [...P, 'InputMetadata', 0, 'Attributes']),
      'Resources.PixelNMF.Properties.InputMetadata[0].Attributes',
      /^Field required/,
    );
    expectProblem(
      del(FIXTURE, [...P, 'InputMetadata', 1, 'Filter', 0, 'Value']),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Value',
      /^Field required/,
    );
  });
  it('MonitoringElement required on inputs; duplicate input names warn', () => {
    expectProblem(
      del(FIXTURE, [...P, 'InputSignature', 0, 'MonitoringElement']),
      'Resources.PixelNMF.Properties.InputSignature[0].MonitoringElement',
      /^Field required/,
    );
    expectProblem(
      set(FIXTURE, [...P, 'InputSignature', 1, 'Name'], 'BPix2'),
      'Resources.PixelNMF.Properties.InputSignature[1].Name',
      /^Duplicate InputSignature name "BPix2"/,
      'warning',
    );
  });
  it('gpu and nvidia.com/gpu together warn', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Resources', 'Limits', 'nvidia.com/gpu'], '1'),
      'Resources.PixelNMF.Properties.Resources.Limits.nvidia.com/gpu',
      /^gpu and nvidia\.com\/gpu are the same setting/,
      'warning',
    );
  });
  it('InferenceOnConditions must be a mapping', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InferenceOnConditions'], ['StableBeams']),
      'Resources.PixelNMF.Properties.InferenceOnConditions',
      'Input should be a valid dictionary of conditions',
    );
  });
  it('a YAML syntax error is listed alone: what the parser could not place would otherwise read as "Field required"', () => {
    // MetricKey indented one level too deep (what a re-indenting Tab did)
    const { problems, hidden } = validateTemplateText(FIXTURE.replace('      MetricKey: Metric', '        MetricKey: Metric'));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.rule)).toEqual(problems.map(() => 'yaml-syntax'));
    expect(problems[0].line).toBe(15);
    expect(hidden).toBeGreaterThan(0);
    expect(validateTemplateText(FIXTURE).hidden).toBe(0);
  });
  it('YAML syntax errors and duplicate keys', () => {
    expectProblem(FIXTURE.replace('Name: pixel-barrel-nmf', 'Name: [pixel-barrel-nmf'), '', /^YAML syntax error/);
    const dup = expectProblem(
      FIXTURE.replace('      MetricKey: Metric\n', '      MetricKey: Metric\n      MetricKey: Flag\n'),
      '',
      /^Map keys must be unique: "MetricKey" appears twice/,
    );
    expect(dup.line).toBe(17);
  });
});
