import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deleteAt, setValue } from './edit';
import type { PathSegment, TemplateProblem } from './problems';
import { templateSkeleton, pixelBarrelNmfPreset } from './skeletons';
import { SUPPORTED_TYPES } from './schema';
import { validateTemplateText } from './validate/index';
import { applyProblemFix } from './fix';

const FIXTURE = readFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', 'utf8');
const P: PathSegment[] = ['Resources', 'PixelNMF', 'Properties'];

const problemsOf = (text: string) => validateTemplateText(text).problems;
const errorsOf = (text: string) => problemsOf(text).filter((p) => p.severity === 'error');
const set = (text: string, path: PathSegment[], value: unknown) => setValue(text, path, value).text;
const del = (text: string, path: PathSegment[]) => deleteAt(text, path).text;

/**
 * The problem at `path` whose plain-words message matches; `dism` (when given) must match its detail,
 * DISM's own wording ("DISM: …"), which must never be the first thing the user reads.
 */
function expectProblem(
  text: string,
  path: string,
  message: string | RegExp,
  severity: 'error' | 'warning' = 'error',
  dism?: string | RegExp,
): TemplateProblem {
  const found = problemsOf(text).filter((p) => p.path === path && p.severity === severity);
  const matches = (m: string | RegExp, v: string | undefined) => v !== undefined && (typeof m === 'string' ? v === m : m.test(v));
  const hit = found.find((p) => matches(message, p.message) && (dism === undefined || matches(dism, p.detail?.replace(/^DISM: /, ''))));
  if (!hit)
    throw new Error(
      `no ${severity} ${String(message)} at ${path}; got:\n${problemsOf(text)
        .map((p) => `${p.severity} ${p.path}: ${p.message} [${p.detail ?? ''}]`)
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
      'TemplateFormatVersion "2024-01-01" is not one DISM supports: write "2025-03-31".',
      'error',
      "'2024-01-01' is not a valid TemplateFormatVersion",
    );
  });
  it('TemplateFormatVersion unquoted reads as a date', () => {
    const p = expectProblem(
      FIXTURE.replace('"2025-03-31"', '2025-03-31'),
      'TemplateFormatVersion',
      /^TemplateFormatVersion must be text in quotes: unquoted, YAML reads 2025-03-31 as a date/,
      'error',
      /^datetime\.date\(2025, 3, 31\) is not a valid TemplateFormatVersion/,
    );
    expect(p).toMatchObject({ line: 1, column: 24 });
  });
  it('top-level Description and Resources required', () => {
    expectProblem(del(FIXTURE, ['Description']), 'Description', 'Description is missing: DISM requires it.', 'error', 'Field required');
    expectProblem('TemplateFormatVersion: "2025-03-31"\nDescription: x\n', 'Resources', /^Resources is missing/, 'error', 'Field required');
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
      /^Type "InferenceService::SKLearn" must have three parts, SuperType::Framework::Model/,
      'error',
      /^Invalid Type format: InferenceService::SKLearn\. Expected format: 'SuperType::Framework::Model'\./,
    );
  });
  it('unsupported Type', () => {
    expectProblem(
      set(FIXTURE, ['Resources', 'PixelNMF', 'Type'], 'InferenceService::MLServer::Torchscript'),
      'Resources.PixelNMF.Type',
      /^DISM does not support Type InferenceService::MLServer::Torchscript: MLServer does not serve Torchscript models\./,
      'error',
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
    expectProblem(del(FIXTURE, ['Resources', 'PixelNMF', 'Workspace']), 'Resources.PixelNMF.Workspace', /^Workspace is missing/);
  });
  it('Properties Description and Name required', () => {
    expectProblem(del(FIXTURE, [...P, 'Description']), 'Resources.PixelNMF.Properties.Description', /^Description is missing/);
    expectProblem(del(FIXTURE, [...P, 'Name']), 'Resources.PixelNMF.Properties.Name', /^Name is missing/);
  });
  it('Name at most 36 characters', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Name'], 'a'.repeat(37)),
      'Resources.PixelNMF.Properties.Name',
      /^The Name is 37 characters long; at most 36 fit/,
      'error',
      'String should have at most 36 characters',
    );
  });
  it('Name is an RFC 1123 subdomain', () => {
    const p = expectProblem(
      set(FIXTURE, [...P, 'Name'], 'Pixel_NMF'),
      'Resources.PixelNMF.Properties.Name',
      "The Name must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (it becomes part of a Kubernetes service name).",
      'error',
      'String violates RFC 1123 subdomain naming conventions. Validation is done by ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    );
    expect(p).toMatchObject({ line: 11, column: 13, fix: { value: 'pixel-nmf' } });
  });
  it('Tag names', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Tags'], [{ Name: 'Layer 2', Value: 'x' }]),
      'Resources.PixelNMF.Properties.Tags[0].Name',
      "A tag Name may only hold lowercase letters, digits, '-' and '_'.",
      'error',
      'String must contain only lowercase alphanumeric characters, hyphens, or underscores',
    );
    expectProblem(
      set(FIXTURE, [...P, 'Tags'], [{ Name: 'a'.repeat(64), Value: 'x' }]),
      'Resources.PixelNMF.Properties.Tags[0].Name',
      'A tag Name has at most 63 characters; this one has 64.',
      'error',
      /^String should have at most 63 characters/,
    );
  });
  it('BuiltinThreshold required and boolean', () => {
    expectProblem(
      del(FIXTURE, [...P, 'BuiltinThreshold']),
      'Resources.PixelNMF.Properties.BuiltinThreshold',
      /^BuiltinThreshold is missing/,
    );
    expectProblem(
      set(FIXTURE, [...P, 'BuiltinThreshold'], 'maybe'),
      'Resources.PixelNMF.Properties.BuiltinThreshold',
      'Must be true or false; "maybe" is not.',
      'error',
      'Input should be a valid boolean, unable to interpret input',
    );
  });
  it('threshold: FlaggingKey forbidden with BuiltinThreshold false', () => {
    let t = set(FIXTURE, [...P, 'BuiltinThreshold'], false);
    t = set(t, [...P, 'AnomalyThreshold'], 0.5);
    expectProblem(
      t,
      'Resources.PixelNMF.Properties.FlaggingKey',
      /^FlaggingKey cannot be used with BuiltinThreshold: false/,
      'error',
      'Invalid configuration.\nFlaggingKey cannot be set if BuiltinThreshold = false',
    );
  });
  it('threshold: AnomalyThreshold forbidden with BuiltinThreshold true', () => {
    expectProblem(
      set(FIXTURE, [...P, 'AnomalyThreshold'], 0.5),
      'Resources.PixelNMF.Properties.AnomalyThreshold',
      /^AnomalyThreshold cannot be used with BuiltinThreshold: true/,
      'error',
      'Invalid configuration.\nAnomalyThreshold cannot be set if BuiltinThreshold = true',
    );
  });
  it('threshold: neither option', () => {
    expectProblem(
      del(FIXTURE, [...P, 'FlaggingKey']),
      'Resources.PixelNMF.Properties.BuiltinThreshold',
      'With BuiltinThreshold: true, DISM needs FlaggingKey: the name of the model output that says whether a lumisection is flagged. Add FlaggingKey, or set BuiltinThreshold: false and give AnomalyThreshold and MetricKey.',
      'error',
      'Invalid configuration. You must specify either:\n- AnomalyThreshold (not None) and MetricKey (not None) with BuiltinThreshold = False\nOR\n- BuiltinThreshold = True and FlaggingKey (not None).',
    );
    expectProblem(
      set(del(FIXTURE, [...P, 'FlaggingKey']), [...P, 'BuiltinThreshold'], false),
      'Resources.PixelNMF.Properties.BuiltinThreshold',
      /^With BuiltinThreshold: false, DISM needs AnomalyThreshold and MetricKey \(missing: AnomalyThreshold\)/,
    );
  });
  it('FlaggingKey / MetricKey must name an output', () => {
    expectProblem(
      set(FIXTURE, [...P, 'FlaggingKey'], 'X'),
      'Resources.PixelNMF.Properties.FlaggingKey',
      'FlaggingKey names the output "X", but OutputSignature has no output of that name (it has Flag, Metric).',
    );
    expectProblem(
      set(FIXTURE, [...P, 'MetricKey'], 'Score'),
      'Resources.PixelNMF.Properties.MetricKey',
      /^MetricKey names the output "Score", but OutputSignature has no output of that name/,
    );
  });
  it('InputSignature required', () => {
    expectProblem(del(FIXTURE, [...P, 'InputSignature']), 'Resources.PixelNMF.Properties.InputSignature', /^InputSignature is missing/);
  });
  it('DataType must be one of DISM’s types', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InputSignature', 0, 'DataType'], 'FLOAT32'),
      'Resources.PixelNMF.Properties.InputSignature[0].DataType',
      'DataType "FLOAT32" is not one DISM knows: use BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64 or BYTES.',
      'error',
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
      'Must be a whole number; "wide" is not.',
      'error',
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
      'Must be a whole number; "first" is not.',
    );
    expectProblem(
      set(FIXTURE, [...C, 'MinEnergy'], 'high'),
      'Resources.PixelNMF.Properties.InferenceOnConditions.MinEnergy',
      'Must be a number; "high" is not.',
      'error',
      'Input should be a valid number, unable to parse string as a number',
    );
    expectProblem(
      set(FIXTURE, [...C, 'StableBeams'], 'sometimes'),
      'Resources.PixelNMF.Properties.InferenceOnConditions.StableBeams',
      'Must be true or false; "sometimes" is not.',
    );
    expectProblem(
      set(FIXTURE, [...C, 'AllowedPrimaryDatasets'], 'ZeroBias'),
      'Resources.PixelNMF.Properties.InferenceOnConditions.AllowedPrimaryDatasets',
      'AllowedPrimaryDatasets must be a list of names, e.g. [ZeroBias, StreamExpress].',
      'error',
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
      /^NoComponentOut and AllowedComponentsOut cannot both be set/,
      'error',
      'The `NoComponentOut` field cannot be declared if `AllowedComponentsOut` is provided.',
    );
  });
  it('metadata: Source, Endpoint and Operation enums', () => {
    const M = [...P, 'InputMetadata', 0];
    expectProblem(
      set(FIXTURE, [...M, 'Source'], 'DIALS'),
      'Resources.PixelNMF.Properties.InputMetadata[0].Source',
      'Source "DIALS" is not one DISM knows: it must be OMS.',
      'error',
      "Input should be 'OMS'",
    );
    expectProblem(
      set(FIXTURE, [...M, 'Endpoint'], 'lumisection'),
      'Resources.PixelNMF.Properties.InputMetadata[0].Endpoint',
      'Endpoint "lumisection" is not one DISM knows: use lumisections, hltpathrates or datasetrates. Did you mean lumisections?',
      'error',
      "Input should be 'lumisections', 'hltpathrates' or 'datasetrates'",
    );
    expectProblem(
      set(FIXTURE, [...P, 'InputMetadata', 1, 'Filter', 0, 'Operation'], 'MATCH'),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Operation',
      /^Operation "MATCH" is not one DISM knows: use EQ or LIST_AND_MATCH/,
      'error',
      /^Input should be 'EQ' or 'LIST_AND_MATCH'/,
    );
  });
  it('metadata: LIST_AND_MATCH only with hltpathrates and path_name', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InputMetadata', 1, 'Endpoint'], 'datasetrates'),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Operation',
      /^Operation LIST_AND_MATCH works only with Endpoint hltpathrates and Filter Name path_name \(here: Endpoint datasetrates\)/,
      'error',
      "LIST_AND_MATCH operation can only be used with Endpoint 'hltpathrates'. Got 'datasetrates' instead.",
    );
    expectProblem(
      set(FIXTURE, [...P, 'InputMetadata', 1, 'Filter', 0, 'Name'], 'path'),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Operation',
      /\(here: Filter Name path\)\. Use Operation EQ, or change the Filter Name to path_name\./,
      'error',
      /^LIST_AND_MATCH operation can only be used with Endpoint 'hltpathrates'\. Got 'hltpathrates' instead\. \(and only with Filter Name 'path_name'/,
    );
  });
  it('metadata: LIST_AND_MATCH value must compile as a regex', () => {
    expectProblem(
      set(FIXTURE, [...P, 'InputMetadata', 1, 'Filter', 0, 'Value'], 'HLT_ZeroBias_v[0-9+'),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Value',
      /^The Filter Value is not a valid regular expression, which LIST_AND_MATCH needs/,
    );
  });
  it('MLServer types need CodeUri, Handler and ModelUri', () => {
    expectProblem(del(FIXTURE, [...P, 'Handler']), 'Resources.PixelNMF.Properties.Handler', /^Handler is missing/);
    expectProblem(del(FIXTURE, [...P, 'CodeUri']), 'Resources.PixelNMF.Properties.CodeUri', /^CodeUri is missing/);
    expectProblem(del(FIXTURE, [...P, 'ModelUri']), 'Resources.PixelNMF.Properties.ModelUri', /^ModelUri is missing/);
    expectProblem(
      set(FIXTURE, [...P, 'Handler'], 'Handler'),
      'Resources.PixelNMF.Properties.Handler',
      /^Handler "Handler" must be module\.Class, e\.g\. app\.Handler/,
    );
  });
  it('Triton types need MaxBatchSize (int) and their model path', () => {
    const onnx = templateSkeleton({ type: 'InferenceService::Tritonserver::ONNX', resourceKey: 'M' });
    const MP = ['Resources', 'M', 'Properties'];
    expectProblem(del(onnx, [...MP, 'MaxBatchSize']), 'Resources.M.Properties.MaxBatchSize', /^MaxBatchSize is missing/);
    expectProblem(
      set(onnx, [...MP, 'MaxBatchSize'], 1.5),
      'Resources.M.Properties.MaxBatchSize',
      'Must be a whole number; "1.5" has a fractional part.',
      'error',
      'Input should be a valid integer, got a number with a fractional part',
    );
    expectProblem(del(onnx, [...MP, 'ModelUri']), 'Resources.M.Properties.ModelUri', /^ModelUri is missing/);
    const tf = templateSkeleton({ type: 'InferenceService::Tritonserver::TensorflowSavedModel', resourceKey: 'M' });
    expectProblem(del(tf, [...MP, 'SavedModelUri']), 'Resources.M.Properties.SavedModelUri', /^SavedModelUri is missing/);
    const py = templateSkeleton({ type: 'InferenceService::Tritonserver::Python', resourceKey: 'M' });
    expectProblem(del(py, [...MP, 'CodeUri']), 'Resources.M.Properties.CodeUri', /^CodeUri is missing/);
  });
  it('compute resources are strings', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Resources', 'Limits', 'cpu'], 2),
      'Resources.PixelNMF.Properties.Resources.Limits.cpu',
      'Write cpu as text in quotes, cpu: "2": Kubernetes quantities are text.',
      'error',
      'Input should be a valid string',
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
    expectProblem('- a\n- b\n', '', /^The template must be a mapping with TemplateFormatVersion, Description and Resources/);
    expectProblem('TemplateFormatVersion: "2025-03-31"\nDescription: x\nResources: {}\n', 'Resources', /^Resources is empty/);
    expectProblem(
      'TemplateFormatVersion: "2025-03-31"\nDescription: x\nResources: [a]\n',
      'Resources',
      'Resources must be a mapping from each ResourceKey to its resource.',
      'error',
      'Input should be a valid dictionary',
    );
  });
  it('strings must be strings (YAML reads 12 and true as other types)', () => {
    expectProblem(
      set(FIXTURE, [...P, 'Description'], 12),
      'Resources.PixelNMF.Properties.Description',
      'YAML reads "12" as a number: put it in quotes to make it text.',
      'error',
      'Input should be a valid string',
    );
  });
  it('OutputSignature required, metadata Attributes required', () => {
    expectProblem(del(FIXTURE, [...P, 'OutputSignature']), 'Resources.PixelNMF.Properties.OutputSignature', /^OutputSignature is missing/);
    expectProblem(
      del(FIXTURE, [...P, 'InputMetadata', 0, 'Attributes']),
      'Resources.PixelNMF.Properties.InputMetadata[0].Attributes',
      /^Attributes is missing/,
    );
    expectProblem(
      del(FIXTURE, [...P, 'InputMetadata', 1, 'Filter', 0, 'Value']),
      'Resources.PixelNMF.Properties.InputMetadata[1].Filter[0].Value',
      /^Value is missing/,
    );
  });
  it('MonitoringElement required on inputs; duplicate input names warn', () => {
    expectProblem(
      del(FIXTURE, [...P, 'InputSignature', 0, 'MonitoringElement']),
      'Resources.PixelNMF.Properties.InputSignature[0].MonitoringElement',
      /^MonitoringElement is missing/,
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
      'InferenceOnConditions must be a mapping of conditions, e.g. StableBeams: true.',
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
    expectProblem(FIXTURE.replace('Name: pixel-barrel-nmf', 'Name: [pixel-barrel-nmf'), '', /^YAML syntax error: /);
    const dup = expectProblem(
      FIXTURE.replace('      MetricKey: Metric\n', '      MetricKey: Metric\n      MetricKey: Flag\n'),
      '',
      /appears twice in this mapping: DISM would silently keep only the last one/,
    );
    expect(dup.line).toBe(17);
  });
});

describe('quick fixes', () => {
  const broken = [
    FIXTURE.replace('      FlaggingKey: Flag', '      FlagingKey: Flag'),
    FIXTURE.replace('      MetricKey: Metric\n', '      MetricKey: Metric\n      MetricKye: Flag\n'),
    set(FIXTURE, [...P, 'Name'], 'Pixel_NMF'),
    set(FIXTURE, ['Resources', 'PixelNMF', 'Type'], 'InferenceService::MLServer::Sklearn'),
    set(FIXTURE, [...P, 'InputMetadata', 0, 'Endpoint'], 'lumisection'),
    set(FIXTURE, [...P, 'Resources', 'Limits', 'cpu'], 2),
    set(FIXTURE, [...P, 'InputSignature', 1, 'Dims', 1], 58),
    FIXTURE.replace('"2025-03-31"', '2025-03-31'),
    del(FIXTURE, ['TemplateFormatVersion']),
    FIXTURE,
  ];

  it('every fix offered applies, and its problem is gone afterwards', () => {
    let offered = 0;
    for (const text of broken) {
      for (const p of problemsOf(text).filter((x) => x.fix)) {
        offered++;
        const fixed = applyProblemFix(text, p.fix!).text;
        const again = problemsOf(fixed).filter((q) => q.rule === p.rule && q.path === p.path && q.message === p.message);
        expect(again, `${p.fix!.label} at ${p.path}`).toEqual([]);
      }
    }
    expect(offered).toBeGreaterThanOrEqual(10);
  });

  it('a misspelt key whose correct spelling is already set is offered for removal, not a rename onto a duplicate', () => {
    const text = FIXTURE.replace('      MetricKey: Metric\n', '      MetricKey: Metric\n      MetricKye: Flag\n');
    const p = expectProblem(
      text,
      'Resources.PixelNMF.Properties.MetricKye',
      /looks like a misspelt MetricKey, which is already set here/,
      'warning',
    );
    expect(p.fix).toEqual({ kind: 'delete-key', label: 'Remove MetricKye', path: [...P, 'MetricKye'] });
    expect(applyProblemFix(text, p.fix!).text).toBe(FIXTURE);
  });
});
