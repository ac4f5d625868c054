import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { findPair, mapItems, seqItems, type ParsedTemplate } from '@/shared/template/document';
import type { FsRule } from '@/shared/template/fs-rules';
import type { PathSegment } from '@/shared/template/problems';
import { resourceTypeSpec, type PathKind } from '@/shared/template/schema';
import { HANDLER_RE } from '@/shared/template/validate/properties';
import { modernDataType } from '@/shared/template/legacy';
import { ValidationContext } from '@/shared/template/validate/context';
import { dimsMismatch, formatShape, readOnnxShapes } from './onnx-shapes';
import { findSampleShapes, type SampleShape } from './sample-shapes';
import { folderLinkProblems, resolveProjectPath } from './project-paths';

export interface FsCheckOptions {
  /** Absolute path of the template file: relative paths resolve against its folder (dismcli runs there). */
  templateFile: string;
  projectDir: string;
}

type Stat = { kind: PathKind } | null;

type AfterRule<F> = F extends (rule: string, ...rest: infer R) => void ? R : never;
/** The validation context with only the rule ids these checks own (shared/template/fs-rules.ts). */
type FsContext = Omit<ValidationContext, 'error' | 'warn'> & {
  error(rule: FsRule, ...rest: AfterRule<ValidationContext['error']>): void;
  warn(rule: FsRule, ...rest: AfterRule<ValidationContext['warn']>): void;
};

/** Entries of a CodeUri/SavedModelUri folder checked for links on each validation (the build checks all). */
const LINK_SCAN_LIMIT = 5000;

async function statKind(p: string): Promise<Stat> {
  try {
    const st = await fs.stat(p);
    return { kind: st.isDirectory() ? 'dir' : 'file' };
  } catch {
    return null;
  }
}

/** dismcli's Handler check: the class must be declared on a line of CodeUri/module.py. */
function definesClass(source: string, className: string): boolean {
  const re = new RegExp(`^\\s*class\\s+${className.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*(\\([^)]*\\))?\\s*:`);
  return source.split(/\r?\n/).some((line) => re.test(line));
}

/**
 * Checks that need the filesystem: referenced files exist with the right kind, stay inside the
 * project, the Handler/TritonPythonModel classes are defined, SavedModel folders are complete, and
 * Dims agree with ONNX models. Problems carry the YAML positions like the pure rules.
 */
export async function checkTemplateFiles(
  parsed: ParsedTemplate,
  opts: FsCheckOptions,
): Promise<{ problems: ValidationContext['problems']; notes: string[] }> {
  const ctx: FsContext = new ValidationContext(parsed);
  const notes: string[] = [];
  const templateDir = path.dirname(path.resolve(opts.templateFile));
  const projectDir = path.resolve(opts.projectDir);
  const root = parsed.doc.contents;
  const resources = isMap(root) ? findPair(root, 'Resources')?.value : undefined;
  let samples: Map<string, SampleShape> | undefined;

  for (const pair of mapItems(resources)) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const res = pair.value;
    if (!isMap(res)) continue;
    const spec = resourceTypeSpec(
      isScalar(findPair(res, 'Type')?.value) ? (findPair(res, 'Type')!.value as { value: unknown }).value : undefined,
    );
    const props = findPair(res, 'Properties')?.value;
    if (!spec || !isMap(props)) continue;
    const base: PathSegment[] = ['Resources', key, 'Properties'];
    const resolved: Record<string, string> = {};

    for (const [field, kind] of Object.entries(spec.paths)) {
      const node = findPair(props, field)?.value;
      const value = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
      if (value === undefined || value === '') continue;
      const seg = [...base, field];
      // The same rule (and words) the build applies: backend/template/project-paths.ts.
      const r = await resolveProjectPath({ templateDir, projectDir, field, value, kind });
      if (!r.ok) {
        ctx.error(r.rule, r.message, seg, node);
        continue;
      }
      if (kind === 'dir') {
        const links = await folderLinkProblems(r.abs, { projectDir, shownFrom: templateDir, limit: LINK_SCAN_LIMIT });
        for (const l of links.problems) ctx.error(l.rule, `${field}: ${l.message}`, seg, node);
        if (links.truncated)
          notes.push(
            `${field} "${value}" has more than ${LINK_SCAN_LIMIT} entries; links were checked in the first ${LINK_SCAN_LIMIT} only (the build checks all of them).`,
          );
        if (links.problems.length) continue;
      }
      resolved[field] = r.abs;
    }

    if (spec.framework === 'MLServer' && resolved.CodeUri) await checkHandler(ctx, props, base, resolved.CodeUri, projectDir);
    if (spec.model === 'Python' && resolved.CodeUri) await checkTritonPython(ctx, props, base, resolved.CodeUri, projectDir);
    if (spec.model === 'TensorflowSavedModel' && resolved.SavedModelUri) await checkSavedModel(ctx, props, base, resolved.SavedModelUri);
    if (spec.model === 'ONNX' && resolved.ModelUri) await checkOnnxDims(ctx, props, base, resolved.ModelUri, notes);
    samples ??= await findSampleShapes(projectDir);
    if (samples.size) checkSampleDims(ctx, props, base, samples, projectDir);
  }
  return { problems: ctx.problems, notes };
}

async function checkHandler(ctx: FsContext, props: Node, base: PathSegment[], codeDir: string, projectDir: string): Promise<void> {
  const node = findPair(props, 'Handler')?.value;
  const handler = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
  const m = handler ? HANDLER_RE.exec(handler) : null;
  if (!m) return;
  const [, module, className] = m;
  const file = path.join(codeDir, `${module.split('.').join(path.sep)}.py`);
  const shown = path.relative(projectDir, file);
  const source = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (source === undefined) {
    ctx.error('handler-module', `Handler "${handler}": module file ${shown} not found in CodeUri.`, [...base, 'Handler'], node);
    return;
  }
  if (!definesClass(source, className)) {
    ctx.error(
      'handler-class',
      `Handler "${handler}": ${shown} does not define class ${className} (DISM looks for a line like "class ${className}(...):").`,
      [...base, 'Handler'],
      node,
    );
  }
}

async function checkTritonPython(ctx: FsContext, props: Node, base: PathSegment[], codeDir: string, projectDir: string): Promise<void> {
  const node = findPair(props, 'CodeUri')?.value;
  const file = path.join(codeDir, 'model.py');
  const source = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (source === undefined)
    ctx.error(
      'python-model',
      `CodeUri must contain model.py for the Triton Python backend (${path.relative(projectDir, file)} not found).`,
      [...base, 'CodeUri'],
      node,
    );
  else if (!definesClass(source, 'TritonPythonModel'))
    ctx.error(
      'python-model',
      `${path.relative(projectDir, file)} does not define class TritonPythonModel, which the Triton Python backend loads.`,
      [...base, 'CodeUri'],
      node,
    );
}

async function checkSavedModel(ctx: FsContext, props: Node, base: PathSegment[], dir: string): Promise<void> {
  const node = findPair(props, 'SavedModelUri')?.value;
  const expected: Array<[string, PathKind]> = [
    ['saved_model.pb', 'file'],
    ['variables', 'dir'],
    ['fingerprint.pb', 'file'],
  ];
  const missing: string[] = [];
  for (const [name, kind] of expected) {
    const st = await statKind(path.join(dir, name));
    if (!st || st.kind !== kind) missing.push(kind === 'dir' ? `${name}/` : name);
  }
  if (missing.length)
    ctx.error(
      'saved-model',
      `SavedModelUri is not a complete TensorFlow SavedModel: missing ${missing.join(', ')} (expected saved_model.pb, variables/ and fingerprint.pb).`,
      [...base, 'SavedModelUri'],
      node,
    );
}

/** A DataType as DISM reads it (TYPE_FP32 → FP32). */
function plainDataType(v: string): string {
  return modernDataType(v) ?? v;
}

function dimsOf(item: Node): number[] | undefined {
  const d = findPair(item, 'Dims')?.value;
  if (!isSeq(d)) return undefined;
  const out = seqItems(d).map((x) => (isScalar(x) ? Number(x.value) : NaN));
  return out.every(Number.isInteger) ? out : undefined;
}

interface TritonTensor {
  /** The tensor name in config.pbtxt (an InputMetadata attribute is `<Meta>__<Attr>`). */
  name: string;
  kind: 'input' | 'output';
  /** The template entry (InputSignature[i], InputMetadata[j].Attributes[k], OutputSignature[i]) and its path. */
  item: Node;
  seg: PathSegment[];
  metadata: boolean;
}

function scalarOf(node: Node | null | undefined): string {
  return isScalar(node) ? String(node.value) : '';
}

/** The tensors DISM writes into config.pbtxt, in its order: InputSignature, InputMetadata attributes, OutputSignature. */
function tritonTensors(props: Node, base: PathSegment[]): TritonTensor[] {
  const out: TritonTensor[] = [];
  seqItems(findPair(props, 'InputSignature')?.value).forEach((item, i) => {
    if (isMap(item))
      out.push({
        name: scalarOf(findPair(item, 'Name')?.value),
        kind: 'input',
        item,
        seg: [...base, 'InputSignature', i],
        metadata: false,
      });
  });
  seqItems(findPair(props, 'InputMetadata')?.value).forEach((meta, j) => {
    if (!isMap(meta)) return;
    const metaName = scalarOf(findPair(meta, 'Name')?.value);
    seqItems(findPair(meta, 'Attributes')?.value).forEach((item, k) => {
      if (isMap(item))
        out.push({
          name: `${metaName}__${scalarOf(findPair(item, 'Name')?.value)}`,
          kind: 'input',
          item,
          seg: [...base, 'InputMetadata', j, 'Attributes', k],
          metadata: true,
        });
    });
  });
  seqItems(findPair(props, 'OutputSignature')?.value).forEach((item, i) => {
    if (isMap(item))
      out.push({
        name: scalarOf(findPair(item, 'Name')?.value),
        kind: 'output',
        item,
        seg: [...base, 'OutputSignature', i],
        metadata: false,
      });
  });
  return out;
}

/**
 * The ONNX model against the template, with the checks Triton's ONNX Runtime backend makes when it
 * loads the model (onnxruntime_backend ValidateInputs/ValidateOutputs, r23.05) on the config.pbtxt
 * DISM writes from the template (backend/build-local/config-pbtxt.ts): the same number of inputs
 * (every InputMetadata attribute is an input too), every config tensor present by name, the same
 * data type, and dims that agree — with MaxBatchSize > 0 after Triton's own batch dimension put
 * in front of Dims. Each difference is an error (Triton would refuse to load the model), at the field.
 */
async function checkOnnxDims(ctx: FsContext, props: Node, base: PathSegment[], modelFile: string, notes: string[]): Promise<void> {
  const shapes = await readOnnxShapes(modelFile);
  if ('note' in shapes) {
    notes.push(shapes.note);
    return;
  }
  const file = path.basename(modelFile);
  const mbsNode = findPair(props, 'MaxBatchSize')?.value;
  const maxBatchSize = isScalar(mbsNode) && Number.isInteger(Number(mbsNode.value)) ? Number(mbsNode.value) : 0;
  const tensors = tritonTensors(props, base);
  const configInputs = tensors.filter((t) => t.kind === 'input');
  const names = (list: Array<{ name: string }>) => list.map((t) => t.name).join(', ') || 'none';

  if (configInputs.length !== shapes.inputs.length) {
    const metas = configInputs.filter((t) => t.metadata);
    const at = metas.length ? [...base, 'InputMetadata'] : [...base, 'InputSignature'];
    ctx.error(
      'onnx-inputs',
      `Triton will refuse to load ${file}: config.pbtxt gets ${configInputs.length} input${configInputs.length === 1 ? '' : 's'} (${names(configInputs)}) but the model takes ${shapes.inputs.length} (${names(shapes.inputs)}). DISM makes every InputSignature entry and every InputMetadata attribute (named <Meta>__<Attr>) a model input, and Triton loads the model only when they are exactly the model's inputs.`,
      at,
      findPair(props, at.at(-1) as string)?.value ?? props,
    );
  }

  for (const t of tensors) {
    const model = t.kind === 'input' ? shapes.inputs : shapes.outputs;
    const tensor = model.find((x) => x.name === t.name);
    const nameNode = findPair(t.item, 'Name')?.value;
    if (!tensor) {
      ctx.error(
        'onnx-name',
        t.metadata
          ? `Triton will refuse to load ${file}: this InputMetadata attribute is sent to the model as input "${t.name}", and the model has no input of that name (it has: ${names(shapes.inputs)}).`
          : `${t.kind === 'input' ? 'InputSignature' : 'OutputSignature'} "${t.name}" has no ${t.kind} of that name in ${file} (it has: ${names(model)}); Triton matches tensors by name and will refuse to load the model.`,
        [...t.seg, 'Name'],
        nameNode ?? t.item,
      );
      continue;
    }
    const dtNode = findPair(t.item, 'DataType')?.value;
    const dataType = plainDataType(scalarOf(dtNode));
    if (tensor.dataType && dataType && dataType !== tensor.dataType) {
      ctx.error(
        'onnx-datatype',
        `DataType ${dataType} does not match ${file}'s ${t.kind} "${t.name}", which is ${tensor.dataType}: Triton will refuse to load the model. Set DataType: ${tensor.dataType}${t.kind === 'input' ? ' (the type the data is sent as)' : ''}, or change the model.`,
        [...t.seg, 'DataType'],
        dtNode ?? t.item,
      );
    }
    const dims = dimsOf(t.item);
    if (!dims) continue;
    const dimsNode = findPair(t.item, 'Dims')?.value;
    if (maxBatchSize > 0 && (tensor.shape.length === 0 || (typeof tensor.shape[0] === 'number' && tensor.shape[0] >= 0))) {
      ctx.error(
        'onnx-dims',
        `MaxBatchSize ${maxBatchSize} makes Triton batch, which needs every model tensor to start with a batch dimension that varies; ${file}'s ${t.kind} "${t.name}" has shape ${formatShape(tensor.shape)}. Set MaxBatchSize: 0.`,
        [...base, 'MaxBatchSize'],
        mbsNode ?? props,
      );
      continue;
    }
    const full = maxBatchSize > 0 ? [-1, ...dims] : dims;
    const diff = dimsMismatch(full, tensor.shape, t.kind === 'output');
    if (!diff) continue;
    ctx.error(
      'onnx-dims',
      maxBatchSize > 0
        ? `Dims [${dims.join(', ')}] with MaxBatchSize ${maxBatchSize} make Triton expect ${t.kind} "${t.name}" as [${full.join(', ')}] (its own batch dimension, then Dims), but ${file} has ${formatShape(tensor.shape)}: ${diff}. DISM writes Dims into config.pbtxt as they are, batch dimension included, so Triton sees two. Set MaxBatchSize: 0: DIALS sends a request's lumisections along the first dimension of Dims (-1).`
        : `Dims [${dims.join(', ')}] do not match ${file}'s ${t.kind} "${t.name}" of shape ${formatShape(tensor.shape)}: ${diff}. Triton will refuse to load the model.`,
      [...t.seg, 'Dims'],
      dimsNode ?? t.item,
    );
  }
}

/** Dims of each input against the DIALS parquet export of its ME, when the project has one. */
function checkSampleDims(ctx: FsContext, props: Node, base: PathSegment[], samples: Map<string, SampleShape>, projectDir: string): void {
  const list = findPair(props, 'InputSignature')?.value;
  seqItems(list).forEach((item, i) => {
    if (!isMap(item)) return;
    const meNode = findPair(item, 'MonitoringElement')?.value;
    const me = isScalar(meNode) ? String(meNode.value) : '';
    const sample = samples.get(me);
    const dims = dimsOf(item);
    if (!sample || !dims || dims.length !== 3) return;
    if (dims[1] !== sample.rows || dims[2] !== sample.cols) {
      ctx.warn(
        'sample-dims',
        `Dims [${dims.join(', ')}] do not match the sample data: ${path.relative(projectDir, sample.file)} has ${sample.rows} × ${sample.cols} maps (y_bin × x_bin) for this monitoring element, so Dims should be [-1, ${sample.rows}, ${sample.cols}].`,
        [...base, 'InputSignature', i, 'Dims'],
        findPair(item, 'Dims')?.value ?? item,
        {
          kind: 'set-value',
          label: `Set Dims to [-1, ${sample.rows}, ${sample.cols}]`,
          path: [...base, 'InputSignature', i, 'Dims'],
          value: [-1, sample.rows, sample.cols],
        },
      );
    }
  });
}

export type { Pair };
