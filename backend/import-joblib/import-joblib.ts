import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { parse } from 'yaml';
import type { ModelPreset, PatternSpec, PresetLayer } from '@/shared/preset/model-preset';
import { PRESET_FILE_NAME } from '@/shared/preset/model-preset';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { lossMaskProblem } from '@/shared/pipeline/input-checks';
import { ApiError } from '@/shared/api/errors';
import { imageExists } from '../engine/images';
import { studioLabels } from '../engine/labels';
import { containerUserFor, runOneShotContainer } from '../engine/run-container';
import { BACKUP_SUFFIX, writeFileAtomic } from '../fs/atomic-write';
import { encodeNmfOnnx } from '../onnx/nmf-onnx';
import { readTemplateText } from '../template/read-template-text';
import { encodeNpy, readNpyFile } from '../pipeline/npy';
import { parsePreset, savePresetFile } from '../pipeline/preset-io';
import { checkOutputs } from '../fs/output-target';
import { EXTRACT_SCRIPT } from './extract-script';
import { crossFor, splitCombinedLossMask } from './loss-mask';
import type { ImportJoblibResult } from '@/shared/api/contract/models';

export const IMPORT_ROLE = 'import-joblib';

interface ExtractedLayer {
  me: string;
  xshape: [number, number];
  nComponents: number;
  nmfClass: string;
  components: string;
  localNorm?: string;
  lossMask?: string;
}

interface Extracted {
  ok: boolean;
  error?: { kind: string; message: string };
  warnings: string[];
  versions: Record<string, string>;
  className?: string;
  layers?: ExtractedLayer[];
  combinedLossMask?: string;
  thresholdPatterns?: Array<{ lossThreshold: number; pattern: number[][]; filterThreshold: number }>;
  flaggingPatterns?: number[][][];
}

export interface ImportJoblibOptions {
  template: string;
  resource: string;
  /** Runtime image; default the resource's Properties.Image. */
  image?: string;
  signal?: AbortSignal;
  onLine?: (text: string) => void;
  user?: { uid: number; gid: number };
  /** Replace an earlier import in preview-<resource>/ (CLI --overwrite, or the user confirmed in the UI). */
  overwrite?: boolean;
  /** How the user allows replacing, for the refusal: CLI "add --overwrite …", UI "confirm …". */
  allowHint?: string;
}

interface InputEntry {
  name: string;
  me: string;
  shape: [number, number];
}

interface ResourceInfo {
  dir: string;
  name: string;
  codeDir: string;
  modelFile: string;
  image?: string;
  inputs: InputEntry[];
}

const bad = (message: string, details?: unknown) => new ApiError('IMPORT_FAILED', message, details, 'ImportError');

async function readResource(templateFile: string, key: string): Promise<ResourceInfo> {
  const file = path.resolve(templateFile);
  const text = await readTemplateText(file);
  let doc: { Resources?: Record<string, { Properties?: Record<string, unknown> }> };
  try {
    doc = parse(text) ?? {};
  } catch (err) {
    throw bad(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  const resources = doc.Resources ?? {};
  const res = resources[key];
  if (!res) throw bad(`${file} has no resource "${key}" (resources: ${Object.keys(resources).join(', ') || 'none'}).`);
  const p = res.Properties ?? {};
  const dir = path.dirname(file);
  const need = (field: string) => {
    const v = p[field];
    if (typeof v !== 'string' || !v.trim()) throw bad(`Resources.${key}.Properties.${field} is missing in ${file}; the import needs it.`);
    return v.trim();
  };
  const codeDir = path.resolve(dir, need('CodeUri'));
  const modelFile = path.resolve(dir, need('ModelUri'));
  if (
    !(await fs.stat(codeDir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw bad(`CodeUri ${codeDir} (from ${file}) is not a folder.`);
  if (
    !(await fs.stat(modelFile).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    throw bad(`ModelUri ${modelFile} (from ${file}) does not exist.`);
  const inputs: InputEntry[] = [];
  for (const [i, e] of (Array.isArray(p.InputSignature) ? p.InputSignature : []).entries()) {
    const entry = e as { Name?: unknown; MonitoringElement?: unknown; Dims?: unknown };
    const dims = Array.isArray(entry.Dims) ? entry.Dims.map(Number) : [];
    if (typeof entry.Name !== 'string' || dims.length !== 3 || dims.slice(1).some((d) => !Number.isInteger(d) || d <= 0)) {
      throw bad(
        `Resources.${key}.Properties.InputSignature[${i}] needs a Name and Dims [-1, rows, columns] for the preview (got Dims ${JSON.stringify(entry.Dims)}).`,
      );
    }
    inputs.push({
      name: entry.Name,
      me: typeof entry.MonitoringElement === 'string' ? entry.MonitoringElement : entry.Name,
      shape: [dims[1], dims[2]],
    });
  }
  return {
    dir,
    name: typeof p.Name === 'string' ? p.Name : key,
    codeDir,
    modelFile,
    image: typeof p.Image === 'string' ? p.Image : undefined,
    inputs,
  };
}

function explain(e: { kind: string; message: string }, res: ResourceInfo, image: string): string {
  switch (e.kind) {
    case 'unpickle':
      return `Could not load ${res.modelFile} in ${image}: ${e.message}. Check that CodeUri (${res.codeDir}) holds every module the pickle refers to.`;
    case 'version-mismatch':
      return `${res.modelFile} was pickled with other library versions than ${image} has: ${e.message}. Use the runtime image the model was trained for (--image).`;
    case 'not-pixelnmf':
      return `${res.modelFile} is not a PixelNMF model: ${e.message}.`;
    case 'runtime':
      return `The image ${image} cannot run the extraction: ${e.message}. Pass the model's runtime image with --image.`;
    default:
      return `Extraction failed in ${image}: ${e.message}`;
  }
}

function patternSpec(rows: number[][]): PatternSpec {
  return rows.every((r) => r.every((v) => v === 1)) ? { ones: [rows.length, rows[0].length] } : rows;
}

/** The folder an import of `resource` writes into, next to the template. */
function importTarget(templateFile: string, resource: string): string {
  return path.join(path.dirname(path.resolve(templateFile)), `preview-${resource}`);
}

const IMPORT_OUTPUT = new RegExp(`^(${PRESET_FILE_NAME.replace('.', '\\.')}|nmf_.+\\.onnx|local_norm_.+\\.npy|loss_mask_.+\\.npy)$`);

/**
 * Before the extraction runs: an earlier import in preview-<resource>/ (its preset may hold tuning
 * done in the Preview) is replaced only with overwrite. Throws OUTPUT_EXISTS otherwise.
 */
export async function planImportOutputs(
  templateFile: string,
  resource: string,
  overwrite: boolean,
  allowHint?: string,
): Promise<{ target: string; replaces: string[] }> {
  const target = importTarget(templateFile, resource);
  const names = await fs.readdir(target).catch(() => [] as string[]);
  const replaces = names.filter((n) => IMPORT_OUTPUT.test(n)).sort();
  if (replaces.length && !overwrite) {
    throw new ApiError(
      'OUTPUT_EXISTS',
      `${target} already holds an imported model (${replaces.slice(0, 4).join(', ')}${replaces.length > 4 ? ', …' : ''}); ${allowHint ?? 'add --overwrite to replace it'} (its ${PRESET_FILE_NAME}, with any tuning saved from the Preview, is then kept as ${PRESET_FILE_NAME}${BACKUP_SUFFIX}). Nothing was written.`,
      { target, outputs: replaces.map((n) => path.join(target, n)) },
      'OutputExistsError',
    );
  }
  return { target, replaces };
}

/**
 * Import a trained PixelNMF (.joblib) for the preview: extract its arrays by running a short
 * script in the model's runtime image, write one ONNX model per monitoring element, and write a
 * preview preset next to the template (`preview-<resource>/preset.json`).
 */
export async function importJoblib(docker: Docker, opts: ImportJoblibOptions): Promise<ImportJoblibResult> {
  const res = await readResource(opts.template, opts.resource);
  const image = opts.image ?? res.image;
  if (!image) throw bad(`Resources.${opts.resource} sets no Properties.Image; pass the runtime image with --image.`);
  if (!(await imageExists(docker, image)))
    throw bad(
      `The runtime image ${image} is not available in the container engine. Pull or load it (docker pull ${image}), or pass another with --image.`,
    );
  // Inputs first (cheap), then the question about an earlier import, before the extraction runs.
  await planImportOutputs(opts.template, opts.resource, Boolean(opts.overwrite), opts.allowHint);

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-joblib-extract-'));
  const output: string[] = [];
  try {
    const out = path.join(work, 'out');
    await fs.mkdir(out);
    await fs.writeFile(path.join(work, 'extract.py'), EXTRACT_SCRIPT);
    const user = opts.user ?? containerUserFor({});
    await fs.chown(out, user.uid, user.gid).catch(() => undefined);
    const modelName = path.basename(res.modelFile);
    const { exitCode } = await runOneShotContainer(
      docker,
      {
        Image: image,
        Entrypoint: ['/bin/sh', '-c', 'exec "$(command -v python3 || command -v python)" "$@"', 'python'],
        Cmd: ['/dism/extract.py', `/dism/model/${modelName}`, '/dism/code', '/dism/out'],
        User: `${user.uid}:${user.gid}`,
        Env: ['HOME=/tmp', 'PYTHONDONTWRITEBYTECODE=1', 'PYTHONUNBUFFERED=1'],
        WorkingDir: '/dism/code',
        Labels: studioLabels({ role: IMPORT_ROLE }),
        HostConfig: {
          NetworkMode: 'none',
          Binds: [
            `${path.join(work, 'extract.py')}:/dism/extract.py:ro`,
            `${res.codeDir}:/dism/code:ro`,
            `${res.modelFile}:/dism/model/${modelName}:ro`,
            `${out}:/dism/out`,
          ],
        },
      },
      {
        signal: opts.signal,
        onLine: (_s, text) => {
          output.push(text);
          opts.onLine?.(text);
        },
      },
    );
    const extracted = await fs
      .readFile(path.join(out, 'result.json'), 'utf8')
      .then((t) => JSON.parse(t) as Extracted)
      .catch(() => null);
    if (!extracted || !extracted.ok || exitCode !== 0) {
      const message = extracted?.error
        ? explain(extracted.error, res, image)
        : `The extraction script exited with code ${exitCode} in ${image} without a result.`;
      throw bad(message, { kind: extracted?.error?.kind ?? 'exit', exitCode, output: output.slice(-60) });
    }
    return await writePreviewModel(res, opts, image, extracted, out);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function writePreviewModel(
  res: ResourceInfo,
  opts: ImportJoblibOptions,
  image: string,
  ex: Extracted,
  out: string,
): Promise<ImportJoblibResult> {
  const key = opts.resource;
  const layersIn = ex.layers ?? [];
  const warnings = [...ex.warnings];
  const target = importTarget(opts.template, key);
  // Everything is derived and checked first, then written: a bad array never leaves half an import.
  const writes: Array<{ file: string; data: Uint8Array }> = [];
  const presetLayers: PresetLayer[] = [];
  const summary: ImportJoblibResult['layers'] = [];
  const masks: Array<Uint8Array | null> = [];

  for (const l of layersIn) {
    const input = res.inputs.find((i) => i.me === l.me) ?? res.inputs.find((i) => i.name === l.me);
    if (!input)
      throw bad(
        `The PixelNMF has a model for "${l.me}", which is not a MonitoringElement of Resources.${key}.Properties.InputSignature (${res.inputs.map((i) => i.me).join(', ')}).`,
      );
    const [rows, cols] = input.shape;
    const cross = crossFor(input.shape, l.xshape);
    if (!cross)
      throw bad(
        `${input.name}: the NMF input shape ${l.xshape.join('×')} cannot come from the ${rows}×${cols} map by removing a centred cross (rows and columns removed must be ≥ 0 and even).`,
      );
    const comps = await readNpyFile(path.join(out, l.components));
    const onnxName = `nmf_${input.name}.onnx`;
    writes.push({
      file: path.join(target, onnxName),
      data: encodeNmfOnnx({
        components: comps.data as Float32Array,
        nComponents: l.nComponents,
        rows: l.xshape[0],
        cols: l.xshape[1],
        producer: 'dism-studio import-joblib',
      }),
    });

    let norm = l.localNorm ? await readNpyFile(path.join(out, l.localNorm)) : null;
    if (norm && (norm.shape.length !== 2 || norm.shape[0] !== rows || norm.shape[1] !== cols)) {
      throw bad(`${input.name}: the local norm in the joblib has shape (${norm.shape.join(', ')}), the template says ${rows}×${cols}.`);
    }
    if (!norm) {
      warnings.push(`${input.name}: the PixelNMF has no local norm; the preview divides by 1 (as the original does without one).`);
      norm = { dtype: 'float64', shape: [rows, cols], data: new Float64Array(rows * cols).fill(1) };
    }
    writes.push({ file: path.join(target, `local_norm_${input.name}.npy`), data: encodeNpy(norm) });

    const mask = l.lossMask ? await readNpyFile(path.join(out, l.lossMask)) : null;
    if (mask && (mask.shape[0] !== rows || mask.shape[1] !== cols))
      throw bad(`${input.name}: the loss mask in the joblib has shape (${mask.shape.join(', ')}), the template says ${rows}×${cols}.`);
    const maskBad = mask ? lossMaskProblem(mask.data, cols) : null;
    // The same rule the preview applies to a preset's masks: a float map is not silently made boolean.
    if (maskBad) throw bad(`${input.name}: the loss mask in the joblib ${maskBad}`);
    masks.push(mask ? Uint8Array.from(mask.data, (v) => (v ? 1 : 0)) : null);

    presetLayers.push({
      name: input.name,
      monitoringElement: input.me,
      shape: [rows, cols],
      cross,
      onnx: onnxName,
      localNorm: `local_norm_${input.name}.npy`,
      lossMask: `loss_mask_${input.name}.npy`,
    });
    summary.push({
      name: input.name,
      monitoringElement: input.me,
      nComponents: l.nComponents,
      xshape: l.xshape,
      onnx: path.join(target, onnxName),
    });
  }

  if (masks.some((m) => m === null)) {
    // The original PixelNMF keeps only the combined mask; split it into per-layer masks the preset can hold.
    const combined = ex.combinedLossMask ? await readNpyFile(path.join(out, ex.combinedLossMask)) : null;
    const split = splitCombinedLossMask(presetLayers, combined);
    split.warnings.forEach((w) => warnings.push(w));
    split.masks.forEach((m, i) => (masks[i] ??= m));
  }
  for (const [i, layer] of presetLayers.entries()) {
    writes.push({ file: path.join(target, layer.lossMask), data: encodeNpy({ dtype: 'bool', shape: layer.shape, data: masks[i]! }) });
  }

  const base = pixelBarrelPreset(presetLayers.map((l) => l.name).filter((n) => /^BPix[1-4]$/.test(n)));
  const preset: ModelPreset = {
    kind: 'dism-studio.pixel-nmf-preset',
    version: 1,
    name: `${res.name} (imported)`,
    description: `Imported from ${path.basename(res.modelFile)} (${ex.className}) with ${image}`,
    layers: presetLayers,
    reconstructionInput: { max: 5, zeroValue: 1 },
    thresholds: ex.thresholdPatterns?.length
      ? ex.thresholdPatterns.map((t) => ({
          lossThreshold: t.lossThreshold,
          pattern: patternSpec(t.pattern),
          filterThreshold: t.filterThreshold,
        }))
      : base.thresholds,
    combine: base.combine,
    flagging: {
      patterns: ex.flaggingPatterns?.length ? ex.flaggingPatterns.map(patternSpec) : base.flagging.patterns,
      threshold: base.flagging.threshold,
    },
    filters: { ...base.filters, minEntries: Object.fromEntries(presetLayers.map((l) => [l.name, base.filters.minEntries[l.name] ?? 0])) },
  };
  if (!ex.thresholdPatterns?.length) warnings.push('The PixelNMF has no threshold_patterns; the pixel barrel values were used.');
  warnings.push('The lumisection filters are not part of the joblib; the pixel barrel preset values were used (edit them in the preset).');
  const presetFile = path.join(target, PRESET_FILE_NAME);
  parsePreset(preset, presetFile);
  await checkOutputs({
    outputs: [...writes.map((w) => w.file), presetFile],
    inputs: [opts.template, res.modelFile],
    overwrite: Boolean(opts.overwrite),
    allowHint: opts.allowHint,
  });
  for (const w of writes) await writeFileAtomic(w.file, w.data);
  await savePresetFile(presetFile, preset);
  return { presetFile, image, className: ex.className ?? 'unknown', versions: ex.versions, layers: summary, warnings };
}
