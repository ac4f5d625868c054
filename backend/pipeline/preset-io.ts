import path from 'node:path';
import { ModelPreset } from '@/shared/preset/model-preset';
import { compilePipeline, cropGeometry, PipelineConfigError, type CompiledPipeline } from '@/shared/pipeline/model';
import { writeFileAtomic } from '../fs/atomic-write';
import { inputError, readJsonInput } from './input-error';
import { NpyFormatError, readNpyFile } from './npy';
import type { NmfSession } from './onnx-session';
import { issuesText } from '@/shared/api/issue-text';

export interface LoadedPreset {
  file: string;
  dir: string;
  preset: ModelPreset;
}

/** Validate a preset object; errors list the keys that are wrong. */
export function parsePreset(value: unknown, source: string): ModelPreset {
  const r = ModelPreset.safeParse(value);
  if (!r.success) throw inputError(`${source}: not a valid model preset — ${issuesText(r.error.issues)}`, { issues: r.error.issues });
  return r.data;
}

export async function loadPresetFile(file: string): Promise<LoadedPreset> {
  const abs = path.resolve(file);
  const json = await readJsonInput(abs, 'preset');
  return { file: abs, dir: path.dirname(abs), preset: parsePreset(json, abs) };
}

/** Write a preset (validated) atomically, keeping the previous file as <name>.dism-studio.bak. */
export async function savePresetFile(file: string, preset: unknown): Promise<ModelPreset> {
  const abs = path.resolve(file);
  const parsed = parsePreset(preset, abs);
  await writeFileAtomic(abs, `${JSON.stringify(parsed, null, 2)}\n`, { backup: true });
  return parsed;
}

function resolvePresetPath(loaded: Pick<LoadedPreset, 'dir'>, p: string): string {
  return path.resolve(loaded.dir, p);
}

/** Every file a preset run reads: the preset itself and each layer's ONNX model, local norm and loss mask. */
export function presetFiles(loaded: LoadedPreset): string[] {
  return [loaded.file, ...loaded.preset.layers.flatMap((l) => [l.onnx, l.localNorm, l.lossMask].map((p) => resolvePresetPath(loaded, p)))];
}

/** Read the local norms and loss masks and derive everything per model. */
export async function compilePresetFiles(loaded: LoadedPreset): Promise<CompiledPipeline> {
  const arrays: Parameters<typeof compilePipeline>[1] = {};
  for (const layer of loaded.preset.layers) {
    const normFile = resolvePresetPath(loaded, layer.localNorm);
    const maskFile = resolvePresetPath(loaded, layer.lossMask);
    try {
      arrays[layer.name] = {
        localNorm: await readNpyFile(normFile),
        lossMask: await readNpyFile(maskFile),
        localNormSource: normFile,
        lossMaskSource: maskFile,
      };
    } catch (err) {
      if (err instanceof NpyFormatError) throw inputError(`preset ${loaded.file}, layer ${layer.name}: ${err.message}`);
      throw err;
    }
  }
  try {
    return compilePipeline(loaded.preset, arrays);
  } catch (err) {
    if (err instanceof PipelineConfigError) throw inputError(`preset ${loaded.file}: ${err.message}`);
    throw err;
  }
}

/** One layer's ONNX model file and the cropped map shape it must take. */
export interface PresetModelFile {
  file: string;
  layer: string;
  rows: number;
  cols: number;
}

/**
 * Each layer's ONNX model file and the cropped map shape it must take: from the preset alone (the
 * same crop geometry compilePipeline uses), so the sessions can be created while the rest compiles.
 */
export function presetModelFiles(loaded: LoadedPreset): PresetModelFile[] {
  return loaded.preset.layers.map((layer) => {
    const geom = cropGeometry(layer);
    return { file: resolvePresetPath(loaded, layer.onnx), layer: layer.name, rows: geom.outRows, cols: geom.outCols };
  });
}

/** The NMF sessions of a compiled preset (`cp`: the preset's arrays were read and checked), in this thread. */
export async function openSessions(loaded: LoadedPreset, cp: CompiledPipeline, threads?: number): Promise<NmfSession[]> {
  return openModelSessions(presetModelFiles(loaded), threads);
}

export async function openModelSessions(models: PresetModelFile[], threads?: number): Promise<NmfSession[]> {
  // loaded here, not with this module: a thread that only reads presets (the CLI's, whose sessions are
  // in the inference thread) does not load onnxruntime
  const { NmfSession } = await import('./onnx-session');
  // onnxruntime-node creates sessions synchronously on this thread: they are created one after the other
  const opened = await Promise.allSettled(models.map((m) => NmfSession.open(m.file, m.layer, m.rows, m.cols, { threads })));
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
    throw failed.reason;
  }
  return opened.map((o) => (o as PromiseFulfilledResult<NmfSession>).value);
}
